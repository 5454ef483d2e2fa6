package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/redact"
)

// Red-team tests of the built command: `veil lsp --log-level debug` with an
// audit file, against an OpenAI-compatible test server that records every
// request; then `veil scan`, `veil redact` and `veil policy explain` on the
// same planted values. No planted value, nor its 8-character prefix,
// base64 or hex form, may reach the model server, stderr, stdout of the
// CLI reports, or the audit file.

// rtSecrets makes generated secrets: right prefix, alphabet, length and
// checksum, never real.
type rtSecrets struct{ r *rand.Rand }

func (s *rtSecrets) pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (s *rtSecrets) aws() string { return "AKIA" + s.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) }

func (s *rtSecrets) github() string {
	const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	body := s.pick(base62, 30)
	c := crc32.ChecksumIEEE([]byte(body))
	var sum [6]byte
	for i := 5; i >= 0; i-- {
		sum[i] = base62[c%62]
		c /= 62
	}
	return "ghp_" + body + string(sum[:])
}

func rtForms(v string) []string {
	out := []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))}
	if len(v) > 8 {
		out = append(out, v[:8])
	}
	return out
}

func rtCheck(t *testing.T, where map[string]string, values ...string) {
	t.Helper()
	for _, v := range values {
		for _, f := range rtForms(v) {
			for name, text := range where {
				if strings.Contains(text, f) {
					t.Errorf("%s holds a form of %s (%s)", name, redact.Preview(v), redact.Preview(f))
				}
			}
		}
	}
}

// rtModel is an OpenAI-compatible server that records request bodies and
// echoes the last vault token of a completion prompt.
type rtModel struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newRTModel(t *testing.T) *rtModel {
	m := &rtModel{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.bodies = append(m.bodies, r.URL.String()+" "+string(body))
		m.mu.Unlock()
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"rt-model","object":"model"}]}`)
		case "/v1/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			b, _ := json.Marshal(map[string]any{"id": "c", "object": "text_completion", "model": "rt-model",
				"choices": []any{map[string]any{"index": 0, "text": "nil", "finish_reason": "stop"}}})
			fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *rtModel) received() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.bodies, "\x00")
}

// lspPipe runs `veil lsp` with piped stdin and stdout; a goroutine reads
// every frame it writes, so the server never blocks on its output.
type lspPipe struct {
	t      *testing.T
	in     *io.PipeWriter
	msgs   chan map[string]any
	stderr *bytes.Buffer
	done   chan int
}

func startLSP(t *testing.T, vars map[string]string, args ...string) *lspPipe {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &lspPipe{t: t, in: inW, msgs: make(chan map[string]any, 1024), stderr: &bytes.Buffer{}, done: make(chan int, 1)}
	e := &env{stdin: inR, stdout: outW, stderr: &syncWriter{w: p.stderr}, getenv: func(k string) string { return vars[k] }}
	go func() {
		code := run(e, append([]string{"lsp"}, args...))
		outW.Close()
		p.done <- code
	}()
	go func() {
		defer close(p.msgs)
		br := bufio.NewReader(outR)
		tp := textproto.NewReader(br)
		for {
			h, err := tp.ReadMIMEHeader()
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(h.Get("Content-Length"))
			body := make([]byte, n)
			if _, err := io.ReadFull(br, body); err != nil {
				return
			}
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			p.msgs <- m
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		for range p.msgs {
		}
	})
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

func (p *lspPipe) send(v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(p.in, "Content-Length: %d\r\n\r\n%s", len(b), b)
}

// until waits for the response to id.
func (p *lspPipe) until(id int) map[string]any {
	p.t.Helper()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				p.t.Fatalf("the LSP stream ended waiting for %d", id)
			}
			if _, isReq := m["method"]; !isReq && m["id"] == float64(id) {
				return m
			}
		case <-timer.C:
			p.t.Fatalf("timed out waiting for the response to %d", id)
		}
	}
}

func TestRedteamLSPBinarySinks(t *testing.T) {
	sec := &rtSecrets{rand.New(rand.NewPCG(201, 202))}
	key, tok, envKey := sec.aws(), sec.github(), sec.aws()
	home := t.TempDir()
	ws := filepath.Join(home, "ws")
	if err := os.MkdirAll(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := newRTModel(t)
	auditPath := filepath.Join(home, "audit.jsonl")
	logPath := filepath.Join(home, "veil.log")
	cfg := filepath.Join(home, "veil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("model:\n  backend: openai\n  endpoint: %s/v1\n  name: rt-model\n"+
		"identifiers:\n  terms: [Zephyrine]\naudit:\n  enabled: true\n  path: %s\nlsp:\n  latency_budget: 10s\n", srv.URL, auditPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	p := startLSP(t, vars, "--config", cfg, "--log-level", "debug", "--log-file", logPath)
	p.send(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"rootUri": "file://" + ws, "capabilities": map[string]any{}}})
	p.until(1)
	p.send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
	open := func(uri, lang, text string) {
		p.send(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{"textDocument": map[string]any{
			"uri": uri, "languageId": lang, "version": 1, "text": text}}})
	}
	ask := func(id int, uri string, line int) map[string]any {
		p.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": "textDocument/inlineCompletion", "params": map[string]any{
			"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": line, "character": 0},
			"context": map[string]any{"triggerKind": 1}}})
		return p.until(id)
	}
	main := "file://" + ws + "/Zephyrine/" + tok + ".go"
	open(main, "go", "package z\n\nvar k = \""+key+"\" // noor.haddad@orchard-mail.net\n\n")
	ask(2, main, 3)
	env := "file://" + ws + "/.env"
	open(env, "dotenv", "AWS_ACCESS_KEY_ID="+envKey+"\n")
	ask(3, env, 0)
	// Bad input: invalid JSON holding a secret, a bad frame, a bad param.
	fmt.Fprintf(p.in, "Content-Length: %d\r\n\r\n%s", len(`{"id":9,"method":"x","params":"`+key+`"`), `{"id":9,"method":"x","params":"`+key+`"`)
	p.send(map[string]any{"jsonrpc": "2.0", "id": 4, "method": "textDocument/inlineCompletion", "params": map[string]any{
		"textDocument": map[string]any{"uri": main}, "position": map[string]any{"line": tok, "character": 0}}})
	p.until(4)
	p.send(map[string]any{"jsonrpc": "2.0", "id": 5, "method": tok, "params": map[string]any{}})
	p.until(5)
	p.send(map[string]any{"jsonrpc": "2.0", "id": 6, "method": "shutdown"})
	p.until(6)
	p.send(map[string]any{"jsonrpc": "2.0", "method": "exit"})
	select {
	case code := <-p.done:
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
	if !strings.Contains(srv.received(), "/v1/completions") {
		t.Fatalf("the model server got no completion")
	}
	rtCheck(t, map[string]string{"model": srv.received(), "log file": string(logs), "stderr": p.stderr.String(), "audit": string(auditText)},
		key, tok, envKey, "noor.haddad@orchard-mail.net", "Zephyrine")
}

// TestRedteamCLIReports: scan, redact and policy explain print previews,
// tokens and counts, never a value (redact's stdout is the masked text).
func TestRedteamCLIReports(t *testing.T) {
	sec := &rtSecrets{rand.New(rand.NewPCG(203, 204))}
	key, tok := sec.aws(), sec.github()
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
