package wrap

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/veil-dev/veil/lspconn"
)

// LocalServer serves one LSP session over r and w until r ends: veil's own
// language server (policy, masking, the local model, audit), run in
// process for the documents policy routes local or block.
type LocalServer func(ctx context.Context, r io.Reader, w io.Writer) error

// localPrefix marks ids veil gives its own calls to the local server and
// the local server's calls to the editor ("veil-local-N").
const localPrefix = `"veil-local-`

// local is the in-process server for documents that must not reach the
// child: they are opened there, and their AI requests are answered there.
type local struct {
	w    *lspconn.FrameWriter // to the local server
	in   io.Closer            // closes the local server's input
	done chan struct{}        // closed when it and its reader ended

	// mu guards below.
	mu    sync.Mutex
	next  int
	calls map[string]json.RawMessage // our id for a local call to the editor → its id
}

// startLocal runs the local server with its reader; its frames go to the
// editor through s.fromLocal.
func (s *Session) startLocal(ctx context.Context) {
	if s.o.Local == nil {
		return
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	l := &local{w: lspconn.NewFrameWriter(inW), in: inW, done: make(chan struct{}), calls: map[string]json.RawMessage{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := s.o.Local(ctx, inR, outW); err != nil && !errors.Is(err, io.EOF) {
			s.log.Debug("wrap: local server ended", "err", err.Error())
		}
		inR.Close()
		outW.Close()
	}()
	go func() {
		defer wg.Done()
		s.readLocal(l, outR)
	}()
	go func() { wg.Wait(); close(l.done) }()
	s.local = l
}

// stopLocal ends the local server's input and waits for it.
func (s *Session) stopLocal() {
	if s.local == nil {
		return
	}
	s.local.in.Close()
	<-s.local.done
}

// toLocal writes one frame to the local server; false without one.
func (s *Session) toLocal(body []byte) bool {
	if s.local == nil {
		return false
	}
	return s.local.w.Write(body) == nil
}

// localCall sends the local server a call of veil's own, whose answer is
// dropped (initialize, shutdown).
func (s *Session) localCall(method string, params json.RawMessage) {
	s.toLocal(encodeCall(json.RawMessage(localPrefix+method+`"`), method, params))
}

// readLocal passes the local server's messages to the editor: answers to
// veil's own calls are dropped, its calls get ids of veil's so the
// editor's answers find their way back.
func (s *Session) readLocal(l *local, r io.Reader) {
	_ = s.readMessages(r, "the local server", func(m *message, body []byte) bool {
		switch {
		case m.isResponse() && strings.HasPrefix(string(m.ID), localPrefix):
		case m.isCall():
			l.mu.Lock()
			l.next++
			id := localPrefix + strconv.Itoa(l.next) + `"`
			l.calls[id] = m.ID
			l.mu.Unlock()
			s.toEditor(encodeCall(json.RawMessage(id), m.Method, m.Params))
		default:
			s.toEditor(body)
		}
		return false
	})
}

// localAnswer routes the editor's answer to a local server's call; false
// when the id is not one of them.
func (s *Session) localAnswer(m *message) bool {
	if s.local == nil || !strings.HasPrefix(string(m.ID), localPrefix) {
		return false
	}
	s.local.mu.Lock()
	orig, ok := s.local.calls[string(m.ID)]
	delete(s.local.calls, string(m.ID))
	s.local.mu.Unlock()
	if ok {
		s.toLocal(encodeRawReply(orig, m))
	}
	return true
}

// encodeRawReply re-addresses an answer to id, result or error kept raw.
func encodeRawReply(id json.RawMessage, m *message) []byte {
	out := map[string]any{"jsonrpc": "2.0", "id": id}
	if len(m.Error) > 0 {
		out["error"] = m.Error
	} else if len(m.Result) > 0 {
		out["result"] = m.Result
	} else {
		out["result"] = nil
	}
	b, _ := json.Marshal(out)
	return b
}
