package redact

import (
	"strings"
	"testing"
)

// veil:allow is narrow: its own line only, in a trailing comment of a
// language veil knows, never in a string, never on a long line, never in
// chat (path "").
func TestAllowIsNarrow(t *testing.T) {
	gh := genGitHubToken(t, "ghp_")
	d := newTestDetector(t, Options{})
	cases := []struct {
		name, path, text string
		allowed          bool
	}{
		{"go trailing comment", "a.go", `b := "` + gh + `" // veil:allow`, true},
		{"python trailing comment", "a.py", `b = "` + gh + `"  # veil:allow`, true},
		{"yaml trailing comment", "c.yaml", `token: ` + gh + ` # veil:allow`, true},
		{"sql trailing comment", "q.sql", `SELECT '` + gh + `' -- veil:allow`, true},
		{"inside the string", "a.go", `b := "` + gh + ` // veil:allow"`, false},
		{"inside an unclosed string", "a.go", `b := "` + gh + ` // veil:allow`, false},
		{"inside a python string", "a.py", `b = '` + gh + ` # veil:allow'`, false},
		{"not a comment in python", "a.py", `b = "` + gh + `" // veil:allow`, false},
		{"yaml hash without blank", "c.yaml", `token: ` + gh + `#veil:allow`, false},
		{"unknown language", "notes.txt", gh + ` // veil:allow`, false},
		{"chat message", "", `b := "` + gh + `" // veil:allow`, false},
		{"long line", "a.go", `b := "` + gh + `" + "` + strings.Repeat("x", maxAllowLine) + `" // veil:allow`, false},
		{"inside a go raw string over lines", "a.go", "b := `\n" + gh + " // veil:allow\n`", false},
		{"inside a python docstring over lines", "a.py", "s = \"\"\"\n" + gh + " # veil:allow\n\"\"\"", false},
	}
	for _, c := range cases {
		fs := d.Scan(c.path, []byte(c.text))
		found := false
		for _, f := range fs {
			if strings.Contains(c.text[f.Start:f.End], gh[:20]) {
				found = true
			}
		}
		if found == c.allowed {
			t.Errorf("%s: finding present %v, want allowed %v", c.name, found, c.allowed)
		}
	}
}

// A finding that starts on the allowed line but runs on past it (a private
// key block) is not allowed.
func TestAllowOnlyItsOwnLine(t *testing.T) {
	d := newTestDetector(t, Options{})
	text := "k := \"-----BEGIN RSA PRIVATE KEY-----\\n\" + // veil:allow\n" +
		"\t\"MIIEowIBAAKCAQEAx3Lk9vQ2mB8pZr4tYw1sNcFh7JdUe0aGoXiPlVbWqTnS\\n\" +\n" +
		"\t\"-----END RSA PRIVATE KEY-----\\n\"\n"
	fs := d.Scan("k.go", []byte(text))
	body := strings.Index(text, "MIIE")
	if !covered(fs, body, body+20) {
		t.Fatalf("key body unmasked past the allowed line: %v", spans(fs))
	}
}

// The comment AllowComment offers is one that allowedLines honours.
func TestAllowCommentIsHonoured(t *testing.T) {
	gh := genGitHubToken(t, "ghp_")
	d := newTestDetector(t, Options{})
	for _, c := range []struct{ path, line, want string }{
		{"a.go", `k := "` + gh + `"`, "// veil:allow"},
		{"a.py", `k = '` + gh + `'`, "# veil:allow"},
		{"q.sql", `SELECT '` + gh + `'`, "-- veil:allow"},
		{"c.ini", `token=` + gh, "# veil:allow"},
		{"notes.md", gh, ""},
		{"data.json", `{"k": "` + gh + `"}`, ""},
		{"a.go", `k := "` + gh, ""}, // ends inside a string
		{"a.go", `k := "` + gh + `" + "` + strings.Repeat("x", maxAllowLine) + `"`, ""},
		{"", gh, ""},
	} {
		got := AllowComment(c.path, []byte(c.line))
		if got != c.want {
			t.Errorf("%s %s: AllowComment = %q, want %q", c.path, Preview(c.line), got, c.want)
			continue
		}
		if got != "" {
			text := c.line + " " + got + "\n"
			for _, f := range d.Scan(c.path, []byte(text)) {
				if strings.Contains(text[f.Start:f.End], gh[:20]) {
					t.Errorf("%s: the offered comment does not allow the line", c.path)
				}
			}
		}
	}
}
