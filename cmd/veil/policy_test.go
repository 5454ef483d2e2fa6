package main

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/policy"
)

// randSecrets is a secret generator with a random seed.
func randSecrets(t *testing.T) *lsptest.Secrets {
	t.Helper()
	k, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	return lsptest.NewSecrets(k.Uint64())
}

func genPrivateKey(t *testing.T) string { return randSecrets(t).OpenSSHPrivateKey() }

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestPolicyExplain(t *testing.T) {
	ws := t.TempDir()
	os.Mkdir(filepath.Join(ws, ".git"), 0o755)
	sec := randSecrets(t)
	pat := sec.GitHubPAT()
	email := "jane.q." + strings.ToLower(sec.Pick(lsptest.Base62, 8)) + "@acme-payments.io"
	term := "Zephyr" + sec.Pick("abcdefghijklmnopqrstuvwxyz", 6)
	key := sec.OpenSSHPrivateKey()
	password := sec.Pick(lsptest.Base62, 24)
	planted := []string{pat, email, key, password, strings.TrimSpace(strings.Split(key, "\n")[1])}

	user := writeFile(t, filepath.Join(t.TempDir(), "veil.yaml"), "identifiers:\n  terms: ["+term+"]\n"+
		"policy:\n  rules:\n    - name: cloud chat\n      kinds: [chat]\n      paths: [\"docs/**\"]\n      route: upstream\n")
	code := writeFile(t, filepath.Join(ws, "internal", "billing", "client.go"),
		"package billing\n\n// "+term+"Client talks to the ledger.\nconst token = \""+pat+"\"\nvar owner = \""+email+"\"\n")
	dotenv := writeFile(t, filepath.Join(ws, "deploy", ".env.production"), "DB_PASSWORD="+password+"\n")
	keyInCode := writeFile(t, filepath.Join(ws, "internal", "fixtures.go"), "package internal\n\nvar k = `"+key+"`\n")
	doc := writeFile(t, filepath.Join(ws, "docs", "guide.md"), "# Guide\n")
	gen := writeFile(t, filepath.Join(ws, "gen", "api.go"), "package gen\n")

	home := t.TempDir()
	var all strings.Builder
	explain := func(args ...string) (int, string) {
		t.Helper()
		var out, errOut strings.Builder
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
			if k == "HOME" {
				return home
			}
			return ""
		}}
		c := run(e, append([]string{"policy", "explain", "--config", user}, args...))
		all.WriteString(out.String() + errOut.String())
		return c, out.String() + errOut.String()
	}

	c, out := explain(code)
	for _, want := range []string{
		"workspace:  " + filepath.ToSlash(ws), "language:   go", "decision:   local", "rule:       no rule matched",
		"reason:     local: findings masked (no rule matched)",
		"4:16     secret", "github-pat-classic", "ghp_…(len 40)",
		"pii-email", "identifier-term", "the model sees",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("local file: output lacks %q:\n%s", want, out)
		}
	}
	if c != exitOK {
		t.Errorf("local file: exit %d", c)
	}

	c, out = explain("--kind", "chat", dotenv)
	if c != exitFindings || !strings.Contains(out, "reason:     blocked: path matches **/.env.* (default policy rule 2)") ||
		!strings.Contains(out, "the model sees: nothing (the request is blocked)") {
		t.Errorf(".env: exit %d\n%s", c, out)
	}

	c, out = explain(keyInCode)
	if c != exitFindings || !strings.Contains(out, fmt.Sprintf("blocked: finding private-key-block matches private-key* (default policy rule %d (private-key material))", len(policy.DefaultRules()))) {
		t.Errorf("private key: exit %d\n%s", c, out)
	}

	c, out = explain("--kind", "chat", doc)
	if c != exitFindings || !strings.Contains(out, "blocked: route upstream needs wrap mode, veil lsp --wrap (kind chat, path matches docs/**, user policy rule 1 (cloud chat)") {
		t.Errorf("upstream without wrap mode: exit %d\n%s", c, out)
	}
	c, out = explain("--wrap", "--kind", "chat", doc)
	if c != exitOK || !strings.Contains(out, "decision:   upstream") || !strings.Contains(out, "upstream: findings masked at veil's boundary, kind chat, path matches docs/**") ||
		!strings.Contains(out, "the wrapped server's upstream sees") {
		t.Errorf("upstream in wrap mode: exit %d\n%s", c, out)
	}
	c, out = explain("--wrap", code)
	if c != exitOK || !strings.Contains(out, "reason:     upstream: findings masked at veil's boundary (no rule matched)") {
		t.Errorf("wrap mode default: exit %d\n%s", c, out)
	}
	if c, out = explain("--wrap", "--kind", "chat", dotenv); c != exitFindings {
		t.Errorf(".env in wrap mode: exit %d\n%s", c, out)
	}
	if c, out = explain("--kind", "inline", doc); c != exitOK {
		t.Errorf("inline on docs: exit %d\n%s", c, out)
	}

	// The repository's own .veil.yaml tightens.
	if c, _ = explain(gen); c != exitOK {
		t.Errorf("gen before .veil.yaml: exit %d", c)
	}
	writeFile(t, filepath.Join(ws, ".veil.yaml"), "policy:\n  rules:\n    - paths: [\"gen/**\"]\n      route: block\n")
	c, out = explain(gen)
	if c != exitFindings || !strings.Contains(out, "rule:       workspace policy rule 1") || !strings.Contains(out, "path matches gen/**") ||
		!strings.Contains(out, "written in: workspace "+filepath.Join(ws, ".veil.yaml")) {
		t.Errorf("workspace block: exit %d\n%s", c, out)
	}

	for _, args := range [][]string{{"--kind", "hover", code}, {filepath.Join(ws, "missing.go")}, {}, {code, doc}} {
		if c, out := explain(args...); c != exitError {
			t.Errorf("%v: exit %d, want %d\n%s", args, c, exitError, out)
		}
	}

	for _, s := range planted {
		if strings.Contains(all.String(), s) {
			t.Errorf("veil policy explain printed a planted secret %.4s… (len %d)", s, len(s))
		}
	}
}

func TestPolicyUsage(t *testing.T) {
	for _, args := range [][]string{{"policy"}, {"policy", "frob"}} {
		if code, _, errOut := runCLI(t, "", args...); code != exitError || !strings.Contains(errOut, "usage: veil policy") {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
}

func TestWorkspaceRoot(t *testing.T) {
	top := t.TempDir()
	os.Mkdir(filepath.Join(top, ".git"), 0o755)
	inner := filepath.Join(top, "sub", "mod")
	writeFile(t, filepath.Join(inner, ".veil.yaml"), "")
	writeFile(t, filepath.Join(inner, "pkg", "a.go"), "")
	writeFile(t, filepath.Join(top, "sub", "b.go"), "")
	if got := workspaceRoot(filepath.Join(inner, "pkg", "a.go")); got != inner {
		t.Errorf("nested .veil.yaml: root %q, want %q", got, inner)
	}
	if got := workspaceRoot(filepath.Join(top, "sub", "b.go")); got != top {
		t.Errorf("root %q, want %q", got, top)
	}
}

// TestScanLinesMatchTheEditor: after a lone "\r" (old Mac line ends)
// veil scan names the line the editor shows, as policy explain does.
func TestScanLinesMatchTheEditor(t *testing.T) {
	dir := t.TempDir()
	tok := genGitHubToken(9)
	writeFile(t, filepath.Join(dir, "a.txt"), "first\rsecond\r\nt = \""+tok+"\"\n")
	code, out, errOut := runVeil(t, "", "scan", dir)
	if code != exitFindings || !strings.Contains(out, "a.txt:3:6:") {
		t.Fatalf("scan exit %d, want the token at 3:6:\n%s%s", code, out, errOut)
	}
}

// A nested .veil.yaml does not hide the repository's: policy explain reads
// every file config.Discover finds, as veil lsp does.
func TestPolicyExplainReadsTheRepositoryFile(t *testing.T) {
	repo := t.TempDir()
	os.Mkdir(filepath.Join(repo, ".git"), 0o755)
	writeFile(t, filepath.Join(repo, ".veil.yaml"), "policy:\n  rules:\n    - name: no sql\n      paths: [\"**/*.sql\"]\n      route: block\n")
	writeFile(t, filepath.Join(repo, "svc", ".veil.yaml"), "identifiers:\n  terms: [kraken]\n")
	q := writeFile(t, filepath.Join(repo, "svc", "q.sql"), "select 1;\n")
	home := t.TempDir()
	var out strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}}
	want := "written in: workspace " + filepath.Join(repo, ".veil.yaml")
	if c := run(e, []string{"policy", "explain", q}); c != exitFindings || !strings.Contains(out.String(), want) {
		t.Fatalf("exit %d, want the repository's block rule:\n%s", c, out.String())
	}
}
