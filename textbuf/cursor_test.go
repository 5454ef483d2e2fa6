package textbuf

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkCursor feeds offs, in the order given, to a fresh cursor in both
// encodings and compares every answer with OffsetPosition.
func checkCursor(t *testing.T, m *Text, offs []int) {
	t.Helper()
	for _, enc := range []Encoding{UTF8, UTF16} {
		c := m.Cursor(enc)
		for _, off := range offs {
			if got, want := c.Position(off), m.OffsetPosition(off, enc); got != want {
				t.Fatalf("%v: Position(%d) = %v, OffsetPosition = %v (text %q)", enc, off, got, want, m.String())
			}
		}
	}
}

// TestCursorMatchesOffsetPosition converts every offset in increasing order,
// then random sorted offsets with repeats, then offsets out of order, on
// texts with every kind of line end, multi-byte and 4-byte characters,
// invalid bytes, and chunks as small as the tree allows.
func TestCursorMatchesOffsetPosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "bc", "\r", "\n", "\r\n", "é", "😀", "中", "\xff", "\x80", "\r\r\n"}
	for round := range 300 {
		var sb strings.Builder
		for range rng.IntN(120) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := sb.String()
		m := newText([]byte(text), []int{0, 8, 9, 13}[round%4])
		all := make([]int, 0, len(text)+3)
		for off := -1; off <= len(text)+1; off++ {
			all = append(all, off)
		}
		checkCursor(t, m, all)
		some := make([]int, rng.IntN(20))
		for i := range some {
			some[i] = rng.IntN(len(text) + 1)
		}
		slices.Sort(some)
		checkCursor(t, m, some)
		rng.Shuffle(len(some), func(i, j int) { some[i], some[j] = some[j], some[i] })
		checkCursor(t, m, some)
	}
}

// TestCursorAfterEdits checks the cursor on texts whose chunks edits made
// (split and rejoined), not only build's.
func TestCursorAfterEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := newText([]byte(strings.Repeat("ab\r\ncd😀\né\r", 20)), 8)
	for range 200 {
		a := m.RuneStart(rng.IntN(m.Len() + 1))
		b := m.RuneStart(min(m.Len(), a+rng.IntN(6)))
		var err error
		if m, err = m.Apply(Edit{a, b, []string{"x", "\r", "\n", "😀", "", "\r\n"}[rng.IntN(6)]}); err != nil {
			t.Fatal(err)
		}
		offs := make([]int, 0, m.Len()/3+1)
		for off := 0; off <= m.Len(); off += 1 + rng.IntN(5) {
			offs = append(offs, off)
		}
		checkCursor(t, m, offs)
	}
}

// FuzzCursor: any text, any chunk size, offsets from the fuzzer sorted
// and unsorted.
func FuzzCursor(f *testing.F) {
	f.Add("a\r\nb😀\rc\n", uint8(8), []byte{0, 2, 3, 5, 9})
	f.Add("\xffé\r\r\n中", uint8(9), []byte{1, 2, 4, 6})
	f.Fuzz(func(t *testing.T, text string, leaf uint8, raw []byte) {
		m := newText([]byte(text), int(leaf))
		offs := make([]int, len(raw))
		for i, b := range raw {
			offs[i] = int(b) % (len(text) + 2)
		}
		checkCursor(t, m, offs)
		slices.Sort(offs)
		checkCursor(t, m, offs)
	})
}
