package textbuf

// refMapper is lspproxy's flat Mapper as it stood before this package: the
// whole text in one slice and a sorted slice of line starts. Tests check
// Text against it on random texts and edits.

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

type refMapper struct {
	text []byte
	// starts[i] is the byte offset where line i begins; starts[0] == 0.
	starts []int
}

// newRefMapper indexes text. The refMapper takes ownership of text and never
// modifies it.
func newRefMapper(text []byte) *refMapper {
	m := &refMapper{text: text}
	m.starts = refAppendLineStarts([]int{0}, text, 1, len(text))
	return m
}

// LineCount is the number of lines (a document ending in a newline has an
// empty last line).
func (m *refMapper) LineCount() int { return len(m.starts) }

// isLineStart reports whether offset s (0 < s <= len(text)) begins a line.
func refIsLineStart(text []byte, s int) bool {
	switch text[s-1] {
	case '\n':
		return true
	case '\r':
		return s == len(text) || text[s] != '\n'
	}
	return false
}

// refAppendLineStarts appends every line start in [from, to] (from >= 1).
func refAppendLineStarts(dst []int, text []byte, from, to int) []int {
	for s := from; s <= to && s <= len(text); s++ {
		if refIsLineStart(text, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// lineEnd returns the offset where line i's content ends (before its
// terminator).
func (m *refMapper) lineEnd(i int) int {
	if i+1 >= len(m.starts) {
		return len(m.text)
	}
	end := m.starts[i+1]
	if end > 0 && m.text[end-1] == '\n' {
		end--
		if end > 0 && m.text[end-1] == '\r' {
			end--
		}
	} else if end > 0 && m.text[end-1] == '\r' {
		end--
	}
	return end
}

// Offset converts p to a byte offset. A character past the end of its line
// is clamped to the line end; a position inside a UTF-16 surrogate pair is
// moved to the start of that character. A line past the last line is an
// error.
func (m *refMapper) Offset(p Position, enc Encoding) (int, error) {
	if int64(p.Line) >= int64(len(m.starts)) {
		return 0, fmt.Errorf("%w: line %d, document has %d lines", ErrOutOfRange, p.Line, len(m.starts))
	}
	start, end := m.starts[p.Line], m.lineEnd(int(p.Line))
	if enc == UTF8 {
		off := start + int(p.Character)
		if int64(p.Character) > int64(end-start) {
			off = end
		}
		for off > start && off < len(m.text) && !utf8.RuneStart(m.text[off]) {
			off-- // never split a character
		}
		return off, nil
	}
	units := int(p.Character)
	off := start
	for off < end && units > 0 {
		r, size := utf8.DecodeRune(m.text[off:end])
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if n > units {
			break // inside a surrogate pair: stay before it
		}
		units -= n
		off += size
	}
	return off, nil
}

// Position converts a byte offset to a position. Offsets outside the text are
// clamped; an offset inside a multi-byte character maps to its start.
func (m *refMapper) Position(off int, enc Encoding) Position {
	off = max(0, min(off, len(m.text)))
	for off > 0 && off < len(m.text) && !utf8.RuneStart(m.text[off]) {
		off--
	}
	line := sort.Search(len(m.starts), func(i int) bool { return m.starts[i] > off }) - 1
	start := m.starts[line]
	// An offset between '\r' and '\n' belongs to the end of the line.
	if end := m.lineEnd(line); off > end {
		off = end
	}
	if enc == UTF8 {
		return Position{Line: uint32(line), Character: uint32(off - start)}
	}
	return Position{Line: uint32(line), Character: uint32(refUTF16Len(m.text[start:off]))}
}

// LineRange returns the byte span of line i without its terminator.
func (m *refMapper) LineRange(i int) (start, end int) {
	i = max(0, min(i, len(m.starts)-1))
	return m.starts[i], m.lineEnd(i)
}

// Replace returns a new refMapper for text[start:end] replaced by repl; m
// itself is unchanged, so a refMapper is an immutable snapshot that request
// goroutines may read while the document moves on. Only line starts near
// the edit are recomputed, the rest are shifted. Offsets must satisfy
// 0 <= start <= end <= len(text).
func (m *refMapper) Replace(start, end int, repl []byte) *refMapper {
	delta := len(repl) - (end - start)
	text := make([]byte, 0, len(m.text)+delta)
	text = append(text, m.text[:start]...)
	text = append(text, repl...)
	text = append(text, m.text[end:]...)
	// A line start s depends on bytes s-1 and s, so old starts in
	// [start, end+1] may change; those after shift by delta.
	lo := max(sort.SearchInts(m.starts, start), 1) // line 0 always starts at 0
	hi := sort.SearchInts(m.starts, end+2)
	starts := make([]int, lo, len(m.starts)+refBytesCount(repl)+1)
	copy(starts, m.starts[:lo])
	starts = refAppendLineStarts(starts, text, max(start, 1), start+len(repl)+1)
	for _, s := range m.starts[hi:] {
		starts = append(starts, s+delta)
	}
	return &refMapper{text: text, starts: starts}
}

// refBytesCount is an upper bound on the line terminators in b.
func refBytesCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' || c == '\r' {
			n++
		}
	}
	return n
}

// refUTF16Len counts the UTF-16 code units of valid UTF-8 text.
func refUTF16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
			n++
		case c < 0xE0:
			i += 2
			n++
		case c < 0xF0:
			i += 3
			n++
		default:
			i += 4
			n += 2
		}
	}
	return n
}
