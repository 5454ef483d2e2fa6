package lspproxy

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
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
	st, err := compileSettings(*pipelineConfig(), testRedactOptions)
	if err != nil {
		t.Fatal(err)
	}
	return st.detector
}

func spans(fs []redact.Finding) [][2]int {
	out := make([][2]int, len(fs))
	for i, f := range fs {
		out[i] = [2]int{f.Start, f.End}
	}
	return out
}

// TestIncrementalFindings applies random edits (inserts, deletes, pasted
// secrets, newlines) and checks that the incrementally maintained findings
// equal a full scan of the final text.
func TestIncrementalFindings(t *testing.T) {
	det := testDetector(t)
	sec := newSecrets(7)
	text, _ := sampleSource(sec, 20000)
	docs := newDocuments(func() scanRangeFunc { return det.ScanRange })
	uri := "file:///work/ws/big.go"
	docs.open(TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: text})
	r := rand.New(rand.NewPCG(1, 2))
	inserts := []string{"x", "\n", "\r\n", "// note\n", "k := \"" + sec.aws() + "\"\n", sec.github(), "é😀", ""}
	for v := int32(2); v < 300; v++ {
		doc := docs.get(uri)
		n := len(doc.Map.Text())
		a := r.IntN(n + 1)
		b := min(n, a+r.IntN(40))
		if r.IntN(2) == 0 {
			b = a
		}
		a, b = clampEdit(string(doc.Map.Text()), a, b)
		rng := doc.Map.Range(a, b, UTF16)
		ins := inserts[r.IntN(len(inserts))]
		if _, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: v},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &rng, Text: ins}},
		}, UTF16); err != nil {
			t.Fatal(err)
		}
		doc = docs.get(uri)
		want := det.Scan("", doc.Map.Text())
		if got := doc.Findings; !slices.Equal(spans(got), spans(want)) {
			t.Fatalf("edit %d (%d..%d += %d bytes): incremental findings %v, full scan %v", v, a, b, len(ins), spans(got), spans(want))
		}
	}
}

// TestRescanWindowIsBounded: a one-character edit in a 1 MB document asks
// the detector about a small window only.
func TestRescanWindowIsBounded(t *testing.T) {
	det := testDetector(t)
	text, _ := sampleSource(newSecrets(8), 1<<20)
	var widest int
	docs := newDocuments(func() scanRangeFunc {
		return func(path string, b []byte, start, end int) []redact.Finding {
			widest = max(widest, end-start)
			return det.ScanRange(path, b, start, end)
		}
	})
	uri := "file:///work/ws/big.go"
	docs.open(TextDocumentItem{URI: uri, Version: 1, Text: text})
	widest = 0
	mid := Position{Line: 9000, Character: 3}
	if _, err := docs.change(DidChangeTextDocumentParams{
		TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: 2},
		ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{mid, mid}, Text: "x"}},
	}, UTF16); err != nil {
		t.Fatal(err)
	}
	if widest > 2*rescanMargin+200 {
		t.Fatalf("a 1-character edit rescanned a %d-byte window", widest)
	}
}

func BenchmarkDidChange1MB(b *testing.B) {
	det := testDetector(b)
	text, _ := sampleSource(newSecrets(9), 1<<20)
	docs := newDocuments(func() scanRangeFunc { return det.ScanRange })
	uri := "file:///work/ws/big.go"
	docs.open(TextDocumentItem{URI: uri, Version: 1, Text: text})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := Position{Line: 9000, Character: uint32(3 + i%20)}
		if _, err := docs.change(DidChangeTextDocumentParams{
			TextDocument:   VersionedTextDocumentIdentifier{URI: uri, Version: int32(i + 2)},
			ContentChanges: []TextDocumentContentChangeEvent{{Range: &Range{p, p}, Text: "x"}},
		}, UTF16); err != nil {
			b.Fatal(err)
		}
	}
}
