package textbuf

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// defaultLeafMax bounds a chunk: every position query scans at most one
// chunk, and an edit rebuilds at most a few.
const defaultLeafMax = 1024

// node is a persistent AVL tree node. A leaf holds one chunk; an inner node
// holds the sums of its subtree. Nodes never change after they are made.
//
// Chunk invariants (kept by build, which makes every chunk): a chunk is never
// empty, never ends between "\r" and "\n", and for valid UTF-8 never ends
// inside a character. So each chunk's counts are exact on their own.
type node struct {
	left, right *node
	chunk       []byte // non-empty for a leaf, nil for an inner node
	height      int
	size        int // bytes
	units       int // UTF-16 code units
	breaks      int // line terminators ("\r\n" counts once)
}

func (n *node) bytes() int {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *node) lineBreaks() int {
	if n == nil {
		return 0
	}
	return n.breaks
}

func (n *node) h() int {
	if n == nil {
		return 0
	}
	return n.height
}

func newLeaf(chunk []byte) *node {
	return &node{chunk: chunk, height: 1, size: len(chunk), units: utf16Count(chunk), breaks: breakCount(chunk, len(chunk))}
}

func newInner(l, r *node) *node {
	return &node{left: l, right: r, height: max(l.h(), r.h()) + 1,
		size: l.size + r.size, units: l.units + r.units, breaks: l.breaks + r.breaks}
}

// utf16Count counts the UTF-16 code units of b: one per character, two for
// a character outside the Basic Multilingual Plane (a 4-byte sequence). It
// works on eight bytes at a time: each byte counts one, a continuation byte
// (10xxxxxx) zero, a 4-byte lead (11110xxx) two, as unitsOfByte says.
func utf16Count(b []byte) int {
	const high = 0x8080808080808080
	n := 0
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if hi := w & high; hi != 0 {
			// Bit 7 of each byte, after shifting left by k, holds the
			// byte's own bit 7-k: no bit crosses into its neighbour.
			cont := hi &^ (w << 1)
			four := hi & (w << 1) & (w << 2) & (w << 3)
			n += bits.OnesCount64(four) - bits.OnesCount64(cont)
		}
		n += 8
		b = b[8:]
	}
	for _, c := range b {
		n += unitsOfByte(c)
	}
	return n
}

// unitsOfByte is the UTF-16 units a byte starts: 0 for a continuation byte,
// 2 for the lead byte of a 4-byte sequence, 1 otherwise.
func unitsOfByte(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 0
	case c < 0xF0:
		return 1
	}
	return 2
}

// breakCount counts the line terminators that end in chunk[:k]. A "\r" at
// chunk[k-1] followed by "\n" is not one (the "\n" ends that line); a "\r"
// ending the chunk is one, as the next chunk never starts with "\n".
func breakCount(chunk []byte, k int) int {
	n := bytes.Count(chunk[:k], lf)
	if bytes.IndexByte(chunk[:k], '\r') < 0 {
		return n
	}
	for i := 0; i < k; i++ {
		if chunk[i] == '\r' && (i+1 == len(chunk) || chunk[i+1] != '\n') {
			n++
		}
	}
	return n
}

var lf = []byte{'\n'}

// build makes a balanced tree of chunks of at most leafMax bytes from b,
// slicing b without copying.
func build(b []byte, leafMax int) *node {
	var leaves []*node
	for len(b) > 0 {
		cut := len(b)
		if cut > leafMax {
			cut = cutPoint(b, leafMax-leafMax/4)
		}
		leaves = append(leaves, newLeaf(b[:cut:cut]))
		b = b[cut:]
	}
	return balanced(leaves)
}

// cutPoint moves a cut at want back so it does not split a character (for
// valid UTF-8) or a "\r\n" pair. It always returns at least 1.
func cutPoint(b []byte, want int) int {
	cut := max(want, 1)
	for i := 0; i < utf8.UTFMax-1 && cut > 1 && !utf8.RuneStart(b[cut]); i++ {
		cut--
	}
	if cut > 1 && b[cut-1] == '\r' && b[cut] == '\n' {
		cut--
	} else if b[cut-1] == '\r' && b[cut] == '\n' {
		cut++ // a chunk of "\r\n" alone
	}
	return cut
}

func balanced(leaves []*node) *node {
	switch len(leaves) {
	case 0:
		return nil
	case 1:
		return leaves[0]
	}
	mid := len(leaves) / 2
	return newInner(balanced(leaves[:mid]), balanced(leaves[mid:]))
}

// join concatenates two trees, rebalancing along one spine: O(|h(l)-h(r)|).
func join(l, r *node) *node {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.height > r.height+1:
		return rebalance(l.left, join(l.right, r))
	case r.height > l.height+1:
		return rebalance(join(l, r.left), r.right)
	}
	return newInner(l, r)
}

// rebalance makes an inner node of l and r whose heights differ by at most
// two, rotating so they differ by at most one.
func rebalance(l, r *node) *node {
	switch {
	case l.h() > r.h()+1:
		if l.left.h() >= l.right.h() {
			return newInner(l.left, newInner(l.right, r))
		}
		return newInner(newInner(l.left, l.right.left), newInner(l.right.right, r))
	case r.h() > l.h()+1:
		if r.right.h() >= r.left.h() {
			return newInner(newInner(l, r.left), r.right)
		}
		return newInner(newInner(l, r.left.left), newInner(r.left.right, r.right))
	}
	return newInner(l, r)
}

// split returns the trees of bytes [0, off) and [off, len). A cut inside a
// chunk makes two chunks that may break the chunk invariants; replace only
// splits at chunk boundaries.
func split(n *node, off int) (*node, *node) {
	switch {
	case n == nil:
		return nil, nil
	case off <= 0:
		return nil, n
	case off >= n.size:
		return n, nil
	case n.chunk != nil:
		return newLeaf(n.chunk[:off:off]), newLeaf(n.chunk[off:])
	case off == n.left.size:
		return n.left, n.right
	case off < n.left.size:
		ll, lr := split(n.left, off)
		return ll, join(lr, n.right)
	}
	rl, rr := split(n.right, off-n.left.size)
	return join(n.left, rl), rr
}

// leafAt returns the chunk holding byte off (0 <= off < size) and the offset
// where it starts.
func leafAt(n *node, off int) (*node, int) {
	base := 0
	for n.chunk == nil {
		if off < n.left.size {
			n = n.left
		} else {
			base += n.left.size
			off -= n.left.size
			n = n.right
		}
	}
	return n, base
}

// oneLeaf returns the chunk that is exactly bytes [start, end) of n's text
// and the offset where it starts, or nil when there is none.
func oneLeaf(n *node, start, end int) (*node, int) {
	if start >= n.bytes() {
		return nil, 0
	}
	leaf, base := leafAt(n, start)
	if base != start || base+leaf.size != end {
		return nil, 0
	}
	return leaf, base
}

// replaceLeaf returns n with the chunk holding byte off replaced by leaf:
// the nodes on the path to it are copied, and the tree keeps its shape (a
// leaf for a leaf), so it stays balanced.
func replaceLeaf(n *node, off int, leaf *node) *node {
	if n.chunk != nil {
		return leaf
	}
	if off < n.left.size {
		return newInner(replaceLeaf(n.left, off, leaf), n.right)
	}
	return newInner(n.left, replaceLeaf(n.right, off-n.left.size, leaf))
}

func chunkStart(n *node, off int) int {
	_, base := leafAt(n, off)
	return base
}

func chunkEnd(n *node, off int) int {
	leaf, base := leafAt(n, off)
	return base + leaf.size
}

// byteAt returns the byte at off (0 <= off < size).
func byteAt(n *node, off int) byte {
	leaf, base := leafAt(n, off)
	return leaf.chunk[off-base]
}

// appendRange appends bytes [start, end) of n's text to dst.
func appendRange(dst []byte, n *node, start, end int) []byte {
	if n == nil || start >= end || end <= 0 || start >= n.size {
		return dst
	}
	if n.chunk != nil {
		return append(dst, n.chunk[max(start, 0):min(end, n.size)]...)
	}
	dst = appendRange(dst, n.left, start, end)
	return appendRange(dst, n.right, start-n.left.size, end-n.left.size)
}

// minLeafMax is the smallest chunk bound that still lets build keep whole
// characters and "\r\n" pairs in one chunk.
const minLeafMax = 8
