package spanset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// model is the obvious slice implementation Set is checked against.
type model []Span[int]

func (m model) edit(lo, hi, delta int, fresh []Span[int]) model {
	var out model
	for _, s := range m {
		if s.Start < lo {
			out = append(out, s)
		}
	}
	sorted := slices.Clone(fresh)
	slices.SortStableFunc(sorted, func(a, b Span[int]) int { return a.Start - b.Start })
	out = append(out, sorted...)
	for _, s := range m {
		if s.Start >= hi {
			s.Start += delta
			s.End += delta
			out = append(out, s)
		}
	}
	return out
}

func randSpans(rng *rand.Rand, n, from, to int) []Span[int] {
	out := make([]Span[int], n)
	for i := range out {
		s := from + rng.IntN(max(1, to-from))
		out[i] = Span[int]{Start: s, End: s + rng.IntN(50), Value: rng.Int()}
	}
	return out
}

func TestEditsAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 50; round++ {
		init := randSpans(rng, rng.IntN(300), 0, 5000)
		s := New(init)
		m := model(slices.Clone(s.Slice()))
		var snapshots []*Set[int]
		var models []model
		for i := 0; i < 100; i++ {
			lo := rng.IntN(5000)
			hi := lo + rng.IntN(200)
			delta := rng.IntN(400) - 200
			if delta < lo-hi {
				delta = lo - hi // the window cannot shrink below nothing
			}
			fresh := randSpans(rng, rng.IntN(4), lo, hi+delta)
			s = s.Edit(lo, hi, delta, fresh)
			m = m.edit(lo, hi, delta, fresh)
			snapshots, models = append(snapshots, s), append(models, m)
			check(t, s, m)
			lo2, hi2 := rng.IntN(6000)-500, 0
			hi2 = lo2 + rng.IntN(300)
			var want []Span[int]
			for _, sp := range m {
				if sp.Start <= hi2 && sp.End >= lo2 {
					want = append(want, sp)
				}
			}
			var got []Span[int]
			for sp := range s.Overlapping(lo2, hi2) {
				got = append(got, sp)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Overlapping(%d, %d) = %v, want %v", lo2, hi2, got, want)
			}
		}
		for i := range snapshots {
			check(t, snapshots[i], models[i]) // old sets unchanged
		}
	}
}

func check(t *testing.T, s *Set[int], m model) {
	t.Helper()
	if got := s.Slice(); !slices.Equal(got, []Span[int](m)) || s.Len() != len(m) {
		t.Fatalf("set %v (len %d), model %v", got, s.Len(), m)
	}
	var walk func(n *node[int], d int) (int, int)
	walk = func(n *node[int], d int) (int, int) {
		if n == nil {
			return 0, -1 << 62
		}
		d += n.add
		hl, el := walk(n.left, d)
		hr, er := walk(n.right, d)
		if hl-hr > 1 || hr-hl > 1 || int(n.height) != max(hl, hr)+1 {
			t.Fatalf("unbalanced: %d vs %d", hl, hr)
		}
		if e := max(el, er, n.span.End+d); e != n.maxEnd+d {
			t.Fatalf("maxEnd %d, want %d", n.maxEnd+d, e)
		}
		return int(n.height), n.maxEnd + d
	}
	walk(s.root, 0)
}

func TestEmpty(t *testing.T) {
	var s *Set[string]
	if s.Len() != 0 || len(s.Slice()) != 0 {
		t.Fatal("nil set not empty")
	}
	s = s.Edit(0, 10, 5, []Span[string]{{Start: 3, End: 4, Value: "a"}})
	if got := s.Slice(); len(got) != 1 || got[0].Value != "a" {
		t.Fatalf("edit on empty = %v", got)
	}
}

func BenchmarkEdit(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := New(randSpans(rng, 10000, 0, 10<<20))
	for i := 0; b.Loop(); i++ {
		at := (i * 7919) % (10 << 20)
		s = s.Edit(at, at+1, 1, nil)
	}
}

func TestShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := New(randSpans(rng, 500, 0, 5000))
	m := model(slices.Clone(s.Slice()))
	for range 200 {
		at, delta := rng.IntN(5200), rng.IntN(40)-20
		s = s.Shift(at, delta)
		for i := range m {
			if m[i].Start >= at {
				m[i].Start += delta
				m[i].End += delta
			}
		}
		check(t, s, m)
	}
}

// TestTypingShifts moves the spans after a cursor as typing does (a
// character in, now and then one out, the cursor moving on, sometimes
// jumping), mixed with edits and queries, against the model; every old
// set must stay as it was. Most shifts move the same spans as the one
// before and must copy no node.
func TestTypingShifts(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < 40; round++ {
		s := New(randSpans(rng, rng.IntN(200), 0, 4000))
		m := model(slices.Clone(s.Slice()))
		var snapshots []*Set[int]
		var models []model
		cursor, kept := rng.IntN(4000), 0
		for i := 0; i < 300; i++ {
			switch r := rng.IntN(20); {
			case r == 0:
				cursor = rng.IntN(4000) // the cursor jumps
			case r == 1:
				lo := rng.IntN(4000)
				hi, delta := lo+rng.IntN(50), rng.IntN(20)
				fresh := randSpans(rng, rng.IntN(3), lo, hi+delta)
				s, m = s.Edit(lo, hi, delta, fresh), m.edit(lo, hi, delta, fresh)
			case r < 5 && cursor > 0: // backspace
				cursor--
				before := s.root
				s, m = s.Shift(cursor+1, -1), m.edit(cursor+1, cursor+1, -1, nil)
				kept += b2i(s.root == before)
			default: // a character typed
				before := s.root
				s, m = s.Shift(cursor, 1), m.edit(cursor, cursor, 1, nil)
				kept += b2i(s.root == before)
				cursor++
			}
			snapshots, models = append(snapshots, s), append(models, m)
			check(t, s, m)
			lo := rng.IntN(4500) - 200
			hi := lo + rng.IntN(300)
			var want, got []Span[int]
			for _, sp := range m {
				if sp.Start <= hi && sp.End >= lo {
					want = append(want, sp)
				}
			}
			for sp := range s.Overlapping(lo, hi) {
				got = append(got, sp)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d step %d: Overlapping(%d, %d) = %v, want %v", round, i, lo, hi, got, want)
			}
		}
		for i := range snapshots {
			check(t, snapshots[i], models[i])
		}
		if kept < 100 {
			t.Fatalf("round %d: only %d of 300 shifts kept the tree; typing should rarely copy", round, kept)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTypingShiftAllocs: a keystroke's shift that moves the same spans as
// the one before allocates the new set and nothing else.
func TestTypingShiftAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	s := New(randSpans(rng, 10000, 0, 10<<20))
	at := 5 << 20
	s = s.Shift(at, 1)
	allocs := testing.AllocsPerRun(100, func() {
		at++
		s = s.Shift(at, 1)
	})
	if allocs != 1 {
		t.Fatalf("a typing shift allocated %v times, want 1 (the set)", allocs)
	}
}

// BenchmarkTyping shifts the spans after a cursor that moves on by one
// byte at a time, as typing does.
func BenchmarkTyping(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := New(randSpans(rng, 10000, 0, 10<<20))
	at := 5 << 20
	for b.Loop() {
		s = s.Edit(at, at, 1, nil)
		at++
	}
}

// TestSnapshotsReadWhileTyping: requests read the set they took when they
// arrived on their own goroutines while keystrokes go on making new sets,
// most by adding to the pending shift, some through Edit. Each reader walks
// its snapshot whole and by part again and again (run with -race: nothing a
// snapshot reaches may be written), and every snapshot must answer as its
// model did when it was made.
func TestSnapshotsReadWhileTyping(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	s := New(randSpans(rng, 400, 0, 8000))
	m := model(slices.Clone(s.Slice()))
	cursor := 4000
	type snap struct {
		set *Set[int]
		m   model
	}
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	read := func(sn snap, lo, hi int) {
		defer wg.Done()
		var want []Span[int]
		for _, sp := range sn.m {
			if sp.Start <= hi && sp.End >= lo {
				want = append(want, sp)
			}
		}
		for range 20 {
			if got := slices.Collect(sn.set.Overlapping(lo, hi)); !slices.Equal(got, want) {
				errs <- fmt.Sprintf("Overlapping(%d, %d) of a snapshot changed: %v, want %v", lo, hi, got, want)
				return
			}
			if got := sn.set.Slice(); !slices.Equal(got, []Span[int](sn.m)) {
				errs <- "a snapshot's spans changed"
				return
			}
		}
	}
	for i := range 300 {
		switch r := rng.IntN(10); {
		case r == 0:
			lo := max(0, cursor-rng.IntN(100))
			hi := cursor + rng.IntN(100)
			fresh := randSpans(rng, rng.IntN(3), lo, hi+1)
			s, m = s.Edit(lo, hi, 1, fresh), m.edit(lo, hi, 1, fresh)
			cursor++
		case r < 3 && cursor > 0:
			s, m = s.Shift(cursor, -1), m.edit(cursor, cursor, -1, nil)
			cursor--
		default:
			s, m = s.Shift(cursor, 1), m.edit(cursor, cursor, 1, nil)
			cursor++
		}
		if i%10 == 0 {
			lo := cursor - 300 + rng.IntN(600)
			wg.Add(1)
			go read(snap{s, slices.Clone(m)}, lo, lo+rng.IntN(400))
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
