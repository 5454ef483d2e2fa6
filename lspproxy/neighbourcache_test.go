package lspproxy

import (
	"context"
	"strings"
	"testing"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// A cached neighbour found clean after values became known is recorded as
// checked at the vault's new version (each check reads the whole snippet,
// and typing makes values known often), and one that holds a value made
// known later is masked again.
func TestNeighbourCacheRecordsCheck(t *testing.T) {
	sec := newSecrets(14)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	s.ctx = context.Background()
	st := s.ai.settings()
	later := "Orchard-" + sec.github()[4:16] // a value no rule finds, made known below
	s.docs.open(TextDocumentItem{URI: "file:///work/ws/clean.go", LanguageID: "go", Version: 1,
		Text: "package a\n\nfunc helper() int { return 42 }\n"})
	s.docs.open(TextDocumentItem{URI: "file:///work/ws/holds.go", LanguageID: "go", Version: 1,
		Text: "package a\n\nvar label = \"" + later + "\"\n"})
	main := s.docs.open(TextDocumentItem{URI: "file:///work/ws/main.go", LanguageID: "go", Version: 1,
		Text: "package a\n\nfunc main() {\n\t\n}\n"})
	prompt := func() *prompt {
		t.Helper()
		r, err := s.newFIMRequest([]byte("1"), "inline", main.URI, Position{Line: 3, Character: 1}, localmodel.Automatic)
		if err != nil || r == nil {
			t.Fatalf("request: %v", err)
		}
		pr, err := s.ai.prompt(st, r, new(promptRoom))
		if err != nil {
			t.Fatalf("prompt: %v", err)
		}
		return pr
	}
	prompt()
	if _, err := s.ai.vault.Mask(later, []redact.Finding{{RuleID: "identifier", Category: redact.Secret, Start: 0, End: len(later)}}); err != nil {
		t.Fatal(err)
	}
	pr := prompt()
	for _, n := range pr.fim.Neighbors {
		if strings.Contains(n.Text, later) {
			t.Fatalf("a value made known after the neighbour was cached reached the prompt in %s", n.Path)
		}
	}
	s.ai.nbMu.Lock()
	e := s.ai.nbCache["file:///work/ws/clean.go"]
	s.ai.nbMu.Unlock()
	if !e.ok || e.known != s.ai.vault.KnownVersion() {
		t.Errorf("clean neighbour cached at version %d, vault at %d: it is read again on every request", e.known, s.ai.vault.KnownVersion())
	}
}
