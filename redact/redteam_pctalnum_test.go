package redact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// pctAll percent-encodes every byte of s (upper-case hex), as encoders that
// escape everything write it.
func pctAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// TestRedteamPercentEncodedAlnum: a secret of letters and digits only,
// written with every byte percent-encoded, is decoded: the detector finds
// it, and a known value so written is found again and seen by the leak
// guard. Format verbs and lone escapes of letters stay as they are.
func TestRedteamPercentEncodedAlnum(t *testing.T) {
	d := newTestDetector(t, Options{})
	key := lsptest.NewSecrets(41).AWSAccessKeyID()
	enc := pctAll(key)
	text := "curl 'https://api.example.test/v1?id=" + enc + "'\n"
	at := strings.Index(text, enc)
	if fs := d.Scan("run.sh", []byte(text)); !covered(fs, at, at+len(enc)) {
		t.Errorf("percent-encoded access key id not found: %v", spans(fs))
	}
	const pw = "Lantern2024mossBrook"
	v := NewVault(testKey, 16)
	mustMask(t, v, pw, []Finding{{RuleID: "generic-password", Category: Secret, Start: 0, End: len(pw)}})
	text = "x = greet(\"" + pctAll(pw) + "\")\n"
	at = strings.Index(text, pctAll(pw))
	if fs := v.Known([]byte(text)); !covered(fs, at, at+len(pctAll(pw))) {
		t.Errorf("percent-encoded known value not found: %v", spans(fs))
	}
	if _, leaked := v.Leak(text); !leaked {
		t.Error("the leak guard does not see the percent-encoded known value")
	}
	for _, text := range []string{
		"fmt.Printf(\"%41d|%2d\", a, b)\n",
		"width: 100%; name: %4A\n",
	} {
		if fs := d.Scan("a.go", []byte(text)); len(fs) != 0 {
			t.Errorf("findings in %q: %v", text, spans(fs))
		}
	}
}
