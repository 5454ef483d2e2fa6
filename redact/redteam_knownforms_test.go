package redact

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestRedteamKnownValueOtherForms: a value the vault masked is found again
// base64-encoded (alone or inside an encoded "user:value", standard or URL
// alphabet) and re-wrapped over line breaks (hard-wrapped prose, a comment
// continued on the next line, wrapped at any byte); the span masked covers
// it, and the leak guard sees it too. Ordinary text finds nothing.
func TestRedteamKnownValueOtherForms(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	v := NewVault(testKey, 16)
	mustMask(t, v, pw, []Finding{{RuleID: "generic-password", Category: Secret, Start: 0, End: len(pw)}})
	type tc struct{ name, text, covers, from, to string }
	cases := []tc{
		{"b64", "auth = \"" + base64.StdEncoding.EncodeToString([]byte(pw)) + "\"\n", base64.StdEncoding.EncodeToString([]byte(pw)), "", ""},
		{"b64-basic", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("deploy:"+pw)) + "\n", base64.StdEncoding.EncodeToString([]byte("deploy:" + pw)), "", ""},
		{"b64url", "t=" + base64.RawURLEncoding.EncodeToString([]byte("ab"+pw+"?x")) + "\n", base64.RawURLEncoding.EncodeToString([]byte("ab" + pw + "?x")), "", ""},
	}
	for cut := 1; cut < len(pw); cut++ {
		a, b := pw[:cut], pw[cut:]
		cases = append(cases,
			tc{fmt.Sprintf("wrap-comment-%d", cut), "x = 1\n# the old one was " + a + "\n#   " + b + " until May\n", "", "was ", " until"},
			tc{fmt.Sprintf("wrap-prose-%d", cut), "It was " + a + "\r\n" + b + ", they said.\n", "", "was ", ", they"})
	}
	cases = append(cases, tc{"wrap-3-lines", "\t// " + pw[:5] + "\n\t// " + pw[5:12] + "\n\t// " + pw[12:] + " \n", "", "// ", " \n"})
	for _, c := range cases {
		fs := v.Known([]byte(c.text))
		s, e := strings.Index(c.text, c.covers), strings.Index(c.text, c.covers)+len(c.covers)
		if c.covers == "" {
			s, e = strings.Index(c.text, c.from)+len(c.from), strings.LastIndex(c.text, c.to)
		}
		if !covered(fs, s, e) {
			t.Errorf("%s: known findings %v do not cover [%d,%d)", c.name, spans(fs), s, e)
			continue
		}
		if _, leaked := v.Leak(c.text); !leaked {
			t.Errorf("%s: the leak guard does not see the value", c.name)
		}
	}
	for _, text := range []string{
		"// Quill is a name\n// and Lantern another\n",
		"data = \"" + base64.StdEncoding.EncodeToString([]byte("nothing to see in this blob")) + "\"\n",
		"# Quill#Lant\n\n# ern-moss&Brook\n", // a blank line between: not one wrapped value
	} {
		if fs := v.Known([]byte(text)); len(fs) != 0 {
			t.Errorf("known findings in %q: %v", text, spans(fs))
		}
	}
}
