package lspproxy

import (
	"container/list"
	"sync"
)

// Chat history is kept here, per session (one editor connection), as the
// user wrote it and as the reply read after restore: every turn re-masks
// it under the configuration in force then, so a term added by a reload
// never goes out from an earlier turn, and two --listen connections share
// nothing even when their chat session ids collide.

// Limits of the kept history.
const (
	chatHistoryBudget = 24 << 10 // bytes of past turns per chat session
	chatSessionsMax   = 32       // least recently used sessions beyond this are forgotten
)

// chatTurn is one finished exchange, unredacted. It never leaves the
// process unmasked and is never logged.
type chatTurn struct {
	user, assistant string
}

func (t chatTurn) size() int { return len(t.user) + len(t.assistant) }

// chatHistory holds the turns of each chat session within a byte budget.
type chatHistory struct {
	// mu guards everything below.
	mu    sync.Mutex
	byID  map[string]*list.Element // of *chatSession
	order *list.List               // front = most recently used
}

type chatSession struct {
	id    string
	turns []chatTurn
	bytes int
}

func newChatHistory() *chatHistory {
	return &chatHistory{byID: map[string]*list.Element{}, order: list.New()}
}

// turns returns a copy of the session's turns, oldest first ("" has none).
func (h *chatHistory) turns(id string) []chatTurn {
	if id == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byID[id]
	if !ok {
		return nil
	}
	h.order.MoveToFront(el)
	return append([]chatTurn(nil), el.Value.(*chatSession).turns...)
}

// add appends a finished turn and drops the oldest beyond the budget.
func (h *chatHistory) add(id string, t chatTurn) {
	if id == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	el, ok := h.byID[id]
	if !ok {
		el = h.order.PushFront(&chatSession{id: id})
		h.byID[id] = el
		for h.order.Len() > chatSessionsMax {
			old := h.order.Back()
			h.order.Remove(old)
			delete(h.byID, old.Value.(*chatSession).id)
		}
	}
	h.order.MoveToFront(el)
	cs := el.Value.(*chatSession)
	cs.turns = append(cs.turns, t)
	cs.bytes += t.size()
	for len(cs.turns) > 0 && cs.bytes > chatHistoryBudget {
		cs.bytes -= cs.turns[0].size()
		cs.turns = cs.turns[1:]
	}
}

// maskedHistory is the session's history masked under st now, and the
// values masked in it (for the leak guard). It is never nil, so the model
// client keeps no history of its own.
func (p *pipeline) maskedHistory(st *settings, id string) ([]redactedTurn, []string, error) {
	out := []redactedTurn{}
	var values []string
	for _, t := range p.chats.turns(id) {
		u, uv, err := p.maskText(st, t.user)
		if err != nil {
			return nil, nil, err
		}
		a, av, err := p.maskText(st, t.assistant)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, redactedTurn{user: u, assistant: a})
		values = append(append(values, uv...), av...)
	}
	return out, values, nil
}
