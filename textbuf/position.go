package textbuf

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// lineStart returns the offset where line i begins (0 <= i < LineCount):
// just after the i-th line terminator.
func lineStart(n *node, i int) int {
	if i <= 0 {
		return 0
	}
	base := 0
	for n.chunk == nil {
		if i <= n.left.breaks {
			n = n.left
		} else {
			i -= n.left.breaks
			base += n.left.size
			n = n.right
		}
	}
	return base + nthBreakEnd(n.chunk, i)
}

// nthBreakEnd returns the offset just after the i-th (i >= 1) line
// terminator in chunk, or len(chunk) if there are fewer.
func nthBreakEnd(c []byte, i int) int {
	if bytes.IndexByte(c, '\r') < 0 {
		j := 0
		for ; i > 0; i-- {
			k := bytes.IndexByte(c[j:], '\n')
			if k < 0 {
				return len(c)
			}
			j += k + 1
		}
		return j
	}
	for j := 0; j < len(c); j++ {
		if c[j] == '\n' || (c[j] == '\r' && (j+1 == len(c) || c[j+1] != '\n')) {
			if i--; i == 0 {
				return j + 1
			}
		}
	}
	return len(c)
}

// prefix returns the line terminators and UTF-16 units in bytes [0, off).
func prefix(n *node, off int) (breaks, units int) {
	for n != nil && n.chunk == nil {
		if off < n.left.size {
			n = n.left
		} else {
			breaks += n.left.breaks
			units += n.left.units
			off -= n.left.size
			n = n.right
		}
	}
	if n == nil {
		return breaks, units
	}
	k := min(off, n.size)
	return breaks + breakCount(n.chunk, k), units + utf16Count(n.chunk[:k])
}

// LineRange returns the byte span of line i without its terminator; i is
// clamped to the lines of the text.
func (t *Text) LineRange(i int) (start, end int) {
	n := t.tree()
	last := t.LineCount() - 1
	i = max(0, min(i, last))
	start = lineStart(n, i)
	if i == last {
		return start, n.bytes()
	}
	end = lineStart(n, i+1) - 1
	if byteAt(n, end) == '\n' && end > start && byteAt(n, end-1) == '\r' {
		end--
	}
	return start, end
}

// OffsetPosition converts a byte offset to a position. Offsets outside the
// text are clamped; an offset inside a multi-byte character maps to its
// start; an offset between "\r" and "\n" maps to the end of its line.
func (t *Text) OffsetPosition(off int, enc Encoding) Position {
	n := t.tree()
	off = t.RuneStart(off)
	line, b := prefix(n, off)
	start, end := t.LineRange(line)
	if off > end {
		b -= off - end // between "\r" and "\n": back before the "\r"
		off = end
	}
	if enc == UTF8 {
		return Position{Line: uint32(line), Character: uint32(off - start)}
	}
	_, a := prefix(n, start)
	return Position{Line: uint32(line), Character: uint32(b - a)}
}

// PositionOffset converts p to a byte offset. A character past the end of
// its line is clamped to the line end; a position inside a UTF-16 surrogate
// pair or a UTF-8 sequence is moved to the start of that character. A line
// past the last line is an error.
func (t *Text) PositionOffset(p Position, enc Encoding) (int, error) {
	if int64(p.Line) >= int64(t.LineCount()) {
		return 0, fmt.Errorf("%w: line %d, document has %d lines", ErrOutOfRange, p.Line, t.LineCount())
	}
	n := t.tree()
	start, end := t.LineRange(int(p.Line))
	if enc == UTF8 {
		off := end
		if int64(p.Character) <= int64(end-start) {
			off = start + int(p.Character)
		}
		for off > start && off < n.bytes() && !utf8.RuneStart(byteAt(n, off)) {
			off-- // never split a character
		}
		return off, nil
	}
	_, base := prefix(n, start)
	_, limit := prefix(n, end)
	if int64(p.Character) >= int64(limit-base) {
		return end, nil
	}
	return unitsOffset(n, base+int(p.Character)), nil
}

// unitsOffset returns the offset after the longest run of whole characters
// from the start of the text that is at most units UTF-16 units long
// (0 <= units < total units).
func unitsOffset(n *node, units int) int {
	base := 0
	for n.chunk == nil {
		if units <= n.left.units {
			n = n.left
		} else {
			units -= n.left.units
			base += n.left.size
			n = n.right
		}
	}
	c := n.chunk
	j := 0
	for j < len(c) {
		w := 1
		if c[j] >= 0xF0 {
			w = 2
		}
		if w > units {
			break // stop before the character (inside a surrogate pair: before it)
		}
		units -= w
		j++
		for j < len(c) && !utf8.RuneStart(c[j]) {
			j++
		}
	}
	return base + j
}

// Range converts a byte span to an LSP range.
func (t *Text) Range(start, end int, enc Encoding) Range {
	return Range{Start: t.OffsetPosition(start, enc), End: t.OffsetPosition(end, enc)}
}

// OffsetRange converts r to byte offsets; an inverted range is an error.
func (t *Text) OffsetRange(r Range, enc Encoding) (start, end int, err error) {
	if start, err = t.PositionOffset(r.Start, enc); err != nil {
		return 0, 0, err
	}
	if end, err = t.PositionOffset(r.End, enc); err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("%w: range end before start", ErrOutOfRange)
	}
	return start, end, nil
}

// RuneStart returns the start of the character holding byte off (off
// itself when it starts one), clamped to the text.
func (t *Text) RuneStart(off int) int {
	n := t.tree()
	off = max(0, min(off, n.bytes()))
	for off > 0 && off < n.bytes() && !utf8.RuneStart(byteAt(n, off)) {
		off--
	}
	return off
}
