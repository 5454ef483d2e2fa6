package wrap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/egress"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/lspconn"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// editor is a test editor connected to a wrap session whose child is the
// fake server (this test binary).
type editor struct {
	*lsptest.Client
	t      *testing.T
	sess   *Session
	served chan error

	mu    sync.Mutex
	calls []string // methods of the session's calls to the editor
}

type editorOpts struct {
	version string // the fake child's version
	allow   string
	gate    *egress.Gate
	local   LocalServer
}

func startEditor(t *testing.T, o editorOpts) *editor {
	t.Helper()
	if o.version == "" {
		o.version = TestedVersions[0]
	}
	if o.gate == nil {
		o.gate = testGate(t, nil)
	}
	sess, err := New(Options{
		Command: []string{os.Args[0], "-test.run=^$"},
		Env:     append(os.Environ(), "WRAP_FAKE_CHILD=1", "WRAP_FAKE_VERSION="+o.version, "NODE_TLS_REJECT_UNAUTHORIZED=0", "HTTPS_PROXY=http://corp:8080"),
		Gate:    o.gate,
		Route: func(kind policy.Kind, uri, lang, text string) policy.Decision {
			if strings.Contains(text, "PRIVATE KEY") {
				return policy.Decision{Route: policy.Block, Rule: "default policy rule 32", Reason: "blocked: private-key material"}
			}
			if strings.HasSuffix(uri, "/local.go") {
				return policy.Decision{Route: policy.Local, Reason: "local: findings masked, path matches local.go (user policy rule 1)"}
			}
			if strings.HasSuffix(uri, "/.env") {
				return policy.Decision{Route: policy.Block, Rule: "default policy rule 1", Reason: "blocked: path matches **/.env (default policy rule 1)"}
			}
			return policy.Decision{Route: policy.Upstream, Reason: "upstream: findings masked at veil's boundary (no rule matched)"}
		},
		AllowVersion: o.allow,
		Local:        o.local,
		Mask:         func(s string) string { return s },
		Version:      "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	edR, vW := io.Pipe()
	vR, edW := io.Pipe()
	e := &editor{t: t, sess: sess, served: make(chan error, 1)}
	e.Client = lsptest.NewClient(t, edR, edW)
	e.Answer(func(method string, _ json.RawMessage) (any, error) {
		e.mu.Lock()
		e.calls = append(e.calls, method)
		e.mu.Unlock()
		if method == "workspace/configuration" {
			return []any{map[string]any{"enable": true}, map[string]any{"editor": map[string]any{"x": 1}}, nil}, nil
		}
		return nil, nil
	})
	go func() { e.served <- sess.Serve(context.Background(), vR, vW); vW.Close() }()
	t.Cleanup(func() {
		edW.Close()
		select {
		case <-e.served:
		case <-time.After(10 * time.Second):
			t.Error("the session did not end after the editor left")
		}
	})
	return e
}

func (e *editor) initialize() {
	e.t.Helper()
	raw, err := e.Call("initialize", map[string]any{"capabilities": map[string]any{},
		"initializationOptions": map[string]any{"copilotCapabilities": map[string]any{"fetch": false}, "editorInfo": map[string]any{"name": "vim"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"name":"veil wrapping Fake Copilot 1.539.0"`) || !strings.Contains(string(raw), `"version":"1.539.0"`) {
		e.t.Errorf("initialize result %s: want serverInfo naming veil and the child's version", raw)
	}
	if err := e.Notify("initialized", map[string]any{}); err != nil {
		e.t.Fatal(err)
	}
}

// state asks the fake child what it has seen.
func (e *editor) state() (s struct {
	Init     json.RawMessage   `json:"init"`
	Settings []json.RawMessage `json:"settings"`
	Opened   []string          `json:"opened"`
	Texts    []string          `json:"texts"`
	Closed   []string          `json:"closed"`
	Methods  []string          `json:"methods"`
	Chunks   int               `json:"chunks"`
}) {
	e.t.Helper()
	raw, err := e.Call("test/state", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	_ = json.Unmarshal(raw, &s)
	return s
}

// notifications are the params of the session's notifications of method,
// and its calls of method (by name only).
func (e *editor) notifications(method string) []string {
	var out []string
	for _, n := range e.Notifications() {
		if n.Method == method {
			out = append(out, string(n.Params))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range e.calls {
		if m == method {
			out = append(out, "a call of "+m)
		}
	}
	return out
}

func testGate(t *testing.T, client *http.Client) *egress.Gate {
	det, err := redact.NewDetector(redact.Options{Terms: []string{"Zephyrine"}})
	if err != nil {
		t.Fatal(err)
	}
	return egress.New(egress.Options{Client: client, Detector: func() *redact.Detector { return det },
		Vault: redact.NewVault([]byte("k"), 0), Record: func(audit.Record) {}})
}

func TestClientFetchForcedAndShutdownClean(t *testing.T) {
	e := startEditor(t, editorOpts{})
	e.initialize()
	st := e.state()
	var init struct {
		InitializationOptions struct {
			CopilotCapabilities map[string]bool `json:"copilotCapabilities"`
			EditorInfo          map[string]string
		} `json:"initializationOptions"`
	}
	_ = json.Unmarshal(st.Init, &init)
	if c := init.InitializationOptions.CopilotCapabilities; !c["fetch"] || !c["redirectedTelemetry"] {
		t.Errorf("child's copilotCapabilities = %v, want fetch and redirectedTelemetry", c)
	}
	if init.InitializationOptions.EditorInfo["name"] != "vim" {
		t.Error("the plugin's other initialization options were lost")
	}
	if len(st.Settings) == 0 || !strings.Contains(string(st.Settings[0]), `"fetchStrategy":"client"`) || !strings.Contains(string(st.Settings[0]), `"telemetryLevel":"off"`) {
		t.Fatalf("first didChangeConfiguration = %s", st.Settings)
	}
	// The editor's own settings cannot turn it off.
	_ = e.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"github": map[string]any{"copilot": map[string]any{"fetchStrategy": "native"}}, "http": map[string]any{"proxy": "x"}}})
	st = e.state()
	last := string(st.Settings[len(st.Settings)-1])
	if !strings.Contains(last, `"fetchStrategy":"client"`) || !strings.Contains(last, `"proxy":"x"`) {
		t.Errorf("editor's didChangeConfiguration reached the child as %s", last)
	}
	// Every workspace/configuration answer carries the forced values.
	raw, err := e.Call("test/config", nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	_ = json.Unmarshal(raw, &items)
	if len(items) != 3 || items[0]["fetchStrategy"] != "client" || items[0]["enable"] != true {
		t.Errorf("github.copilot section = %v", items)
	}
	if g, _ := items[1]["github"].(map[string]any); g == nil || g["copilot"].(map[string]any)["fetchStrategy"] != "client" || items[1]["editor"] == nil {
		t.Errorf("whole-config section = %v", items[1])
	}
	// The child's proxy refuses; its environment points there.
	if raw, _ := e.Call("test/net", nil); string(raw) != `"true"` {
		t.Errorf("the child reached the network on its own: %s", raw)
	}
	if n := e.sess.ProxyAttempts(); n != 1 {
		t.Errorf("refusing proxy saw %d attempts, want 1", n)
	}
	if _, err := e.Call("shutdown", nil); err != nil {
		t.Fatal(err)
	}
	_ = e.Notify("exit", nil)
	select {
	case err := <-e.served:
		if err != nil {
			t.Errorf("Serve after shutdown+exit = %v", err)
		}
		e.served <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("no exit")
	}
}

func TestChildEnv(t *testing.T) {
	env := childEnv([]string{"HOME=/h", "GH_COPILOT_TOKEN=x", "NODE_TLS_REJECT_UNAUTHORIZED=0", "https_proxy=http://corp", "NO_PROXY=*", "XDG_CONFIG_HOME=/c"}, "http://127.0.0.1:9")
	joined := strings.Join(env, "\n")
	for _, want := range []string{"HOME=/h", "GH_COPILOT_TOKEN=x", "XDG_CONFIG_HOME=/c", "HTTPS_PROXY=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NODE_USE_ENV_PROXY=1"} {
		if !strings.Contains(joined+"\n", want+"\n") {
			t.Errorf("child env lacks %s", want)
		}
	}
	for _, bad := range []string{"NODE_TLS_REJECT_UNAUTHORIZED", "http://corp", "NO_PROXY"} {
		if strings.Contains(joined, bad) {
			t.Errorf("child env keeps %s", bad)
		}
	}
}

// tlsUpstream is an HTTPS server answering for every host, and a client
// that reaches it for any name.
func tlsUpstream(t *testing.T, h http.HandlerFunc) *http.Client {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, n, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, n, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}}
}

func TestFetchAnsweredByVeilNeverShownToEditor(t *testing.T) {
	pat := "ghp_" + strings.Repeat("Ab1", 10) + "000000" // shape only; masked by the term below
	var got string
	client := tlsUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.Header().Set("Content-Type", "text/event-stream")
		tok := regexp.MustCompile(`veil_name_[0-9]+_[a-z0-9]{3}`).FindString(got)
		if tok == "" {
			http.Error(w, "no token", 500)
			return
		}
		io.WriteString(w, `data: {"choices":[{"index":0,"text":"`+tok[:8]+`"}]}`+"\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `data: {"choices":[{"index":0,"text":"`+tok[8:]+` ü","finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	e := startEditor(t, editorOpts{gate: testGate(t, client)})
	e.initialize()
	body := `{"prompt":"zephyrine ` + pat + `","nwo":"acme/zephyrine"}`
	raw, err := e.Call("test/fetch", map[string]any{"url": "https://proxy.individual.githubcopilot.com/v1/engines/x/completions", "method": "POST", "body": body})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Head struct{ Status int }
		Body string
	}
	_ = json.Unmarshal(raw, &res)
	if strings.Contains(strings.ToLower(got), "zephyrine") {
		t.Error("the identifier term reached upstream")
	}
	if res.Head.Status != 200 || !strings.Contains(res.Body, `"text":"zephyrine ü"`) {
		t.Errorf("child got head %d body %q", res.Head.Status, res.Body)
	}
	raw, _ = e.Call("test/fetch", map[string]any{"url": "https://evil.example.com/x", "method": "POST", "body": "x"})
	if !strings.Contains(string(raw), "allowlist") {
		t.Errorf("a request off the allowlist got %s", raw)
	}
	for _, m := range []string{"copilot/fetch", "$/progress"} {
		if n := e.notifications(m); len(n) > 0 {
			t.Errorf("the editor saw %s", m)
		}
	}
}

func TestBlockedDocumentNeverReachesChild(t *testing.T) {
	e := startEditor(t, editorOpts{})
	e.initialize()
	for _, u := range []string{"file:///w/.env", "file:///w/main.go"} {
		_ = e.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": u, "languageId": "x", "version": 1, "text": "A=1"}})
	}
	_ = e.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": "file:///w/.env", "version": 2}, "contentChanges": []any{map[string]any{"text": "B=2"}}})
	raw, err := e.Call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": "file:///w/.env"}, "position": map[string]any{"line": 0, "character": 0}})
	if err != nil || string(raw) != `{"items":[]}` {
		t.Errorf("inline completion on .env = %s, %v", raw, err)
	}
	st := e.state()
	if len(st.Opened) != 1 || st.Opened[0] != "file:///w/main.go" {
		t.Errorf("child opened %v", st.Opened)
	}
	for _, m := range st.Methods {
		if m == "textDocument/didChange" || m == "textDocument/inlineCompletion" {
			t.Errorf("child got %s for the blocked document", m)
		}
	}
	if n := e.notifications("window/showMessage"); len(n) != 1 || !strings.Contains(n[0], "**/.env") {
		t.Errorf("showMessage = %v", n)
	}
	if n := strings.Join(e.notifications("veil/status"), "\n"); !strings.Contains(n, `"route":"upstream"`) || !strings.Contains(n, `"route":"block"`) {
		t.Errorf("veil/status notifications = %s", n)
	}
	raw, _ = e.Call("veil/status", map[string]any{"textDocument": map[string]any{"uri": "file:///w/main.go"}})
	if !strings.Contains(string(raw), `"route":"upstream"`) || !strings.Contains(string(raw), `"wraps":"Fake Copilot 1.539.0"`) {
		t.Errorf("veil/status = %s", raw)
	}
}

func TestCrashReportedNotRestarted(t *testing.T) {
	e := startEditor(t, editorOpts{})
	e.initialize()
	if _, err := e.Call("test/crash", nil); err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
		t.Errorf("pending call after a crash: %v", err)
	}
	if n := e.notifications("window/showMessage"); len(n) != 1 || !strings.Contains(n[0], "does not restart") {
		t.Errorf("showMessage = %v", n)
	}
	if _, err := e.Call("textDocument/hover", map[string]any{}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("call after the crash: %v", err)
	}
}

func TestUntestedVersionRefused(t *testing.T) {
	e := startEditor(t, editorOpts{version: "9.9.9"})
	_, err := e.Call("initialize", map[string]any{"capabilities": map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "9.9.9") || !strings.Contains(err.Error(), "upstream.allow_version") {
		t.Fatalf("initialize with an untested child = %v", err)
	}
	if _, err := e.Call("test/state", nil); err == nil {
		t.Error("the refused child still gets requests")
	}
	ok := startEditor(t, editorOpts{version: "9.9.9", allow: "9.9.9"})
	if _, err := ok.Call("initialize", map[string]any{"capabilities": map[string]any{}}); err != nil {
		t.Errorf("explicitly allowed version refused: %v", err)
	}
}

// fakeLocal is a local server that answers inline completions itself and
// asks the editor for its configuration (a call whose id must be mapped).
type fakeLocal struct {
	mu      sync.Mutex
	methods []string
	opened  []string // texts of didOpen
	config  json.RawMessage
}

func (f *fakeLocal) serve(ctx context.Context, r io.Reader, w io.Writer) error {
	var conn *lspconn.Conn
	conn = lspconn.New(r, w, lspconn.Options{IDPrefix: "local"})
	return conn.Run(func(m *lspconn.Message) error {
		f.mu.Lock()
		f.methods = append(f.methods, m.Method)
		if m.Method == "textDocument/didOpen" {
			var p openParams
			_ = json.Unmarshal(m.Params, &p)
			f.opened = append(f.opened, p.TextDocument.Text)
		}
		f.mu.Unlock()
		switch m.Method {
		case "initialize":
			return conn.Reply(m.ID, map[string]any{"capabilities": map[string]any{}}, nil)
		case "initialized":
			go func() {
				raw, err := conn.Call(ctx, "workspace/configuration", map[string]any{"items": []any{map[string]any{"section": "veil"}}})
				if err == nil {
					f.mu.Lock()
					f.config = raw
					f.mu.Unlock()
				}
			}()
		case "textDocument/inlineCompletion":
			return conn.Reply(m.ID, map[string]any{"items": []any{map[string]any{"insertText": "from the local model"}}}, nil)
		case "shutdown":
			return conn.Reply(m.ID, nil, nil)
		}
		return nil
	})
}

func TestLocalRouteServedInProcess(t *testing.T) {
	fl := &fakeLocal{}
	e := startEditor(t, editorOpts{local: fl.serve})
	e.initialize()
	for _, u := range []string{"file:///w/local.go", "file:///w/.env", "file:///w/main.go"} {
		_ = e.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": u, "languageId": "go", "version": 1, "text": "x"}})
	}
	raw, err := e.Call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": "file:///w/local.go"}, "position": map[string]any{"line": 0, "character": 0}})
	if err != nil || !strings.Contains(string(raw), "from the local model") {
		t.Errorf("local document's completion = %s, %v", raw, err)
	}
	raw, _ = e.Call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": "file:///w/main.go"}, "position": map[string]any{"line": 0, "character": 0}})
	if strings.Contains(string(raw), "from the local model") {
		t.Error("an upstream document was answered locally")
	}
	st := e.state()
	if len(st.Opened) != 1 || st.Opened[0] != "file:///w/main.go" {
		t.Errorf("child opened %v; local and blocked documents must stay out", st.Opened)
	}
	var methods, config string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(config, "enable"); time.Sleep(10 * time.Millisecond) {
		fl.mu.Lock()
		methods, config = strings.Join(fl.methods, " "), string(fl.config)
		fl.mu.Unlock()
	}
	for _, want := range []string{"initialize", "initialized", "textDocument/didOpen", "textDocument/inlineCompletion"} {
		if !strings.Contains(methods, want) {
			t.Errorf("local server never got %s (got %s)", want, methods)
		}
	}
	if strings.Count(methods, "textDocument/didOpen") != 2 {
		t.Errorf("local server got %d didOpen, want 2 (local.go and .env)", strings.Count(methods, "textDocument/didOpen"))
	}
	if !strings.Contains(config, "enable") {
		t.Errorf("the local server's workspace/configuration call came back as %q", config)
	}
	if n := e.notifications("window/showMessage"); len(n) != 0 {
		t.Errorf("with a local server, the session itself showed %v", n)
	}
}

func TestFetchCancelledByChild(t *testing.T) {
	gotRequest := make(chan struct{})
	released := make(chan struct{})
	client := tlsUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n")
		w.(http.Flusher).Flush()
		close(gotRequest)
		<-r.Context().Done() // ends only when veil hangs up
		close(released)
	})
	e := startEditor(t, editorOpts{gate: testGate(t, client)})
	e.initialize()
	done := make(chan json.RawMessage, 1)
	go func() {
		raw, _ := e.Call("test/fetch", map[string]any{"url": "https://proxy.individual.githubcopilot.com/v1/engines/x/completions", "method": "POST", "body": "{}", "cancelAfter": true})
		done <- raw
	}()
	<-gotRequest
	// Cancel only once the child holds the head and a chunk of the body:
	// what a disconnect must keep is what already arrived.
	for deadline := time.Now().Add(10 * time.Second); e.state().Chunks == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the child never received the first chunk")
		}
	}
	if _, err := e.Call("test/cancelAll", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("copilot/fetchDisconnectAll did not end the upstream request")
	}
	select {
	case raw := <-done:
		if !strings.Contains(string(raw), `"body":"data:`) {
			t.Errorf("fetch result %s", raw)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child's fetch never ended")
	}
}

// TestDocumentMovesWhenItsRouteChanges: a private key typed into a
// document the child has makes veil close it in the child and open it,
// whole, in the local server; removing it moves it back.
func TestDocumentMovesWhenItsRouteChanges(t *testing.T) {
	fl := &fakeLocal{}
	e := startEditor(t, editorOpts{local: fl.serve})
	e.initialize()
	uri := "file:///w/main.go"
	text := "package main\n\n// héllo 𝄞\nfunc main() {}\n"
	_ = e.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": text}})
	// Incremental change after non-ASCII text: line 2, after "// héllo 𝄞" (UTF-16: 3+5+1+2 = 11).
	key := "\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
	_ = e.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 2, "character": 11}, "end": map[string]any{"line": 2, "character": 11}}, "text": key}}})
	raw, err := e.Call("textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 0, "character": 0}})
	if err != nil || !strings.Contains(string(raw), "from the local model") {
		t.Errorf("completion in the moved document = %s, %v", raw, err)
	}
	st := e.state()
	if len(st.Closed) != 1 || st.Closed[0] != uri {
		t.Errorf("child closed %v, want the document with the key", st.Closed)
	}
	for _, m := range st.Methods {
		if m == "textDocument/didChange" {
			t.Error("the change with the key reached the child")
		}
	}
	want := "package main\n\n// héllo 𝄞" + key + "\nfunc main() {}\n"
	fl.mu.Lock()
	opened := append([]string(nil), fl.opened...)
	fl.mu.Unlock()
	if len(opened) != 1 || opened[0] != want {
		shown := strings.ReplaceAll(strings.Join(opened, "\x00"), key, "<key>")
		t.Errorf("local server opened %q, want the whole new text %q", shown, strings.ReplaceAll(want, key, "<key>"))
	}
	// A full-text change without the key moves it back.
	_ = e.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 3},
		"contentChanges": []any{map[string]any{"text": "package main\n"}}})
	st = e.state()
	if len(st.Opened) != 2 || st.Texts[1] != "package main\n" {
		t.Errorf("child reopened %v with %q", st.Opened, strings.ReplaceAll(strings.Join(st.Texts, "\x00"), key, "<key>"))
	}
	var methods string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(methods, "textDocument/didClose"); time.Sleep(10 * time.Millisecond) {
		fl.mu.Lock()
		methods = strings.Join(fl.methods, " ")
		fl.mu.Unlock()
	}
	if !strings.Contains(methods, "textDocument/didClose") {
		t.Errorf("local server never closed the document: %s", methods)
	}
}
