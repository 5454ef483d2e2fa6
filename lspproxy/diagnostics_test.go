package lspproxy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/veil-dev/veil/policy"
)

// diagnosticsJSON writes, by hand, exactly what encoding/json writes for the
// same diagnostics built the plain way (each range by Text.Range): in both
// encodings, with CRLF and lone CR line ends, characters outside the BMP
// before findings, a URI that encoding/json escapes, and the blocked and
// refused warnings ahead of the findings.
func TestDiagnosticsJSONMatchesEncodingJSON(t *testing.T) {
	text, _ := sampleSource(newSecrets(21), 600<<10) // more findings than yieldEvery
	text = strings.Replace(text, "\n", "\r\n", 40)
	text = strings.Replace(text, "\n", "\r", 15)
	docs := newDocuments(testScanner(testDetector(t)), nil)
	doc := docs.open(TextDocumentItem{URI: "file:///work/ws/a&b<c>é.go", Version: 7, Text: text})
	if doc.FindingCount() < yieldEvery {
		t.Fatalf("only %d findings", doc.FindingCount())
	}
	blocked := policy.Decision{Route: policy.Block, Reason: "blocked: a <rule> & more"}
	for _, enc := range []Encoding{UTF16, UTF8} {
		for _, tc := range []struct {
			dec     policy.Decision
			refusal string
		}{{policy.Decision{Route: policy.Local}, ""}, {blocked, "blocked: leak guard"}} {
			s := &Server{enc: enc}
			pauses := 0
			got, n := s.diagnosticsJSON(doc, tc.dec, tc.refusal, func() { pauses++ })
			if want := doc.FindingCount() / yieldEvery; pauses != want {
				t.Errorf("%v: the encoding paused %d times for %d findings, want %d", enc, pauses, doc.FindingCount(), want)
			}
			want := s.headDiagnostics(doc, tc.dec, tc.refusal, enc)
			for _, f := range doc.AllFindings() {
				want = append(want, Diagnostic{Range: doc.Text.Range(f.Start, f.End, enc), Severity: SeverityInformation,
					Code: f.RuleID, Source: "veil", Message: f.Description + " — masked before any model sees it"})
			}
			v := doc.Version
			wantJSON, err := json.Marshal(PublishDiagnosticsParams{URI: doc.URI, Version: &v, Diagnostics: want})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) || string(got) != string(wantJSON) {
				t.Fatalf("%v: %d diagnostics, want %d; JSON differs:\n%.400s\nwant\n%.400s", enc, n, len(want), got, wantJSON)
			}
		}
	}
}

// TestStatusReplyEncodesAsTheMap: veil/status answers with a struct that
// must encode byte for byte as the map it replaced (clients and scripts
// may compare the text).
func TestStatusReplyEncodesAsTheMap(t *testing.T) {
	r := statusReply{URI: "file:///w/a<b>&c.go", Route: policy.Block, Reason: "blocked: path matches **/.env (default policy rule 1)",
		Rule: "default policy rule 1", Findings: 12, Model: "qwen2.5-coder:1.5b"}
	old := map[string]any{"uri": r.URI, "route": r.Route, "reason": r.Reason, "rule": r.Rule, "findings": r.Findings, "model": r.Model}
	got, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("struct %s, map %s", got, want)
	}
}
