package redact

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// draftCase is a text with overlapping, touching and lone findings, and a
// part of it that starts at base.
func draftCase(t *testing.T) (text string, base int, fs []Finding) {
	gh, aws := genGitHubToken(t, "ghp_"), "AKIA"+strings.Repeat("Q", 16)
	text = fmt.Sprintf("// header line\nvar tok = %q // %s\nvar key = %q\n", gh, gh[4:20], aws)
	at := func(s string, n int) int { return strings.Index(text, s) + n }
	fs = []Finding{
		{RuleID: "github-pat", Category: Secret, Start: at(gh, 0), End: at(gh, len(gh))},
		{RuleID: "generic-secret", Category: Secret, Start: at(gh, 10), End: at(gh, len(gh)+3)}, // overlaps the token
		{RuleID: "generic-secret", Category: Secret, Start: at(gh, len(gh)+3), End: at(gh, len(gh)+6)},
		{RuleID: "aws-access-key", Category: Secret, Start: at(aws, 0), End: at(aws, len(aws))},
	}
	return text, 15, fs
}

// MaskDraft masks exactly as MaskWindow does (text, spans, tokens), and
// its values are each finding's own, merged or not.
func TestMaskDraftMatchesMaskWindow(t *testing.T) {
	text, base, fs := draftCase(t)
	want, err := NewVault(testKey, 100).MaskWindow([]byte(text[base:]), base, fs)
	if err != nil {
		t.Fatal(err)
	}
	var sc Scratch
	d, err := NewVault(testKey, 100).MaskDraft(&sc, []byte(text[base:]), base, fs)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Text(0, d.Len()); got.String() != want.Text || string(d.Bytes()) != want.Text {
		t.Fatalf("MaskDraft text differs from MaskWindow's: %d bytes, want %d", d.Len(), len(want.Text))
	}
	for orig := 0; orig <= len(text)-base; orig++ {
		if d.ToMasked(orig) != want.ToMasked(orig) {
			t.Fatalf("ToMasked(%d) = %d, want %d", orig, d.ToMasked(orig), want.ToMasked(orig))
		}
	}
	var vals []string
	for _, f := range fs {
		vals = append(vals, text[f.Start:f.End])
	}
	if got := d.Values(); !slices.Equal(got, vals) {
		t.Fatalf("values %d, want each finding's %d", len(got), len(vals))
	}
	if _, err := NewVault(testKey, 100).MaskDraft(&sc, []byte(text[base:40]), base, fs); err == nil {
		t.Fatal("a finding past the part's end was accepted")
	}
}

// A Text copied out of a Draft stays as it was when the Scratch is reused
// for another text; a Scratch reused costs no allocation for known values.
func TestMaskDraftReuse(t *testing.T) {
	text, base, fs := draftCase(t)
	v := NewVault(testKey, 100)
	var sc Scratch
	d, err := v.MaskDraft(&sc, []byte(text[base:]), base, fs)
	if err != nil {
		t.Fatal(err)
	}
	first := d.Text(0, d.Len())
	keep := strings.Clone(first.String())
	vals := slices.Clone(d.Values())
	other := strings.Repeat("x", 40) // shorter: written over the same room
	if _, err := v.MaskDraft(&sc, []byte(other), 0, []Finding{{RuleID: "x", Category: Secret, Start: 3, End: 9}}); err != nil {
		t.Fatal(err)
	}
	if first.String() != keep {
		t.Fatal("a Text copied out of a draft changed when its scratch was reused")
	}
	if !strings.Contains(first.String(), "var key = ") || strings.Contains(first.String(), "AKIA") {
		t.Fatal("the copied text is not the masked part")
	}
	if vals[0] != text[fs[0].Start:fs[0].End] {
		t.Fatal("a value taken from a draft changed when its scratch was reused")
	}
	part := []byte(text[base:])
	if n := testing.AllocsPerRun(20, func() { _, _ = v.MaskDraft(&sc, part, base, fs) }); n > 2 {
		t.Errorf("a reused scratch allocates %v times for known values, want the two merged values' copies", n)
	}
}

// FuzzMaskDraft: for any text and findings (overlapping ones merged), a
// draft masked in a reused scratch is what Mask gives, restores to the
// text, and holds each finding's value.
func FuzzMaskDraft(f *testing.F) {
	f.Add("password = \"hunter22!x\" mail a.b@c-d.io", uint8(3), uint8(9), uint8(2))
	f.Add("VEIL_SECRET_1_abc veil_ VEIL_", uint8(0), uint8(5), uint8(0))
	f.Add("", uint8(0), uint8(0), uint8(1))
	d := newTestDetector(f, Options{Terms: []string{"zeph"}})
	var sc Scratch // reused across inputs, as a pool reuses it
	f.Fuzz(func(t *testing.T, s string, a, b, base uint8) {
		fs := fuzzFindings(d, s, a, b)
		want, err := NewVault(testKey, 1000).Mask(s, fs)
		if err != nil {
			t.Fatal(err)
		}
		moved := slices.Clone(fs)
		for i := range moved {
			moved[i].Start += int(base)
			moved[i].End += int(base)
		}
		v := NewVault(testKey, 1000)
		dr, err := v.MaskDraft(&sc, []byte(s), int(base), moved)
		if err != nil {
			t.Fatal(err)
		}
		got := dr.Text(0, dr.Len()).String()
		if got != want.Text {
			t.Fatalf("draft differs from Mask: %d bytes, want %d", len(got), len(want.Text))
		}
		if back, _ := v.Restore(got); back != s {
			t.Fatal("Restore(draft) != x")
		}
		sorted := slices.Clone(fs)
		slices.SortStableFunc(sorted, byStart)
		vals := dr.Values()
		if len(vals) != len(sorted) {
			t.Fatalf("%d values for %d findings", len(vals), len(sorted))
		}
		for i, f := range sorted {
			if vals[i] != s[f.Start:f.End] {
				t.Fatalf("value %d is not its finding's", i)
			}
		}
		for o := 0; o <= len(s); o++ {
			if dr.ToMasked(o) != want.ToMasked(o) {
				t.Fatalf("ToMasked(%d) = %d, want %d", o, dr.ToMasked(o), want.ToMasked(o))
			}
		}
	})
}

// Reset leaves a Scratch referring to no value: a scratch kept for reuse
// (in lspproxy's pooled prompt room) keeps no secret alive, neither the
// vault's copies nor the merged values' own.
func TestScratchResetDropsValues(t *testing.T) {
	text, base, fs := draftCase(t)
	var sc Scratch
	d, err := NewVault(testKey, 100).MaskDraft(&sc, []byte(text[base:]), base, fs)
	if err != nil || len(d.Values()) != len(fs) {
		t.Fatalf("setup: %v, %d values", err, len(d.Values()))
	}
	sc.Reset()
	if len(sc.text) != 0 || len(sc.spans) != 0 {
		t.Fatal("a reset scratch still holds a draft")
	}
	for i, v := range sc.values[:cap(sc.values)] {
		if v != "" {
			t.Fatalf("a reset scratch still refers to value %d (%s)", i, Preview(v))
		}
	}
}
