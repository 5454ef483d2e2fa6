package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/lspconn"
)

// copilotBinary is the pinned copilot-language-server's native binary:
// $VEIL_COPILOT_LS, else where .ci/run installs it (.cache/copilot-ls in
// the checkout).
func copilotBinary() string {
	if p := os.Getenv("VEIL_COPILOT_LS"); p != "" {
		return p
	}
	p, _ := filepath.Abs("../../.cache/copilot-ls/node_modules/@github/copilot-language-server-linux-x64/copilot-language-server")
	return p
}

// TestWrapCopilotE2E runs the real copilot-language-server under
// `veil lsp --wrap`, driven like a Copilot plugin, against a local HTTPS
// mock of GitHub's and Copilot's hosts in a loopback-only network
// namespace. It re-runs itself under `unshare -n -m`.
func TestWrapCopilotE2E(t *testing.T) {
	if os.Getenv("VEIL_WRAP_NETNS") == "1" {
		wrapE2EInside(t)
		return
	}
	missing := ""
	bin := copilotBinary()
	if _, err := os.Stat(bin); err != nil {
		missing = "copilot-language-server (npm install --prefix .cache/copilot-ls @github/copilot-language-server@1.539.0)"
	}
	for _, tool := range []string{"unshare", "ip", "strace"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = tool
		}
	}
	if os.Geteuid() != 0 {
		missing = "root (for unshare -n -m)"
	}
	if missing != "" {
		if os.Getenv("VEIL_REQUIRE_EDITORS") == "1" {
			t.Fatalf("missing %s and VEIL_REQUIRE_EDITORS=1", missing)
		}
		t.Skipf("missing %s", missing)
	}
	cmd := exec.Command("unshare", "-n", "-m", "--", os.Args[0], "-test.run=^TestWrapCopilotE2E$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "VEIL_WRAP_NETNS=1", "VEIL_COPILOT_LS="+bin)
	out, err := cmd.CombinedOutput()
	t.Logf("inside the network namespace:\n%s", out)
	if err != nil || !strings.Contains(string(out), "--- PASS: TestWrapCopilotE2E") {
		t.Fatalf("the wrapped Copilot session failed: %v", err)
	}
}

// netnsSetup brings loopback up, points every Copilot host at 127.0.0.1
// and serves the mock on 127.0.0.1:443 with a test CA that veil trusts
// through SSL_CERT_FILE.
func netnsSetup(t *testing.T, mock *copilotMock) {
	t.Helper()
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v %s", err, out)
	}
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte("127.0.0.1 localhost "+strings.Join(copilotHosts, " ")+"\n"), 0o644)
	if err := syscall.Mount(hosts, "/etc/hosts", "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mounting /etc/hosts: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount("/etc/hosts", 0) })
	caPEM, cert := testCA(t)
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, caPEM, 0o644)
	t.Setenv("SSL_CERT_FILE", ca)
	ln, err := net.Listen("tcp", "127.0.0.1:443")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mock, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { srv.Close(); <-done })
}

// plantedWorkspace is a repository with secrets, PII and the identifier
// term in an open file, an unopened file, its remote URL and .env.
type plantedWorkspace struct {
	root, main, notes, env string
	mainText               string
	pat, email, aws, phone string
	envPassword, envKey    string
	key                    string // a private key pasted during the session
}

func newPlantedWorkspace(t *testing.T) *plantedWorkspace {
	t.Helper()
	w := &plantedWorkspace{root: t.TempDir()}
	sec := randSecrets(t)
	w.pat = sec.GitHubPAT()
	w.email = "noor." + strings.ToLower(sec.Pick(lsptest.Base62, 6)) + "@zephyrine-pay.io"
	w.aws = sec.AWSAccessKeyID()
	w.phone = "+1 415 555 0" + sec.Pick("123456789", 3)
	w.envPassword = "Hx" + sec.Pick(lsptest.Base62, 14) + "!q"
	w.envKey = "sk_live_" + sec.Pick(lsptest.Base62, 24)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"remote", "add", "origin", "https://github.com/acme/zephyrine-billing.git"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = w.root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	w.mainText = "package main\n\nimport \"fmt\"\n\n// ZephyrineClient talks to the ledger; owner " + w.email + "\nconst token = \"" + w.pat + "\"\n\nfunc main() {\n\tfmt.Println(token)\n\t\n}\n"
	w.main = writeFile(t, filepath.Join(w.root, "main.go"), w.mainText)
	w.notes = writeFile(t, filepath.Join(w.root, "notes.go"), "package main\n\n// Zephyrine on-call: "+w.phone+"\nconst awsKeyID = \""+w.aws+"\"\n")
	w.env = writeFile(t, filepath.Join(w.root, ".env"), "DB_PASSWORD="+w.envPassword+"\nSTRIPE_KEY="+w.envKey+"\n")
	return w
}

func (w *plantedWorkspace) planted() []string {
	out := []string{w.pat, w.email, w.aws, w.phone, w.envPassword, w.envKey, "DB_PASSWORD", "STRIPE_KEY"}
	if w.key != "" {
		out = append(out, w.key[36:80]) // a line of the key's body
	}
	return out
}

// copilotPlugin is a test editor that talks like copilot.lua: it never
// offers client fetch and answers the server's calls.
type copilotPlugin struct {
	conn *lspconn.Conn
	mu   sync.Mutex
	prog map[string][]json.RawMessage // $/progress values by token
	msgs []string                     // window/showMessage texts
	note map[string][]string          // other notifications by method
}

// waitNote waits for a notification and returns every notification's
// params seen until then, one a line.
func (p *copilotPlugin) waitNote(t *testing.T, method string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p.mu.Lock()
		done := len(p.note[method]) > 0
		var all []string
		for m, ps := range p.note {
			for _, x := range ps {
				all = append(all, m+" "+x)
			}
		}
		p.mu.Unlock()
		if done {
			return strings.Join(all, "\n")
		}
	}
	t.Fatalf("no %s", method)
	return ""
}

func (p *copilotPlugin) handle(m *lspconn.Message) error {
	switch {
	case m.Method == "$/progress":
		var v struct {
			Token json.RawMessage `json:"token"`
			Value json.RawMessage `json:"value"`
		}
		_ = json.Unmarshal(m.Params, &v)
		p.mu.Lock()
		p.prog[strings.Trim(string(v.Token), `"`)] = append(p.prog[strings.Trim(string(v.Token), `"`)], v.Value)
		p.mu.Unlock()
	case m.Method == "window/showMessage":
		p.mu.Lock()
		p.msgs = append(p.msgs, string(m.Params))
		p.mu.Unlock()
	case m.Method == "workspace/configuration":
		var q struct{ Items []any }
		_ = json.Unmarshal(m.Params, &q)
		out := make([]any, len(q.Items))
		for i := range out {
			out[i] = map[string]any{}
		}
		p.replyAsync(m.ID, out)
	case m.Method == "conversation/invokeClientToolConfirmation":
		p.replyAsync(m.ID, []any{map[string]any{"result": "accept"}, nil})
	case m.IsCall():
		p.replyAsync(m.ID, nil)
	default:
		p.mu.Lock()
		p.note[m.Method] = append(p.note[m.Method], string(m.Params))
		p.mu.Unlock()
	}
	return nil
}

// replyAsync answers off the read loop, as editors do: a write from the
// read loop on these unbuffered pipes could deadlock against a call
// blocked writing to veil.
func (p *copilotPlugin) replyAsync(id []byte, result any) {
	go func() { _ = p.conn.Reply(id, result, nil) }()
}

func (p *copilotPlugin) call(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := p.conn.Call(ctx, method, params)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return raw
}

// progressText waits for token's end and returns every reply text and
// every other value it carried.
func (p *copilotPlugin) progressDone(t *testing.T, token string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		vals := p.prog[token]
		p.mu.Unlock()
		var all strings.Builder
		ended := false
		for _, v := range vals {
			all.Write(v)
			all.WriteByte('\n')
			var k struct{ Kind string }
			_ = json.Unmarshal(v, &k)
			ended = ended || k.Kind == "end"
		}
		if ended {
			return all.String()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("progress %s did not end", token)
	return ""
}

func wrapE2EInside(t *testing.T) {
	w := newPlantedWorkspace(t)
	mock := &copilotMock{envPath: w.env}
	netnsSetup(t, mock)
	home := t.TempDir()
	for k, v := range map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "XDG_STATE_HOME": filepath.Join(home, ".state"),
		"XDG_CACHE_HOME": filepath.Join(home, ".cache"), "XDG_DATA_HOME": filepath.Join(home, ".data"), "GH_COPILOT_TOKEN": "", "GITHUB_TOKEN": "", "GH_TOKEN": ""} {
		t.Setenv(k, v)
	}
	t.Chdir(w.root)
	logDir := t.TempDir()
	cfg := writeFile(t, filepath.Join(logDir, "veil.yaml"), "identifiers:\n  terms: [Zephyrine]\naudit:\n  path: "+filepath.Join(logDir, "audit.jsonl")+"\n"+
		"policy:\n  rules:\n    - name: ledger stays local\n      paths: [\"internal/**\"]\n      route: local\n")
	straceOut := filepath.Join(logDir, "strace.txt")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		e := &env{stdin: inR, stdout: outW, stderr: &stderr, getenv: os.Getenv}
		code <- run(e, []string{"lsp", "--wrap", "--config", cfg, "--log-file", filepath.Join(logDir, "veil.log"), "--log-level", "debug", "--",
			"strace", "-f", "-qq", "-e", "trace=connect", "-o", straceOut, os.Getenv("VEIL_COPILOT_LS"), "--stdio"})
		outW.Close()
	}()
	p := &copilotPlugin{prog: map[string][]json.RawMessage{}, note: map[string][]string{}}
	p.conn = lspconn.New(outR, inW, lspconn.Options{IDPrefix: "ed"})
	ran := make(chan error, 1)
	go func() { ran <- p.conn.Run(p.handle) }()
	defer func() {
		inW.Close()
		select {
		case <-code:
		case <-time.After(20 * time.Second):
			t.Error("veil did not end")
		}
		<-ran
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(logDir, "veil.log"))
			t.Logf("veil log (tail):\n%s", tail(string(b), 8000))
		}
	}()

	wrapE2ESession(t, p, w, mock)

	for _, r := range mock.all() {
		t.Logf("mock got %s %s%s (%d bytes)", r.Method, r.Host, r.URL, len(r.Body))
	}
	wrapE2ELatency(t, p, w, mock, filepath.Join(logDir, "audit.jsonl"))
	wrapE2EPasteKey(t, p, w, mock)
	logMemory(t)
	p.call(t, "shutdown", nil)
	_ = p.conn.Notify("exit", nil)
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("veil exit code %d; stderr %s", c, stderr.String())
		}
		code <- c
	case <-time.After(20 * time.Second):
		t.Fatal("veil did not exit")
	}
	checkNothingPlantedReachedMock(t, mock, w)
	checkChildConnects(t, straceOut)
	checkAuditAndLog(t, mock, w, logDir)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func fileURI(p string) string { return "file://" + filepath.ToSlash(p) }

// wrapE2ESession is the plugin's session: sign-in, completion, panel,
// chat with a reference, an agent round.
func wrapE2ESession(t *testing.T, p *copilotPlugin, w *plantedWorkspace, mock *copilotMock) {
	init := p.call(t, "initialize", map[string]any{"processId": os.Getpid(), "rootUri": fileURI(w.root),
		"workspaceFolders": []any{map[string]any{"uri": fileURI(w.root), "name": "billing"}},
		"capabilities":     map[string]any{"workspace": map[string]any{"configuration": true}, "window": map[string]any{"workDoneProgress": true}},
		"initializationOptions": map[string]any{"editorInfo": map[string]any{"name": "Neovim", "version": "0.12.4"},
			"editorPluginInfo": map[string]any{"name": "copilot.lua", "version": "3.0.0"}}})
	if !strings.Contains(string(init), `"name":"veil wrapping GitHub Copilot Language Server 1.539.0"`) {
		t.Errorf("serverInfo does not say veil wraps Copilot: %.300s", init)
	}
	_ = p.conn.Notify("initialized", map[string]any{})
	_ = p.conn.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{}})

	raw := p.call(t, "signInInitiate", map[string]any{})
	t.Logf("signInInitiate: %s", raw)
	if !strings.Contains(string(raw), "WXYZ-1234") {
		t.Fatalf("sign-in did not reach the device flow through veil: %s", raw)
	}
	raw = p.call(t, "signInConfirm", map[string]any{"userCode": "WXYZ-1234"})
	t.Logf("signInConfirm: %s", raw)
	raw = p.call(t, "checkStatus", map[string]any{})
	t.Logf("checkStatus: %s", raw)
	if !strings.Contains(string(raw), `"OK"`) || !strings.Contains(string(raw), `"mode":"wrap"`) {
		t.Fatalf("checkStatus after sign-in: %s", raw)
	}
	wrapE2ECompletion(t, p, w, mock)
	wrapE2EChat(t, p, w)
}

func wrapE2ECompletion(t *testing.T, p *copilotPlugin, w *plantedWorkspace, mock *copilotMock) {
	_ = p.conn.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main), "languageId": "go", "version": 1, "text": w.mainText}})
	_ = p.conn.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.env), "languageId": "dotenv", "version": 1, "text": "DB_PASSWORD=" + w.envPassword + "\n"}})
	line := strings.Count(w.mainText[:strings.Index(w.mainText, "\t\n}")], "\n")
	raw := p.call(t, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main), "version": 1},
		"position": map[string]any{"line": line, "character": 1}, "context": map[string]any{"triggerKind": 2},
		"formattingOptions": map[string]any{"tabSize": 4, "insertSpaces": false}})
	t.Logf("inline completion: %s", raw)
	var res struct {
		Items []struct {
			InsertText string `json:"insertText"`
			Range      struct {
				Start, End struct{ Line, Character int }
			} `json:"range"`
		} `json:"items"`
	}
	_ = json.Unmarshal(raw, &res)
	if len(res.Items) == 0 {
		t.Fatalf("no suggestion: %s", raw)
	}
	it := res.Items[0]
	if !strings.Contains(it.InsertText, w.pat) || strings.Contains(it.InsertText, "VEIL_") {
		t.Errorf("suggestion not restored (want the real token back): %q", it.InsertText)
	}
	if it.Range.Start.Line != line || it.Range.Start.Character != 0 || it.Range.End.Line != line || it.Range.End.Character != 1 {
		t.Errorf("suggestion range %+v, want line %d from 0 to 1", it.Range, line)
	}
	raw = p.call(t, "getPanelCompletions", map[string]any{"doc": map[string]any{"uri": fileURI(w.main), "version": 1,
		"position": map[string]any{"line": line, "character": 1}}, "panelId": "panel-1"})
	t.Logf("panel: %s", raw)
	solutions := p.waitNote(t, "PanelSolutionsDone")
	t.Logf("panel solutions: %s", solutions)
	if !strings.Contains(solutions, w.pat) || strings.Contains(solutions, "VEIL_") {
		t.Errorf("panel solution not restored")
	}
	before := len(mock.all())
	raw = p.call(t, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.env), "version": 1},
		"position": map[string]any{"line": 0, "character": 3}, "context": map[string]any{"triggerKind": 2}})
	if strings.Contains(string(raw), "insertText") {
		t.Errorf(".env completion: %s", raw)
	}
	// A document the user's policy keeps local is served by veil's own
	// server and local model; the child never sees it.
	ledger := writeFile(t, filepath.Join(w.root, "internal", "ledger.go"), "package internal\n\n// Zephyrine ledger\nvar key = \""+w.aws+"\"\n")
	_ = p.conn.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": fileURI(ledger), "languageId": "go", "version": 1, "text": "package internal\n\n// Zephyrine ledger\nvar key = \"" + w.aws + "\"\n"}})
	raw = p.call(t, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": fileURI(ledger), "version": 1},
		"position": map[string]any{"line": 4, "character": 0}, "context": map[string]any{"triggerKind": 1}})
	t.Logf("local-routed completion: %s", raw)
	if n := len(mock.all()); n != before {
		t.Errorf("%d upstream requests for a .env and a local-routed document", n-before)
	}
	raw = p.call(t, "veil/status", map[string]any{"textDocument": map[string]any{"uri": fileURI(ledger)}})
	if !strings.Contains(string(raw), `"route":"local"`) {
		t.Errorf("veil/status of the local document: %s", raw)
	}
	p.mu.Lock()
	msgs := strings.Join(p.msgs, "\n")
	p.mu.Unlock()
	if !strings.Contains(msgs, ".env") {
		t.Errorf("no message about the blocked .env: %s", msgs)
	}
}

func wrapE2EChat(t *testing.T, p *copilotPlugin, w *plantedWorkspace) {
	raw := p.call(t, "conversation/create", map[string]any{"workDoneToken": "chat-1", "source": "panel", "model": "gpt-4.1",
		"turns":           []any{map[string]any{"request": "What does notes.go hold?"}},
		"capabilities":    map[string]any{"skills": []any{}, "allSkills": false},
		"references":      []any{map[string]any{"type": "file", "uri": fileURI(w.notes)}, map[string]any{"type": "file", "uri": fileURI(w.env)}},
		"workspaceFolder": fileURI(w.root)})
	t.Logf("conversation/create: %s", raw)
	out := p.progressDone(t, "chat-1")
	t.Logf("chat progress: %s", tail(out, 3000))
	if !regexp.MustCompile(regexp.QuoteMeta(w.aws) + "|" + regexp.QuoteMeta(w.phone)).MatchString(out) {
		t.Errorf("chat answer not restored (want a planted value back in the editor)")
	}
	raw = p.call(t, "conversation/create", map[string]any{"workDoneToken": "agent-1", "source": "panel", "chatMode": "Agent", "model": "gpt-4.1",
		"turns":           []any{map[string]any{"request": "Please read the env file and tell me the database password."}},
		"capabilities":    map[string]any{"skills": []any{}, "allSkills": true},
		"workspaceFolder": fileURI(w.root)})
	t.Logf("agent conversation/create: %s", raw)
	out = p.progressDone(t, "agent-1")
	t.Logf("agent progress: %s", tail(out, 3000))
	if !strings.Contains(out, `"read_file"`) {
		t.Error("the agent round did not run read_file")
	}
}

// checkNothingPlantedReachedMock looks for every planted value, the
// identifier term and the .env text in every URL, header and body the
// mock received.
func checkNothingPlantedReachedMock(t *testing.T, mock *copilotMock, w *plantedWorkspace) {
	reqs := mock.all()
	kinds := map[string]int{}
	for _, r := range reqs {
		var b strings.Builder
		b.WriteString(r.Host + r.URL + "\n" + r.Body)
		for k, vs := range r.Header {
			b.WriteString("\n" + k + ": " + strings.Join(vs, ","))
		}
		all := b.String()
		for _, v := range w.planted() {
			if strings.Contains(all, v) {
				t.Errorf("%s %s%s carried planted value %s", r.Method, r.Host, r.URL, previewOf(v))
			}
		}
		if strings.Contains(strings.ToLower(all), "zephyrine") {
			t.Errorf("%s %s%s carried the identifier term", r.Method, r.Host, r.URL)
		}
		switch {
		case strings.Contains(r.URL, "/completions") && strings.Contains(r.URL, "engines"):
			kinds["completion"]++
		case strings.Contains(r.URL, "/chat/completions"):
			kinds["chat"]++
			if strings.Contains(r.Body, `"role":"tool"`) {
				kinds["tool result"]++
			}
		case strings.Contains(r.URL, "/login/"):
			kinds["sign-in"]++
		}
	}
	refusals := 0
	for _, r := range reqs {
		refusals += strings.Count(r.Body, "withheld by policy")
	}
	t.Logf("mock saw %v; refusals in bodies: %d", kinds, refusals)
	nwos := map[string]int{}
	for _, r := range reqs {
		if strings.Contains(r.URL, "/engines/") {
			var body struct {
				Nwo string `json:"nwo"`
			}
			_ = json.Unmarshal([]byte(r.Body), &body)
			nwos[body.Nwo]++
		}
	}
	t.Logf("completion requests by nwo: %v", nwos)
	masked := 0
	for nwo, n := range nwos {
		if strings.HasPrefix(nwo, "acme/veil_name_") {
			masked += n
		}
	}
	if masked == 0 {
		t.Errorf("no completion carried the repository (nwo) masked: %v", nwos)
	}
	if kinds["tool result"] == 0 || refusals < 2 {
		t.Errorf("want the .env attachment and the read_file result replaced by refusals: %d refusals, %d tool results", refusals, kinds["tool result"])
	}
	if kinds["completion"] == 0 || kinds["chat"] == 0 || kinds["sign-in"] == 0 {
		t.Errorf("the session did not exercise completion, chat and sign-in: %v", kinds)
	}
}

func previewOf(v string) string {
	if len(v) < 4 {
		return fmt.Sprintf("(len %d)", len(v))
	}
	return fmt.Sprintf("%s…(len %d)", v[:4], len(v))
}

// connectRE is one connect() line of strace's output.
var connectRE = regexp.MustCompile(`connect\(\d+, \{sa_family=(AF_INET6?|AF_UNIX|[A-Z0-9_]+)(?:, sin6?_port=htons\((\d+)\))?(?:, (?:sin_addr=inet_addr\("([^"]+)"\)|sun_path="([^"]*)"|inet_pton\(AF_INET6, "([^"]+)"))?`)

// checkChildConnects reads strace's connect() log of the child: it may
// reach the refusing proxy on loopback and local sockets, nothing else.
func checkChildConnects(t *testing.T, straceOut string) {
	b, err := os.ReadFile(straceOut)
	if err != nil {
		t.Fatalf("strace output: %v", err)
	}
	inet := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "connect(") {
			continue
		}
		m := connectRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("unreadable connect line: %s", line)
			continue
		}
		switch m[1] {
		case "AF_UNIX":
		case "AF_INET", "AF_INET6":
			inet++
			if (m[3] != "127.0.0.1" && m[5] != "::1") || m[2] == "443" || m[2] == "53" {
				t.Errorf("the child connected to %s port %s on its own: %s", m[3]+m[5], m[2], line)
			}
		default:
			t.Errorf("unexpected connect: %s", line)
		}
	}
	t.Logf("child's inet connects: %d (all to veil's refusing proxy)", inet)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatal("no strace output")
	}
}

// checkAuditAndLog reads the audit log (one record per upstream request,
// route upstream) and the debug log: no planted value in either, and
// veil audit stats counts the upstream requests.
func checkAuditAndLog(t *testing.T, mock *copilotMock, w *plantedWorkspace, logDir string) {
	auditPath := filepath.Join(logDir, "audit.jsonl")
	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct{ Route, Kind, Host, Outcome string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		switch {
		case r.Route == "upstream" && r.Outcome == "ok":
			sent++
		case r.Route == "upstream", r.Route == "local", r.Route == "block":
		default:
			t.Errorf("audit record with route %q", r.Route)
		}
	}
	if n := len(mock.all()); sent != n {
		t.Errorf("%d audit records of sent requests, %d requests reached the mock", sent, n)
	}
	logText, _ := os.ReadFile(filepath.Join(logDir, "veil.log"))
	for _, tok := range []string{"gho_mmmmmmmm", "tid=mock", "dc-123"} {
		if strings.Contains(string(b), tok) || strings.Contains(string(logText), tok) {
			t.Errorf("a sign-in credential (%s…) reached the audit or the log", tok[:4])
		}
	}
	for _, v := range w.planted() {
		if strings.Contains(string(b), v) || strings.Contains(string(logText), v) {
			t.Errorf("planted value %s in the audit or the log", previewOf(v))
		}
	}
	var out, errOut strings.Builder
	if c := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: os.Getenv}, []string{"audit", "stats", auditPath}); c != 0 {
		t.Errorf("audit stats: %d %s", c, errOut.String())
	}
	if !strings.Contains(out.String(), "upstream requests (wrap mode)") || !strings.Contains(out.String(), "completions ok") || !strings.Contains(out.String(), "file contents refused") {
		t.Errorf("audit stats does not count upstream:\n%s", out.String())
	}
	t.Logf("veil audit stats:\n%s", out.String())
}

// wrapE2ELatency asks for completions and reports veil's added latency
// per upstream completion: the audit record's time (copilot/fetch in to
// the last byte out) minus the mock's handler time.
func wrapE2ELatency(t *testing.T, p *copilotPlugin, w *plantedWorkspace, mock *copilotMock, auditPath string) {
	const n = 40
	lines := strings.Split(w.mainText, "\n")
	for i := 0; i < n; i++ {
		line := 9
		p.call(t, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main), "version": 1},
			"position": map[string]any{"line": line, "character": len(lines[line])}, "context": map[string]any{"triggerKind": 1},
			"formattingOptions": map[string]any{"tabSize": 4, "insertSpaces": false}})
	}
	b, _ := os.ReadFile(auditPath)
	var veilMS []float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct {
			Kind      string
			LatencyMS float64 `json:"latency_ms"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Kind == "completions" {
			veilMS = append(veilMS, r.LatencyMS)
		}
	}
	var mockMS []float64
	for _, r := range mock.all() {
		if strings.Contains(r.URL, "/engines/") {
			mockMS = append(mockMS, float64(r.Took.Microseconds())/1000)
		}
	}
	if len(veilMS) != len(mockMS) || len(veilMS) < 2 {
		t.Logf("latency: %d audit records, %d mock completions; not comparable", len(veilMS), len(mockMS))
		return
	}
	added := make([]float64, len(veilMS))
	for i := range veilMS {
		added[i] = veilMS[i] - mockMS[i]
	}
	sort.Float64s(added)
	p50, p99 := added[len(added)/2], added[min(len(added)-1, len(added)*99/100)]
	t.Logf("veil's added latency per upstream completion (n=%d, audit latency minus mock handler): p50 %.2f ms, p99 %.2f ms", len(added), p50, p99)
}

// logMemory reports resident memory: this process (veil, the mock and the
// test client together: an upper bound for veil) and the child's tree.
func logMemory(t *testing.T) {
	self := rssKB(os.Getpid())
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
				parent[pid], _ = strconv.Atoi(f[1])
			}
		}
	}
	child := 0
	for pid := range parent {
		for q := parent[pid]; q > 1; q = parent[q] {
			if q == os.Getpid() {
				child += rssKB(pid)
				break
			}
		}
	}
	t.Logf("memory with the child running: veil+mock+test process %d MB RSS; child tree (strace + copilot-language-server) %d MB RSS", self/1024, child/1024)
}

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// wrapE2EPasteKey pastes a private key into the open file: veil moves the
// document out of the child, so the key never reaches it or the mock, and
// its completions are answered by veil's own server.
func wrapE2EPasteKey(t *testing.T, p *copilotPlugin, w *plantedWorkspace, mock *copilotMock) {
	key := genPrivateKey(t)
	w.key = key
	before := len(mock.all())
	_ = p.conn.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main), "version": 2},
		"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 3, "character": 0}, "end": map[string]any{"line": 3, "character": 0}},
			"text": "const k = `" + key + "`\n"}}})
	raw := p.call(t, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main), "version": 2},
		"position": map[string]any{"line": 2, "character": 0}, "context": map[string]any{"triggerKind": 1}})
	if strings.Contains(string(raw), "insertText") {
		t.Errorf("a document holding a private key got a suggestion: %s", raw)
	}
	if n := len(mock.all()) - before; n != 0 {
		t.Errorf("%d upstream requests after the key was pasted", n)
	}
	raw = p.call(t, "veil/status", map[string]any{"textDocument": map[string]any{"uri": fileURI(w.main)}})
	if !strings.Contains(string(raw), `"route":"block"`) {
		t.Errorf("veil/status after the paste: %s", raw)
	}
}
