package textbuf

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestPositions(t *testing.T) {
	// 😀 is U+1F600: 4 bytes, 2 UTF-16 units. é: 2 bytes, 1 unit.
	text := "ab\r\nc😀d\ré\nend"
	for _, leafMax := range []int{0, 8, 9, 11} {
		m := newText([]byte(text), leafMax)
		if m.LineCount() != 4 {
			t.Fatalf("leaf %d: lines = %d, want 4 (CRLF, lone CR and LF all end a line)", leafMax, m.LineCount())
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
			off, err := m.PositionOffset(c.pos, c.enc)
			if c.wantErr {
				if !errors.Is(err, ErrOutOfRange) {
					t.Errorf("leaf %d: PositionOffset(%v, %v): err %v, want out of range", leafMax, c.pos, c.enc, err)
				}
				continue
			}
			if err != nil || !strings.HasPrefix(text[off:], c.want) {
				t.Errorf("leaf %d: PositionOffset(%v, %v) = %d (%q), %v; want text starting %q", leafMax, c.pos, c.enc, off, text[off:], err, c.want)
			}
		}
		// Offsets between '\r' and '\n' belong to the end of the line.
		if got := m.OffsetPosition(3, UTF16); got != (Position{0, 2}) {
			t.Errorf("leaf %d: OffsetPosition(3) = %v, want 0:2", leafMax, got)
		}
		if got := m.OffsetPosition(len(text)+10, UTF16); got != (Position{3, 3}) {
			t.Errorf("leaf %d: OffsetPosition past end = %v, want 3:3 (clamped)", leafMax, got)
		}
	}
}

func TestEmptyAndNil(t *testing.T) {
	for _, m := range []*Text{nil, {}, New(nil), FromString("")} {
		if m.Len() != 0 || m.LineCount() != 1 || len(m.Slice(0, 10)) != 0 {
			t.Fatalf("empty text: len %d lines %d", m.Len(), m.LineCount())
		}
		if s, e := m.LineRange(3); s != 0 || e != 0 {
			t.Fatalf("empty LineRange = %d,%d", s, e)
		}
		if off, err := m.PositionOffset(Position{0, 5}, UTF16); off != 0 || err != nil {
			t.Fatalf("empty PositionOffset = %d, %v", off, err)
		}
		next, err := m.Apply(Edit{0, 0, "hi\n"})
		if err != nil || next.String() != "hi\n" || next.LineCount() != 2 {
			t.Fatalf("Apply on empty = %q, %v", next.String(), err)
		}
	}
}

func TestApplyOutOfRange(t *testing.T) {
	m := FromString("abc")
	for _, e := range []Edit{{-1, 0, ""}, {2, 1, ""}, {0, 4, ""}} {
		if _, err := m.Apply(e); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Apply(%v): err %v, want out of range", e, err)
		}
	}
	// Edits apply in order: the second sees the first's result.
	next, err := m.Apply(Edit{3, 3, "def"}, Edit{5, 6, "F"})
	if err != nil || next.String() != "abcdeF" {
		t.Fatalf("sequential edits = %q, %v", next.String(), err)
	}
	if _, err := m.Apply(Edit{0, 0, "x"}, Edit{0, 9, ""}); err == nil {
		t.Fatalf("a bad second edit was accepted")
	}
	if m.String() != "abc" {
		t.Fatalf("Apply changed the old snapshot: %q", m.String())
	}
}

// TestSeams edits right at chunk boundaries so "\r" and "\n" meet across
// them, and checks the result against the reference after every edit.
func TestSeams(t *testing.T) {
	m := newText([]byte(strings.Repeat("abcdefg\r", 8)), 8)
	ref := newRefMapper([]byte(m.String()))
	for i := 0; i < 8; i++ {
		at := (i + 1) * 8 // just after each '\r'
		m = mustApply(t, m, Edit{at, at, "\n"})
		ref = ref.Replace(at, at, []byte("\n"))
		checkSame(t, m, ref)
	}
	for m.Len() > 0 {
		m = mustApply(t, m, Edit{m.Len() / 3, m.Len()/3 + 1, ""})
		ref = ref.Replace(len(ref.text)/3, len(ref.text)/3+1, nil)
		checkSame(t, m, ref)
	}
}

func mustApply(t *testing.T, m *Text, e Edit) *Text {
	t.Helper()
	next, err := m.Apply(e)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// FuzzRoundTrip checks every offset on a character boundary maps to a
// position and back to itself in both encodings, that UTF-16 columns agree
// with unicode/utf16, and that Text answers exactly like the flat reference
// before and after an edit, with the old snapshot unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("a\r\nb😀\rc\n", 2, 5, "x\r", uint8(8))
	f.Add("\r", 0, 1, "\n", uint8(0))
	f.Add("ab\r", 3, 3, "\n\n", uint8(9))
	f.Add("line1\nline2😀é\r\n", 6, 6, "", uint8(10))
	f.Add(strings.Repeat("é😀\r\n\r", 9), 13, 29, "\n😀\r", uint8(8))
	f.Fuzz(func(t *testing.T, text string, a, b int, repl string, leaf uint8) {
		if !utf8.ValidString(text) || !utf8.ValidString(repl) {
			return
		}
		m := newText([]byte(text), int(leaf))
		ref := newRefMapper([]byte(text))
		checkSame(t, m, ref)
		a, b = clampEdit(text, a, b)
		next := mustApply(t, m, Edit{a, b, repl})
		if next.String() != text[:a]+repl+text[b:] {
			t.Fatalf("Apply text wrong")
		}
		if m.String() != text {
			t.Fatalf("Apply modified the old snapshot")
		}
		checkSame(t, next, ref.Replace(a, b, []byte(repl)))
		checkTree(t, next.root)
	})
}

// TestRandomEdits runs long random edit sequences on small chunks against the
// reference.
func TestRandomEdits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "\r", "\n", "\r\n", "é", "😀", "ab", "中"}
	randText := func(n int) string {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for round := 0; round < 20; round++ {
		text := randText(rng.IntN(200))
		m := newText([]byte(text), 8+rng.IntN(24))
		ref := newRefMapper([]byte(text))
		for i := 0; i < 60; i++ {
			a, b := clampEdit(string(ref.text), rng.IntN(len(ref.text)+1), rng.IntN(len(ref.text)+1))
			repl := randText(rng.IntN(12))
			if rng.IntN(10) == 0 {
				repl = randText(rng.IntN(100))
			}
			m = mustApply(t, m, Edit{a, b, repl})
			ref = ref.Replace(a, b, []byte(repl))
			checkSame(t, m, ref)
			checkTree(t, m.root)
		}
	}
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

// checkSame compares every query of m with the reference on every offset,
// line and a spread of positions.
func checkSame(t *testing.T, m *Text, ref *refMapper) {
	t.Helper()
	text := string(ref.text)
	if m.String() != text || m.Len() != len(text) || m.LineCount() != ref.LineCount() {
		t.Fatalf("text/len/lines differ: %d/%d lines %d/%d", m.Len(), len(text), m.LineCount(), ref.LineCount())
	}
	for i := -1; i <= ref.LineCount(); i++ {
		s, e := m.LineRange(i)
		rs, re := ref.LineRange(i)
		if s != rs || e != re {
			t.Fatalf("LineRange(%d) = %d,%d want %d,%d", i, s, e, rs, re)
		}
	}
	for off := -1; off <= len(text)+1; off++ {
		for _, enc := range []Encoding{UTF16, UTF8} {
			if got, want := m.OffsetPosition(off, enc), ref.Position(off, enc); got != want {
				t.Fatalf("OffsetPosition(%d, %v) = %v want %v", off, enc, got, want)
			}
		}
	}
	for line := 0; line <= ref.LineCount(); line++ {
		for ch := 0; ch < 12; ch++ {
			for _, enc := range []Encoding{UTF16, UTF8} {
				p := Position{uint32(line), uint32(ch)}
				got, gerr := m.PositionOffset(p, enc)
				want, werr := ref.Offset(p, enc)
				if got != want || (gerr == nil) != (werr == nil) {
					t.Fatalf("PositionOffset(%v, %v) = %d, %v want %d, %v", p, enc, got, gerr, want, werr)
				}
			}
		}
	}
	checkRoundTrip(t, m, text)
}

func checkRoundTrip(t *testing.T, m *Text, text string) {
	t.Helper()
	for off := 0; off <= len(text); off++ {
		if off < len(text) && !utf8.RuneStart(text[off]) {
			continue
		}
		if off > 0 && off < len(text) && text[off-1] == '\r' && text[off] == '\n' {
			continue // not a position of its own
		}
		for _, enc := range []Encoding{UTF16, UTF8} {
			p := m.OffsetPosition(off, enc)
			back, err := m.PositionOffset(p, enc)
			if err != nil || back != off {
				t.Fatalf("offset %d -> %v (%v) -> %d, %v", off, p, enc, back, err)
			}
		}
		p := m.OffsetPosition(off, UTF16)
		start, _ := m.LineRange(int(p.Line))
		if got := len(utf16.Encode([]rune(text[start:off]))); got != int(p.Character) {
			t.Fatalf("offset %d: UTF-16 column %d, unicode/utf16 says %d", off, p.Character, got)
		}
		for _, w := range []int{0, 1, 5} {
			if got := string(m.Slice(off, off+w)); got != text[off:min(off+w, len(text))] {
				t.Fatalf("Slice(%d, %d) = %q", off, off+w, got)
			}
		}
	}
}

// checkTree checks the AVL balance, the sums and the chunk invariants.
func checkTree(t *testing.T, n *node) {
	t.Helper()
	var walk func(n *node, next byte) int
	walk = func(n *node, next byte) int {
		if n == nil {
			return 0
		}
		if n.chunk != nil {
			c := n.chunk
			if len(c) == 0 || (c[len(c)-1] == '\r' && next == '\n') {
				t.Fatalf("chunk %q breaks the seam invariant (next %q)", c, next)
			}
			if next != 0 && !utf8.RuneStart(next) {
				t.Fatalf("chunk %q ends inside a character", c)
			}
			return 1
		}
		var first byte
		if n.right.chunk != nil || n.right.size > 0 {
			first = n.right.firstByte()
		}
		hl, hr := walk(n.left, first), walk(n.right, next)
		if hl-hr > 1 || hr-hl > 1 || n.height != max(hl, hr)+1 {
			t.Fatalf("unbalanced: %d vs %d, height %d", hl, hr, n.height)
		}
		if n.size != n.left.size+n.right.size || n.units != n.left.units+n.right.units || n.breaks != n.left.breaks+n.right.breaks {
			t.Fatalf("sums wrong")
		}
		return n.height
	}
	walk(n, 0)
}

func (n *node) firstByte() byte {
	for n.chunk == nil {
		n = n.left
	}
	return n.chunk[0]
}

func TestUTF16CountMatchesBytewise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		want := 0
		for _, c := range b {
			want += unitsOfByte(c)
		}
		if got := utf16Count(b); got != want {
			t.Fatalf("utf16Count(% x) = %d, want %d", b, got, want)
		}
	}
}

// TestSnapshotsWhileEditing reads a snapshot from another goroutine while
// edits continue (run with -race): the snapshot never changes.
func TestSnapshotsWhileEditing(t *testing.T) {
	text := strings.Repeat("key = \"é😀\"\r\n", 500)
	snap := newText([]byte(text), 64)
	done := make(chan error)
	go func() {
		for i := 0; i < 50; i++ {
			if snap.String() != text || snap.OffsetPosition(len(text)/2, UTF16).Line != 250 {
				done <- errors.New("snapshot changed")
				return
			}
		}
		done <- nil
	}()
	m := snap
	for i := 0; i < 2000; i++ {
		m = mustApply(t, m, Edit{i % m.Len(), i % m.Len(), "\n"})
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.LineCount() != snap.LineCount()+2000 {
		t.Fatalf("lines %d, want %d", m.LineCount(), snap.LineCount()+2000)
	}
}

func TestRuneStart(t *testing.T) {
	m := newText([]byte("a😀é"), 8)
	for off, want := range []int{0, 1, 1, 1, 1, 5, 5, 7} {
		if got := m.RuneStart(off); got != want {
			t.Errorf("RuneStart(%d) = %d, want %d", off, got, want)
		}
	}
}

// AppendSlice extends dst with exactly what Slice returns, across chunk
// seams, clamped, and leaves dst alone for an empty or inverted span.
func TestAppendSlice(t *testing.T) {
	text := strings.Repeat("héllo wörld\n", 20)
	m := newText([]byte(text), 8)
	for _, sp := range [][2]int{{0, len(text)}, {3, 41}, {7, 9}, {-5, 12}, {len(text) - 4, len(text) + 10}, {30, 30}, {40, 20}} {
		dst := []byte("prefix:")
		got := m.AppendSlice(dst, sp[0], sp[1])
		want := "prefix:" + string(m.Slice(sp[0], sp[1]))
		if string(got) != want {
			t.Errorf("AppendSlice(%d, %d) = %q, want %q", sp[0], sp[1], got, want)
		}
	}
	buf := make([]byte, 0, 64)
	if got := m.AppendSlice(buf, 12, 24); &got[0] != &buf[:1][0] {
		t.Error("AppendSlice allocated although dst had room")
	}
}

// TestTypingKeepsEverySnapshot types, backspaces and presses Enter (CRLF)
// inside small chunks, where an edit replaces its one chunk in place of
// rebuilding its neighbours, with now and then an edit across chunks. Every
// snapshot is kept; at the end each must still be the text it was made
// with, answer positions like the flat reference, and keep the chunk
// invariants.
func TestTypingKeepsEverySnapshot(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	text := strings.Repeat("key = \"é😀\"\r\nx\n", 40)
	m := newText([]byte(text), 16)
	snaps, texts := []*Text{m}, []string{text}
	cursor, inPlace := len(text)/2, 0
	for range 600 {
		cursor = runeStartIn(text, min(cursor, len(text)))
		if cursor > 0 && cursor < len(text) && text[cursor-1] == '\r' && text[cursor] == '\n' {
			cursor-- // never between CR and LF
		}
		a, b, repl := cursor, cursor, []string{"a", "b", "\"", "é", " "}[rng.IntN(5)]
		switch r := rng.IntN(12); {
		case r < 3 && cursor > 0: // backspace one character (a CRLF whole)
			a = runeStartIn(text, cursor-1)
			if a > 0 && text[a-1] == '\r' && text[a] == '\n' {
				a--
			}
			repl = ""
		case r == 3:
			repl = "\r\n"
		case r == 4:
			repl = "😀"
		case r == 5:
			cursor = rng.IntN(len(text) + 1) // the cursor jumps
			continue
		case r == 6: // a selection replaced, across chunks
			b = min(len(text), a+rng.IntN(80))
			b = runeStartIn(text, b)
			if b > 0 && b < len(text) && text[b-1] == '\r' && text[b] == '\n' {
				b++
			}
		}
		next := mustApply(t, m, Edit{a, b, repl})
		if next.root != nil && m.root != nil && (next.root.left == m.root.left || next.root.right == m.root.right) {
			inPlace++
		}
		m, text = next, text[:a]+repl+text[b:]
		snaps, texts = append(snaps, m), append(texts, text)
		cursor = a + len(repl)
	}
	if inPlace < 300 {
		t.Fatalf("only %d of the edits kept half the tree; the one-chunk path is not exercised", inPlace)
	}
	for i, s := range snaps {
		if s.String() != texts[i] {
			t.Fatalf("snapshot %d changed after later edits", i)
		}
		checkTree(t, s.root)
		if i%50 == 0 {
			checkSame(t, s, newRefMapper([]byte(texts[i])))
		}
	}
}

func runeStartIn(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
