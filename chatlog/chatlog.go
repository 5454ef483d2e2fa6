package chatlog

import (
	"container/list"
	"sync"
)

// Turn is one finished exchange of a chat session.
type Turn struct {
	User, Assistant string
}

func (t Turn) size() int { return len(t.User) + len(t.Assistant) }

// Log holds the turns of each chat session within a byte budget. It is
// safe for concurrent use.
type Log struct {
	budget, max int

	// mu guards the fields below.
	mu    sync.Mutex
	byID  map[string]*list.Element // of *session
	order *list.List               // front = most recently used
}

type session struct {
	id    string
	turns []Turn
	bytes int
}

// New returns a Log keeping at most budget bytes of turns per session and
// at most maxSessions sessions.
func New(budget, maxSessions int) *Log {
	return &Log{budget: budget, max: maxSessions, byID: map[string]*list.Element{}, order: list.New()}
}

// Turns returns a copy of the session's turns, oldest first. The session
// id "" has none.
func (l *Log) Turns(id string) []Turn {
	if id == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.byID[id]
	if !ok {
		return nil
	}
	l.order.MoveToFront(el)
	return append([]Turn(nil), el.Value.(*session).turns...)
}

// Add appends a finished turn, then drops the session's oldest turns until
// it fits the budget (a single turn larger than the budget is not kept).
// The session id "" keeps nothing.
func (l *Log) Add(id string, t Turn) {
	if id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.byID[id]
	if !ok {
		el = l.order.PushFront(&session{id: id})
		l.byID[id] = el
		for l.order.Len() > l.max {
			old := l.order.Back()
			l.order.Remove(old)
			delete(l.byID, old.Value.(*session).id)
		}
	}
	l.order.MoveToFront(el)
	s := el.Value.(*session)
	s.turns = append(s.turns, t)
	s.bytes += t.size()
	for len(s.turns) > 0 && s.bytes > l.budget {
		s.bytes -= s.turns[0].size()
		s.turns = s.turns[1:]
	}
}
