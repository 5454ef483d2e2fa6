package textbuf

import (
	"testing"
	"unicode/utf8"
)

// TestLineColAgreesWithText: for every offset the line is the editor's
// (Text.OffsetPosition) plus one, and the column counts the runes since the
// line's start, whatever mix of "\n", "\r\n" and lone "\r" ends the lines.
func TestLineColAgreesWithText(t *testing.T) {
	for _, s := range []string{"", "a", "a\nb", "a\r\nb", "a\rb", "\r\r\n\n\r", "é\rü\r\nö\n😀x", "x\r"} {
		checkLineCol(t, s)
	}
}

func FuzzLineCol(f *testing.F) {
	f.Add("a\rb\r\nc\nd")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		checkLineCol(t, s)
	})
}

func checkLineCol(t *testing.T, s string) {
	t.Helper()
	text := FromString(s)
	cur := NewLineCursor([]byte(s))
	for off := 0; off <= len(s); off++ {
		if off < len(s) && !utf8.RuneStart(s[off]) {
			continue
		}
		line, col := LineCol([]byte(s), off)
		if l2, c2 := cur.Peek(off); l2 != line || c2 != col {
			t.Fatalf("%q at %d: peek %d:%d, LineCol %d:%d", s, off, l2, c2, line, col)
		}
		if l2, c2 := cur.At(off); l2 != line || c2 != col {
			t.Fatalf("%q at %d: cursor %d:%d, LineCol %d:%d", s, off, l2, c2, line, col)
		}
		p := text.OffsetPosition(off, UTF16)
		ls, _ := text.LineRange(int(p.Line))
		if line != int(p.Line)+1 || col != 1+utf8.RuneCountInString(s[ls:off]) {
			t.Fatalf("%q at %d: LineCol %d:%d, editor line %d (starts at %d)", s, off, line, col, p.Line, ls)
		}
	}
}
