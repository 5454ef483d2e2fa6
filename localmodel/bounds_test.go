package localmodel

import "testing"

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
