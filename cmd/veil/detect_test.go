package main

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// TestScanAndRedactShapes runs the shapes of issue 11 through `veil scan`
// and `veil redact`: every planted value is reported by scan (covered by a
// finding) and absent from redact's output.
func TestScanAndRedactShapes(t *testing.T) {
	g := lsptest.NewSecrets(11)
	pw := func() string {
		return g.Pick("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", 9) + g.Pick("23456789", 3)
	}
	key := func() string { return "k" + g.Pick(lsptest.Base62, 30) + "Z7" }
	gh := g.GitHubPAT()
	type plant struct{ name, text string }
	var vals []string
	add := func(v string) string { vals = append(vals, v); return v }
	files := []plant{
		{"secret.yaml", "kind: Secret\ndata:\n  config.json: " +
			base64.StdEncoding.EncodeToString([]byte(`{"token":"`+add(gh)+`"}`)) + "\n"},
		{"values.yaml", "db:\n  password: |\n    " + add(pw()) + "\n"},
		{"app.py", "os.environ[\"DB_PASSWORD\"] = \"" + add(pw()) + "\"\nconfig[\"password\"] = '" + add("!"+pw()) + "'\n"},
		{"Config.java", "ds.setPassword(\"" + add("#"+pw()) + "\");\n"},
		{".env.local", "JWT_KEY=" + add(key()) + "\nTOTP_SEED=" + add(g.Pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32)) + "\n"},
		{"backup.sh", "mysql -u root -p" + add(pw()) + " shop\nsshpass -p " + add(pw()) + " ssh host\n"},
		{"notes.txt", "my password is " + add(pw()) + " and my card is " + add(g.Card("4", 16)) + "\n"},
		{"de.yaml", "datenbank:\n  passwort: \"" + add("$"+strings.ToLower(pw())) + "\"\n"},
		{"a.js", "const t = \"" + strings.ReplaceAll(add(gh), "_", `\x5f`) + "\";\n"},
		{"build.ts", "const apiToken =\n  \"" + add(key()) + "\" +\n  \"" + add(key()) + "\";\n"},
	}
	// The escaped token is planted as written in the file.
	vals[len(vals)-3] = strings.ReplaceAll(gh, "_", `\x5f`)
	dir := t.TempDir()
	for _, f := range files {
		writeFile(t, filepath.Join(dir, f.name), f.text)
	}
	code, out, errOut := runVeil(t, "", "scan", "--format", "json", dir)
	if code != exitFindings {
		t.Fatalf("scan exit %d: %s", code, errOut)
	}
	var rep struct {
		Findings []struct {
			Path      string
			Line      int
			Column    int
			EndLine   int `json:"end_line"`
			EndColumn int `json:"end_column"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("scan json: %v", err)
	}
	for _, v := range vals {
		if strings.Contains(out+errOut, v) {
			t.Fatalf("scan printed a value (%s)", v[:4])
		}
	}
	for _, f := range files {
		text := f.text
		for _, v := range vals {
			at := strings.Index(text, v)
			if at < 0 {
				continue
			}
			line := 1 + strings.Count(text[:at], "\n")
			col := at - strings.LastIndex(text[:at], "\n")
			hit := false
			for _, x := range rep.Findings {
				if filepath.Base(x.Path) == f.name && x.Line <= line && x.EndLine >= line &&
					(x.Line < line || x.Column <= col) && (x.EndLine > line || x.EndColumn >= col+len(v)) {
					hit = true
				}
			}
			if !hit {
				t.Errorf("scan: %s:%d:%d (%s…) not reported", f.name, line, col, v[:4])
			}
		}
		_, red, errOut := runVeil(t, text, "redact", "--path", f.name)
		for _, v := range vals {
			if strings.Contains(text, v) && strings.Contains(red, v) {
				t.Errorf("redact %s: %s… left in clear (%s)", f.name, v[:4], errOut)
			}
		}
	}
}

// TestExplainDenyFamilies: every deny-list family name is blocked by
// `veil policy explain`, in upper case too.
func TestExplainDenyFamilies(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"prod.env", ".envrc", "env.production", ".env-local", ".env_prod", ".env~", ".pgpass",
		".my.cnf", ".bash_history", ".psql_history", "prod.tfvars", "release.keystore", ".ENV.SWP", "PROD.ENV"} {
		p := writeFile(t, filepath.Join(dir, n), "A=1\n")
		code, out, errOut := runVeil(t, "", "policy", "explain", p)
		if code != exitFindings || !strings.Contains(out, "blocked: path matches") {
			t.Errorf("%s: exit %d, want blocked:\n%s%s", n, code, out, errOut)
		}
	}
}
