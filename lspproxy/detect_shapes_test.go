package lspproxy

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestLSPFinishedFileShapes opens finished files holding the shapes of
// issue 11 (encoded values, multi-line values, subscript and setter keys,
// CLI passwords, prose, terms written in other shapes) and asks for a
// completion: the model sees no 10-byte piece of any planted value.
func TestLSPFinishedFileShapes(t *testing.T) {
	s := newSecrets(1111)
	pw := func() string {
		return s.pick("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", 10) + s.pick("23456789", 3)
	}
	gh := s.github()
	blob := base64.StdEncoding.EncodeToString([]byte(`{"token":"` + gh + `"}`))
	p1, p2, p3, p4, p5 := pw(), "!"+pw(), pw(), pw(), pw()
	files := []struct {
		name, lang, text string
		values           []string
	}{
		{"k8s/secret.yaml", "yaml", "kind: Secret\ndata:\n  config.json: " + blob + "\n", []string{blob}},
		{"values.yaml", "yaml", "db:\n  password: |\n    " + p1 + "\n", []string{p1}},
		{"app.py", "python", "import os\nos.environ[\"DB_PASSWORD\"] = \"" + p2 + "\"\n", []string{p2}},
		{"backup.sh", "shellscript", "mysql -u root -p" + p3 + " shop\n", []string{p3}},
		{"NOTES.md", "markdown", "The staging password is " + p4 + " until Friday.\n", []string{p4}},
		{"main.go", "go", "package main\n\n// ProjectZephyrine and Zephy\u00adrine\nvar t = \"" +
			strings.ReplaceAll(gh, "_", `\x5f`) + "\"\nvar dbPassword = \"" + p5[:6] + "\" +\n\t\"" + p5[6:] + "\"\n",
			[]string{strings.ReplaceAll(gh, "_", `\x5f`), "Zephyrine", "Zephy\u00adrine", p5[:6], p5[6:]}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			m := &fakeModel{}
			c := startClient(t, pipelineOptions(m))
			c.initialize(nil)
			uri := "file:///work/ws/" + f.name
			c.open(uri, f.lang, f.text)
			lines := strings.Split(f.text, "\n")
			ty := &typer{c: c, uri: uri, version: 1}
			ty.ask(len(lines)-1, 0)
			if m.calls() == 0 {
				t.Fatalf("the model was not asked")
			}
			noPiece(t, m, nil, f.values...)
			if strings.Contains(strings.ToLower(m.seen()), "zephyrine") {
				t.Fatalf("the term reached the model")
			}
		})
	}
}
