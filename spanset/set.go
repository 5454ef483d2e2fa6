package spanset

import (
	"iter"
	"slices"
)

// Span is a half-open byte range [Start, End) with a value.
type Span[T any] struct {
	Start, End int
	Value      T
}

// Set is an immutable set of spans ordered by Start (ties keep insertion
// order). The zero value and nil are empty sets. Safe for concurrent use.
type Set[T any] struct {
	root *node[T]
	// move is a shift of the tree's spans not yet applied to its nodes:
	// typing moves every span after the cursor again and again, and
	// successive shifts that move the same spans add up here without
	// copying a node (see Shift).
	move shift
}

// shift moves the spans whose Start (in the tree's offsets) is at or after
// at by delta, Start and End alike.
type shift struct{ at, delta int }

// span returns a span's Start and End after the shift.
func (m shift) span(start, end int) (int, int) {
	if start >= m.at {
		return start + m.delta, end + m.delta
	}
	return start, end
}

// node holds one span. Its Start and End, maxEnd and the whole subtree are
// shifted by add (lazily: children see the sum of their ancestors' adds).
type node[T any] struct {
	left, right *node[T]
	span        Span[T]
	add         int   // pending shift for this node and its subtree
	maxEnd      int   // greatest End in the subtree, before add
	height      int32 // int32s keep a node of pointer spans in 64 bytes
	count       int32
}

func (n *node[T]) h() int32 {
	if n == nil {
		return 0
	}
	return n.height
}

func (n *node[T]) size() int32 {
	if n == nil {
		return 0
	}
	return n.count
}

// end is the subtree's greatest End, shifted.
func (n *node[T]) end() int { return n.maxEnd + n.add }

// mk makes a node with no pending shift over children l and r (which may
// carry their own).
func mk[T any](l *node[T], s Span[T], r *node[T]) *node[T] {
	n := &node[T]{left: l, right: r, span: s, height: max(l.h(), r.h()) + 1, count: l.size() + r.size() + 1, maxEnd: s.End}
	if l != nil {
		n.maxEnd = max(n.maxEnd, l.end())
	}
	if r != nil {
		n.maxEnd = max(n.maxEnd, r.end())
	}
	return n
}

// shifted returns n with every span moved by d: one new node.
func shifted[T any](n *node[T], d int) *node[T] {
	if n == nil || d == 0 {
		return n
	}
	c := *n
	c.add += d
	return &c
}

// open returns n's span and children with n's pending shift applied.
func open[T any](n *node[T]) (*node[T], Span[T], *node[T]) {
	s := n.span
	s.Start += n.add
	s.End += n.add
	return shifted(n.left, n.add), s, shifted(n.right, n.add)
}

// New returns a set of spans (sorted by Start here; the slice is not kept).
func New[T any](spans []Span[T]) *Set[T] {
	sorted := slices.Clone(spans)
	slices.SortStableFunc(sorted, func(a, b Span[T]) int { return a.Start - b.Start })
	return &Set[T]{root: build(sorted)}
}

func build[T any](s []Span[T]) *node[T] {
	if len(s) == 0 {
		return nil
	}
	mid := len(s) / 2
	return mk(build(s[:mid]), s[mid], build(s[mid+1:]))
}

func (s *Set[T]) tree() *node[T] {
	if s == nil {
		return nil
	}
	return s.root
}

func (s *Set[T]) moved() shift {
	if s == nil {
		return shift{}
	}
	return s.move
}

// flat returns the tree with the set's pending shift applied: one path
// copied.
func (s *Set[T]) flat() *node[T] {
	m := s.moved()
	return shiftFrom(s.tree(), 0, m.at, m.delta)
}

// Len is the number of spans.
func (s *Set[T]) Len() int { return int(s.tree().size()) }

// All yields every span in order.
func (s *Set[T]) All() iter.Seq[Span[T]] {
	return func(yield func(Span[T]) bool) {
		walk(s.tree(), 0, -1<<62, 1<<62, s.moved(), yield)
	}
}

// Overlapping yields, in order, the spans that overlap [lo, hi) or touch
// it: Start <= hi and End >= lo. O(log n + k).
func (s *Set[T]) Overlapping(lo, hi int) iter.Seq[Span[T]] {
	return func(yield func(Span[T]) bool) {
		walk(s.tree(), 0, lo, hi, s.moved(), yield)
	}
}

// walk yields the spans of n (shifted by d, then moved by m) with Start <=
// hi and End >= lo; false means the consumer stopped.
func walk[T any](n *node[T], d, lo, hi int, m shift, yield func(Span[T]) bool) bool {
	if n == nil {
		return true
	}
	d += n.add
	if n.maxEnd+d+max(0, m.delta) < lo {
		return true // nothing here reaches lo
	}
	if !walk(n.left, d, lo, hi, m, yield) {
		return false
	}
	s := n.span
	s.Start, s.End = m.span(s.Start+d, s.End+d)
	if s.Start > hi {
		return true // this and everything after start past hi
	}
	if s.End >= lo && !yield(s) {
		return false
	}
	return walk(n.right, d, lo, hi, m, yield)
}

// Slice returns the spans in order (for tests and small sets).
func (s *Set[T]) Slice() []Span[T] {
	out := make([]Span[T], 0, s.Len())
	for sp := range s.All() {
		out = append(out, sp)
	}
	return out
}

// Edit returns the set after the text's bytes [a, b) were replaced by n
// bytes and the window [lo, hi) (in the old text, lo <= a, b <= hi) was
// scanned again: spans starting in [lo, hi) are dropped, spans starting at
// or after hi move by n-(b-a), spans before lo stay, and fresh (offsets in
// the new text, each starting in [lo, hi+n-(b-a))) are put in. s is
// unchanged. O(log n + len(fresh)).
func (s *Set[T]) Edit(lo, hi, delta int, fresh []Span[T]) *Set[T] {
	if len(fresh) == 0 && !startsIn(s.tree(), 0, lo, hi, s.moved()) {
		return s.Shift(hi, delta) // nothing dropped or added (most keystrokes)
	}
	before, rest := split(s.flat(), lo)
	_, after := split(rest, hi)
	mid := New(fresh).root
	return &Set[T]{root: concat(concat(before, mid), shifted(after, delta))}
}

// startsIn reports whether a span of n (shifted by d, then moved by m)
// starts in [lo, hi).
func startsIn[T any](n *node[T], d, lo, hi int, m shift) bool {
	for n != nil {
		d += n.add
		switch st, _ := m.span(n.span.Start+d, 0); {
		case st < lo:
			n = n.right
		case st >= hi:
			n = n.left
		default:
			return true
		}
	}
	return false
}

// shiftFrom returns n (whose ancestors shift it by d) with every span
// starting at or after at moved by delta: the nodes on one path are
// copied, and each subtree wholly after at is shifted lazily.
func shiftFrom[T any](n *node[T], d, at, delta int) *node[T] {
	if n == nil || delta == 0 {
		return n
	}
	c := *n
	d += n.add
	if n.span.Start+d >= at {
		c.span.Start += delta
		c.span.End += delta
		c.right = shifted(n.right, delta)
		c.left = shiftFrom(n.left, d, at, delta)
	} else {
		c.right = shiftFrom(n.right, d, at, delta)
	}
	c.maxEnd = c.span.End
	if c.left != nil {
		c.maxEnd = max(c.maxEnd, c.left.end())
	}
	if c.right != nil {
		c.maxEnd = max(c.maxEnd, c.right.end())
	}
	return &c
}

// Shift returns the set with every span starting at or after at moved by
// delta (an edit before them that changed no span). s is unchanged.
// O(log n).
//
// The shift is kept beside the tree rather than applied to it. When it
// moves the very spans the set's pending shift moves (typing on: the same
// spans follow the cursor), the two add up and no node is copied; otherwise
// the pending shift is applied first (one path copied).
func (s *Set[T]) Shift(at, delta int) *Set[T] {
	m := s.moved()
	if m.delta == 0 {
		return &Set[T]{root: s.tree(), move: shift{at: at, delta: delta}}
	}
	if delta == 0 {
		return s
	}
	if sameSuffix(s.tree(), m, at) {
		return &Set[T]{root: s.tree(), move: shift{at: m.at, delta: m.delta + delta}}
	}
	return &Set[T]{root: s.flat(), move: shift{at: at, delta: delta}}
}

// sameSuffix reports whether the spans of n moved by m that start at or
// after at are exactly those m moves: the last span m leaves starts before
// at, and the first span it moves starts at or after at once moved.
func sameSuffix[T any](n *node[T], m shift, at int) bool {
	for d := 0; n != nil; {
		d += n.add
		switch st := n.span.Start + d; {
		case st < m.at && st >= at:
			return false // left in place, yet at or after at
		case st < m.at:
			n = n.right
		case st+m.delta < at:
			return false // moved, yet before at
		default:
			n = n.left
		}
	}
	return true
}

// split returns the spans with Start < at and those with Start >= at.
func split[T any](n *node[T], at int) (*node[T], *node[T]) {
	if n == nil {
		return nil, nil
	}
	l, sp, r := open(n)
	if sp.Start < at {
		rl, rr := split(r, at)
		return join(l, sp, rl), rr
	}
	ll, lr := split(l, at)
	return ll, join(lr, sp, r)
}

// join makes one tree of l, then s, then r (all of l before s before r),
// rebalancing along one spine.
func join[T any](l *node[T], s Span[T], r *node[T]) *node[T] {
	switch {
	case l.h() > r.h()+1:
		ll, ls, lr := open(l)
		return rebalance(ll, ls, join(lr, s, r))
	case r.h() > l.h()+1:
		rl, rs, rr := open(r)
		return rebalance(join(l, s, rl), rs, rr)
	}
	return mk(l, s, r)
}

// rebalance makes a node of l, s, r whose heights differ by at most two.
func rebalance[T any](l *node[T], s Span[T], r *node[T]) *node[T] {
	switch {
	case l.h() > r.h()+1:
		ll, ls, lr := open(l)
		if ll.h() >= lr.h() {
			return mk(ll, ls, mk(lr, s, r))
		}
		lrl, lrs, lrr := open(lr)
		return mk(mk(ll, ls, lrl), lrs, mk(lrr, s, r))
	case r.h() > l.h()+1:
		rl, rs, rr := open(r)
		if rr.h() >= rl.h() {
			return mk(mk(l, s, rl), rs, rr)
		}
		rll, rls, rlr := open(rl)
		return mk(mk(l, s, rll), rls, mk(rlr, rs, rr))
	}
	return mk(l, s, r)
}

// concat joins two trees, all of l before all of r.
func concat[T any](l, r *node[T]) *node[T] {
	if l == nil {
		return r
	}
	if r == nil {
		return l
	}
	rest, first := popFirst(r)
	return join(l, first, rest)
}

// popFirst removes the first span of n.
func popFirst[T any](n *node[T]) (*node[T], Span[T]) {
	l, s, r := open(n)
	if l == nil {
		return r, s
	}
	rest, first := popFirst(l)
	return join(rest, s, r), first
}
