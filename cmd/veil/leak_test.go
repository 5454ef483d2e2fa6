package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLeakTypingThroughBinary: `veil lsp` with a debug log file and an
// audit file, against a real HTTP model server. A human password (symbols,
// no digits) and a passphrase are typed one character at a time, through
// inline completion and the Copilot dialect, then the password shows up in
// another file where the detector does not recognise it. No 10-character
// piece of either (nor its base64 or hex form) reaches the model's request
// bodies, the log file, stderr, the audit file or the editor's notifications.
func TestLeakTypingThroughBinary(t *testing.T) {
	password := "Maple!Harbor-tide&Fog"
	passphrase := "orange violin marble sunset"
	s := rtStart(t, "", map[string]any{"editorPluginInfo": map[string]any{"name": "copilot.vim"}})
	typeInto := func(name, before, value, kind string) {
		t.Helper()
		uri := s.uri(name)
		s.open(uri, "go", "package a\n\n"+before+"\n")
		s.typeAll(uri, 2, len(before), value, 1, kind)
	}
	typeInto("db.go", `var dbPassword = "`, password, "inline")
	typeInto("auth.go", `var passphrase = "`, passphrase, "getCompletions")
	// The password again, finished, where no rule would see it.
	other := s.uri("greet.go")
	s.open(other, "go", "package a\n\nfunc g() {\n\tgreet(\""+password+"\")\n\t\n}\n")
	if _, err := s.call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": other},
		"position": pos(4, 1), "context": map[string]any{"triggerKind": 1}}); err != nil {
		t.Fatal(err)
	}
	sinks := s.finish()
	if hits := s.srv.Hits("/v1/completions"); hits < len(password)+len(passphrase) {
		t.Fatalf("the model server got %d completions: the test did not exercise the model", hits)
	}
	rtPieces(t, sinks, nil, password, passphrase)
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
