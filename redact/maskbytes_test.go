package redact

import (
	"fmt"
	"strings"
	"testing"
)

// MaskBytes masks exactly as Mask does (same text, spans and tokens), and
// the vault keeps its own copy of each value: the caller's bytes changing
// afterwards changes nothing it restores or knows.
func TestMaskBytesMatchesMask(t *testing.T) {
	d := newTestDetector(t, Options{})
	gh := genGitHubToken(t, "ghp_")
	text := fmt.Sprintf("package x\n\n// mail bob.smith@corp-mail.io\nvar tok = %q\nvar again = %q\n", gh, gh)
	fs := d.Scan("x.go", []byte(text))
	if len(fs) == 0 {
		t.Fatal("no findings to mask")
	}
	want := mustMask(t, NewVault(testKey, 100), text, fs)
	v := NewVault(testKey, 100)
	b := []byte(text)
	got, err := v.MaskBytes(b, fs)
	if err != nil {
		t.Fatalf("MaskBytes: %v", err)
	}
	if got.Text != want.Text || fmt.Sprint(got.Spans) != fmt.Sprint(want.Spans) {
		t.Fatalf("MaskBytes differs from Mask: %d bytes %v, want %d bytes %v", len(got.Text), got.Spans, len(want.Text), want.Spans)
	}
	for i := range b {
		b[i] = 'z'
	}
	back, probs := v.Restore(got.Text)
	if back != text || len(probs) != 0 {
		t.Fatalf("restore after the caller's bytes changed: mismatch (problems %v)", probs)
	}
	if pv, leaked := v.Leak("x = " + gh); !leaked {
		t.Fatalf("the value masked from bytes is not known after the bytes changed")
	} else if strings.Contains(pv, gh[4:]) {
		t.Fatal("the preview shows the value")
	}
	if _, err := v.MaskBytes(b[:10], fs); err == nil {
		t.Fatal("a finding outside the text was accepted")
	}
}

// A token already in the bytes is never issued (as with Mask).
func TestMaskBytesTokensNeverCollide(t *testing.T) {
	v := NewVault(testKey, 10)
	first := formatToken(testKey, "SECRET", 1, false)
	text := first + " = hunter22hunter"
	m, err := v.MaskBytes([]byte(text), []Finding{{RuleID: "generic-secret", Category: Secret, Start: len(first) + 3, End: len(text)}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Spans[0].Token == first {
		t.Fatal("issued a token already present in the text")
	}
}
