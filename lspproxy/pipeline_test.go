package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/lspconn"
	"github.com/veil-dev/veil/redact"
)

func inlineParams(uri string, line, char int) map[string]any {
	return map[string]any{
		"textDocument": map[string]any{"uri": uri},
		"position":     map[string]any{"line": line, "character": char},
		"context":      map[string]any{"triggerKind": 1},
	}
}

// leakFree fails if the model saw any of the values (printed masked).
func leakFree(t *testing.T, m *fakeModel, values ...string) {
	t.Helper()
	seen := m.seen()
	for _, v := range values {
		if strings.Contains(seen, v) {
			t.Errorf("the model received %s", redact.Preview(v))
		}
	}
}

func TestInlineCompletionRestores(t *testing.T) {
	sec := newSecrets(1)
	key := sec.aws()
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	text := "package main\n\nvar awsKey = \"" + key + "\"\n\nfunc main() {\n\tconnect(awsKey)\n\t"
	c.open("file:///work/ws/main.go", "go", text)
	c.call(1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/main.go", 6, 1))
	r := c.result(1)
	item := get(r, "items", "0").(map[string]any)
	if got := item["insertText"].(string); got != "\tuse("+key+")" {
		t.Errorf("insertText = %s, want the line with the restored key", redact.Preview(got))
	}
	if got := get(item, "range", "start", "character"); !equalJSON(got, 0) {
		t.Errorf("range starts at column %v, want 0 (whole line)", got)
	}
	if got := get(item, "range", "end"); !equalJSON(get(got, "line"), 6) || !equalJSON(get(got, "character"), 1) {
		t.Errorf("range end = %v, want 6:1", got)
	}
	if item["command"] != nil {
		// A generic client registers and runs the command; a
		// github.copilot.* id would collide with GitHub's extension.
		t.Errorf("item command = %v, want none for a client that is not a Copilot plugin", item["command"])
	}
	leakFree(t, m, key)
	if len(m.fims) != 1 || !tokenPattern.MatchString(m.fims[0].Prefix) {
		t.Fatalf("model calls %d; prefix should hold a token", len(m.fims))
	}
	// Diagnostics name the finding.
	d := c.notification("textDocument/publishDiagnostics")
	if msg, _ := get(d, "params", "diagnostics", "0", "message").(string); !strings.Contains(msg, "masked before any model sees it") {
		t.Errorf("diagnostic message %q", msg)
	}
}

func TestCompletionItem(t *testing.T) {
	m := &fakeModel{complete: func(context.Context, localmodel.FIMRequest) (string, error) { return "ntln(x)", nil }}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n\nfunc f() { pri")
	c.call(1, "textDocument/completion", inlineParams("file:///work/ws/a.go", 2, 14))
	item := get(c.result(1), "items", "0")
	if get(item, "textEdit", "newText") != "println(x)" {
		t.Errorf("textEdit = %v, want the word plus the completion", get(item, "textEdit"))
	}
	if !equalJSON(get(item, "textEdit", "range", "start", "character"), 11) {
		t.Errorf("textEdit range %v should start at the word", get(item, "textEdit", "range"))
	}
}

func TestBlockedEnv(t *testing.T) {
	sec := newSecrets(2)
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	env := "AWS_ACCESS_KEY_ID=" + sec.aws() + "\nDB_HOST=localhost\n"
	c.open("file:///work/ws/.env", "dotenv", env)
	st := c.notification("veil/status")
	if get(st, "params", "route") != "block" {
		t.Fatalf("veil/status = %v, want route block", st["params"])
	}
	for id := 1; id <= 2; id++ {
		c.call(id, "textDocument/inlineCompletion", inlineParams("file:///work/ws/.env", 1, 3))
		if items := get(c.result(id), "items").([]any); len(items) != 0 {
			t.Fatalf("blocked request answered %v", items)
		}
		c.notification("window/logMessage")
	}
	show := c.notification("window/showMessage")
	if !equalJSON(get(show, "params", "type"), MessageWarning) || !strings.Contains(get(show, "params", "message").(string), ".env") {
		t.Errorf("showMessage = %v", show["params"])
	}
	c.noMessage("a second showMessage", func(m map[string]any) bool { return m["method"] == "window/showMessage" })
	if m.calls() != 0 {
		t.Fatalf("the model was called %d times for a blocked file", m.calls())
	}
	diag := c.notification("textDocument/publishDiagnostics")
	if msg, _ := get(diag, "params", "diagnostics", "0", "message").(string); !strings.Contains(msg, "blocked") {
		t.Errorf("first diagnostic %q should say AI requests are blocked", msg)
	}
}

func TestCancelRequest(t *testing.T) {
	m := &fakeModel{started: make(chan struct{}, 4), complete: func(ctx context.Context, _ localmodel.FIMRequest) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n")
	c.call(5, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 1, 0))
	<-m.started
	c.notify("$/cancelRequest", map[string]any{"id": 5})
	if code := c.errCode(5); int64(code) != lspconn.CodeRequestCancelled {
		t.Fatalf("cancelled request: code %d, want %d", code, lspconn.CodeRequestCancelled)
	}
}

func TestCoalesceAndBudget(t *testing.T) {
	release := make(chan struct{})
	m := &fakeModel{started: make(chan struct{}, 4), complete: func(ctx context.Context, _ localmodel.FIMRequest) (string, error) {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-release:
			return "x := 1", nil
		}
	}}
	opts := pipelineOptions(m)
	opts.Config.LSP.LatencyBudget = 300 * time.Millisecond
	c := startClient(t, opts)
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 1, 0))
	<-m.started
	c.call(2, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 1, 0))
	// The older request is superseded: an empty answer, not an error.
	if items := get(c.result(1), "items").([]any); len(items) != 0 {
		t.Fatalf("superseded request answered %v", items)
	}
	<-m.started
	// The newer one runs out of budget: empty as well.
	start := time.Now()
	if items := get(c.result(2), "items").([]any); len(items) != 0 {
		t.Fatalf("timed-out request answered %v", items)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("budget not honoured")
	}
	close(release)
}

func TestRestoreProblemBlocks(t *testing.T) {
	// The model invents a token the vault never issued: nothing reaches the
	// file rather than a placeholder.
	m := &fakeModel{complete: func(context.Context, localmodel.FIMRequest) (string, error) {
		return "call(VEIL_AWS_ACCESS_KEY_ID_99_zzz)", nil
	}}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 1, 0))
	if items := get(c.result(1), "items").([]any); len(items) != 0 {
		t.Fatalf("answer with an unrestorable token delivered: %v", items)
	}
}

func TestTypingSecretNeverLeaks(t *testing.T) {
	sec := newSecrets(3)
	tok := sec.github()
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	prefix := "package a\n\nconst token = \""
	c.open("file:///work/ws/a.go", "go", prefix)
	line, col := 2, len(`const token = "`)
	for i := 0; i < len(tok); i++ {
		c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": "file:///work/ws/a.go", "version": i + 2},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": line, "character": col + i},
					"end": map[string]any{"line": line, "character": col + i}},
				"text": tok[i : i+1]}},
		})
		c.call(100+i, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", line, col+i+1))
		c.result(100 + i)
	}
	seen := m.seen()
	// "ghp_" alone is the public format prefix; any longer prefix holds
	// secret characters and must never be sent.
	for n := len("ghp_") + 1; n <= len(tok); n++ {
		if strings.Contains(seen, tok[:n]) {
			t.Fatalf("the model received a %d-char prefix of the typed token (%s)", n, redact.Preview(tok))
		}
	}
	if got := c.srv.docs.get("file:///work/ws/a.go").Text.String(); got != prefix+tok {
		t.Fatalf("mirror diverged after typing")
	}
}

func TestCopilotDialect(t *testing.T) {
	m := &fakeModel{complete: func(context.Context, localmodel.FIMRequest) (string, error) { return "Println()", nil }}
	c := runSteps(t, pipelineOptions(m), []step{
		call(0, "initialize", map[string]any{"capabilities": map[string]any{},
			"initializationOptions": map[string]any{"editorInfo": map[string]any{"name": "Neovim"},
				"editorPluginInfo": map[string]any{"name": "copilot.lua"}}}),
		notify("initialized", map[string]any{}),
		call(1, "checkStatus", map[string]any{"options": map[string]any{"localChecksOnly": true}}),
		wantResult(1, "OK", "status"),
		wantResult(1, "veil", "user"),
		wantNotification("didChangeStatus", func(t *testing.T, p any) {
			if get(p, "kind") != "Normal" {
				t.Errorf("didChangeStatus = %v", p)
			}
		}),
		call(2, "signInInitiate", map[string]any{}),
		wantResult(2, "AlreadySignedIn", "status"),
		call(3, "signInConfirm", map[string]any{}),
		wantResult(3, "OK", "status"),
		call(4, "setEditorInfo", map[string]any{}),
		wantResult(4, "OK"),
		call(5, "notifyAccepted", map[string]any{"uuid": "x"}),
		wantResult(5, "OK"),
		notify("notifyShown", map[string]any{"uuid": "x"}),
		notify("textDocument/didFocus", map[string]any{"textDocument": map[string]any{"uri": "file:///work/ws/a.go"}}),
		call(6, "workspace/executeCommand", map[string]any{"command": "github.copilot.didAcceptCompletionItem", "arguments": []any{"x"}}),
		wantResult(6, true),
		call(7, "conversation/preconditions", map[string]any{}),
		wantCode(7, -32601),
		open("file:///work/ws/a.go", "package a\n\nfunc f() {\n\tfmt.\n}\n"),
		call(8, "getCompletions", map[string]any{"doc": map[string]any{
			"uri": "file:///work/ws/a.go", "version": 1, "position": map[string]any{"line": 3, "character": 5},
			"insertSpaces": false, "tabSize": 4, "relativePath": "a.go", "languageId": "go"}}),
	})
	comp := get(c.result(8), "completions", "0").(map[string]any)
	want := map[string]any{"text": "\tfmt.Println()", "displayText": "Println()"}
	for k, v := range want {
		if comp[k] != v {
			t.Errorf("getCompletions %s = %q, want %q", k, comp[k], v)
		}
	}
	if !equalJSON(get(comp, "range", "start", "character"), 0) || !equalJSON(get(comp, "range", "end", "character"), 5) ||
		!equalJSON(get(comp, "position", "line"), 3) || !equalJSON(comp["docVersion"], 1) || comp["uuid"] == "" {
		t.Errorf("getCompletions shape: %v", comp)
	}
	c.call(9, "getCompletionsCycling", map[string]any{"doc": map[string]any{
		"uri": "file:///work/ws/none.go", "version": 1, "position": map[string]any{"line": 0, "character": 0}}})
	if got := get(c.result(9), "completions").([]any); len(got) != 0 {
		t.Errorf("completions for a closed document: %v", got)
	}
}

func TestChatProgressStream(t *testing.T) {
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		tok := tokenPattern.FindString(req.Message) // the email's token comes first
		reply := "Write to " + tok + " today."
		// Split the token across chunks: the restorer must hold it back.
		chunks := []string{reply[:12], reply[12:20], reply[20:]}
		for _, ch := range chunks {
			if err := onChunk(ch); err != nil {
				return "", err
			}
		}
		return reply, nil
	}}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	email := "jane.roe@northwind-mail.net"
	c.call(1, "veil/chat", map[string]any{"message": "Draft a mail to " + email + " about Zephyrine", "workDoneToken": "tok-1"})
	res := c.result(1)
	if got := get(res, "reply"); got != "Write to "+email+" today." {
		t.Errorf("reply = %v", got)
	}
	var kinds []string
	var streamed strings.Builder
	for len(kinds) == 0 || kinds[len(kinds)-1] != "end" {
		p := c.notification("$/progress")
		if get(p, "params", "token") != "tok-1" {
			t.Fatalf("progress token %v", get(p, "params", "token"))
		}
		k := get(p, "params", "value", "kind").(string)
		kinds = append(kinds, k)
		if k == "report" {
			streamed.WriteString(get(p, "params", "value", "message").(string))
		}
	}
	if kinds[0] != "begin" || streamed.String() != "Write to "+email+" today." {
		t.Errorf("progress kinds %v, streamed %q", kinds, streamed.String())
	}
	leakFree(t, m, email, "Zephyrine", "zephyrine")
}

func TestCodeActionAllow(t *testing.T) {
	sec := newSecrets(4)
	c := startClient(t, pipelineOptions(&fakeModel{}))
	c.initialize(nil)
	c.open("file:///work/ws/conf.py", "python", "KEY = '"+sec.aws()+"'\n")
	c.call(1, "textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": "file:///work/ws/conf.py"},
		"range":        map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 10}},
		"context":      map[string]any{"diagnostics": []any{}},
	})
	actions := c.result(1).([]any)
	var titles []string
	for _, a := range actions {
		titles = append(titles, get(a, "title").(string))
	}
	edit := get(actions[0], "edit", "changes", "file:///work/ws/conf.py", "0")
	if get(edit, "newText") != " # veil:allow" || !equalJSON(get(edit, "range", "start", "character"), 28) {
		t.Errorf("allow edit = %v (actions %v)", edit, titles)
	}
	if len(actions) != 2 || get(actions[1], "command", "command") != "veil.chat" {
		t.Errorf("actions = %v, want allow and ask", titles)
	}
}

func TestStatusRequest(t *testing.T) {
	c := startClient(t, pipelineOptions(&fakeModel{}))
	c.initialize(nil)
	c.call(1, "veil/status", map[string]any{"uri": "file:///work/ws/id_rsa"})
	r := c.result(1)
	if get(r, "route") != "block" || get(r, "reason") == "" {
		t.Errorf("veil/status for a private key file = %v", r)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), "rule") {
		t.Errorf("status lacks the rule: %s", b)
	}
}

// TestRequestSeesPrecedingChange: a request sees every change sent before
// it, even though it runs in its own goroutine.
func TestRequestSeesPrecedingChange(t *testing.T) {
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n")
	for i, word := range []string{"alpha", "beta", "gamma"} {
		c.notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": "file:///work/ws/a.go", "version": i + 2},
			"contentChanges": []any{map[string]any{"text": "package a\n\nvar " + word + " = 1\n"}},
		})
		c.call(i+1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 3, 0))
		c.result(i + 1)
		m.mu.Lock()
		prefix := m.fims[len(m.fims)-1].Prefix
		m.mu.Unlock()
		if !strings.Contains(prefix, "var "+word) {
			t.Fatalf("request %d saw %q, not the change before it", i+1, prefix)
		}
	}
}

// TestConfigReload: editing the user config file reloads the session's
// detector; the user is told, and open documents are rescanned.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	userFile := filepath.Join(dir, "veil.yaml")
	write := func(s string) { writeFile(t, userFile, s) }
	write("audit:\n  enabled: false\n")
	opts := pipelineOptions(&fakeModel{})
	c := startWithUserFile(t, opts, userFile, dir)
	c.open("file://"+dir+"/a.go", "go", "package a\n\n// Owned by the Quillfeather team.\n")
	c.noMessage("a diagnostic before the term is configured", func(m map[string]any) bool {
		return m["method"] == "textDocument/publishDiagnostics"
	})
	write("audit:\n  enabled: false\nidentifiers:\n  terms: [Quillfeather]\n")
	showMessage := func(substr string) {
		t.Helper()
		c.next("showMessage "+substr, func(m map[string]any) bool {
			got, _ := get(m, "params", "message").(string)
			return m["method"] == "window/showMessage" && strings.Contains(got, substr)
		})
	}
	showMessage("veil: configuration reloaded")
	d := c.notification("textDocument/publishDiagnostics")
	if got := get(d, "params", "diagnostics", "0", "code"); got != "identifier-term" {
		t.Fatalf("after reload the document was not rescanned: %v", d["params"])
	}
	// A broken file keeps the previous config and says so.
	write("identifiers: [unclosed\n")
	showMessage("keeping the previous one")
}

// TestNeighbours: other open documents go to the model redacted, and only
// when policy lets them through (.env never does).
func TestNeighbours(t *testing.T) {
	sec := newSecrets(5)
	tok, envKey := sec.github(), sec.aws()
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	c.open("file:///work/ws/secrets.go", "go", "package a\n\nconst deployToken = \""+tok+"\"\n")
	c.open("file:///work/ws/.env", "dotenv", "AWS_ACCESS_KEY_ID="+envKey+"\n")
	c.open("file:///work/ws/main.go", "go", "package a\n\nfunc main() {\n\t\n}\n")
	for id := 1; id <= 2; id++ { // the second request is served from the neighbour cache
		c.call(id, "textDocument/inlineCompletion", inlineParams("file:///work/ws/main.go", 3, 1))
		c.result(id)
	}
	m.mu.Lock()
	reqs := append([]localmodel.FIMRequest(nil), m.fims...)
	m.mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("model calls: %d", len(reqs))
	}
	for _, r := range reqs {
		if len(r.Neighbors) != 1 || r.Neighbors[0].Path != "secrets.go" || !tokenPattern.MatchString(r.Neighbors[0].Text) {
			t.Fatalf("neighbours = %d (want secrets.go only, with a token)", len(r.Neighbors))
		}
	}
	leakFree(t, m, tok, envKey)
}

// TestPromptEveryCursor builds the prompt at every position of documents
// with multi-byte characters, CRLF, lone CR and secrets at the edges: it
// never fails, and no value found in the window reaches the prompt.
func TestPromptEveryCursor(t *testing.T) {
	sec := newSecrets(6)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	s.ctx = context.Background()
	texts := []string{
		"",
		sec.aws(),
		"k=\"" + sec.github() + "\"",
		"é😀\r\nx = \"" + sec.aws() + "\"\rnext\n" + sec.github(),
		"\n\n\r\r\n",
	}
	st := s.ai.settings()
	st.cfg.LSP.ContextBytes = 16 // tiny windows: every edge case is near
	for i, text := range texts {
		uri := fmt.Sprintf("file:///work/ws/f%d.go", i)
		doc := s.docs.open(TextDocumentItem{URI: uri, LanguageID: "go", Version: 1, Text: text})
		for off := 0; off <= len(text); off++ {
			pos := doc.Text.OffsetPosition(off, UTF16)
			r, err := s.newFIMRequest([]byte("1"), "inline", uri, pos, localmodel.Automatic)
			if err != nil || r == nil {
				t.Fatalf("text %d offset %d: %v", i, off, err)
			}
			pr, err := s.ai.prompt(st, r, new(promptRoom))
			if err != nil {
				t.Fatalf("text %d offset %d: %v", i, off, err)
			}
			for _, v := range []string{pr.fim.Prefix, pr.fim.Suffix} {
				if strings.Contains(v, "AKIA") && len(v) >= 20 || strings.Contains(v, "ghp_") {
					t.Fatalf("text %d offset %d: a secret in the prompt", i, off)
				}
			}
		}
	}
}

// TestAllowCommand: veil.allow asks the client to apply the comment edit.
func TestAllowCommand(t *testing.T) {
	sec := newSecrets(10)
	c := startClient(t, pipelineOptions(&fakeModel{}))
	c.initialize(nil)
	c.open("file:///work/ws/a.go", "go", "package a\n\nvar k = \""+sec.aws()+"\"\n")
	c.call(1, "workspace/executeCommand", map[string]any{"command": "veil.allow",
		"arguments": []any{map[string]any{"uri": "file:///work/ws/a.go", "line": 2}}})
	req := c.next("workspace/applyEdit", func(m map[string]any) bool { return m["method"] == "workspace/applyEdit" })
	edit := get(req, "params", "edit", "changes", "file:///work/ws/a.go", "0")
	if get(edit, "newText") != " // veil:allow" {
		t.Fatalf("applyEdit = %v", req["params"])
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req["id"], "result": map[string]any{"applied": true}})
	c.writeBody(string(b))
	if got := c.result(1); got != true {
		t.Fatalf("veil.allow = %v, want true", got)
	}
}

// TestChatReferenceFromDisk: a reference that is not open is read only
// after policy allows its path; a blocked path is never read.
func TestChatReferenceFromDisk(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("Ask ops.lead@orchard-mail.net first.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	c := startClient(t, pipelineOptions(m))
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + dir, "capabilities": map[string]any{}})
	c.result(0)
	c.call(1, "veil/chat", map[string]any{"message": "Summarise", "references": []any{
		map[string]any{"uri": "file://" + dir + "/notes.md"},
		map[string]any{"uri": "file://" + dir + "/id_rsa"}, // does not exist: policy refuses before any read
	}})
	res := c.result(1)
	skipped, _ := get(res, "skipped").([]any)
	if len(skipped) != 1 || !strings.Contains(skipped[0].(string), "id_rsa") || strings.Contains(skipped[0].(string), "cannot read") {
		t.Fatalf("skipped = %v, want id_rsa refused by policy", skipped)
	}
	m.mu.Lock()
	ok := len(m.chats) == 1 && len(m.chats[0].References) == 1 && tokenPattern.MatchString(m.chats[0].References[0].Text)
	m.mu.Unlock()
	if !ok {
		t.Fatalf("chat references sent are not the one redacted notes.md")
	}
	leakFree(t, m, "ops.lead@orchard-mail.net")
}
