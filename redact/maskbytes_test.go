package redact

import (
	"fmt"
	"slices"
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

// MaskWindow of a part of a text masks as MaskBytes of that part with the
// findings moved back: overlapping, unsorted and touching findings, the
// same spans, tokens and errors; the caller's findings are left as they
// were, and a value the vault holds already costs no copy.
func TestMaskWindowMatchesMaskBytes(t *testing.T) {
	gh, aws := genGitHubToken(t, "ghp_"), "AKIA"+strings.Repeat("Q", 16)
	text := fmt.Sprintf("// header line\nvar tok = %q // %s\nvar key = %q\n", gh, gh[4:20], aws)
	const base = 15 // the part starts after the header line
	at := func(s string, n int) int { return strings.Index(text, s) + n }
	fs := []Finding{
		{RuleID: "aws-access-key", Category: Secret, Start: at(aws, 0), End: at(aws, len(aws))},
		{RuleID: "github-pat", Category: Secret, Start: at(gh, 0), End: at(gh, len(gh))},
		{RuleID: "generic-secret", Category: Secret, Start: at(gh, 10), End: at(gh, len(gh)+3)}, // overlaps the token
		{RuleID: "generic-secret", Category: Secret, Start: at(gh, len(gh)+3), End: at(gh, len(gh)+6)},
	}
	orig := append([]Finding(nil), fs...)
	moved := make([]Finding, len(fs))
	for i, f := range fs {
		f.Start, f.End = f.Start-base, f.End-base
		moved[i] = f
	}
	want, err := NewVault(testKey, 100).MaskBytes([]byte(text[base:]), moved)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVault(testKey, 100)
	got, err := v.MaskWindow([]byte(text[base:]), base, fs)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != want.Text || fmt.Sprint(got.Spans) != fmt.Sprint(want.Spans) {
		t.Fatalf("MaskWindow differs from MaskBytes: %d bytes %v, want %d bytes %v", len(got.Text), got.Spans, len(want.Text), want.Spans)
	}
	if fmt.Sprint(fs) != fmt.Sprint(orig) {
		t.Fatal("MaskWindow changed the caller's findings")
	}
	if _, err := v.MaskWindow([]byte(text[base:]), base+at(gh, 1), fs); err == nil {
		t.Fatal("a finding before the part was accepted")
	}
	if _, err := v.MaskWindow([]byte(text[base:at(aws, 0)]), base, fs); err == nil {
		t.Fatal("a finding past the part's end was accepted")
	}
	slices.SortFunc(fs, func(a, b Finding) int { return a.Start - b.Start })
	part := []byte(text[base:])
	if n := testing.AllocsPerRun(20, func() { _, _ = v.MaskWindow(part, base, fs) }); n > 2 {
		t.Errorf("masking sorted findings of known values allocates %v times, want the masked text and its spans", n)
	}
}
