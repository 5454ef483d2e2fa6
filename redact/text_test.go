package redact

import "testing"

// TestTextOnlyFromTheVault: Mask's output carries its Text, a Masked made
// by hand carries none (fails closed), and slices stay Text.
func TestTextOnlyFromTheVault(t *testing.T) {
	v := NewVault(make([]byte, 32), 16)
	src := "key = AKIAQWERTYUIOPASDFGH here"
	m, err := v.Mask(src, []Finding{{RuleID: "aws-access-key", Category: Secret, Start: 6, End: 26}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Redacted().String() != m.Text || m.Redacted().Len() != len(m.Text) {
		t.Fatalf("Redacted = %q, Text = %q", m.Redacted(), m.Text)
	}
	if got := m.Redacted().Slice(0, 6).String(); got != "key = " {
		t.Fatalf("Slice = %q", got)
	}
	forged := Masked{Text: src}
	if forged.Redacted().String() != "" {
		t.Fatal("a hand-made Masked yields text")
	}
}
