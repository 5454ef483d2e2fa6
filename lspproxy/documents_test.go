package lspproxy

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/textbuf"
)

// sampleSource builds about n bytes of Go-like text with generated secrets,
// emails and the codename sprinkled in.
func sampleSource(sec *secrets, n int) (string, []string) {
	var b strings.Builder
	var planted []string
	for i := 0; b.Len() < n; i++ {
		switch i % 40 {
		case 7:
			k := sec.aws()
			planted = append(planted, k)
			b.WriteString("\tawsKey := \"" + k + "\" // rotate quarterly\n")
		case 19:
			k := sec.github()
			planted = append(planted, k)
			b.WriteString("\tghToken := \"" + k + "\"\n")
		case 29:
			b.WriteString("\t// contact: ops.team@orchard-mail.net about ZephyrineClient\n")
		default:
			b.WriteString("\tresult = append(result, fmt.Sprintf(\"%d: %s\", i, name)) // 😀 line\n")
		}
	}
	return b.String(), planted
}

func testDetector(t testing.TB) *redact.Detector {
	t.Helper()
	st, err := compileSettings(*pipelineConfig(), testRedactOptions, NewDetectors())
	if err != nil {
		t.Fatal(err)
	}
	return st.detector()
}

func spans(fs []redact.Finding) [][2]int {
	out := make([][2]int, len(fs))
	for i, f := range fs {
		out[i] = [2]int{f.Start, f.End}
	}
	return out
}

func testScanner(det *redact.Detector) func() scanner {
	return func() scanner { return scanner{det: det, path: func(p string) string { return p }} }
}

// clampEdit maps any a, b to an edit span of text: wrapped into
// [0, Len], ordered, and on character starts.
func clampEdit(text *textbuf.Text, a, b int) (int, int) {
	n := text.Len() + 1
	a, b = ((a%n)+n)%n, ((b%n)+n)%n
	if a > b {
		a, b = b, a
	}
	return text.RuneStart(a), text.RuneStart(b)
}

// moved is fs after text[a:b] was replaced by n bytes, for findings the
// edit did not touch; ok is false when it touched one.
func moved(fs []redact.Finding, a, b, n int) ([][2]int, bool) {
	out := make([][2]int, len(fs))
	for i, f := range fs {
		if f.Start < max(b, a+1) && f.End > a {
			return nil, false
		}
		if f.Start >= b {
			f.Start += n - (b - a)
			f.End += n - (b - a)
		}
		out[i] = [2]int{f.Start, f.End}
	}
	return out, true
}

// TestIncrementalFindings applies random edits (inserts, deletes, pasted
// secrets and private key blocks, veil:allow comments, newlines) and checks
// after every one that the incrementally maintained findings equal a full
// scan, and that FindingsGen moved whenever they changed other than by
// moving with the text.
func TestIncrementalFindings(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(7)
	text, _ := sampleSource(sec, 20000)
	docs := newDocuments(testScanner(det), nil)
	uri := "file:///work/ws/big.go"
	docs.open(TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: text})
	r := rand.New(rand.NewPCG(1, 2))
	inserts := []string{"x", "\n", "\r\n", "// note\n", "k := \"" + sec.aws() + "\"\n", sec.github(), "é😀", "",
		" // veil:allow", "password = \"Tr0ub4dor&3-horse\"\n", "-----BEGIN RSA PRIVATE KEY-----\n",
		"MIIEowIBAAKCAQEA7bq9xQ2v\n", "-----END RSA PRIVATE KEY-----\n", "\"", " ", "ops@orchard-mail.net"}
	for v := int32(2); v < 600; v++ {
		doc := docs.get(uri)
		n := doc.Text.Len()
		a := r.IntN(n + 1)
		b := min(n, a+r.IntN(40))
		switch r.IntN(10) {
		case 0, 1, 2, 3, 4:
			b = a
		case 5:
			b = min(n, a+r.IntN(3000)) // a large cut
		}
		a, b = clampEdit(doc.Text, a, b)
		rng := doc.Text.Range(a, b, UTF16)
		ins := inserts[r.IntN(len(inserts))]
		if _, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: v},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &rng, Text: ins}},
		}, UTF16); err != nil {
			t.Fatal(err)
		}
		next := docs.get(uri)
		want := det.Scan(next.Path, []byte(next.Text.String()))
		got := next.AllFindings()
		if !slices.Equal(spans(got), spans(want)) {
			t.Fatalf("edit %d (%d..%d += %d bytes): incremental findings %v, full scan %v", v, a, b, len(ins), spans(got), spans(want))
		}
		if prev, ok := moved(doc.AllFindings(), a, b, len(ins)); next.FindingsGen == doc.FindingsGen && (!ok || !slices.Equal(prev, spans(got))) {
			t.Fatalf("edit %d: findings changed but FindingsGen did not", v)
		}
	}
}

// TestRescanWindowIsBounded: a one-character edit asks the detector about a
// window proportional to the edit (a few times its Reach), whatever the size
// of the document or its lines.
func TestRescanWindowIsBounded(t *testing.T) {
	det := testDetector(t)
	src, _ := sampleSource(newSecrets(8), 1<<20)
	oneLine := strings.ReplaceAll(src[:400<<10], "\n", " ")
	for name, text := range map[string]string{"1MB": src, "400KB one line": oneLine} {
		docs := newDocuments(testScanner(det), nil)
		uri := "file:///work/ws/big.go"
		doc := docs.open(TextDocumentItem{URI: uri, Version: 1, Text: text})
		if doc.FindingCount() < 300 {
			t.Fatalf("%s: only %d findings", name, doc.FindingCount())
		}
		at := doc.Text.OffsetPosition(len(text)/2, UTF16)
		doc, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: 2},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{Start: at, End: at}, Text: "x"}},
		}, UTF16)
		if err != nil {
			t.Fatal(err)
		}
		if limit := 4*det.Reach() + 400; doc.rescanned > limit {
			t.Fatalf("%s: a 1-character edit rescanned %d bytes (limit %d)", name, doc.rescanned, limit)
		}
	}
}

func BenchmarkDidChange1MB(b *testing.B) {
	det := testDetector(b)
	text, _ := sampleSource(newSecrets(9), 1<<20)
	docs := newDocuments(testScanner(det), nil)
	uri := "file:///work/ws/big.go"
	docs.open(TextDocumentItem{URI: uri, Version: 1, Text: text})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := Position{Line: 9000, Character: uint32(3 + i%20)}
		if _, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: int32(i + 2)},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{Start: p, End: p}, Text: "x"}},
		}, UTF16); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRescanFarContext edits text whose findings depend on context far from
// the edit (farther than the detector's Reach): a private key block closed
// 2 KiB after its header, a raw string opened or closed 1.5 KiB above a
// veil:allow comment (inside a string it allows nothing), a key block's END
// line broken. After each edit the incremental
// findings must equal a full scan.
func TestRescanFarContext(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(11)
	body := strings.Repeat(sec.pick(base62+"+/", 64)+"\n", 30)
	code := strings.Repeat("\tresult = append(result, compute(i, j)) // keep going\n", 60)
	tok := sec.github()
	cases := []struct {
		name       string
		text       string
		find, repl string // the first occurrence of find is replaced
	}{
		{"close a key block far below its header",
			"-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n" + code + "END\n", "END\n", "-----END RSA PRIVATE KEY-----\n"},
		{"break a closed block's END line",
			"-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n" + code, "-----END", "----END"},
		{"open a raw string 1.5 KiB above an allowed line",
			"x := 1\n" + code[:1500] + "t := \"" + tok + "\" // veil:allow\n", "x := 1", "x := `1"},
		{"close the raw string above an allowed line",
			"x := `1\n" + code[:1500] + "t := \"" + tok + "\" // veil:allow\n", "`1", "1"},
		{"remove the header of an unclosed block",
			"-----BEGIN RSA PRIVATE KEY-----\n" + body + code, "-----BEGIN", "-----BEGUN"},
	}
	for _, c := range cases {
		docs := newDocuments(testScanner(det), nil)
		uri := "file:///work/ws/far.go"
		doc := docs.open(TextDocumentItem{URI: uri, Version: 1, Text: c.text})
		a := strings.Index(c.text, c.find)
		rng := doc.Text.Range(a, a+len(c.find), UTF16)
		next, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: 2},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &rng, Text: c.repl}},
		}, UTF16)
		if err != nil {
			t.Fatal(err)
		}
		before := spans(det.Scan(doc.Path, []byte(c.text)))
		want := spans(det.Scan(doc.Path, []byte(next.Text.String())))
		if slices.Equal(before, want) {
			t.Fatalf("%s: the edit does not change the findings; the case tests nothing", c.name)
		}
		if got := spans(next.AllFindings()); !slices.Equal(got, want) {
			t.Errorf("%s: incremental findings %v, full scan %v", c.name, got, want)
		}
		if next.FindingsGen == doc.FindingsGen {
			t.Errorf("%s: findings changed but FindingsGen did not", c.name)
		}
	}
}

const diagnosticsURI = "file:///work/ws/d.go"

// openForDiagnostics opens text (one finding in it) in a new session, waits
// for its diagnostics, and returns the client and a function that inserts
// text at line:char, each call a new version.
func openForDiagnostics(t *testing.T, text string) (*testClient, func(line, char int, text string)) {
	t.Helper()
	c := startClient(t, pipelineOptions(&fakeModel{}))
	c.initialize(nil)
	c.open(diagnosticsURI, "go", text)
	if d := c.notification("textDocument/publishDiagnostics"); len(get(d, "params", "diagnostics").([]any)) != 1 {
		t.Fatalf("diagnostics after open: %v", d["params"])
	}
	version := 1
	return c, func(line, char int, text string) {
		version++
		p := map[string]any{"line": line, "character": char}
		c.notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": diagnosticsURI, "version": version},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": p, "end": p}, "text": text}},
		})
	}
}

// TestDiagnosticsOnlyWhenFindingsChange: keystrokes that move findings
// publish nothing; a burst of keystrokes that each add one publishes at most
// twice (at once, then the newest state when the burst settles), and the
// last publication has them all.
func TestDiagnosticsOnlyWhenFindingsChange(t *testing.T) {
	sec := newSecrets(21)
	c, change := openForDiagnostics(t, "package a\n\n// notes\nconst tok = \""+sec.github()+"\"\n")
	for i := range 20 {
		change(2, 3+i, "x") // in the comment: the token below moves, nothing else
	}
	change(1, 0, "\n")               // the token moves a line down
	time.Sleep(2 * diagnosticsEvery) // let a trailing publication fire if one was (wrongly) scheduled
	c.noMessage("diagnostics for keystrokes that changed no finding", func(m map[string]any) bool {
		return m["method"] == "textDocument/publishDiagnostics"
	})
	for i := range 10 {
		change(1, 0, "var k"+strconv.Itoa(i)+" = \""+sec.aws()+"\"\n")
	}
	for n := 1; ; n++ {
		d := c.notification("textDocument/publishDiagnostics")
		if len(get(d, "params", "diagnostics").([]any)) == 11 {
			if n > 2 {
				t.Fatalf("a burst of 10 changes published %d times", n)
			}
			break
		}
	}
}

// TestDiagnosticsSpacedByTheirCost: after a publication that took long (a
// document with tens of thousands of findings), the next waits ten times
// as long, however many changes arrive, and then carries the newest state.
func TestDiagnosticsSpacedByTheirCost(t *testing.T) {
	sec := newSecrets(22)
	c, change := openForDiagnostics(t, "package a\n\nconst tok = \""+sec.github()+"\"\n")
	const cost = 40 * time.Millisecond
	c.srv.uiMu.Lock()
	ui := c.srv.ui[diagnosticsURI]
	ui.pubCost, ui.lastPub = cost, time.Now()
	since := ui.lastPub
	c.srv.uiMu.Unlock()
	for i := range 5 {
		change(1, 0, "var k"+strconv.Itoa(i)+" = \""+sec.aws()+"\"\n")
	}
	d := c.notification("textDocument/publishDiagnostics")
	if waited := time.Since(since); waited < diagnosticsCostFactor*cost {
		t.Errorf("published %v after a publication that took %v, want at least %v", waited, cost, diagnosticsCostFactor*cost)
	}
	if n := len(get(d, "params", "diagnostics").([]any)); n != 6 {
		t.Errorf("the spaced publication holds %d diagnostics, want all 6", n)
	}
}

// TestTextMeter: the meter follows opens, edits, closes and the end of the
// session, and reports each MiB of movement.
func TestTextMeter(t *testing.T) {
	var reports []int64
	m := NewTextMeter(func(total int64) { reports = append(reports, total) })
	docs := newDocuments(testScanner(testDetector(t)), m)
	big := strings.Repeat("x := 1\n", 300<<10) // 2.1 MB
	docs.open(TextDocumentItem{URI: "file:///w/a.go", Version: 1, Text: big})
	docs.open(TextDocumentItem{URI: "file:///w/b.go", Version: 1, Text: "package b\n"})
	if m.Total() != int64(len(big)+10) {
		t.Fatalf("after opens: %d", m.Total())
	}
	p := Position{Line: 0, Character: 0}
	if _, err := docs.change(DidChangeTextDocumentParams{
		TextDocument:   VersionedTextDocumentIdentifier{URI: "file:///w/a.go", Version: 2},
		ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{Start: p, End: Position{Line: 100}}, Text: "yz"}},
	}, UTF16); err != nil {
		t.Fatal(err)
	}
	if m.Total() != int64(len(big)+10-700+2) {
		t.Fatalf("after an edit: %d", m.Total())
	}
	docs.close("file:///w/b.go")
	docs.closeAll()
	if m.Total() != 0 {
		t.Fatalf("after closing everything: %d", m.Total())
	}
	if !slices.Equal(reports, []int64{0, int64(len(big)), 0}) {
		t.Fatalf("reports %v", reports)
	}
}

// FuzzIncrementalFindings builds a text from fragments that detections
// depend on (tokens, key names, quotes, private key lines, veil:allow,
// raw-string quotes, line breaks), applies a sequence of edits made of the
// same fragments, and checks after each that the incrementally maintained
// findings equal a full scan.
func FuzzIncrementalFindings(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []byte{0, 3, 2, 9, 7, 1, 200, 5, 4})
	f.Add([]byte{6, 6, 6, 1, 8, 8, 2}, []byte{4, 0, 6, 30, 1, 8})
	det := testDetector(f)
	sec := newSecrets(31)
	frags := []string{"\n", "x := 1\n", "\"", "password = ", sec.github(), sec.aws(), "-----BEGIN RSA PRIVATE KEY-----\n",
		"MIIEowIBAAKCAQEA7bq9xQ2vZ8\n", "-----END RSA PRIVATE KEY-----\n", " // veil:allow", "`", "\r\n",
		"ops@orchard-mail.net", "token: ", strings.Repeat("filler code line\n", 20), "é😀", " ", "\"private_key\": \""}
	build := func(b []byte) string {
		var sb strings.Builder
		for _, c := range b {
			sb.WriteString(frags[int(c)%len(frags)])
		}
		return sb.String()
	}
	f.Fuzz(func(t *testing.T, text, edits []byte) {
		if len(text) > 200 || len(edits) > 60 {
			return
		}
		docs := newDocuments(testScanner(det), nil)
		uri := "file:///work/ws/fuzz.go"
		docs.open(TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: build(text)})
		for i := 0; i+2 < len(edits); i += 3 {
			doc := docs.get(uri)
			at := int(edits[i]) * doc.Text.Len() / 255
			a, b := clampEdit(doc.Text, at, at+int(edits[i+1]%64))
			rng := doc.Text.Range(a, b, UTF16)
			ins := build(edits[i+2 : i+3])
			if edits[i+1]%3 == 0 {
				ins = ""
			}
			if _, err := docs.change(DidChangeTextDocumentParams{
				TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: int32(i + 2)},
				ContentChanges: []TextDocumentContentChangeEvent{{Range: &rng, Text: ins}},
			}, UTF16); err != nil {
				t.Fatal(err)
			}
			next := docs.get(uri)
			want := det.Scan(next.Path, []byte(next.Text.String()))
			if got := next.AllFindings(); !slices.Equal(spans(got), spans(want)) {
				// The texts hold planted secrets: their sizes only (the
				// failing input in testdata/fuzz rebuilds them).
				t.Fatalf("edit %d (%d..%d += %d bytes): incremental %v, full scan %v; text %d -> %d bytes", i/3, a, b, len(ins), spans(got), spans(want), doc.Text.Len(), next.Text.Len())
			}
		}
	})
}

// TestRescanScratchNotKept: the rescan reuses one window buffer for every
// edit. Nothing a snapshot holds may refer to it: after each edit the buffer
// is overwritten with bytes that match no rule, and at the end every
// snapshot's findings (rules, descriptions, spans) must still equal a full
// scan of its own text.
func TestRescanScratchNotKept(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(12)
	text, _ := sampleSource(sec, 30000)
	docs := newDocuments(testScanner(det), nil)
	uri := "file:///work/ws/scratch.go"
	snaps := []*Document{docs.open(TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: text})}
	inserts := []string{"x", "\n", "k := \"" + sec.aws() + "\"\n", sec.github(), " // veil:allow", "\""}
	r := rand.New(rand.NewPCG(3, 4))
	for v := int32(2); v < 120; v++ {
		doc := snaps[len(snaps)-1]
		a, b := clampEdit(doc.Text, r.IntN(doc.Text.Len()), 0)
		b = a + min(doc.Text.Len()-a, r.IntN(3))
		a, b = clampEdit(doc.Text, a, b)
		rng := doc.Text.Range(a, b, UTF16)
		next, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: v},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &rng, Text: inserts[r.IntN(len(inserts))]}},
		}, UTF16)
		if err != nil {
			t.Fatal(err)
		}
		if cap(docs.scratch) == 0 {
			t.Fatalf("edit %d: the rescan kept no scratch window; the test tests nothing", v)
		}
		scratch := docs.scratch[:cap(docs.scratch)]
		for i := range scratch {
			scratch[i] = '~'
		}
		snaps = append(snaps, next)
	}
	for i, doc := range snaps {
		want := det.Scan(doc.Path, []byte(doc.Text.String()))
		if got := doc.AllFindings(); !slices.Equal(got, want) {
			t.Fatalf("snapshot %d: findings %v after the scratch window was reused, full scan %v", i, spans(got), spans(want))
		}
	}
}
