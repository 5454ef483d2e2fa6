package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// genGitHubToken returns a fake ghp_ token with a valid checksum.
func genGitHubToken(seed uint64) string { return lsptest.NewSecrets(seed).GitHubPAT() }

// runVeil runs veil with stdin and a HOME of its own (so no user config
// file is read) and returns exit code, stdout and stderr.
func runVeil(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	home := t.TempDir()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string {
			if k == "HOME" {
				return home
			}
			return ""
		}}
	code := run(e, args)
	return code, out.String(), errOut.String()
}

// scanTree builds a small tree: a Go file with a token, a .env with a
// password, a binary file, a big file, a .git directory and a clean file.
func scanTree(t *testing.T) (dir, token string) {
	dir = t.TempDir()
	token = genGitHubToken(1)
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\n// héllo\nvar tok = \""+token+"\"\n")
	writeFile(t, filepath.Join(dir, "conf", ".env"), "DB_PASSWORD=hunter22x\n")
	writeFile(t, filepath.Join(dir, "clean.txt"), "nothing to see\n")
	writeFile(t, filepath.Join(dir, "blob.bin"), "\x00\x01"+token)
	writeFile(t, filepath.Join(dir, "big.txt"), strings.Repeat("a", 5000)+"\n"+token)
	writeFile(t, filepath.Join(dir, ".git", "config"), "token = "+token+"\n")
	return dir, token
}

func TestScanText(t *testing.T) {
	dir, token := scanTree(t)
	code, out, errOut := runVeil(t, "", "scan", "--max-size", "4096", dir)
	if code != exitFindings {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 findings, got:\n%s", out)
	}
	wantGo := filepath.Join(dir, "main.go") + ":4:12: github-pat-classic secret ghp_…(len 40)"
	if lines[1] != wantGo && lines[0] != wantGo {
		t.Errorf("output:\n%s\nwant a line %q", out, wantGo)
	}
	if !strings.Contains(out, filepath.Join(dir, "conf", ".env")+":1:13: generic-password secret hunt…(len 9)") {
		t.Errorf(".env finding missing:\n%s", out)
	}
	if strings.Contains(out+errOut, token[4:]) || strings.Contains(out+errOut, "hunter22x") {
		t.Fatal("a value was printed")
	}
	if !strings.Contains(errOut, "big.txt") || !strings.Contains(errOut, "1 binary, 1 too large") {
		t.Errorf("stderr lacks the skip notes: %s", errOut)
	}
}

func TestScanJSONAndSARIF(t *testing.T) {
	dir, token := scanTree(t)
	code, out, _ := runVeil(t, "", "scan", "--format", "json", dir)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var js struct {
		Findings []shownFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("json: %v", err)
	}
	if len(js.Findings) != 3 { // main.go, .env, big.txt (no --max-size here)
		t.Errorf("json findings: %+v", js.Findings)
	}
	code, out, _ = runVeil(t, "", "scan", "--format", "sarif", filepath.Join(dir, "main.go"))
	if code != exitFindings {
		t.Fatalf("sarif exit %d", code)
	}
	var s sarifLog
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("sarif: %v", err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 || len(s.Runs[0].Results) != 1 {
		t.Fatalf("sarif: %+v", s)
	}
	res := s.Runs[0].Results[0]
	reg := res.Locations[0].PhysicalLocation.Region
	if res.RuleID != "github-pat-classic" || reg.StartLine != 4 || reg.StartColumn != 12 || reg.EndColumn != 52 ||
		s.Runs[0].Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
		t.Errorf("sarif result: %+v", res)
	}
	if strings.Contains(out, token[4:]) {
		t.Fatal("sarif holds the value")
	}
}

func TestScanExitCodesAndConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.go"), "package a\n\ntype ZephyrineClient struct{}\n")
	if code, out, _ := runVeil(t, "", "scan", dir); code != exitOK || out != "" {
		t.Fatalf("clean tree: exit %d, out %q", code, out)
	}
	cfg := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, cfg, "identifiers:\n  terms: [zephyrine]\n")
	code, out, errOut := runVeil(t, "", "scan", "--config", cfg, dir)
	if code != exitFindings || !strings.Contains(out, "a.go:3:6: identifier-term identifier") {
		t.Fatalf("term: exit %d out %q err %q", code, out, errOut)
	}
	if code, _, _ := runVeil(t, "", "scan", filepath.Join(dir, "missing")); code != exitError {
		t.Errorf("missing path: exit %d", code)
	}
	if code, _, _ := runVeil(t, "", "scan", "--format", "xml", dir); code != exitError {
		t.Errorf("bad format: exit %d", code)
	}
	if code, _, _ := runVeil(t, "", "scan"); code != exitError {
		t.Errorf("no path: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, bad, "rules:\n  - id: x-bad\n    category: secret\n    keywords: [x]\n    regex: '('\n")
	if code, _, errOut := runVeil(t, "", "scan", "--config", bad, dir); code != exitError || !strings.Contains(errOut, "rules[0]") {
		t.Errorf("bad rule: exit %d, stderr %q", code, errOut)
	}
}

func TestRedact(t *testing.T) {
	token := genGitHubToken(2)
	in := "package a\n\nvar tok = \"" + token + "\" // ask zephyrine-ops@mailbox.org\n"
	code, out, errOut := runVeil(t, in, "redact", "--path", "a.go")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, token[4:]) || strings.Contains(out, "mailbox.org") {
		t.Fatalf("redacted output holds a value:\n%s", out)
	}
	if !strings.Contains(out, "VEIL_GITHUB_PAT_CLASSIC_") || !strings.Contains(out, "VEIL_EMAIL_") {
		t.Errorf("tokens missing:\n%s", out)
	}
	cfg := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, cfg, "identifiers:\n  terms: [Zephyrine]\n")
	_, out, _ = runVeil(t, "type ZephyrineClient struct{}\n", "redact", "--config", cfg)
	if strings.Contains(strings.ToLower(out), "zephyrine") || !strings.Contains(out, "Client struct{}") {
		t.Errorf("term not masked in place: %q", out)
	}
	if code, out, _ := runVeil(t, "nothing here\n", "redact"); code != exitOK || out != "nothing here\n" {
		t.Errorf("clean input changed: %d %q", code, out)
	}
}
