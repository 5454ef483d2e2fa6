package redact

import (
	"strings"
	"testing"
)

// TestBareCards: Luhn-valid card numbers without separators or quotes are
// found anywhere when the issuer prefix and length fit; ids, timestamps,
// hashes and constants are not.
func TestBareCards(t *testing.T) {
	d := newTestDetector(t, Options{})
	visa, mc, amex, diners := genCard(t, "4", 16), genCard(t, "2221", 16), genCard(t, "37", 15), genCard(t, "36", 14)
	for _, c := range []struct{ path, text, card string }{
		{"notes.txt", "paid with {C} yesterday", visa},
		{"app.log", "2026-01-02T10:00:00Z charge ok card={C} amount=12.00", mc},
		{"", "my card number is {C}, expiry 04/29", amex},
		{"main.go", "// test card {C}", diners},
		{"a.csv", "42,{C},EUR", visa},
	} {
		text := strings.ReplaceAll(c.text, "{C}", c.card)
		if !findValue(d, c.path, text, RuleCard, c.card) {
			t.Errorf("%s: bare card %s not found: %v", c.path, Preview(c.card), d.Scan(c.path, []byte(text)))
		}
	}
	// Luhn-valid numbers that are not cards by issuer prefix or length.
	fps := []string{
		"ts=1717171717171717",          // a millisecond-ish timestamp: prefix 1 is no issuer
		"id 9000000000000004",          // prefix 9
		"x := -4000000000000002",       // a negative constant
		"n = 40000000000000000000006",  // too long
		"sum 4111111111111111abcdef01", // part of a hex string
		"v0.4111111111111111",          // a version or a fraction
	}
	for _, text := range fps {
		for _, f := range d.Scan("a.txt", []byte(text)) {
			if f.RuleID == RuleCard {
				t.Errorf("%q: false card %s", text, Preview(text[f.Start:f.End]))
			}
		}
	}
}
