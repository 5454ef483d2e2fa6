package redact

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestTermShapes: a configured term matches by shape, whatever joins its
// words, and the whole written form is masked.
func TestTermShapes(t *testing.T) {
	for _, term := range []string{"Project Halcyon", "project_halcyon", "ProjectHalcyon"} {
		d := newTestDetector(t, Options{Terms: []string{term}})
		for _, form := range []string{
			"ProjectHalcyon", "projectHalcyon", "project_halcyon", "PROJECT-HALCYON", "Project Halcyon",
			"Project+Halcyon", "Project%20Halcyon", "project.halcyon", "projecthalcyon", "Project\n    Halcyon",
			"Project\u00adHalcyon", "Project\u200dHalcyon", "Proj\u200bect Hal\u00adcyon", "Project&#32;Halcyon",
		} {
			for _, ctx := range []string{"{T}", "type {T}Client struct{}", "url = \"https://{T}.corp.example/x\"", "// see {T} docs"} {
				text := strings.ReplaceAll(ctx, "{T}", form)
				s := strings.Index(text, form)
				f, ok := coveredBy(d.Scan("a.go", []byte(text)), Identifier, s, s+len(form))
				if !ok {
					t.Errorf("term %q: %q not masked", term, text)
					continue
				}
				if f.Start != s || f.End != s+len(form) {
					t.Errorf("term %q: %q masked [%d,%d), want exactly [%d,%d)", term, text, f.Start, f.End, s, s+len(form))
				}
			}
		}
	}
	d := newTestDetector(t, Options{Terms: []string{"Project Halcyon", "iPhone"}})
	for _, text := range []string{"project plan for halcyon days", "projects_halcyon", "the project\n\n\nhalcyon", "i phone home", "iphone"} {
		fs := d.Scan("a.txt", []byte(text))
		if text == "iphone" {
			if len(fs) != 1 {
				t.Errorf("%q: want the term iPhone, got %v", text, fs)
			}
			continue
		}
		if len(fs) != 0 {
			t.Errorf("%q: unexpected %v", text, fs)
		}
	}
}

// TestTermTokensStaySafe masks terms in an identifier, a string and a URL:
// the Go file still parses and restores exactly.
func TestTermTokensStaySafe(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Project Halcyon"}})
	src := "package x\n\ntype ProjectHalcyonClient struct{}\n\nconst u = \"https://project-halcyon.corp.example/a?q=Project%20Halcyon\"\n\n// Project\n// Halcyon notes\n"
	v := NewVault(testKey, 10)
	m, err := v.Mask(src, d.Scan("x.go", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(m.Text), "halcyon") {
		t.Errorf("term left in masked text: %q", m.Text)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "x.go", m.Text, 0); err != nil {
		t.Errorf("masked Go does not parse: %v\n%s", err, m.Text)
	}
	if back, _ := v.Restore(m.Text); back != src {
		t.Errorf("restore differs")
	}
}
