package lspproxy

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestMapperPositions(t *testing.T) {
	// 😀 is U+1F600: 4 bytes, 2 UTF-16 units. é: 2 bytes, 1 unit.
	text := "ab\r\nc😀d\ré\nend"
	m := NewMapper([]byte(text))
	if m.LineCount() != 4 {
		t.Fatalf("lines = %d, want 4 (CRLF, lone CR and LF all end a line)", m.LineCount())
	}
	cases := []struct {
		pos     Position
		enc     Encoding
		want    string // text from the offset on
		wantErr bool
	}{
		{Position{0, 0}, UTF16, "ab\r\n", false},
		{Position{0, 2}, UTF16, "\r\nc", false},
		{Position{0, 99}, UTF16, "\r\nc", false}, // clamped to line end, before CRLF
		{Position{1, 1}, UTF16, "😀d", false},
		{Position{1, 2}, UTF16, "😀d", false}, // inside the surrogate pair: before it
		{Position{1, 3}, UTF16, "d\r", false},
		{Position{1, 5}, UTF8, "d\r", false},
		{Position{1, 3}, UTF8, "😀d", false}, // inside the UTF-8 sequence: before it
		{Position{2, 1}, UTF16, "\nend", false},
		{Position{2, 1}, UTF8, "é", false}, // mid-character byte: before it
		{Position{3, 3}, UTF16, "", false},
		{Position{4, 0}, UTF16, "", true},
	}
	for _, c := range cases {
		off, err := m.Offset(c.pos, c.enc)
		if c.wantErr {
			if !errors.Is(err, errPositionOutOfRange) {
				t.Errorf("Offset(%v, %v): err %v, want out of range", c.pos, c.enc, err)
			}
			continue
		}
		if err != nil || !strings.HasPrefix(text[off:], c.want) {
			t.Errorf("Offset(%v, %v) = %d (%q), %v; want text starting %q", c.pos, c.enc, off, text[off:], err, c.want)
		}
	}
	// Offsets between '\r' and '\n' belong to the end of the line.
	if got := m.Position(3, UTF16); got != (Position{0, 2}) {
		t.Errorf("Position(3) = %v, want 0:2", got)
	}
	if got := m.Position(len(text)+10, UTF16); got != (Position{3, 3}) {
		t.Errorf("Position past end = %v, want 3:3 (clamped)", got)
	}
}

// FuzzMapperRoundTrip checks that every offset on a character boundary maps
// to a position and back to itself in both encodings, that UTF-16 columns
// agree with unicode/utf16, and that incremental line indexing after Replace
// equals indexing from scratch.
func FuzzMapperRoundTrip(f *testing.F) {
	f.Add("a\r\nb😀\rc\n", 2, 5, "x\r")
	f.Add("\r", 0, 1, "\n")
	f.Add("ab\r", 3, 3, "\n\n")
	f.Add("line1\nline2😀é\r\n", 6, 6, "")
	f.Fuzz(func(t *testing.T, text string, a, b int, repl string) {
		if !utf8.ValidString(text) || !utf8.ValidString(repl) {
			return
		}
		m := NewMapper([]byte(text))
		checkRoundTrip(t, m)
		a, b = clampEdit(text, a, b)
		next := m.Replace(a, b, []byte(repl))
		want := NewMapper(next.Text())
		if string(next.Text()) != text[:a]+repl+text[b:] {
			t.Fatalf("Replace text wrong")
		}
		if len(next.starts) != len(want.starts) {
			t.Fatalf("incremental starts %v, full %v", next.starts, want.starts)
		}
		for i := range want.starts {
			if next.starts[i] != want.starts[i] {
				t.Fatalf("incremental starts %v, full %v", next.starts, want.starts)
			}
		}
		if string(m.Text()) != text {
			t.Fatalf("Replace modified the old snapshot")
		}
		checkRoundTrip(t, next)
	})
}

func clampEdit(text string, a, b int) (int, int) {
	n := len(text) + 1
	a, b = ((a%n)+n)%n, ((b%n)+n)%n
	if a > b {
		a, b = b, a
	}
	for a > 0 && a < len(text) && !utf8.RuneStart(text[a]) {
		a--
	}
	for b > 0 && b < len(text) && !utf8.RuneStart(text[b]) {
		b--
	}
	return min(a, b), b
}

func checkRoundTrip(t *testing.T, m *Mapper) {
	t.Helper()
	text := string(m.Text())
	for off := 0; off <= len(text); off++ {
		if off < len(text) && !utf8.RuneStart(text[off]) {
			continue
		}
		// Offsets between \r and \n are not positions of their own.
		if off > 0 && off < len(text) && text[off-1] == '\r' && text[off] == '\n' {
			continue
		}
		for _, enc := range []Encoding{UTF16, UTF8} {
			p := m.Position(off, enc)
			back, err := m.Offset(p, enc)
			if err != nil || back != off {
				t.Fatalf("offset %d -> %v (%v) -> %d, %v", off, p, enc, back, err)
			}
		}
		p := m.Position(off, UTF16)
		start, _ := m.LineRange(int(p.Line))
		if got := len(utf16.Encode([]rune(text[start:off]))); got != int(p.Character) {
			t.Fatalf("offset %d: UTF-16 column %d, unicode/utf16 says %d", off, p.Character, got)
		}
	}
}

func BenchmarkMapperReplace1MB(b *testing.B) {
	text := []byte(strings.Repeat("func f() { return \"x\" } // 😀\n", 1<<20/32))
	m := NewMapper(text)
	mid := len(text) / 2
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m = m.Replace(mid, mid, []byte("x"))
	}
}
