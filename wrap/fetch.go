package wrap

import (
	"context"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/veil-dev/veil/egress"
)

// fetchParams are copilot/fetch's params.
type fetchParams struct {
	egress.Request
	WorkDoneToken json.RawMessage `json:"workDoneToken"`
}

// startFetch answers one copilot/fetch in a goroutine of its own: the
// response head as the call's result, then the restored body as
// $/progress reports on the call's workDoneToken, then an end.
func (s *Session) startFetch(id, params json.RawMessage) {
	var p fetchParams
	if err := json.Unmarshal(params, &p); err != nil || len(p.WorkDoneToken) == 0 {
		s.toChild(encodeReply(id, nil, &rpcError{Code: -32602, Message: "veil: copilot/fetch without url or workDoneToken"}))
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	key := string(p.WorkDoneToken)
	s.mu.Lock()
	if old := s.fetches[key]; old != nil {
		old()
	}
	s.fetches[key] = cancel
	s.mu.Unlock()
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		defer s.endFetch(key, cancel)
		s.fetch(ctx, id, p)
	}()
}

func (s *Session) endFetch(key string, cancel context.CancelFunc) {
	cancel()
	s.mu.Lock()
	delete(s.fetches, key)
	s.mu.Unlock()
}

func (s *Session) fetch(ctx context.Context, id json.RawMessage, p fetchParams) {
	resp, err := s.o.Gate.Fetch(ctx, p.Request)
	if err != nil {
		msg := "veil: " + err.Error()
		if errors.Is(err, egress.ErrNotAllowed) {
			msg = "veil refused this request: " + err.Error()
		}
		s.log.Info("wrap: fetch refused or failed", "err", err.Error())
		s.toChild(encodeReply(id, nil, &rpcError{Code: -32603, Message: msg}))
		return
	}
	s.toChild(encodeReply(id, map[string]any{"status": resp.Status, "headers": resp.Headers}, nil))
	var carry []byte // an incomplete UTF-8 sequence held for the next chunk
	err = resp.Stream(func(chunk []byte) error {
		buf := append(carry, chunk...)
		cut := completeUTF8(buf)
		carry = append([]byte(nil), buf[cut:]...)
		if cut == 0 {
			return nil
		}
		return s.progress(p.WorkDoneToken, map[string]any{"kind": "report", "chunk": string(buf[:cut])})
	})
	end := map[string]any{"kind": "end"}
	if len(carry) > 0 && err == nil {
		err = s.progress(p.WorkDoneToken, map[string]any{"kind": "report", "chunk": string(carry)})
	}
	if err != nil {
		end["error"] = "veil: " + err.Error()
	}
	_ = s.progress(p.WorkDoneToken, end)
}

func (s *Session) progress(token json.RawMessage, value any) error {
	if !s.toChild(encodeNotification("$/progress", map[string]any{"token": token, "value": value})) {
		return errors.New("wrap: the child is gone")
	}
	return nil
}

// completeUTF8 is the length of b without a trailing incomplete UTF-8
// sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		if utf8.FullRune(b[i:]) {
			return len(b)
		}
		return i
	}
	return len(b)
}

func (s *Session) cancelFetch(params json.RawMessage) {
	var p struct {
		WorkDoneToken json.RawMessage `json:"workDoneToken"`
	}
	_ = json.Unmarshal(params, &p)
	s.mu.Lock()
	cancel := s.fetches[string(p.WorkDoneToken)]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (s *Session) cancelAllFetches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.fetches {
		c()
	}
}
