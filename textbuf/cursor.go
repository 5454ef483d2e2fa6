package textbuf

import (
	"bytes"
	"unicode/utf8"
)

// PositionCursor converts many offsets of one Text to positions in a single
// pass: each call in increasing order of offset looks only at the bytes
// since the previous one, and skips a whole chunk it has no offset in by its
// counts (plus the tail of its last line). Converting a document's k sorted
// findings costs O(k + chunks) instead of k tree descents and chunk scans,
// which is what publishing thousands of diagnostics needs.
//
// An offset before the previous one, inside a character or between "\r"
// and "\n" is converted by OffsetPosition instead (correct, only slower),
// so the cursor always answers exactly as OffsetPosition does.
type PositionCursor struct {
	t     *Text
	enc   Encoding
	stack []*node // right subtrees still to visit, innermost last
	leaf  *node   // the chunk holding off (nil: past the last one)
	base  int     // where leaf starts
	off   int     // everything before off is counted
	line  int     // line terminators before off
	col   int     // units (bytes for UTF-8) from off's line start to off
}

// Cursor returns a PositionCursor at the start of t.
func (t *Text) Cursor(enc Encoding) *PositionCursor {
	c := &PositionCursor{t: t, enc: enc}
	c.descend(t.tree())
	return c
}

// descend pushes the path to n's leftmost chunk and makes it the leaf.
func (c *PositionCursor) descend(n *node) {
	for n != nil && n.chunk == nil {
		c.stack = append(c.stack, n.right)
		n = n.left
	}
	c.leaf = n
}

// next moves to the chunk after leaf.
func (c *PositionCursor) next() {
	c.base += c.leaf.size
	c.leaf = nil
	if k := len(c.stack); k > 0 {
		n := c.stack[k-1]
		c.stack = c.stack[:k-1]
		c.descend(n)
	}
}

// Position returns t.OffsetPosition(off, enc).
func (c *PositionCursor) Position(off int) Position {
	off = max(0, min(off, c.t.Len()))
	if off < c.off {
		return c.t.OffsetPosition(off, c.enc)
	}
	for c.leaf != nil && off >= c.base+c.leaf.size {
		if c.off == c.base {
			c.skipLeaf()
		} else {
			c.count(c.leaf.chunk[c.off-c.base:])
		}
		c.off = c.base + c.leaf.size
		c.next()
	}
	if c.leaf != nil {
		// A chunk never starts inside a character or a "\r\n" for valid
		// text, so only bytes of this chunk need looking at.
		ch, i := c.leaf.chunk, off-c.base
		if !utf8.RuneStart(ch[i]) || i > 0 && ch[i-1] == '\r' && ch[i] == '\n' {
			return c.t.OffsetPosition(off, c.enc)
		}
		c.count(ch[c.off-c.base : i])
	}
	c.off = off
	return Position{Line: uint32(c.line), Character: uint32(c.col)}
}

// skipLeaf counts the whole current chunk from its counts, scanning only
// the part after its last line terminator.
func (c *PositionCursor) skipLeaf() {
	if c.leaf.breaks == 0 {
		if c.enc == UTF8 {
			c.col += c.leaf.size
		} else {
			c.col += c.leaf.units
		}
		return
	}
	c.line += c.leaf.breaks
	c.col = c.width(c.leaf.chunk[lastBreakEnd(c.leaf.chunk):])
}

// count moves the line and column over seg, which never ends between "\r"
// and "\n" (Position sends such offsets elsewhere, and no chunk ends there).
func (c *PositionCursor) count(seg []byte) {
	end := lastBreakEnd(seg)
	if end == 0 {
		c.col += c.width(seg)
		return
	}
	c.line += breakCount(seg, len(seg))
	c.col = c.width(seg[end:])
}

// width is the length of b in the cursor's units.
func (c *PositionCursor) width(b []byte) int {
	if c.enc == UTF8 {
		return len(b)
	}
	return utf16Count(b)
}

// lastBreakEnd is the offset just after the last "\n" or "\r" in b, 0 when
// there is none. The forward searches are vectorised; the backward one only
// runs over b's last line.
func lastBreakEnd(b []byte) int {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return 0
	}
	i := bytes.LastIndexByte(b, '\n') + 1
	if j := bytes.LastIndexByte(b[i:], '\r'); j >= 0 {
		i += j + 1
	}
	return i
}
