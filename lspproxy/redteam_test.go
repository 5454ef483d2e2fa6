package lspproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// Red-team tests: each drives the real server with generated secrets and
// checks every sink a value must never reach: what the model received, the
// session's logs at debug level, and the audit file.

// lockedBuffer is a log sink safe for the session's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sinks is a session wired to a debug logger and an audit file.
type sinks struct {
	logs      *lockedBuffer
	auditPath string
}

func redteamOptions(t *testing.T, m *fakeModel) (Options, *sinks) {
	t.Helper()
	sk := &sinks{logs: &lockedBuffer{}, auditPath: filepath.Join(t.TempDir(), "audit.jsonl")}
	opts := pipelineOptions(m)
	al, err := audit.Open(config.Audit{Path: sk.auditPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	opts.Audit = al
	opts.Logger = slog.New(slog.NewTextHandler(sk.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return opts, sk
}

// refuseReference asks a chat question about one reference and fails
// unless veil left that reference out.
func refuseReference(t *testing.T, c *testClient, id int, ref string) {
	t.Helper()
	c.call(id, "veil/chat", map[string]any{"message": "What is in this file?", "references": []any{map[string]any{"uri": ref}}})
	if skipped, _ := get(c.result(id), "skipped").([]any); len(skipped) != 1 {
		t.Errorf("reference %s: skipped = %v, want it refused", ref, skipped)
	}
}

// noReferencesSent fails for every chat the model got with a reference.
func noReferencesSent(t *testing.T, m *fakeModel) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.chats {
		if len(r.References) != 0 {
			t.Errorf("chat %d sent %d reference(s) veil should have refused", i, len(r.References))
		}
	}
}

// checkSinks fails for every value (in any form) found in the model's
// input, the logs or the audit file. Findings print masked.
func checkSinks(t *testing.T, m *fakeModel, sk *sinks, values ...string) {
	t.Helper()
	auditText, _ := os.ReadFile(sk.auditPath)
	where := map[string]string{"model": m.seen(), "logs": sk.logs.String(), "audit": string(auditText)}
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

// TestRedteamSecretInPath: a document whose path holds a codename and a
// token. The model sees the path; the logs and the audit record name the
// document.
func TestRedteamSecretInPath(t *testing.T) {
	sec := newSecrets(101)
	tok := sec.github()
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/" + tok + "/Zephyrine_client.go"
	c.open(uri, "go", "package a\n\nfunc f() {\n\t")
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 3, 1))
	c.result(1)
	// A blocked file named after the codename: logged and audited too.
	env := "file:///work/ws/Zephyrine/" + tok + "/.env"
	c.open(env, "dotenv", "A=1\n")
	c.call(2, "textDocument/inlineCompletion", inlineParams(env, 0, 1))
	c.result(2)
	// And a non-file URI, percent-encoded.
	untitled := "untitled:Zephyrine-" + url.PathEscape(tok)
	c.open(untitled, "go", "package a\n")
	c.call(3, "textDocument/inlineCompletion", inlineParams(untitled, 0, 1))
	c.result(3)
	c.call(4, "veil/chat", map[string]any{"message": "explain", "references": []any{map[string]any{"uri": uri}}})
	c.response(4)
	if m.calls() == 0 {
		t.Fatal("the model was never called: the test did not exercise it")
	}
	if a, _ := os.ReadFile(sk.auditPath); strings.Count(string(a), `"document"`) < 3 {
		t.Fatalf("the audit file holds too few document records: the test did not exercise it")
	}
	checkSinks(t, m, sk, tok, "Zephyrine")
}

// TestRedteamChatReferenceTricks: references that name a denied file in
// another way must not reach the model: a symlink to .env, upper case,
// "..", percent-encoding.
func TestRedteamChatReferenceTricks(t *testing.T) {
	sec := newSecrets(102)
	dir := t.TempDir()
	// A value no detector recognises: only the path policy keeps it out.
	plain := "salt-" + sec.pick("abcdefghijklmnopqrstuvwxyz", 12)
	envText := "SESSION_SALT=" + plain + "\nAWS_ACCESS_KEY_ID=" + sec.aws() + "\n"
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".env", ".ENV"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(envText), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, ".env"), filepath.Join(dir, "settings.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "sub", "up")); err != nil {
		t.Fatal(err)
	}
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + dir, "capabilities": map[string]any{}})
	c.result(0)
	for i, ref := range []string{
		"file://" + dir + "/settings.txt",   // symlink to .env
		"file://" + dir + "/.ENV",           // case
		"file://" + dir + "/sub/../.env",    // dot-dot
		"file://" + dir + "/%2Eenv",         // percent-encoded
		"file://" + dir + "/sub/up/.env",    // through a directory symlink
		"FILE://" + dir + "/.env",           // scheme case
		"file://" + dir + "/sub/up/../.env", // both
	} {
		refuseReference(t, c, i+1, ref)
	}
	// The symlink opened in the editor is the .env it leads to.
	link := "file://" + dir + "/settings.txt"
	c.open(link, "plaintext", envText)
	c.call(100, "textDocument/inlineCompletion", inlineParams(link, 1, 3))
	if items, _ := get(c.result(100), "items").([]any); len(items) != 0 {
		t.Errorf("completion in a symlink to .env answered %d item(s)", len(items))
	}
	c.open("file://"+dir+"/main.go", "go", "package main\n")
	c.call(101, "textDocument/inlineCompletion", inlineParams("file://"+dir+"/main.go", 1, 0))
	c.result(101)
	checkSinks(t, m, sk, plain)
	noReferencesSent(t, m)
}

// TestRedteamPrivateKeyHeaderTypedLater: a key body pasted first (nothing
// recognisable), its header typed above it afterwards, more than the
// rescan margin away from the END line.
func TestRedteamPrivateKeyHeaderTypedLater(t *testing.T) {
	sec := newSecrets(103)
	var body strings.Builder
	for range 30 {
		body.WriteString(sec.pick(base62+"+/", 64) + "\n")
	}
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/key.txt"
	text := "notes\n\n" + body.String() + "-----END RSA PRIVATE KEY-----\nmore notes\n"
	c.open(uri, "plaintext", text)
	header := "-----BEGIN RSA PRIVATE KEY-----\n"
	c.notify("textDocument/didChange", map[string]any{
		"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{
			"range": map[string]any{"start": map[string]any{"line": 1, "character": 0}, "end": map[string]any{"line": 1, "character": 0}},
			"text":  header}},
	})
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 34, 2))
	c.result(1)
	lines := strings.Split(body.String(), "\n")
	checkSinks(t, m, sk, lines[0], lines[15], lines[29])
}

// TestRedteamTypingPositions types a token one character at a time at the
// start of a line, inside a string with an autopaired closing quote after
// the cursor, and then moves the cursor to the next line before the token
// is complete.
func TestRedteamTypingPositions(t *testing.T) {
	for _, tc := range []struct {
		name, before, after string
	}{
		{"line start", "package a\n\n", "\n"},
		{"autopair", "package a\n\nvar t = \"", "\"\n"},
		{"crlf", "package a\r\n\r\nvar t = '", "'\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec := newSecrets(104)
			tok := sec.github()
			m := &fakeModel{}
			opts, sk := redteamOptions(t, m)
			c := startClient(t, opts)
			c.initialize(nil)
			uri := "file:///work/ws/a.go"
			c.open(uri, "go", tc.before+tc.after)
			line := strings.Count(tc.before, "\n")
			col := len(tc.before) - strings.LastIndex(tc.before, "\n") - 1
			for i := 0; i < len(tok); i++ {
				c.notify("textDocument/didChange", map[string]any{
					"textDocument": map[string]any{"uri": uri, "version": i + 2},
					"contentChanges": []any{map[string]any{
						"range": map[string]any{"start": map[string]any{"line": line, "character": col + i},
							"end": map[string]any{"line": line, "character": col + i}},
						"text": tok[i : i+1]}},
				})
				c.call(100+i, "textDocument/inlineCompletion", inlineParams(uri, line, col+i+1))
				c.result(100 + i)
				// The cursor moves to the next line, the token unfinished.
				c.call(1000+i, "textDocument/inlineCompletion", inlineParams(uri, line+1, 0))
				c.result(1000 + i)
			}
			seen := m.seen()
			for n := len("ghp_") + 1; n <= len(tok); n++ {
				if strings.Contains(seen, tok[:n]) {
					t.Fatalf("the model received a %d-char prefix of the typed token (%s)", n, redact.Preview(tok))
				}
			}
			checkSinks(t, m, sk, tok)
		})
	}
}

// TestRedteamModelTokenTricks: the model echoes a token altered (case,
// digits), invents one, or answers another document's token.
func TestRedteamModelTokenTricks(t *testing.T) {
	sec := newSecrets(105)
	key := sec.aws()
	for _, tc := range []struct {
		name  string
		alter func(tok string) string
		empty bool // the editor must get no suggestion
	}{
		{"exact", func(tok string) string { return tok }, false},
		{"lower case", strings.ToLower, true},
		{"digit changed", func(tok string) string {
			b := []byte(tok)
			for i := len(b) - 5; i > 0; i-- {
				if b[i] >= '0' && b[i] <= '9' {
					b[i] = '0' + (b[i]-'0'+1)%10
					break
				}
			}
			return string(b)
		}, true},
		{"invented", func(string) string { return "VEIL_AWS_ACCESS_KEY_ID_999_abc" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeModel{}
			m.complete = func(_ context.Context, req localmodel.FIMRequest) (string, error) {
				toks := tokenPattern.FindAllString(req.Prefix, -1)
				if len(toks) == 0 {
					return "none", nil
				}
				return "use(" + tc.alter(toks[len(toks)-1]) + ")", nil
			}
			opts, sk := redteamOptions(t, m)
			c := startClient(t, opts)
			c.initialize(nil)
			c.open("file:///work/ws/a.go", "go", "package a\n\nvar k = \""+key+"\"\n\n")
			c.call(1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 4, 0))
			items, _ := get(c.result(1), "items").([]any)
			if tc.empty != (len(items) == 0) {
				t.Fatalf("items = %d, want empty %v", len(items), tc.empty)
			}
			if !tc.empty && !strings.Contains(get(items[0], "insertText").(string), key) {
				t.Fatalf("the exact token was not restored")
			}
			checkSinks(t, m, sk, key)
		})
	}
}

// TestRedteamChatStreamSplit: a chat reply that splits tokens across
// chunks, one byte at a time, is restored exactly; an altered token stays
// a token and the value never shows in logs.
func TestRedteamChatStreamSplit(t *testing.T) {
	sec := newSecrets(106)
	tok := sec.github()
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		toks := tokenPattern.FindAllString(req.Message, -1)
		reply := "first " + strings.Join(toks, " and ") + " then " + strings.ToLower(strings.Join(toks, ""))
		for i := range len(reply) {
			if err := onChunk(reply[i : i+1]); err != nil {
				return "", err
			}
		}
		return reply, nil
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	c.call(1, "veil/chat", map[string]any{"message": "rotate " + tok + " for Zephyrine", "workDoneToken": "w"})
	reply, _ := get(c.result(1), "reply").(string)
	if !strings.HasPrefix(reply, "first "+tok+" and Zephyrine then ") {
		t.Fatalf("reply not restored: %s", redact.Preview(reply))
	}
	checkSinks(t, m, sk, tok, "Zephyrine")
}

// TestRedteamBadEdits: didChange with stale versions and ranges past the
// end, requests with positions past the end and surrogate halves: the
// server answers and keeps serving.
func TestRedteamBadEdits(t *testing.T) {
	sec := newSecrets(107)
	key := sec.aws()
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a // 😀\r\nvar k = \""+key+"\"\r\n")
	for i, ch := range []map[string]any{
		{"range": map[string]any{"start": map[string]any{"line": 99, "character": 0}, "end": map[string]any{"line": 99, "character": 5}}, "text": "x"},
		{"range": map[string]any{"start": map[string]any{"line": 0, "character": 14}, "end": map[string]any{"line": 0, "character": 15}}, "text": "y"},
		{"range": map[string]any{"start": map[string]any{"line": 1, "character": 40}, "end": map[string]any{"line": 0, "character": 2}}, "text": ""},
		{"range": map[string]any{"start": map[string]any{"line": -1, "character": -3}, "end": map[string]any{"line": 0, "character": 0}}, "text": "z"},
	} {
		c.notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": uri, "version": 1 - i},
			"contentChanges": []any{ch},
		})
	}
	for i, pos := range [][2]int{{0, 14}, {0, 15}, {1, 1 << 30}, {1 << 30, 0}, {-1, -1}, {1, 1}} {
		c.call(i+1, "textDocument/inlineCompletion", inlineParams(uri, pos[0], pos[1]))
		c.response(i + 1)
	}
	c.call(50, "veil/status", map[string]any{"uri": uri})
	c.result(50)
	checkSinks(t, m, sk, key)
}

// TestRedteamWorkspaceConfigCannotLoosen: a workspace .veil.yaml that
// turns detection off, allows paths or routes upstream is refused, before
// and after a reload; the values stay masked.
func TestRedteamWorkspaceConfigCannotLoosen(t *testing.T) {
	sec := newSecrets(108)
	key := sec.aws()
	dir := t.TempDir()
	userFile := filepath.Join(dir, "veil.yaml")
	if err := os.WriteFile(userFile, []byte("audit:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeWS := func(s string) {
		if err := os.WriteFile(filepath.Join(ws, ".veil.yaml"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeWS("detect:\n  secrets: false\n")
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	opts.Load = &config.LoadOptions{UserFile: userFile, Getenv: func(string) string { return "" }}
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{}})
	c.result(0)
	c.notify("initialized", map[string]any{})
	uri := "file://" + ws + "/a.go"
	c.open(uri, "go", "package a\n\nvar k = \""+key+"\"\n\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 4, 0))
	c.result(1)
	for i, loosen := range []string{
		"detect:\n  secrets: false\n  pii: false\n",
		"detect:\n  disable: [aws-access-key-id]\n",
		"allow:\n  paths: ['**']\n",
		"allow:\n  regexes: ['AKIA.*']\n",
		"policy:\n  rules:\n    - name: x\n      route: local\n      paths: ['**']\n",
		"model:\n  endpoint: http://127.0.0.1:1/v1\n",
	} {
		writeWS(loosen)
		c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{}})
		c.call(10+i, "textDocument/inlineCompletion", inlineParams(uri, 4, 0))
		c.result(10 + i)
	}
	if m.calls() == 0 {
		t.Fatal("the model was never called")
	}
	checkSinks(t, m, sk, key)
}

// TestRedteamCopilotDocText: getCompletions carries the document's text
// in its own fields; veil answers from its mirror, so a text the mirror
// never had (a secret only in the request) is never sent, and a document
// that is not open gets nothing.
func TestRedteamCopilotDocText(t *testing.T) {
	sec := newSecrets(109)
	key, other := sec.aws(), sec.github()
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\nvar k = \""+key+"\"\n\n")
	doc := func(u string) map[string]any {
		return map[string]any{"doc": map[string]any{"uri": u, "version": 1, "position": map[string]any{"line": 4, "character": 0},
			"source": "var t = \"" + other + "\"\n", "text": other, "languageId": "go", "relativePath": other + ".go"}}
	}
	c.call(1, "getCompletions", doc(uri))
	c.result(1)
	c.call(2, "getCompletions", doc("file:///work/ws/"+other+".go"))
	if comps, _ := get(c.result(2), "completions").([]any); len(comps) != 0 {
		t.Errorf("a document that is not open got %d completion(s)", len(comps))
	}
	checkSinks(t, m, sk, key, other)
}

// TestRedteamChatCommandAndSelection: veil.chat through executeCommand
// with a secret in the message, and a code-action selection that starts
// and ends inside secrets.
func TestRedteamChatCommandAndSelection(t *testing.T) {
	sec := newSecrets(110)
	key, tok := sec.aws(), sec.github()
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	text := "package a\n\nvar k = \"" + key + "\"\nvar t = \"" + tok + "\"\n"
	c.open(uri, "go", text)
	c.call(1, "workspace/executeCommand", map[string]any{"command": "veil.chat", "arguments": []any{
		map[string]any{"message": "why does " + tok + " fail for noor.haddad@orchard-mail.net?"}}})
	c.result(1)
	// Select from the middle of the key to the middle of the token.
	sel := map[string]any{"start": map[string]any{"line": 2, "character": 15}, "end": map[string]any{"line": 3, "character": 20}}
	c.call(2, "textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": sel,
		"context": map[string]any{"diagnostics": []any{}}})
	actions, _ := c.result(2).([]any)
	var args any
	for _, a := range actions {
		if get(a, "command", "command") == "veil.chat" {
			args = get(a, "command", "arguments")
		}
	}
	if args == nil {
		t.Fatal("no veil.chat code action")
	}
	c.call(3, "workspace/executeCommand", map[string]any{"command": "veil.chat", "arguments": args})
	c.result(3)
	if m.calls() != 2 {
		t.Fatalf("model calls = %d, want 2", m.calls())
	}
	checkSinks(t, m, sk, key, tok, "noor.haddad@orchard-mail.net", key[4:], tok[4:20], tok[20:])
}

// TestRedteamModelMisbehaves: a model that errors with the prompt in its
// error, hangs past the budget, or answers megabytes: the editor gets an
// empty answer or the text, the session keeps serving, nothing leaks.
func TestRedteamModelMisbehaves(t *testing.T) {
	sec := newSecrets(111)
	key := sec.aws()
	calls := 0
	m := &fakeModel{}
	m.complete = func(ctx context.Context, req localmodel.FIMRequest) (string, error) {
		calls++
		switch calls {
		case 1:
			return "", context.DeadlineExceeded
		case 2:
			<-ctx.Done()
			return "", ctx.Err()
		case 3:
			return strings.Repeat("x", 8<<20), nil
		}
		return "", &echoErr{req.Prefix}
	}
	opts, sk := redteamOptions(t, m)
	opts.Config.LSP.LatencyBudget = 200 * 1e6
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\nvar k = \""+key+"\"\n\n")
	for i := 1; i <= 4; i++ {
		c.call(i, "textDocument/inlineCompletion", inlineParams(uri, 4, 0))
		c.response(i)
	}
	c.call(9, "veil/status", map[string]any{"uri": uri})
	c.result(9)
	checkSinks(t, m, sk, key)
}

type echoErr struct{ prompt string }

func (e *echoErr) Error() string { return "model failed on: " + e.prompt }

// TestRedteamHalfTypedLeftBehind: a token typed half way, then the user
// types on another line and asks there.
func TestRedteamHalfTypedLeftBehind(t *testing.T) {
	sec := newSecrets(112)
	tok := sec.github()
	half := tok[:22]
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\nvar t = \"\"\n\nfunc f() {\n\t\n}\n")
	v := 2
	edit := func(line, col int, s string) {
		c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": uri, "version": v},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": line, "character": col},
					"end": map[string]any{"line": line, "character": col}},
				"text": s}},
		})
		v++
	}
	for i := range len(half) {
		edit(2, 9+i, half[i:i+1])
	}
	for i, s := range []string{"r", "e", "t"} {
		edit(5, 1+i, s)
		c.call(i+1, "textDocument/inlineCompletion", inlineParams(uri, 5, 2+i))
		c.result(i + 1)
	}
	// The document is now a neighbour of another one.
	c.open("file:///work/ws/b.go", "go", "package a\n\nfunc g() {\n\t\n}\n")
	c.call(10, "textDocument/inlineCompletion", inlineParams("file:///work/ws/b.go", 3, 1))
	c.result(10)
	m.mu.Lock()
	last := m.fims[len(m.fims)-1]
	m.mu.Unlock()
	if len(last.Neighbors) == 0 {
		t.Fatal("a.go was not sent as a neighbour: the test did not exercise it")
	}
	// And it is referenced in a chat, whole and by a range.
	c.call(11, "veil/chat", map[string]any{"message": "explain", "references": []any{map[string]any{"uri": uri},
		map[string]any{"uri": uri, "range": map[string]any{"start": map[string]any{"line": 2, "character": 0}, "end": map[string]any{"line": 3, "character": 0}}}}})
	c.result(11)
	m.mu.Lock()
	refs := len(m.chats[len(m.chats)-1].References)
	m.mu.Unlock()
	if refs != 2 {
		t.Fatalf("chat sent %d references, want 2", refs)
	}
	checkSinks(t, m, sk, half)
}

// TestRedteamNonFileSchemes: a denied file opened through a scheme other
// than file: (a remote workspace, an untitled buffer named .env) is still
// denied by its path.
func TestRedteamNonFileSchemes(t *testing.T) {
	sec := newSecrets(113)
	plain := "salt-" + sec.pick("abcdefghijklmnopqrstuvwxyz", 12)
	for _, uri := range []string{
		"vscode-remote://ssh-remote%2Bbox/home/u/proj/.env",
		"vscode-vfs://github/org/repo/.env.production",
		"untitled:/home/u/id_rsa",
		"sftp://box/home/u/.ssh/config",
	} {
		t.Run(uri, func(t *testing.T) {
			m := &fakeModel{}
			opts, sk := redteamOptions(t, m)
			c := startClient(t, opts)
			c.initialize(nil)
			c.open(uri, "plaintext", "SESSION_SALT="+plain+"\n\n")
			c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 1, 0))
			if items, _ := get(c.result(1), "items").([]any); len(items) != 0 {
				t.Errorf("answered %d item(s) for a denied path", len(items))
			}
			checkSinks(t, m, sk, plain)
		})
	}
}

// TestRedteamChatReferenceSpecialFiles: references read from disk stay in
// the workspace and are regular files: /proc/self/environ (veil's own
// environment, model API key included), /dev/zero (endless), a FIFO (an
// open that never returns), a file outside the workspace, and ".." out of
// it are refused, quickly, and the session keeps serving.
func TestRedteamChatReferenceSpecialFiles(t *testing.T) {
	sec := newSecrets(114)
	plain := "salt-" + sec.pick("abcdefghijklmnopqrstuvwxyz", 12)
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside.txt")
	if err := os.WriteFile(outside, []byte("SESSION_SALT="+plain+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "link.txt")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(ws, "pipe.txt")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{}})
	c.result(0)
	for i, ref := range []string{
		"file:///proc/self/environ",
		"file:///dev/zero",
		"file://" + fifo,
		"file://" + outside,
		"file://" + ws + "/../outside.txt",
		"file://" + ws + "/link.txt",
	} {
		refuseReference(t, c, i+1, ref)
	}
	// A workspace folder of "/" does not open /proc, /sys or /dev.
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{map[string]any{"uri": "file:///", "name": "root"}}, "removed": []any{}}})
	for i, ref := range []string{"file:///proc/self/environ", "file:///dev/zero", "file:///sys/kernel/mm/transparent_hugepage/enabled"} {
		refuseReference(t, c, 100+i, ref)
	}
	checkSinks(t, m, sk, plain)
	noReferencesSent(t, m)
}

// TestRedteamConfigErrorsHideValues: a workspace or user config that holds
// a value where it must not (an API key for the variable's name, a token
// in a broken pattern, a token in a refused allow rule) is reported
// without it.
func TestRedteamConfigErrorsHideValues(t *testing.T) {
	sec := newSecrets(115)
	tok, key := sec.github(), sec.aws()
	dir := t.TempDir()
	userFile := filepath.Join(dir, "veil.yaml")
	if err := os.WriteFile(userFile, []byte("audit:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	opts.Load = &config.LoadOptions{UserFile: userFile, Getenv: func(string) string { return "" }}
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{}})
	c.result(0)
	c.notify("initialized", map[string]any{})
	for _, bad := range []struct{ file, text string }{
		{filepath.Join(ws, ".veil.yaml"), "identifiers:\n  patterns: ['(" + tok + "']\n"},
		{filepath.Join(ws, ".veil.yaml"), "allow:\n  regexes: ['" + tok + "']\n"},
		{filepath.Join(ws, ".veil.yaml"), "rules:\n  - id: x\n    regex: '" + tok + "['\n"},
		{userFile, "model:\n  api_key_env: " + key + "\n"},
		{userFile, "model:\n  endpoint: http://u:" + key + "@127.0.0.1:1/v1\n"},
		{userFile, "identifiers: [" + tok + "\n"},
	} {
		if err := os.WriteFile(bad.file, []byte(bad.text), 0o600); err != nil {
			t.Fatal(err)
		}
		c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{}})
		c.call("s", "veil/status", map[string]any{"uri": "file://" + ws + "/a.go"})
		c.result("s")
	}
	// Reloads run on the config watcher's goroutine: wait for the first
	// problem to be logged rather than assume it already is.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(sk.logs.String(), "config"); {
		if time.Now().After(deadline) {
			t.Fatalf("no config problem was logged: the test did not exercise it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkSinks(t, m, sk, tok, key)
	// What the user is shown holds no value either.
	for _, h := range c.held {
		if b, _ := json.Marshal(h); strings.Contains(string(b), tok) || strings.Contains(string(b), key) {
			t.Errorf("a message to the editor holds a planted value: %s", redact.Preview(string(b)))
		}
	}
}

// TestRedteamOddParams sends every method params of every JSON shape, and
// shapes that nearly fit: each request is answered, nothing panics, and the
// session serves a normal request afterwards.
func TestRedteamOddParams(t *testing.T) {
	sec := newSecrets(116)
	key := sec.aws()
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\nvar k = \""+key+"\"\n")
	methods := redteamMethods()
	if len(methods) < 29 {
		t.Fatalf("only %d methods from the route table", len(methods))
	}
	shapes := []any{nil, 0, "x", []any{}, []any{nil}, map[string]any{},
		map[string]any{"textDocument": nil, "position": nil},
		map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": -5, "character": 1e9}},
		map[string]any{"textDocument": map[string]any{"uri": uri}, "range": map[string]any{"start": map[string]any{"line": 2, "character": 30}, "end": map[string]any{"line": 0, "character": 0}}},
		map[string]any{"doc": map[string]any{"uri": uri, "position": map[string]any{"line": 99, "character": 0}}},
		map[string]any{"command": "veil.chat", "arguments": []any{nil}},
		map[string]any{"command": "veil.chat", "arguments": []any{map[string]any{"message": "x", "references": []any{map[string]any{"uri": uri, "range": map[string]any{"start": map[string]any{"line": 9, "character": 0}, "end": map[string]any{"line": 0, "character": 0}}}}}}},
		map[string]any{"command": "veil.explain", "arguments": []any{map[string]any{"uri": "%zz"}}},
		map[string]any{"message": "x", "references": []any{map[string]any{"uri": "file://%zz"}, map[string]any{"uri": ""}}},
		map[string]any{"event": map[string]any{"added": []any{map[string]any{"uri": "file://%zz"}}, "removed": nil}},
		map[string]any{"textDocument": map[string]any{"uri": uri, "version": 99}, "contentChanges": []any{nil, map[string]any{"range": nil, "text": nil}}},
	}
	id := 1
	for _, meth := range methods {
		for _, sh := range shapes {
			c.call(id, meth, sh)
			id++
		}
	}
	for i := 1; i < id; i++ {
		c.response(i)
	}
	c.call("last", "veil/status", map[string]any{"uri": uri})
	c.result("last")
	for _, line := range []int{-1, 1 << 40} { // a clamped line would get an allow comment nobody chose
		c.call(fmt.Sprint("allow", line), "workspace/executeCommand", map[string]any{"command": "veil.allow",
			"arguments": []any{map[string]any{"uri": uri, "line": line}}})
		if code := c.errCode(fmt.Sprint("allow", line)); code != -32602 {
			t.Errorf("veil.allow line %d: error %d, want InvalidParams", line, code)
		}
	}
	if strings.Contains(sk.logs.String(), "panicked") {
		t.Errorf("a handler panicked")
	}
	checkSinks(t, m, sk, key)
}

// TestRedteamEditBreaksAValue: a character deleted from the middle of a
// secret that has no distinctive prefix (an AWS secret access key next to
// its keyword) leaves a value no rule matches; the rest of it must not
// reach the model after the cursor moves on.
func TestRedteamEditBreaksAValue(t *testing.T) {
	sec := newSecrets(117)
	secret := sec.pick(base62+"/+", 40)
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/conf.py"
	c.open(uri, "python", "import os\n\naws_secret_access_key = \""+secret+"\"\n\ndef f():\n    pass\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 5, 4))
	c.result(1)
	if strings.Contains(m.seen(), secret) {
		t.Fatalf("the whole secret reached the model before any edit: the detector does not know this shape")
	}
	col := len("aws_secret_access_key = \"") + 20
	c.notify("textDocument/didChange", map[string]any{
		"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{
			"range": map[string]any{"start": map[string]any{"line": 2, "character": col}, "end": map[string]any{"line": 2, "character": col + 1}},
			"text":  ""}},
	})
	c.call(2, "textDocument/inlineCompletion", inlineParams(uri, 5, 4))
	c.result(2)
	checkSinks(t, m, sk, secret[:20], secret[21:])
}

// TestTypedSites: the typed places follow later edits, a run of keystrokes
// is one place, and only the newest maxTypedSites are kept.
func TestTypedSites(t *testing.T) {
	for _, tc := range []struct {
		name          string
		sites         []int
		start, end, n int
		want          []int
	}{
		{"first", nil, 5, 5, 1, []int{6}},
		{"run of keystrokes", []int{6}, 6, 6, 1, []int{7}},
		{"insert before shifts", []int{10}, 2, 2, 3, []int{13, 5}},
		{"delete before shifts", []int{10}, 2, 5, 0, []int{7, 2}},
		{"inside a replaced span moves to its end", []int{10}, 8, 12, 1, []int{9}},
		{"after is kept", []int{3}, 8, 8, 2, []int{3, 10}},
		{"bounded", []int{1, 2, 3, 4, 5, 6, 7, 8}, 100, 100, 1, []int{2, 3, 4, 5, 6, 7, 8, 101}},
	} {
		if got := typed(tc.sites, tc.start, tc.end, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("%s: typed(%v, %d, %d, %d) = %v, want %v", tc.name, tc.sites, tc.start, tc.end, tc.n, got, tc.want)
		}
	}
}

// redteamMethods is every method in the route table except the lifecycle
// ones that would end or reset the session (initialize, shutdown, exit) and
// the configuration reload, which this test does not exercise.
func redteamMethods() []string {
	skip := map[string]bool{"initialize": true, "initialized": true, "shutdown": true, "exit": true,
		"workspace/didChangeConfiguration": true}
	var methods []string
	for _, r := range routeTable() {
		if !skip[r.method] {
			methods = append(methods, r.method)
		}
	}
	return methods
}
