package main

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

// TestRedteamWrapStderrKnownValues: a line the wrapped server writes to
// stderr (its debug output can quote a prompt) holding a value the session
// has masked before is logged masked, even where the detector alone would
// not recognise it; a line holding nothing is logged as it is.
func TestRedteamWrapStderrKnownValues(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	det, err := redact.NewDetector(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := &wrapDeps{vault: redact.NewVault([]byte("0123456789abcdef0123456789abcdef"), 0)}
	d.cur.Store(&boundary{det: det})
	if _, err := d.vault.Mask(pw, []redact.Finding{{RuleID: "generic-password", Category: redact.Secret, Start: 0, End: len(pw)}}); err != nil {
		t.Fatal(err)
	}
	line := "[debug] completion prompt: greet(\"" + pw + "\")"
	if got := d.mask(line); strings.Contains(got, "Lantern") {
		t.Errorf("stderr line logged with a known value (%s)", redact.Preview(pw))
	}
	if got := d.mask("[info] ready"); got != "[info] ready" {
		t.Errorf("plain line changed: %q", got)
	}
}
