package chatlog

import (
	"fmt"
	"strings"
	"testing"
)

func TestTurnsInOrderAndCopied(t *testing.T) {
	l := New(1<<10, 4)
	l.Add("s", Turn{User: "one", Assistant: "1"})
	l.Add("s", Turn{User: "two", Assistant: "2"})
	got := l.Turns("s")
	if len(got) != 2 || got[0].User != "one" || got[1].User != "two" {
		t.Fatalf("turns %+v", got)
	}
	got[0].User = "changed"
	if l.Turns("s")[0].User != "one" {
		t.Fatal("Turns returned the log's own slice")
	}
	if len(l.Turns("other")) != 0 {
		t.Fatal("an unknown session has turns")
	}
}

func TestEmptyIDKeepsNothing(t *testing.T) {
	l := New(1<<10, 4)
	l.Add("", Turn{User: "u", Assistant: "a"})
	if got := l.Turns(""); got != nil {
		t.Fatalf("session \"\" has turns %+v", got)
	}
}

func TestBudgetDropsOldestTurns(t *testing.T) {
	l := New(10, 4)
	l.Add("s", Turn{User: "aaaa", Assistant: "a"}) // 5 bytes
	l.Add("s", Turn{User: "bbbb", Assistant: "b"}) // 10 in all: kept
	if n := len(l.Turns("s")); n != 2 {
		t.Fatalf("%d turns within the budget, want 2", n)
	}
	l.Add("s", Turn{User: "cc", Assistant: "c"}) // 13: the oldest goes
	got := l.Turns("s")
	if len(got) != 2 || got[0].User != "bbbb" || got[1].User != "cc" {
		t.Fatalf("turns %+v, want bbbb then cc", got)
	}
	l.Add("s", Turn{User: strings.Repeat("x", 11)}) // larger than the budget
	if got := l.Turns("s"); len(got) != 0 {
		t.Fatalf("a turn over the budget left %d turns", len(got))
	}
}

func TestLeastRecentlyUsedSessionForgotten(t *testing.T) {
	l := New(1<<10, 3)
	for i := range 3 {
		l.Add(fmt.Sprint("s", i), Turn{User: "u"})
	}
	l.Turns("s0") // s0 is now the most recently used; s1 the least
	l.Add("s3", Turn{User: "u"})
	if len(l.Turns("s1")) != 0 {
		t.Fatal("the least recently used session was kept")
	}
	for _, id := range []string{"s0", "s2", "s3"} {
		if len(l.Turns(id)) != 1 {
			t.Fatalf("session %s was forgotten", id)
		}
	}
}
