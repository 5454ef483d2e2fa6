package lspproxy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// Leak tests for issue 10: nothing unredacted leaves while the user types,
// whatever the detector recognises. Each planted value is checked in every
// 10-byte piece in the model's input, the debug log and the audit file.

// Fake values, never real: a human password with symbols and no digits, a
// passphrase with spaces.
const (
	typedHumanPassword = "Sunny!Beach-walk&Tide"
	typedPassphrase    = "correct horse battery staple"
)

// pieces are the 10-byte pieces of v (all of v when shorter).
func pieces(v string) []string {
	if len(v) <= 10 {
		return []string{v}
	}
	var out []string
	for i := 0; i+10 <= len(v); i++ {
		out = append(out, v[i:i+10])
	}
	return out
}

// noPiece fails for every 10-byte piece of each value found in the model's
// input, the logs or the audit file.
func noPiece(t *testing.T, m *fakeModel, sk *sinks, values ...string) {
	t.Helper()
	where := map[string]string{"model": m.seen()}
	if sk != nil {
		auditText, _ := os.ReadFile(sk.auditPath)
		where["logs"], where["audit"] = sk.logs.String(), string(auditText)
	}
	for _, v := range values {
		for _, p := range pieces(v) {
			for name, text := range where {
				if strings.Contains(text, p) {
					t.Fatalf("%s holds a 10-byte piece of %s", name, redact.Preview(v))
				}
			}
		}
	}
}

// typer types into one open document, batch bytes per didChange, and
// asks for a completion after each change.
type typer struct {
	c        *testClient
	uri      string
	version  int
	id       int
	copilot  bool // getCompletions instead of textDocument/inlineCompletion
	requests int
}

func (ty *typer) typeAt(line, col int, text string, batch int) {
	for i := 0; i < len(text); i += batch {
		chunk := text[i:min(len(text), i+batch)]
		ty.version++
		ty.c.notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": ty.uri, "version": ty.version},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": line, "character": col + i},
					"end": map[string]any{"line": line, "character": col + i}},
				"text": chunk}},
		})
		ty.ask(line, col+i+len(chunk))
	}
}

func (ty *typer) ask(line, col int) {
	ty.id++
	ty.requests++
	if ty.copilot {
		ty.c.call(ty.id, "getCompletions", map[string]any{"doc": map[string]any{
			"uri": ty.uri, "version": ty.version, "position": map[string]any{"line": line, "character": col},
			"insertSpaces": false, "tabSize": 4, "relativePath": filepath.Base(ty.uri), "languageId": "go"}})
	} else {
		ty.c.call(ty.id, "textDocument/inlineCompletion", inlineParams(ty.uri, line, col))
	}
	ty.c.result(ty.id)
}

type typedCase struct {
	name, file, lang, before, value string
}

var typedCases = []typedCase{
	{"unclosed double quote", "db.go", "go", `	dbPassword := "`, typedHumanPassword},
	{"unclosed single quote", "db.py", "python", `db_password = '`, typedHumanPassword},
	{"unclosed backtick", "db.ts", "typescript", "const secret = `", typedPassphrase},
	{"passphrase with spaces", "db.go", "go", `	cfg.Passphrase = "`, typedPassphrase},
	{"unquoted properties value", "app.properties", "properties", `spring.datasource.password=`, typedHumanPassword},
	{"unquoted yaml value", "config.yaml", "yaml", `  password: `, typedPassphrase},
	{"unquoted .env value", ".env", "dotenv", `DB_PASSWORD=`, typedHumanPassword},
	{"no owner, password shape", "db.go", "go", `	connect("admin", "`, typedHumanPassword},
}

// TestLeakTyping types each value one byte at a time (the client's
// batching off), three bytes per change (batching on) and as one paste,
// through textDocument/inlineCompletion and the Copilot dialect.
func TestLeakTyping(t *testing.T) {
	modes := []struct {
		name    string
		batch   int
		copilot bool
	}{{"one byte", 1, false}, {"batched", 3, false}, {"paste", 1 << 10, false}, {"copilot one byte", 1, true}}
	for _, tc := range typedCases {
		for _, mode := range modes {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				m := &fakeModel{}
				opts, sk := redteamOptions(t, m)
				c := startClient(t, opts)
				initCaps := map[string]any{}
				if mode.copilot {
					c.call(0, "initialize", map[string]any{"rootUri": "file:///work/ws", "capabilities": initCaps,
						"initializationOptions": map[string]any{"editorPluginInfo": map[string]any{"name": "copilot.lua"}}})
					c.result(0)
					c.notify("initialized", map[string]any{})
				} else {
					c.initialize(initCaps)
				}
				uri := "file:///work/ws/" + tc.file
				head := "// config\n\n"
				c.open(uri, tc.lang, head+tc.before+"\n")
				ty := &typer{c: c, uri: uri, version: 1, copilot: mode.copilot}
				ty.typeAt(2, len(tc.before), tc.value, mode.batch)
				noPiece(t, m, sk, tc.value)
			})
		}
	}
}

// Prose in a string stays visible: completions inside log messages work.
func TestLeakProseReachesTheModel(t *testing.T) {
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	uri := "file:///work/ws/main.go"
	before := `	log.Printf("`
	c.open(uri, "go", "package main\n\nfunc main() {\n"+before+"\n}\n")
	ty := &typer{c: c, uri: uri, version: 1}
	ty.typeAt(3, len(before), "connecting to the", 1)
	m.mu.Lock()
	last := m.fims[len(m.fims)-1]
	m.mu.Unlock()
	if !strings.HasSuffix(last.Prefix, `log.Printf("connecting to the`) {
		t.Fatalf("the model did not see the prose as typed; prefix ends %q", last.Prefix[max(0, len(last.Prefix)-40):])
	}
}

// A value masked in one file stays masked in another where the detector
// does not recognise it, and in the same file 20 KB away; completions go
// on (nothing is refused).
func TestLeakKnownValues(t *testing.T) {
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	a := "file:///work/ws/a.go"
	before := `	dbPassword := "`
	c.open(a, "go", "package a\n\nfunc f() {\n"+before+"\n}\n")
	ty := &typer{c: c, uri: a, version: 1}
	ty.typeAt(3, len(before), typedHumanPassword, 1)
	ty.typeAt(3, len(before)+len(typedHumanPassword), `"`, 1)

	// Another file, where the value sits in an ordinary call.
	b := "file:///work/ws/b.go"
	far := strings.Repeat("// an ordinary line of code, nothing to see here\n", 420)
	text := "package b\n\nfunc g() {\n\tgreet(\"" + typedHumanPassword + "\")\n" + far + "\tgreet(\"" + typedHumanPassword + "\")\n\t\n}\n"
	if len(far) < 20<<10 {
		t.Fatalf("filler only %d bytes", len(far))
	}
	c.open(b, "go", text)
	lines := strings.Count(text, "\n")
	for i, line := range []int{4, lines - 2} {
		c.call(1000+i, "textDocument/inlineCompletion", inlineParams(b, line, 1))
		if items, _ := get(c.result(1000+i), "items").([]any); len(items) == 0 {
			t.Fatalf("completion at line %d refused or empty", line)
		}
	}
	noPiece(t, m, sk, typedHumanPassword)
	if strings.Contains(sk.logs.String(), "refused") {
		t.Fatal("a request was refused")
	}
}

// A refused request is never silent: window/logMessage every time, one
// window/showMessage per document and reason, veil/status, a diagnostic
// and an audit record with route block.
func TestLeakRefusalIsTold(t *testing.T) {
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	opts.Config.Identifiers.Terms = []string{"Kraqz"}
	opts.Config.Allow.Paths = []string{"testdata/**"}
	c := startClient(t, opts)
	c.initialize(nil)
	// The short term (too short to be a known value) is masked in the
	// document but sits unmasked in an allow-listed neighbour: the guard
	// refuses.
	c.open("file:///work/ws/testdata/notes.go", "go", "package t\n\n// Kraqz notes\n")
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\n// Kraqz client\nfunc f() {\n\t\n}\n")
	for id := 1; id <= 2; id++ {
		c.call(id, "textDocument/inlineCompletion", inlineParams(uri, 4, 1))
		c.result(id)
	}
	if m.calls() != 0 {
		t.Fatalf("the model was called %d times", m.calls())
	}
	msg := func(m map[string]any) string { s, _ := get(m, "params", "message").(string); return s }
	c.next("showMessage", func(m map[string]any) bool {
		return m["method"] == "window/showMessage" && strings.Contains(msg(m), "refused")
	})
	for range 2 {
		c.next("logMessage", func(m map[string]any) bool {
			return m["method"] == "window/logMessage" && strings.Contains(msg(m), "refused")
		})
	}
	c.next("veil/status block", func(m map[string]any) bool {
		return m["method"] == "veil/status" && get(m, "params", "route") == "block" && get(m, "params", "rule") == ruleLeakGuard
	})
	c.next("refusal diagnostic", func(m map[string]any) bool {
		if m["method"] != "textDocument/publishDiagnostics" || get(m, "params", "uri") != uri {
			return false
		}
		ds, _ := get(m, "params", "diagnostics").([]any)
		for _, d := range ds {
			if get(d, "code") == "veil-refused" {
				return true
			}
		}
		return false
	})
	c.noMessage("a second showMessage", func(m map[string]any) bool {
		return m["method"] == "window/showMessage" && strings.Contains(msg(m), "refused")
	})
	auditText, _ := os.ReadFile(sk.auditPath)
	if n := strings.Count(string(auditText), `"route":"block","rule":"leak guard","reason":"blocked: redaction failed"`); n != 2 {
		t.Fatalf("audit holds %d refusal records, want 2:\n%s", n, auditText)
	}
}

// Chat history is re-masked under the config in force each turn: a term
// added by a reload never goes out from an earlier turn.
func TestLeakChatHistoryAfterReload(t *testing.T) {
	dir := t.TempDir()
	userFile := filepath.Join(dir, "veil.yaml")
	write := func(s string) { writeFile(t, userFile, s) }
	write("audit:\n  enabled: false\n")
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "noted", onChunk("noted")
	}}
	opts := pipelineOptions(m)
	c := startWithUserFile(t, opts, userFile, dir)
	c.call(1, "veil/chat", map[string]any{"sessionId": "s1", "message": "How does Quillfeather billing work?"})
	c.result(1)
	write("audit:\n  enabled: false\nidentifiers:\n  terms: [Quillfeather]\n")
	c.next("reloaded", func(m map[string]any) bool {
		got, _ := get(m, "params", "message").(string)
		return m["method"] == "window/showMessage" && strings.Contains(got, "configuration reloaded")
	})
	c.call(2, "veil/chat", map[string]any{"sessionId": "s1", "message": "And refunds?"})
	c.result(2)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.chats) != 2 || len(m.chats[1].History) != 1 {
		t.Fatalf("chats %d, second turn's history %d turns", len(m.chats), len(m.chats[1].History))
	}
	if h := m.chats[1].History[0]; strings.Contains(h.User, "Quillfeather") || !tokenPattern.MatchString(h.User) {
		t.Fatalf("history not re-masked under the new config: %s", redact.Preview(h.User))
	}
}

// Two --listen connections share one model client (as `veil lsp --listen`
// does) but nothing else: chat sessions and the vault are per connection,
// even when the editors pick the same session id.
func TestLeakConnectionsIsolated(t *testing.T) {
	srv := newModelServer(t)
	srv.Chat = func(w http.ResponseWriter, _ *http.Request) { lsptest.StreamChat(w, "noted") }
	mc := config.Defaults().Model
	mc.Backend, mc.Endpoint, mc.Name = "openai", srv.URL+"/v1", "e2e-model"
	model, err := localmodel.New(mc, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := pipelineOptions(&fakeModel{})
	opts.Model = model
	c1 := startClient(t, opts)
	c1.initialize(nil)
	c2 := startClient(t, opts)
	c2.initialize(nil)
	c1.call(1, "veil/chat", map[string]any{"sessionId": "same", "message": "the launch plan is " + typedPassphrase})
	c1.result(1)
	c2.call(1, "veil/chat", map[string]any{"sessionId": "same", "message": "hello"})
	c2.result(1)
	reqs := srv.Requests()
	last := string(reqs[len(reqs)-1].Body)
	if !strings.Contains(last, "hello") || strings.Contains(last, "launch plan") {
		t.Fatal("the second connection's chat carried the first's turn")
	}
	if c1.srv.ai.vault == c2.srv.ai.vault || c1.srv.ai.chats == c2.srv.ai.chats {
		t.Fatal("connections share a vault or chat history")
	}
}

// A password left half typed in one document stays masked when that
// document goes out as a neighbour of another and as a chat reference.
func TestLeakHalfTypedAsNeighbourAndReference(t *testing.T) {
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	a := "file:///work/ws/a.go"
	before := `	connect("admin", "`
	c.open(a, "go", "package a\n\nfunc f() {\n"+before+"\n}\n")
	ty := &typer{c: c, uri: a, version: 1}
	ty.typeAt(3, len(before), typedHumanPassword, 4)
	b := "file:///work/ws/b.go"
	c.open(b, "go", "package a\n\nfunc g() {\n\t\n}\n")
	c.call(500, "textDocument/inlineCompletion", inlineParams(b, 3, 1))
	c.result(500)
	c.call(501, "veil/chat", map[string]any{"message": "what does f do?", "references": []any{map[string]any{"uri": a}}})
	c.result(501)
	m.mu.Lock()
	nb := len(m.fims) > 0 && len(m.fims[len(m.fims)-1].Neighbors) > 0
	refs := len(m.chats) == 1 && len(m.chats[0].References) == 1
	m.mu.Unlock()
	if !nb || !refs {
		t.Fatalf("a.go was not sent as a neighbour (%v) or a reference (%v)", nb, refs)
	}
	noPiece(t, m, sk, typedHumanPassword)
}

// A value the detector finds at one place of a file is masked 20 KB away in
// the same file, where nothing marks it as a secret.
func TestLeakKnownValueFarInTheSameFile(t *testing.T) {
	const value = "Quartz!Meadow-lark&Rain"
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/c.go"
	far := strings.Repeat("// an ordinary line of code, nothing to see here\n", 420)
	text := "package c\n\nconst dbPassword = \"" + value + "\"\n\n" + far + "func g() {\n\tgreet(\"" + value + "\")\n\t\n}\n"
	c.open(uri, "go", text)
	// First near the assignment (the detector masks it there), then far.
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 3, 0))
	c.result(1)
	lines := strings.Count(text, "\n")
	c.call(2, "textDocument/inlineCompletion", inlineParams(uri, lines-2, 1))
	if items, _ := get(c.result(2), "items").([]any); len(items) == 0 {
		t.Fatal("the far completion was refused or empty")
	}
	noPiece(t, m, sk, value)
}

// A neighbour masked before a value became known is masked again once it
// is: the next completion goes on with the value hidden, not refused.
func TestLeakNeighbourCacheLearnsKnownValues(t *testing.T) {
	const value = "Copper!Lantern-fox&Mist"
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	n := "file:///work/ws/n.go"
	c.open(n, "go", "package a\n\nfunc h() { greet(\""+value+"\") }\n")
	a := "file:///work/ws/a.go"
	before := `	dbPassword := "`
	c.open(a, "go", "package a\n\nfunc f() {\n"+before+"\n}\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams(a, 3, 1))
	c.result(1) // n.go is cached as a neighbour, the value not yet known
	calls := m.calls()
	ty := &typer{c: c, uri: a, version: 1, id: 100}
	ty.typeAt(3, len(before), value+`"`, len(value)+1) // pasted: now known
	if m.calls() != calls+1 {
		t.Fatal("the completion after the value became known was refused")
	}
	m.mu.Lock()
	last := m.fims[len(m.fims)-1]
	m.mu.Unlock()
	if len(last.Neighbors) == 0 {
		t.Fatal("n.go was not sent as a neighbour")
	}
	for _, nb := range last.Neighbors {
		if strings.Contains(nb.Text, value) {
			t.Fatal("the cached neighbour still holds the value that became known")
		}
	}
}

// "veil: allow this line" is offered only where the comment it adds would
// count: not in Markdown, not on a line that ends inside a string.
func TestAllowActionOnlyWhereItCounts(t *testing.T) {
	sec := newSecrets(9)
	c := startClient(t, pipelineOptions(&fakeModel{}))
	c.initialize(nil)
	for i, doc := range []struct{ uri, lang, text string }{
		{"file:///work/ws/notes.md", "markdown", "key " + sec.aws() + "\n"},
		{"file:///work/ws/a.go", "go", "k := \"" + sec.aws() + "\n"},
	} {
		c.open(doc.uri, doc.lang, doc.text)
		c.call(i+1, "textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": doc.uri},
			"range":        map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 5}},
			"context":      map[string]any{"diagnostics": []any{}},
		})
		for _, a := range c.result(i + 1).([]any) {
			if strings.Contains(fmt.Sprint(get(a, "title")), "allow") {
				t.Errorf("%s: an allow action was offered where it would not count", doc.uri)
			}
		}
	}
}

// A request whose document snapshot predates the rescan that follows a
// reload still masks what the new settings mask: here the settings change
// under the open document with no rescan at all.
func TestLeakStaleFindingsAfterReload(t *testing.T) {
	m := &fakeModel{}
	opts := pipelineOptions(m)
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\n// Owned by the Quillfeather team.\nfunc f() {\n\t\n}\n")
	c.open("file:///work/ws/n.go", "go", "package a\n\n// Hydrastone billing helpers.\n")
	c.call(1, "veil/barrier", nil)
	c.response(1)
	cfg := *c.srv.ai.settings().cfg
	cfg.Identifiers.Terms = append([]string{"Quillfeather", "Hydrastone"}, cfg.Identifiers.Terms...)
	st, err := compileSettings(cfg, opts.RedactOptions, c.srv.ai.opts.Detectors)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.det.wait(); err != nil {
		t.Fatal(err)
	}
	c.srv.ai.cur.Store(st) // swapped in; the documents are not rescanned
	c.call(2, "textDocument/inlineCompletion", inlineParams(uri, 4, 1))
	c.result(2)
	m.mu.Lock()
	nbs := len(m.fims[0].Neighbors)
	m.mu.Unlock()
	if nbs == 0 {
		t.Fatal("n.go was not sent as a neighbour")
	}
	seen := m.seen()
	if m.calls() != 1 || strings.Contains(seen, "Quillfeather") || strings.Contains(seen, "Hydrastone") {
		t.Fatalf("model calls %d; a term added by the new settings reached the model (document %v, neighbour %v)",
			m.calls(), strings.Contains(seen, "Quillfeather"), strings.Contains(seen, "Hydrastone"))
	}
}
