package redact

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// TestRedteamSplitTokenJoined: a provider token split over string
// concatenation (same line, next line, Lua's ..) under a name that says
// nothing is found in the joined literals and masked from its first
// piece to its last; the masked code still has balanced quotes and
// restores byte for byte. Ordinary concatenations find nothing.
func TestRedteamSplitTokenJoined(t *testing.T) {
	d := newTestDetector(t, Options{})
	tok := lsptest.NewSecrets(181).GitHubPAT()
	a, b := tok[:20], tok[20:]
	for _, tc := range []struct{ path, text string }{
		{"a.go", "package a\n\nvar c = \"" + a + "\" + \"" + b + "\"\n"},
		{"a.go", "package a\n\nvar c = \"" + a + "\" +\n\t\"" + b + "\"\n"},
		{"a.js", "const c = '" + a[:10] + "' + '" + a[10:] + "' +\n  '" + b + "';\n"},
		{"a.py", "c = (\"" + a + "\" +\n     \"" + b + "\")\n"},
		{"a.lua", "local c = \"" + a + "\" .. \"" + b + "\"\n"},
	} {
		fs := d.Scan(tc.path, []byte(tc.text))
		s, e := strings.Index(tc.text, tok[:10]), strings.Index(tc.text, b)+len(b)
		if !covered(fs, s, e) {
			t.Errorf("%s: split token not masked whole: %v", tc.path, spans(fs))
			continue
		}
		v := NewVault(testKey, 0)
		m := mustMask(t, v, tc.text, fs)
		if strings.Contains(m.Text, tok[:10]) || strings.Contains(m.Text, b[len(b)-10:]) || strings.Count(m.Text, "\"")%2 != 0 {
			t.Errorf("%s: masked text keeps a piece or unbalances quotes", tc.path)
		}
		if got, _ := v.Restore(m.Text); got != tc.text {
			t.Errorf("%s: restore differs", tc.path)
		}
	}
	for _, text := range []string{
		"package a\n\nvar s = \"SELECT * FROM t WHERE id = \" + id + \" AND name = \" + name\n",
		"package a\n\nvar s = \"hello \" + \"world\" + \"!\"\n",
	} {
		if fs := d.Scan("a.go", []byte(text)); len(fs) != 0 {
			t.Errorf("%q: findings %v", text, spans(fs))
		}
	}
}
