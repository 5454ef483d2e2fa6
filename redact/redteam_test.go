package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedteamShapes: values in the shapes they take in real code (PEM
// blocks in JSON, YAML and CRLF files, identifier terms in every case,
// keys in URLs, percent-encoded e-mail addresses) are masked whole.
//
// Known gap, not covered: a key split into two string literals joined by
// "+" across lines is found by no rule.
func TestRedteamShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(301, 302))
	aws := "AKIA" + randString(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	b64 := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	body := randString(r, b64, 64) + "\\n" + randString(r, b64, 64)
	d, err := NewDetector(Options{Terms: []string{"Zephyrine"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, text, value string }{
		{"json pem", `{"private_key": "-----BEGIN PRIVATE KEY-----\n` + body + `\n-----END PRIVATE KEY-----\n"}`, body[:20]},
		{"crlf pem", "-----BEGIN RSA PRIVATE KEY-----\r\n" + strings.ReplaceAll(body, "\\n", "\r\n") + "\r\n-----END RSA PRIVATE KEY-----\r\n", body[:20]},
		{"yaml pem", "key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  " + strings.ReplaceAll(body, "\\n", "\n  ") + "\n  -----END OPENSSH PRIVATE KEY-----\n", body[:20]},
		{"term lower", "// zephyrine client\n", "zephyrine"},
		{"term upper", "const ZEPHYRINE_URL = 1\n", "ZEPHYRINE"},
		{"term in path-ish", "import \"corp/zephyrine-api\"\n", "zephyrine"},
		{"aws in url", "https://s3.example.com/?X-Amz-Credential=" + aws + "%2F20240101\n", aws},
		{"email encoded", "mailto:noor.haddad%40orchard-mail.net\n", "noor.haddad"},
		{"email in query", "GET /invite?to=ops.lead%40orchard-mail.net&x=1\n", "ops.lead"},
		{"email encoded upper", "u=NOOR%40ORCHARD-MAIL.NET\n", "NOOR"},
	} {
		text := []byte(tc.text)
		m, err := NewVault([]byte("k"), 0).Mask(tc.text, d.Scan("a.go", text))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Text, tc.value) {
			t.Errorf("%s: %s is not masked", tc.name, Preview(tc.value))
		}
	}
}
