package textbuf

import (
	"errors"
	"fmt"
)

// Encoding is the unit LSP positions count characters in, negotiated at
// initialize (general.positionEncodings).
type Encoding int

const (
	UTF16 Encoding = iota // the LSP default: UTF-16 code units
	UTF8                  // bytes
)

func (e Encoding) String() string {
	if e == UTF8 {
		return "utf-8"
	}
	return "utf-16"
}

// Position is an LSP position: a zero-based line and a zero-based column
// counted in the session's Encoding.
type Position struct {
	Line      uint32 `json:"line"`
	Character uint32 `json:"character"`
}

// Range is a half-open span between two positions.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// ErrOutOfRange is returned for a position on a line past the end of the
// text, an inverted range, or an edit outside the text. A character past
// the end of its line is clamped instead, as LSP asks.
var ErrOutOfRange = errors.New("position out of range")

// Edit replaces the bytes [Start, End) with Text.
type Edit struct {
	Start, End int
	Text       string
}

// Text is an immutable document text. The zero value and nil are empty
// texts. All methods are safe for concurrent use.
type Text struct {
	root *node
	// leafMax is the largest chunk this text builds; 0 means defaultLeafMax.
	// Tests make it tiny so short texts span many chunks.
	leafMax int
}

// New returns a Text holding b. It takes ownership of b and never modifies
// it: chunks are slices of b until edits replace them.
func New(b []byte) *Text { return newText(b, 0) }

// FromString returns a Text holding a copy of s.
func FromString(s string) *Text { return newText([]byte(s), 0) }

func newText(b []byte, leafMax int) *Text {
	if leafMax > 0 {
		leafMax = max(leafMax, minLeafMax)
	}
	t := &Text{leafMax: leafMax}
	t.root = build(b, t.chunkMax())
	return t
}

func (t *Text) chunkMax() int {
	if t == nil || t.leafMax <= 0 {
		return defaultLeafMax
	}
	return t.leafMax
}

func (t *Text) tree() *node {
	if t == nil {
		return nil
	}
	return t.root
}

// Len is the length of the text in bytes.
func (t *Text) Len() int { return t.tree().bytes() }

// LineCount is the number of lines; a text ending in a line terminator has
// an empty last line, and the empty text has one line.
func (t *Text) LineCount() int { return t.tree().lineBreaks() + 1 }

// Slice returns a copy of the bytes [start, end), clamped to the text; an
// inverted span is empty. Only that window is materialised.
func (t *Text) Slice(start, end int) []byte {
	start, end = max(0, start), min(end, t.Len())
	if start >= end {
		return []byte{}
	}
	return appendRange(make([]byte, 0, end-start), t.tree(), start, end)
}

// AppendSlice appends the bytes [start, end), clamped like Slice, to dst
// and returns the extended slice: a caller that reuses dst materialises a
// window without allocating.
func (t *Text) AppendSlice(dst []byte, start, end int) []byte {
	start, end = max(0, start), min(end, t.Len())
	if start >= end {
		return dst
	}
	return appendRange(dst, t.tree(), start, end)
}

// String returns the whole text. It materialises everything: for tests and
// small texts only.
func (t *Text) String() string { return string(t.Slice(0, t.Len())) }

// Apply returns the text with edits applied in order, each against the result
// of the ones before it (the order of LSP content changes). t is unchanged.
// An edit outside the text is an error and nothing is applied.
func (t *Text) Apply(edits ...Edit) (*Text, error) {
	next := &Text{root: t.tree(), leafMax: t.chunkMax()}
	for i, e := range edits {
		if e.Start < 0 || e.Start > e.End || e.End > next.Len() {
			return nil, fmt.Errorf("%w: edit %d replaces [%d, %d) in a text of %d bytes", ErrOutOfRange, i, e.Start, e.End, next.Len())
		}
		next.root = next.replace(e.Start, e.End, e.Text)
	}
	return next, nil
}

// replace rebuilds the chunks around [a, b): from the start of the chunk
// holding byte a-1 to the end of the chunk holding byte b. Including both
// neighbours lets the new chunks restore the invariants at the seams (no
// chunk ends between "\r" and "\n" or inside a character) and merges small
// chunks as they shrink.
func (t *Text) replace(a, b int, repl string) *node {
	root := t.root
	ls := 0
	if a > 0 {
		ls = chunkStart(root, a-1)
	}
	re := root.bytes()
	if b < re {
		re = chunkEnd(root, b)
	}
	n := (a - ls) + len(repl) + (re - b)
	if leaf, base := oneLeaf(root, ls, re); leaf != nil && n > 0 && n <= t.chunkMax() {
		// Typing inside a chunk: its one new chunk takes its place and
		// only the path to it is copied.
		buf := make([]byte, 0, n)
		buf = append(buf, leaf.chunk[:a-base]...)
		buf = append(buf, repl...)
		buf = append(buf, leaf.chunk[b-base:]...)
		return replaceLeaf(root, ls, newLeaf(buf))
	}
	left, rest := split(root, ls)
	mid, right := split(rest, re-ls)
	buf := make([]byte, 0, n)
	buf = appendRange(buf, mid, 0, a-ls)
	buf = append(buf, repl...)
	buf = appendRange(buf, mid, b-ls, re-ls)
	return join(join(left, build(buf, t.chunkMax())), right)
}
