package lspproxy

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// The leak check remembers a neighbour found clean, but never reuses that
// verdict once a value became known since or for a snippet whose bytes
// differ: both must still be refused.
func TestLeakCheckMemoStaysStrict(t *testing.T) {
	sec := newSecrets(21)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.ai
	later := "Lantern-" + sec.github()[4:16] // no rule finds it; made known below
	clean := "package a\n\nvar label = \"" + strings.Repeat("x", len(later)) + "\"\n"
	holds := "package a\n\nvar label = \"" + later + "\"\n"
	pr := func(text string) *prompt {
		return &prompt{fim: localmodel.FIMRequest{Prefix: "func main() {\n", Suffix: "}\n", Path: "main.go",
			Neighbors: []localmodel.Snippet{{Path: "n.go", Text: text}}}}
	}
	if err := p.leakCheck(pr(holds)); err != nil {
		t.Fatalf("nothing known yet, the check refused: %v", err)
	}
	if err := p.leakCheck(pr(clean)); err != nil {
		t.Fatalf("clean neighbour refused: %v", err)
	}
	if _, err := p.vault.Mask(later, []redact.Finding{{RuleID: "identifier", Category: redact.Secret, Start: 0, End: len(later)}}); err != nil {
		t.Fatal(err)
	}
	if err := p.leakCheck(pr(holds)); err == nil {
		t.Fatal("a neighbour found clean before its value became known passed the check again")
	} else if strings.Contains(err.Error(), later) {
		t.Fatal("the refusal shows the value")
	}
	if err := p.leakCheck(pr(clean)); err != nil {
		t.Fatalf("clean neighbour refused after a value became known: %v", err)
	}
	// clean is now remembered at the current version; a snippet of the
	// same length that differs (the value typed in) must be read again.
	if len(holds) != len(clean) {
		t.Fatalf("test texts differ in length: %d, %d", len(holds), len(clean))
	}
	if err := p.leakCheck(pr(holds)); err == nil {
		t.Fatal("a changed neighbour of the same length passed on the clean verdict of the old one")
	}
	if !p.leakMemo.clean(clean, p.vault.KnownVersion()) {
		t.Error("the clean neighbour's verdict was not remembered: it is read on every request")
	}
}

// The values remembered as absent from a neighbour never excuse a value
// not checked against it before, nor a neighbour whose bytes differ.
func TestLeakGuardMemoStaysStrict(t *testing.T) {
	sec := newSecrets(22)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.ai
	in := sec.github()
	other := sec.github()
	holds := "package a\n\nvar token = \"" + in + "\"\n"
	clean := strings.Replace(holds, in, strings.Repeat("y", len(in)), 1)
	check := func(text string, values ...string) error {
		return p.leakCheck(&prompt{values: values, fim: localmodel.FIMRequest{Prefix: "func main() {\n", Suffix: "}\n",
			Path: "main.go", Neighbors: []localmodel.Snippet{{Path: "n.go", Text: text}}}})
	}
	if err := check(holds, other); err != nil {
		t.Fatalf("a value not in the neighbour was refused: %v", err)
	}
	err = check(holds, other, in)
	if err == nil {
		t.Fatal("a value first looked for after the neighbour was checked passed")
	}
	if strings.Contains(err.Error(), in) {
		t.Fatal("the refusal shows the value")
	}
	if err := check(clean, in); err != nil {
		t.Fatalf("a neighbour without the value was refused: %v", err)
	}
	if err := check(holds, in); err == nil {
		t.Fatal("a neighbour holding the value passed on the verdict for another text of the same length")
	}
	if err := check(clean, in, in, other); err != nil {
		t.Fatalf("repeated values: %v", err)
	}
}
