package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

// Red-team tests of the built command: `veil lsp --log-level debug` with an
// audit file, against an OpenAI-compatible test server that records every
// request; then `veil scan`, `veil redact` and `veil policy explain` on the
// same planted values. No planted value, nor its 8-character prefix,
// base64 or hex form, may reach the model server, stderr, stdout of the
// CLI reports, or the audit file.

func rtCheck(t *testing.T, where map[string]string, values ...string) {
	t.Helper()
	for _, v := range values {
		for _, f := range lsptest.Forms(v) {
			for name, text := range where {
				if strings.Contains(text, f) {
					t.Errorf("%s holds a form of %s (%s)", name, redact.Preview(v), redact.Preview(f))
				}
			}
		}
	}
}

// lspProcess is `veil lsp` run in-process with piped stdin and stdout and
// an lsptest client on the other end; code receives run's exit code.
type lspProcess struct {
	*lsptest.Client
	in     *io.PipeWriter
	stderr *syncWriter
	code   chan int
}

func startLSP(t *testing.T, vars map[string]string, args ...string) *lspProcess {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &lspProcess{in: inW, stderr: &syncWriter{w: &bytes.Buffer{}}, code: make(chan int, 1)}
	e := &env{stdin: inR, stdout: outW, stderr: p.stderr, getenv: func(k string) string { return vars[k] }}
	go func() {
		code := run(e, append([]string{"lsp"}, args...))
		outW.Close()
		p.code <- code
	}()
	p.Client = lsptest.NewClient(t, outR, inW)
	return p
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.w)
}

func TestRedteamLSPBinarySinks(t *testing.T) {
	sec := lsptest.NewSecrets(201)
	key, tok, envKey := sec.AWSAccessKeyID(), sec.GitHubPAT(), sec.AWSAccessKeyID()
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := lsptest.NewModelServer(t, []string{"rt-model"}, "nil", "")
	auditPath := filepath.Join(home, "audit.jsonl")
	logPath := filepath.Join(home, "veil.log")
	cfg := filepath.Join(home, "veil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("model:\n  backend: openai\n  endpoint: %s/v1\n  name: rt-model\n"+
		"identifiers:\n  terms: [Zephyrine]\naudit:\n  enabled: true\n  path: %s\nlsp:\n  latency_budget: 10s\n", srv.URL, auditPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	p := startLSP(t, vars, "--config", cfg, "--log-level", "debug", "--log-file", logPath)
	call := func(method string, params any) {
		t.Helper()
		if _, err := p.Call(method, params); err != nil && !strings.Contains(err.Error(), "jsonrpc2 error") {
			t.Fatalf("%s: %v", method, err)
		}
	}
	call("initialize", map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{}})
	p.Notify("initialized", map[string]any{})
	open := func(uri, lang, text string) {
		p.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": uri, "languageId": lang, "version": 1, "text": text}})
	}
	ask := func(uri string, line int) {
		call("textDocument/inlineCompletion", map[string]any{
			"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": line, "character": 0},
			"context": map[string]any{"triggerKind": 1}})
	}
	main := "file://" + ws + "/Zephyrine/" + tok + ".go"
	open(main, "go", "package z\n\nvar k = \""+key+"\" // noor.haddad@orchard-mail.net\n\n")
	ask(main, 3)
	env := "file://" + ws + "/.env"
	open(env, "dotenv", "AWS_ACCESS_KEY_ID="+envKey+"\n")
	ask(env, 0)
	// Bad input: invalid JSON holding a secret, a bad frame, a bad param.
	p.WriteRaw([]byte(`{"id":9,"method":"x","params":"` + key + `"`))
	call("textDocument/inlineCompletion", map[string]any{
		"textDocument": map[string]any{"uri": main}, "position": map[string]any{"line": tok, "character": 0}})
	call(tok, map[string]any{})
	call("shutdown", nil)
	p.Notify("exit", nil)
	select {
	case code := <-p.code:
		if code != exitOK {
			t.Errorf("veil lsp exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("veil lsp did not exit")
	}
	logs, _ := os.ReadFile(logPath)
	auditText, _ := os.ReadFile(auditPath)
	if !strings.Contains(string(auditText), `"outcome"`) {
		t.Fatalf("no audit record written")
	}
	if srv.Hits("/v1/completions") == 0 {
		t.Fatalf("the model server got no completion")
	}
	rtCheck(t, map[string]string{"model": srv.Received(), "log file": string(logs), "stderr": p.stderr.String(), "audit": string(auditText)},
		key, tok, envKey, "noor.haddad@orchard-mail.net", "Zephyrine")
}

// TestRedteamCLIReports: scan, redact and policy explain print previews,
// tokens and counts, never a value (redact's stdout is the masked text).
func TestRedteamCLIReports(t *testing.T) {
	sec := lsptest.NewSecrets(203)
	key, tok := sec.AWSAccessKeyID(), sec.GitHubPAT()
	dir := t.TempDir()
	file := filepath.Join(dir, "a.go")
	if err := os.WriteFile(file, []byte("package a\n\nvar k = \""+key+"\"\nvar t = \""+tok+"\" // ops.lead@orchard-mail.net\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("T="+tok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"scan", dir},
		{"scan", "--format", "json", dir},
		{"scan", "--format", "sarif", dir},
		{"redact", "--path", file},
		{"policy", "explain", file},
		{"policy", "explain", env},
		{"scan", filepath.Join(dir, tok)},
		{"redact", "--config", filepath.Join(dir, tok+".yaml")},
	} {
		stdin := ""
		if args[0] == "redact" {
			data, _ := os.ReadFile(file)
			stdin = string(data)
		}
		code, out, errOut := rtCLI(t, dir, stdin, args...)
		t.Logf("%v: exit %d", args[0], code)
		rtCheck(t, map[string]string{strings.Join(args[:1], " ") + " stdout": out, strings.Join(args[:1], " ") + " stderr": errOut},
			key, "ops.lead@orchard-mail.net")
		if !strings.Contains(args[len(args)-1], tok) { // a path the user named may be echoed
			rtCheck(t, map[string]string{strings.Join(args[:1], " ") + " stdout": out, strings.Join(args[:1], " ") + " stderr": errOut}, tok)
		}
	}
	// redact reads stdin too.
	code, out, errOut := rtCLI(t, dir, "token "+tok+" for "+key+"\n", "redact")
	if code != 0 {
		t.Errorf("redact from stdin: exit %d", code)
	}
	rtCheck(t, map[string]string{"redact stdout": out, "redact stderr": errOut}, tok, key)
}

// rtCLI runs veil with HOME and the XDG directories under home.
func rtCLI(t *testing.T, home, stdin string, args ...string) (int, string, string) {
	t.Helper()
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	return run(e, args), out.String(), errOut.String()
}
