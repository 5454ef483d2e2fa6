package lspproxy

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

// Adversarial edit sequences for the keystroke path's reused state: the
// findings' pending shift (spanset), the text's one-chunk edits (textbuf)
// and the edit path's scratch window. Every snapshot the mirror hands out
// is kept, and at the end each must still hold its own text and exactly the
// findings (rule and span) a full scan of that text gives, also when asked
// for a part of the document.

// editScript drives one document through documents.change, keeping every
// snapshot with the text it had when it was made.
type editScript struct {
	t     *testing.T
	det   *redact.Detector
	docs  *documents
	uri   string
	ver   int32
	snaps []*Document
	texts []string
}

func newEditScript(t *testing.T, det *redact.Detector, text string) *editScript {
	e := &editScript{t: t, det: det, docs: newDocuments(testScanner(det), nil), uri: "file:///work/ws/seq.go", ver: 1}
	doc := e.docs.open(TextDocumentItem{URI: e.uri, LanguageID: "go", Version: 1, Text: text})
	e.keep(doc)
	return e
}

func (e *editScript) keep(doc *Document) {
	e.snaps = append(e.snaps, doc)
	e.texts = append(e.texts, doc.Text.String())
}

func (e *editScript) doc() *Document { return e.docs.get(e.uri) }

// change sends one didChange of byte-offset edits, each against the text
// the ones before it left (as LSP orders content changes).
func (e *editScript) change(edits ...[3]any) {
	e.t.Helper()
	cur := e.texts[len(e.texts)-1]
	var changes []TextDocumentContentChangeEvent
	for _, ed := range edits {
		a, b, text := ed[0].(int), ed[1].(int), ed[2].(string)
		rng := utf16Range(cur, a, b)
		changes = append(changes, TextDocumentContentChangeEvent{Range: &rng, Text: text})
		cur = cur[:a] + text + cur[b:]
	}
	e.ver++
	doc, err := e.docs.change(DidChangeTextDocumentParams{
		TextDocument:   VersionedTextDocumentIdentifier{URI: e.uri, Version: e.ver},
		ContentChanges: changes,
	}, UTF16)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := doc.Text.String(); got != cur {
		e.t.Fatalf("version %d: the mirror holds %d bytes, the editor %d", e.ver, len(got), len(cur))
	}
	e.keep(doc)
}

// ed is one edit: text[a:b] replaced by s.
func ed(a, b int, s string) [3]any { return [3]any{a, b, s} }

// utf16Range is the LSP range of text[a:b], computed from the flat string
// (not from the mirror under test).
func utf16Range(text string, a, b int) Range {
	pos := func(off int) Position {
		line := strings.Count(text[:off], "\n") + strings.Count(strings.ReplaceAll(text[:off], "\r\n", ""), "\r")
		ls := max(strings.LastIndexByte(text[:off], '\n'), strings.LastIndexByte(text[:off], '\r')) + 1
		units := 0
		for _, r := range text[ls:off] {
			units++
			if r > 0xFFFF {
				units++
			}
		}
		return Position{Line: uint32(line), Character: uint32(units)}
	}
	return Range{Start: pos(a), End: pos(b)}
}

// verify checks every snapshot kept: its text is the one it was made with,
// and its findings, whole and by part, are a full scan's.
func (e *editScript) verify() {
	e.t.Helper()
	for i, doc := range e.snaps {
		if doc.Text.String() != e.texts[i] {
			e.t.Fatalf("snapshot %d: its text changed after later edits", i)
		}
		want := e.det.Scan(doc.Path, []byte(e.texts[i]))
		if got := doc.AllFindings(); !sameFindingList(got, want) {
			e.t.Fatalf("snapshot %d of %d: findings %v, a full scan of its text %v", i, len(e.snaps), ruleSpans(got), ruleSpans(want))
		}
		if doc.FindingCount() != len(want) {
			e.t.Fatalf("snapshot %d: FindingCount %d, full scan %d", i, doc.FindingCount(), len(want))
		}
		for _, f := range want { // asked for a part: around each finding's edges
			for _, q := range [][2]int{{f.Start, f.Start}, {f.End, f.End}, {f.Start - 1, f.Start - 1}, {f.End + 1, f.End + 40}} {
				var sub []redact.Finding
				for _, w := range want {
					if w.Start <= q[1] && w.End >= q[0] {
						sub = append(sub, w)
					}
				}
				if got := doc.Findings(q[0], q[1]); !sameFindingList(got, sub) {
					e.t.Fatalf("snapshot %d: Findings(%d, %d) = %v, want %v", i, q[0], q[1], ruleSpans(got), ruleSpans(sub))
				}
			}
		}
		for _, s := range doc.Typed {
			if s < 0 || s > len(e.texts[i]) {
				e.t.Fatalf("snapshot %d: typing site %d outside its %d bytes", i, s, len(e.texts[i]))
			}
		}
	}
}

func sameFindingList(a, b []redact.Finding) bool {
	return slices.EqualFunc(a, b, func(x, y redact.Finding) bool {
		return x.Start == y.Start && x.End == y.End && x.RuleID == y.RuleID
	})
}

// ruleSpans shows findings without their values: rule and offsets only.
func ruleSpans(fs []redact.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.RuleID + "@" + strconv.Itoa(f.Start) + "-" + strconv.Itoa(f.End)
	}
	return out
}

// crlfSource is sampleSource with Windows line ends.
func crlfSource(sec *secrets, n int) string {
	text, _ := sampleSource(sec, n)
	return strings.ReplaceAll(text, "\n", "\r\n")
}

// TestEditSequenceTypingThenEnter types a secret character by character into
// a string on a CRLF line, presses Enter (CRLF) and types on, with several
// keystrokes batched in one didChange now and then, as Neovim sends them.
func TestEditSequenceTypingThenEnter(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(41)
	for _, text := range []string{crlfSource(sec, 6000), func() string { s, _ := sampleSource(sec, 6000); return s }()} {
		e := newEditScript(t, det, text)
		nl := "\n"
		if strings.Contains(text, "\r\n") {
			nl = "\r\n"
		}
		at := strings.Index(text, "ghToken") // type before a line holding a finding
		line := "\tapiKey := \"" + sec.github() + "\"" + nl + "\tnext := 1"
		for i := 0; i < len(line); {
			n := 1 + i%3 // one to three keystrokes per message
			var batch [][3]any
			for k := 0; k < n && i < len(line); k++ {
				c := line[i : i+1]
				if strings.HasPrefix(line[i:], "\r\n") {
					c = "\r\n" // Enter sends its line end whole
				}
				batch = append(batch, ed(at+i, at+i, c))
				i += len(c)
			}
			e.change(batch...)
		}
		// Enter in the middle of the typed token, then joined again.
		mid := at + strings.Index(line, "ghp_") + 10
		e.change(ed(mid, mid, nl))
		e.change(ed(mid, mid+len(nl), ""))
		// A line end made in two steps: the lines joined, a bare LF typed,
		// then a CR before it.
		if nl == "\r\n" {
			cr := at + strings.Index(line, "\r")
			e.change(ed(cr, cr+2, ""))
			e.change(ed(cr, cr, "\n"))
			e.change(ed(cr, cr, "\r"))
		}
		e.verify()
	}
}

// TestEditSequenceSpanEdges edits exactly at findings' edges: typing at
// Start and at End, deleting the byte before Start and the one at End,
// backspacing a finding away from its end, replacing it whole by another
// value, and one delete that swallows two findings and the text between.
func TestEditSequenceSpanEdges(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(43)
	e := newEditScript(t, det, crlfSource(sec, 12000))
	first := func() redact.Finding {
		fs := e.doc().AllFindings()
		if len(fs) < 4 {
			t.Fatalf("the sample holds %d findings; the test needs several", len(fs))
		}
		return fs[len(fs)/2]
	}
	f := first()
	e.change(ed(f.Start, f.Start, "x"))
	f = first()
	e.change(ed(f.End, f.End, "y"))
	f = first()
	e.change(ed(f.Start-1, f.Start, ""))
	f = first()
	e.change(ed(f.End, f.End+1, ""))
	f = first()
	for k := f.End; k > f.Start; k-- { // backspace it away
		e.change(ed(k-1, k, ""))
	}
	f = first()
	e.change(ed(f.Start, f.End, sec.aws())) // pasted over
	fs := e.doc().AllFindings()
	a, b := fs[1].Start+2, fs[2].End-2
	e.change(ed(a, b, "")) // swallows two
	fs = e.doc().AllFindings()
	last := fs[len(fs)-1]
	e.change(ed(last.Start, e.doc().Text.Len(), "")) // the tail gone
	e.change(ed(0, fs[0].End+1, ""))                 // the head gone
	e.verify()
}

// TestEditSequenceRandomAtEdges: random didChanges of one to four edits,
// most of them at or next to a finding's edge or a line end, typing runs
// after the cursor, on a CRLF text; every snapshot checked at the end.
func TestEditSequenceRandomAtEdges(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(47)
	e := newEditScript(t, det, crlfSource(sec, 8000))
	r := rand.New(rand.NewPCG(47, 48))
	inserts := []string{"x", "\r\n", "\n", "\r", "\"", "é😀", sec.github(), sec.aws(), "password = \"", " // veil:allow", ""}
	cursor := 0
	for range 400 {
		cur := e.texts[len(e.texts)-1]
		var batch [][3]any
		for range 1 + r.IntN(4) {
			fs := det.Scan("seq.go", []byte(cur))
			var a int
			switch k := r.IntN(6); {
			case k < 2 && len(fs) > 0:
				f := fs[r.IntN(len(fs))]
				a = []int{f.Start, f.End, f.Start - 1, f.End + 1}[r.IntN(4)]
			case k == 2:
				from := r.IntN(len(cur) + 1)
				a = from + strings.Index(cur[from:], "\r\n") // a line end (or from-1)
			default:
				a = cursor // typing on
			}
			a = min(max(0, a), len(cur))
			b := a
			if r.IntN(4) == 0 {
				b = min(len(cur), a+r.IntN(60))
			}
			a, b = runeStart(cur, a), runeStart(cur, b)
			if a > 0 && a < len(cur) && cur[a-1] == '\r' && cur[a] == '\n' {
				a-- // do not split a CRLF: editors never do
			}
			b = max(a, b)
			if b > 0 && b < len(cur) && cur[b-1] == '\r' && cur[b] == '\n' {
				b++
			}
			ins := inserts[r.IntN(len(inserts))]
			batch = append(batch, ed(a, b, ins))
			cur = cur[:a] + ins + cur[b:]
			cursor = a + len(ins)
		}
		e.change(batch...)
	}
	e.verify()
}

func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}
