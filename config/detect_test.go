package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

func TestDetectorOptions(t *testing.T) {
	c := Defaults()
	c.Detect.PII = false
	c.Detect.PrivateIPs = true
	c.Detect.Disable = []string{"pii-phone"}
	c.Identifiers.Terms = []string{"zephyrine"}
	c.Allow.Paths = []string{"testdata/**"}
	o := c.DetectorOptions()
	if !o.NoPII || o.NoSecrets || o.NoIdentifiers || !o.PrivateIPs || o.Disable[0] != "pii-phone" ||
		o.Terms[0] != "zephyrine" || o.AllowPaths[0] != "testdata/**" {
		t.Fatalf("DetectorOptions = %+v", o)
	}
	if _, err := redact.NewDetector(Defaults().DetectorOptions()); err != nil {
		t.Fatalf("the defaults do not build a detector: %v", err)
	}
}

// TestCheckRunsRuleSamples: veil config check runs a user rule's tp and fp
// samples and names the failing ones by index and preview only.
func TestCheckRunsRuleSamples(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	yaml := `rules:
  - id: acme-token
    category: secret
    keywords: [acme_tok_]
    regex: 'acme_tok_[A-Za-z0-9]{32}'
    tp: ['acme_tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 'acme_tok_tooShort']
    fp: ['acme_tok_short', 'acme_tok_abcdefghijklmnopqrstuvwxyz012345']
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range Check(path) {
		if !p.Warning {
			msgs = append(msgs, p.Key+": "+p.Msg)
		}
	}
	got := strings.Join(msgs, "\n")
	if len(msgs) != 2 || !strings.Contains(got, `rules[0]: tp[1]`) || !strings.Contains(got, `rules[0]: fp[1]`) {
		t.Fatalf("problems:\n%s", got)
	}
	if strings.Contains(got, "tooShort") || strings.Contains(got, "abcdefghijklmnop") {
		t.Fatalf("a sample value is in the problems:\n%s", got)
	}
}
