package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// TestRedteamUnknownKeyHidesValues: a token or a codename written where a
// key belongs (pasted at the wrong indentation) is an unknown key; the
// problem names it by a preview, in the user file and the workspace file
// alike, while an ordinary mistyped key is still named as written.
func TestRedteamUnknownKeyHidesValues(t *testing.T) {
	tok := lsptest.NewSecrets(141).GitHubPAT()
	code := "Zephyrine_Vault_Codename"
	for _, tc := range []struct{ yaml, hidden, key string }{
		{tok + ": 1\n", tok, ""},
		{"identifiers:\n  " + tok + ":\n", tok, "identifiers."},
		{"identifiers:\n  " + code + ": x\n", code, "identifiers."},
		{"policy:\n  rules:\n    - route: block\n      " + strings.ToLower(tok) + ": [x]\n", strings.ToLower(tok), "policy.rules[0]."},
		{"modle:\n  name: x\n", "", "modle"},
		{"lsp:\n  latency-budget: 1s\n", "", "lsp.latency-budget"},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "veil.yaml")
		writeFile(t, path, tc.yaml)
		for _, ps := range [][]Problem{Check(path), Problems(loadErr(t, dir, path))} {
			if len(ps) != 1 {
				t.Fatalf("problems %d, want one", len(ps))
			}
			text := ps[0].Error()
			if !strings.Contains(text, "unknown key") || !strings.Contains(ps[0].Key, tc.key) {
				t.Errorf("problem %q (key %q), want an unknown key under %q", text, ps[0].Key, tc.key)
			}
			for i := 0; tc.hidden != "" && i+10 <= len(tc.hidden); i++ {
				if strings.Contains(text, tc.hidden[i:i+10]) {
					t.Errorf("the problem names a value written as a key (a piece of %d bytes)", len(tc.hidden))
					break
				}
			}
		}
	}
}

func loadErr(t *testing.T, dir, path string) error {
	t.Helper()
	_, err := Load(LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	return err
}
