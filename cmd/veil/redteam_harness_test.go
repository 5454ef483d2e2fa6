package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

// rtSession is `veil lsp --log-level debug` with a log file and an audit
// file against a recording model server, for the red-team tests: each
// attack drives it, then sinks gathers every channel a value must not reach.
type rtSession struct {
	t                       *testing.T
	p                       *lspProcess
	srv                     *lsptest.ModelServer
	home, ws                string
	logPath, auditPath, cfg string
	version                 int
	id                      int
}

// rtStart writes a user config (model at a recording server, audit on,
// extra YAML appended) and starts veil lsp on a workspace with .git.
func rtStart(t *testing.T, extraConfig string, initOpts map[string]any) *rtSession {
	t.Helper()
	s := &rtSession{t: t, home: t.TempDir(), version: 1}
	s.ws = filepath.Join(s.home, "ws")
	if err := os.MkdirAll(filepath.Join(s.ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.srv = lsptest.NewModelServer(t, []string{"rt-model"}, "nil", "Sure.")
	s.auditPath, s.logPath, s.cfg = filepath.Join(s.home, "audit.jsonl"), filepath.Join(s.home, "veil.log"), filepath.Join(s.home, "veil.yaml")
	cfg := fmt.Sprintf("model:\n  backend: openai\n  endpoint: %s/v1\n  name: rt-model\n"+
		"audit:\n  enabled: true\n  path: %s\nlsp:\n  latency_budget: 10s\n%s", s.srv.URL, s.auditPath, extraConfig)
	if err := os.WriteFile(s.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(s.home, "state"), "XDG_CONFIG_HOME": filepath.Join(s.home, "config"), "HOME": s.home}
	s.p = startLSP(t, vars, "--config", s.cfg, "--log-level", "debug", "--log-file", s.logPath)
	init := map[string]any{"rootUri": "file://" + s.ws, "capabilities": map[string]any{}}
	if initOpts != nil {
		init["initializationOptions"] = initOpts
	}
	s.call("initialize", init)
	s.p.Notify("initialized", map[string]any{})
	return s
}

// call sends a request; an error answer is returned, not fatal.
func (s *rtSession) call(method string, params any) (json.RawMessage, error) {
	s.t.Helper()
	res, err := s.p.Call(method, params)
	if err != nil && !strings.Contains(err.Error(), "jsonrpc2 error") {
		s.t.Fatalf("%s: %v", method, err)
	}
	return res, err
}

func (s *rtSession) uri(name string) string { return "file://" + filepath.Join(s.ws, name) }

func (s *rtSession) open(uri, lang, text string) {
	s.p.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": lang, "version": 1, "text": text}})
}

// insert types text at line:col as one incremental change.
func (s *rtSession) insert(uri string, line, col int, text string) {
	s.version++
	pos := map[string]any{"line": line, "character": col}
	s.p.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": s.version},
		"contentChanges": []any{map[string]any{"range": map[string]any{"start": pos, "end": pos}, "text": text}}})
}

func pos(line, col int) map[string]any { return map[string]any{"line": line, "character": col} }

func (s *rtSession) inline(uri string, line, col int) (json.RawMessage, error) {
	return s.call("textDocument/inlineCompletion", map[string]any{
		"textDocument": map[string]any{"uri": uri}, "position": pos(line, col), "context": map[string]any{"triggerKind": 2}})
}

func (s *rtSession) completion(uri string, line, col int) (json.RawMessage, error) {
	return s.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": pos(line, col)})
}

func (s *rtSession) copilot(method, uri string, line, col int) (json.RawMessage, error) {
	return s.call(method, map[string]any{
		"doc":          map[string]any{"uri": uri, "version": s.version, "position": pos(line, col)},
		"textDocument": map[string]any{"uri": uri, "version": s.version}, "position": pos(line, col), "panelId": "p1"})
}

// typeAll types value at line:col step characters per change, asking kind
// after each change ("inline", "completion", "getCompletions", "panel").
func (s *rtSession) typeAll(uri string, line, col int, value string, step int, kind string) {
	for i := 0; i < len(value); i += step {
		j := min(i+step, len(value))
		s.insert(uri, line, col+i, value[i:j])
		switch kind {
		case "inline":
			s.inline(uri, line, col+j)
		case "completion":
			s.completion(uri, line, col+j)
		case "getCompletions":
			s.copilot("getCompletions", uri, line, col+j)
		case "panel":
			s.copilot("getPanelCompletions", uri, line, col+j)
		}
	}
}

// finish shuts the session down and returns every sink: the model's input,
// the log file, stderr, the audit file and the notifications the editor got.
func (s *rtSession) finish() map[string]string {
	s.t.Helper()
	s.call("shutdown", nil)
	s.p.Notify("exit", nil)
	select {
	case <-s.p.code:
	case <-time.After(20 * time.Second):
		s.t.Fatal("veil lsp did not exit")
	}
	if os.Getenv("RT_HITS") != "" {
		s.t.Logf("model hits: completions %d chat %d", s.srv.Hits("/v1/completions"), s.srv.Hits("/v1/chat/completions"))
	}
	logs, _ := os.ReadFile(s.logPath)
	auditText, _ := os.ReadFile(s.auditPath)
	var notes strings.Builder
	for _, n := range s.p.Notifications() {
		notes.WriteString(n.Method + " " + string(n.Params) + "\n")
	}
	return map[string]string{"model": s.srv.Received(), "log file": string(logs), "stderr": s.p.stderr.String(),
		"audit": string(auditText), "editor notifications": notes.String()}
}

// rtPieces fails for every sink holding a value or any 10-character piece
// of it (or its base64/hex form). Only masked previews are printed.
func rtPieces(t *testing.T, sinks map[string]string, skip map[string]bool, values ...string) {
	t.Helper()
	for _, v := range values {
		forms := lsptest.Forms(v)
		for i := 0; i+10 <= len(v); i++ {
			forms = append(forms, v[i:i+10])
		}
		for name, text := range sinks {
			if skip[name] {
				continue
			}
			for _, f := range forms {
				if strings.Contains(text, f) {
					t.Errorf("%s holds a piece of %s (%s)", name, redact.Preview(v), redact.Preview(f))
					break
				}
			}
		}
	}
}
