package redact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// TestRedteamPercentEncodedEveryByte: a token with every byte
// percent-encoded (%67%68%70%5F…, as "encode everything" helpers write
// it) is found and masked whole; a URL with a few escapes and format verbs
// is not read as one.
func TestRedteamPercentEncodedEveryByte(t *testing.T) {
	d := newTestDetector(t, Options{})
	tok := lsptest.NewSecrets(171).GitHubPAT()
	var enc strings.Builder
	for i := 0; i < len(tok); i++ {
		fmt.Fprintf(&enc, "%%%02X", tok[i])
	}
	text := "package a\n\nvar u = \"https://x.example/cb?t=" + enc.String() + "\"\n"
	at := strings.Index(text, enc.String())
	fs := d.Scan("a.go", []byte(text))
	if !covered(fs, at, at+enc.Len()) {
		t.Errorf("fully percent-encoded token not masked whole: %v", spans(fs))
	}
	for _, plain := range []string{
		"fmt.Printf(\"%41s|%2d%%\\n\", name, n) // 100%25 done\n",
		"u := \"https://x.example/a%20b?q=%41%42%43\"\n",
	} {
		if fs := d.Scan("a.go", []byte(plain)); len(fs) != 0 {
			t.Errorf("%q: findings %v", plain, spans(fs))
		}
	}
}
