package localmodel

import (
	"fmt"
	"strings"
	"testing"
)

// ContextBounds reads bytes as it reads the same text as a string, and
// BuildContext's prefix and suffix are the text between its bounds.
func FuzzContextBounds(f *testing.F) {
	f.Add("line one\nline two\nline three\n", 12, 10)
	f.Add("ééé\nabc", 3, 5)
	f.Add("no newline at all", 99, 4)
	f.Fuzz(func(t *testing.T, text string, cursor, budget int) {
		s, c, e := ContextBounds(text, cursor, budget)
		bs, bc, be := ContextBounds([]byte(text), cursor, budget)
		if s != bs || c != bc || e != be {
			t.Fatalf("bounds of the string %d,%d,%d, of the bytes %d,%d,%d", s, c, e, bs, bc, be)
		}
		if s < 0 || s > c || c > e || e > len(text) {
			t.Fatalf("bounds %d,%d,%d out of order in %d bytes", s, c, e, len(text))
		}
		pre, suf, _ := BuildContext(text, cursor, budget, nil, 0)
		if pre != text[s:c] || suf != text[c:e] {
			t.Fatalf("BuildContext %q|%q, bounds %q|%q", pre, suf, text[s:c], text[c:e])
		}
	})
}

// A Picker reused across calls picks what PickNeighbors picks each time,
// whatever it picked before, and allocates nothing once it has room.
func TestPickerReuse(t *testing.T) {
	var a, b strings.Builder
	for i := range 60 {
		fmt.Fprintf(&a, "func parseInvoice%d(raw []byte) Invoice { return decodeInvoice(raw, %d) }\n", i, i)
		fmt.Fprintf(&b, "var shippingRate%d = computeRate(region%d)\n", i, i%7)
	}
	nbs := []Snippet{{Path: "a.go", Text: a.String()}, {Path: "b.go", Text: b.String(), Index: IndexWords(b.String())}}
	prefixes := []string{"inv := parseInvoice12(raw)\n", "rate := computeRate(region3)\n", "x := 1\n"}
	var p Picker
	for round := range 2 {
		for _, pre := range prefixes {
			want := PickNeighbors(nbs, 900, pre)
			got := p.Pick(nbs, 900, pre)
			if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
				t.Fatalf("round %d, prefix %q: picked %d snippets %v, want %d %v", round, pre, len(got), got, len(want), want)
			}
		}
	}
	nbs[0].Index = IndexWords(nbs[0].Text)
	p.Pick(nbs, 900, prefixes[0])
	if n := testing.AllocsPerRun(20, func() { p.Pick(nbs, 900, prefixes[0]) }); n > 0 {
		t.Errorf("a reused Picker allocates %v times, want none", n)
	}
}

// Pick(nil, 0, "") leaves a Picker referring to nothing of the text it
// picked for: neither the pieces nor the query's words (a Picker is kept
// for reuse, and its last prompt may have been refused).
func TestPickerDropsLastPick(t *testing.T) {
	var nb strings.Builder
	for i := range 60 {
		fmt.Fprintf(&nb, "func parseInvoice%d(raw []byte) Invoice { return decodeInvoice(raw, %d) }\n", i, i)
	}
	nbs := []Snippet{{Path: "a.go", Text: nb.String()}}
	var p Picker
	if got := p.Pick(nbs, 300, "inv := parseInvoice12(rawQuarterlyLedger)\n"); len(got) == 0 || cap(p.qbuf) == 0 {
		t.Fatalf("setup: picked %d pieces, room for %d query words", len(got), cap(p.qbuf))
	}
	p.Pick(nil, 0, "")
	for _, w := range p.qbuf[:cap(p.qbuf)] {
		if w != "" {
			t.Fatalf("a dropped Picker still holds the query word %q", w)
		}
	}
	for _, s := range p.out[:cap(p.out)] {
		if s != (Snippet{}) {
			t.Fatalf("a dropped Picker still holds a piece of %s", s.Path)
		}
	}
}
