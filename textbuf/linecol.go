package textbuf

import (
	"bytes"
	"unicode/utf8"
)

// LineCol is where byte offset off of text is for a person reading it: the
// 1-based line and the 1-based column counted in characters (runes). Lines
// end where a Text's do ("\n", "\r\n" or a lone "\r"), so `veil scan`,
// `veil policy explain` and the editor name the same line; an offset
// between "\r" and "\n" is at the end of its line. off is clamped to the
// text.
func LineCol(text []byte, off int) (line, col int) {
	return NewLineCursor(text).At(off)
}

// LineCursor is LineCol for many offsets of one text in increasing order
// (a scan's findings): each call only looks at the bytes since the last.
type LineCursor struct {
	text      []byte
	off       int // line breaks before off are counted
	line      int // 1-based line of off
	lineStart int // offset where that line starts
}

// NewLineCursor starts at the beginning of text.
func NewLineCursor(text []byte) *LineCursor { return &LineCursor{text: text, line: 1} }

// At returns LineCol(text, off). An offset before the previous one
// restarts from the beginning (correct, only slower).
func (c *LineCursor) At(off int) (line, col int) {
	off = max(0, min(off, len(c.text)))
	if off < c.off {
		*c = LineCursor{text: c.text, line: 1}
	}
	for c.off < off {
		i := bytes.IndexAny(c.text[c.off:off], "\r\n")
		if i < 0 {
			c.off = off
			break
		}
		end := c.off + i + 1
		if c.text[end-1] == '\r' && end < len(c.text) && c.text[end] == '\n' {
			if end == off { // between "\r" and "\n": still this line
				c.off = off
				break
			}
			end++
		}
		c.off, c.line, c.lineStart = end, c.line+1, end
	}
	start := min(c.lineStart, off)
	return c.line, 1 + utf8.RuneCount(c.text[start:off])
}

// Peek is At without moving the cursor (an end offset that may lie past
// the next start).
func (c *LineCursor) Peek(off int) (line, col int) {
	q := *c
	return q.At(off)
}
