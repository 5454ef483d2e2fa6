package textbuf

import (
	"strings"
	"testing"
)

// benchTexts are the document shapes of issue 13: Go-like source of three
// sizes and a minified single line.
func benchTexts() []struct {
	name string
	text []byte
} {
	line := "\tif err := f(ctx, \"x\"); err != nil { return err } // é😀\n"
	src := func(unit string, n int) []byte {
		s := strings.Repeat(unit, n/len(unit)+1)[:n]
		return []byte(strings.ToValidUTF8(s, ""))
	}
	oneLine := src(`{"k":"vé😀","n":12345},`, 400<<10)
	return []struct {
		name string
		text []byte
	}{
		{"10KB", src(line, 10<<10)},
		{"1MB", src(line, 1<<20)},
		{"10MB", src(line, 10<<20)},
		{"400KB-one-line", oneLine},
	}
}

// BenchmarkKeystroke is one character typed in the middle of the text
// followed by the conversions a didChange and a request need: the edit's
// position to an offset, and the cursor back to a position.
func BenchmarkKeystroke(b *testing.B) {
	for _, bt := range benchTexts() {
		b.Run(bt.name, func(b *testing.B) {
			m := New(bt.text)
			mid := m.Len() / 2
			for b.Loop() {
				p := m.OffsetPosition(mid, UTF16)
				at, err := m.PositionOffset(p, UTF16)
				if err != nil {
					b.Fatal(err)
				}
				m, err = m.Apply(Edit{at, at, "x"})
				if err != nil {
					b.Fatal(err)
				}
				mid++
			}
		})
	}
}

// BenchmarkOffsetPosition converts an offset near the end (the far end of a
// long line) to a UTF-16 position.
func BenchmarkOffsetPosition(b *testing.B) {
	for _, bt := range benchTexts() {
		b.Run(bt.name, func(b *testing.B) {
			m := New(bt.text)
			off := m.Len() - 3
			for b.Loop() {
				_ = m.OffsetPosition(off, UTF16)
			}
		})
	}
}

// BenchmarkNew indexes a whole text (didOpen).
func BenchmarkNew(b *testing.B) {
	for _, bt := range benchTexts() {
		b.Run(bt.name, func(b *testing.B) {
			b.SetBytes(int64(len(bt.text)))
			for b.Loop() {
				_ = New(bt.text)
			}
		})
	}
}

// BenchmarkReferenceReplace is the flat Mapper's keystroke, for comparison.
func BenchmarkReferenceReplace(b *testing.B) {
	for _, bt := range benchTexts() {
		b.Run(bt.name, func(b *testing.B) {
			m := newRefMapper(bt.text)
			mid := len(bt.text) / 2
			for b.Loop() {
				p := m.Position(mid, UTF16)
				at, _ := m.Offset(p, UTF16)
				m = m.Replace(at, at, []byte("x"))
				mid++
			}
		})
	}
}
