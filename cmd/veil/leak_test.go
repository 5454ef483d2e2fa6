package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

// TestLeakTypingThroughBinary: `veil lsp` with a debug log file and an
// audit file, against a real HTTP model server. A human password (symbols,
// no digits) and a passphrase are typed one character at a time, through
// inline completion and the Copilot dialect, then the password shows up in
// another file where the detector does not recognise it. No 10-character
// piece of either reaches the model's request bodies, the log file, stderr
// or the audit file.
func TestLeakTypingThroughBinary(t *testing.T) {
	password := "Maple!Harbor-tide&Fog"
	passphrase := "orange violin marble sunset"
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := lsptest.NewModelServer(t, []string{"rt-model"}, "nil", "")
	auditPath, logPath, cfg := filepath.Join(home, "audit.jsonl"), filepath.Join(home, "veil.log"), filepath.Join(home, "veil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("model:\n  backend: openai\n  endpoint: %s/v1\n  name: rt-model\n"+
		"audit:\n  enabled: true\n  path: %s\nlsp:\n  latency_budget: 10s\n", srv.URL, auditPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	p := startLSP(t, vars, "--config", cfg, "--log-level", "debug", "--log-file", logPath)
	call := func(method string, params any) {
		t.Helper()
		if _, err := p.Call(method, params); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	call("initialize", map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{},
		"initializationOptions": map[string]any{"editorPluginInfo": map[string]any{"name": "copilot.vim"}}})
	p.Notify("initialized", map[string]any{})
	version := 1
	typeInto := func(uri, before, value string, line int, copilot bool) {
		t.Helper()
		p.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": uri, "languageId": "go", "version": 1, "text": "package a\n\n" + before + "\n"}})
		col := len(before)
		for i := range len(value) {
			version++
			pos := map[string]any{"line": line, "character": col + i}
			p.Notify("textDocument/didChange", map[string]any{
				"textDocument":   map[string]any{"uri": uri, "version": version},
				"contentChanges": []any{map[string]any{"range": map[string]any{"start": pos, "end": pos}, "text": value[i : i+1]}}})
			at := map[string]any{"line": line, "character": col + i + 1}
			if copilot {
				call("getCompletions", map[string]any{"doc": map[string]any{"uri": uri, "version": version, "position": at}})
			} else {
				call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": uri},
					"position": at, "context": map[string]any{"triggerKind": 2}})
			}
		}
	}
	typeInto("file://"+ws+"/db.go", `var dbPassword = "`, password, 2, false)
	typeInto("file://"+ws+"/auth.go", `var passphrase = "`, passphrase, 2, true)
	// The password again, finished, where no rule would see it.
	other := "file://" + ws + "/greet.go"
	p.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": other, "languageId": "go", "version": 1, "text": "package a\n\nfunc g() {\n\tgreet(\"" + password + "\")\n\t\n}\n"}})
	call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": other},
		"position": map[string]any{"line": 4, "character": 1}, "context": map[string]any{"triggerKind": 1}})
	call("shutdown", nil)
	p.Notify("exit", nil)
	select {
	case <-p.code:
	case <-time.After(20 * time.Second):
		t.Fatal("veil lsp did not exit")
	}
	if srv.Hits("/v1/completions") < len(password)+len(passphrase) {
		t.Fatalf("the model server got %d completions: the test did not exercise the model", srv.Hits("/v1/completions"))
	}
	logs, _ := os.ReadFile(logPath)
	auditText, _ := os.ReadFile(auditPath)
	where := map[string]string{"model": srv.Received(), "log file": string(logs), "stderr": p.stderr.String(), "audit": string(auditText)}
	for _, v := range []string{password, passphrase} {
		for i := 0; i+10 <= len(v); i++ {
			for name, text := range where {
				if strings.Contains(text, v[i:i+10]) {
					t.Fatalf("%s holds a 10-character piece of %s", name, redact.Preview(v))
				}
			}
		}
	}
}

// A configuration warning at start names its file by base name only: the
// home directory and a codename folder stay out of the log.
func TestLSPLogMasksAbsolutePaths(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "Zephyrine-cfg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, logPath := filepath.Join(dir, "veil.yaml"), filepath.Join(home, "veil.log")
	if err := os.WriteFile(cfg, []byte("model:\n  endpoint: http://192.0.2.10:11434/v1\n  name: m\naudit:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	p := startLSP(t, vars, "--config", cfg, "--log-level", "debug", "--log-file", logPath)
	if _, err := p.Call("initialize", map[string]any{"capabilities": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Call("shutdown", nil); err != nil {
		t.Fatal(err)
	}
	p.Notify("exit", nil)
	select {
	case <-p.code:
	case <-time.After(20 * time.Second):
		t.Fatal("veil lsp did not exit")
	}
	logs, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logs), "veil.yaml") {
		t.Fatalf("the test did not log a config warning:\n%s", logs)
	}
	if strings.Contains(string(logs), "Zephyrine") || strings.Contains(string(logs), home) {
		t.Fatalf("the log holds an absolute path:\n%s", logs)
	}
}
