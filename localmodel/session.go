package localmodel

import (
	"container/list"
	"sync"
)

// Limits of chat history kept by the network client.
const (
	historyBudget = 24 << 10 // bytes of past turns resent per session
	maxSessions   = 32       // least recently used sessions beyond this are forgotten
)

// turn is one exchange of a chat session, redacted as it was sent.
type turn struct {
	user, assistant string
}

func (t turn) size() int { return len(t.user) + len(t.assistant) }

// sessions keeps the recent turns of each chat session within a byte budget,
// and at most max sessions (least recently used go first).
type sessions struct {
	budget, max int

	mu    sync.Mutex
	byID  map[string]*list.Element // of *session
	order *list.List               // front = most recently used
}

type session struct {
	id    string
	turns []turn
	bytes int
}

func newSessions(budget, maxCount int) *sessions {
	return &sessions{budget: budget, max: maxCount, byID: make(map[string]*list.Element), order: list.New()}
}

// history returns a copy of the session's turns, oldest first.
func (s *sessions) history(id string) []turn {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byID[id]
	if !ok {
		return nil
	}
	s.order.MoveToFront(el)
	return append([]turn(nil), el.Value.(*session).turns...)
}

// add appends a completed turn, then drops the oldest turns until the session
// fits the budget (a single turn larger than the budget is not kept).
func (s *sessions) add(id string, t turn) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byID[id]
	if !ok {
		el = s.order.PushFront(&session{id: id})
		s.byID[id] = el
		for s.order.Len() > s.max {
			old := s.order.Back()
			s.order.Remove(old)
			delete(s.byID, old.Value.(*session).id)
		}
	}
	s.order.MoveToFront(el)
	ss := el.Value.(*session)
	ss.turns = append(ss.turns, t)
	ss.bytes += t.size()
	for len(ss.turns) > 0 && ss.bytes > s.budget {
		ss.bytes -= ss.turns[0].size()
		ss.turns = ss.turns[1:]
	}
}
