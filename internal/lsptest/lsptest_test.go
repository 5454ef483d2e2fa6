package lsptest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/lspconn"
	"github.com/veil-dev/veil/redact"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSecretsAreDetected: every generated secret is found by veil's own
// detector under the rule it imitates (so checksums and alphabets are right).
func TestSecretsAreDetected(t *testing.T) {
	d, err := redact.NewDetector(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := lsptest.NewSecrets(1)
	for _, c := range []struct{ value, rule, ctx string }{
		{s.AWSAccessKeyID(), "aws", "key = \"%s\"\n"},
		{s.GitHubPAT(), "github", "token = \"%s\"\n"},
		{s.GitHubToken("gho_"), "github", "token = \"%s\"\n"},
		{s.NPMToken(), "npm", "//registry.npmjs.org/:_authToken=%s\n"},
		{s.Card("4", 16), "card", "card: %s\n"},
		{s.OpenSSHPrivateKey(), "private-key", "%s"},
	} {
		text := strings.Replace(c.ctx, "%s", c.value, 1)
		found := false
		for _, f := range d.Scan("x.txt", []byte(text)) {
			if strings.Contains(f.RuleID, c.rule) && strings.Contains(text[f.Start:f.End], c.value[:8]) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s (%s) not detected", redact.Preview(c.value), c.rule)
		}
	}
	if lsptest.NewSecrets(7).GitHubPAT() != lsptest.NewSecrets(7).GitHubPAT() {
		t.Error("same seed, different secrets")
	}
}

func TestForms(t *testing.T) {
	f := lsptest.Forms("AKIAABCDEFGH")
	if len(f) != 4 || f[1] != "QUtJQUFCQ0RFRkdI" || f[3] != "AKIAABCD" {
		t.Fatalf("forms = %q", f)
	}
}

// TestClientOverPipes: calls, notifications, a server request answered by
// Answer, and the end of the server's stream.
func TestClientOverPipes(t *testing.T) {
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	srv := lspconn.New(sr, sw, lspconn.Options{})
	srvDone := make(chan error, 1)
	go func() {
		srvDone <- srv.Run(func(m *lspconn.Message) error {
			if m.Method == "ask" {
				go func() { // a server must not Call from its read loop
					res, err := srv.Call(t.Context(), "client/q", nil)
					srv.Notify("asked", map[string]any{"res": json.RawMessage(res), "err": err != nil})
					srv.Reply(m.ID, "done", nil)
				}()
				return nil
			}
			if m.IsCall() {
				return srv.Reply(m.ID, nil, &lspconn.Error{Code: lspconn.CodeMethodNotFound, Message: "no"})
			}
			return srv.Notify("echo", json.RawMessage(m.Params))
		})
	}()
	c := lsptest.NewClient(t, cr, cw)
	c.Answer(func(method string, _ json.RawMessage) (any, error) { return method, nil })
	if res, err := c.Call("ask", nil); err != nil || string(res) != `"done"` {
		t.Fatalf("ask = %s, %v", res, err)
	}
	n, ok := c.WaitNotification("asked")
	if !ok || string(n.Params) != `{"err":false,"res":"client/q"}` {
		t.Fatalf("asked = %s", n.Params)
	}
	var rpcErr *lspconn.Error
	if _, err := c.Call("other", nil); !errors.As(err, &rpcErr) || rpcErr.Code != lspconn.CodeMethodNotFound {
		t.Fatalf("error response: %v", err)
	}
	c.Notify("ping", []int{1})
	if n, ok := c.WaitNotification("echo"); !ok || string(n.Params) != "[1]" {
		t.Fatalf("echo = %s", n.Params)
	}
	if !strings.Contains(c.Received(), `"method":"echo"`) {
		t.Errorf("received frames not recorded")
	}
	sw.Close()
	if err := c.Err(); !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v", err)
	}
	cw.Close()
	<-srvDone
}

// A server that writes a call and then keeps writing before it reads
// anything (as a server does when it calls the editor while publishing)
// must not deadlock the client on unbuffered pipes: the client answers
// off its read loop, as editors do.
func TestClientAnswersOffTheReadLoop(t *testing.T) {
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	srvW := lspconn.NewFrameWriter(sw)
	c := lsptest.NewClient(t, cr, cw)
	c.Answer(func(string, json.RawMessage) (any, error) { return "ok", nil })
	wrote := make(chan error, 1)
	go func() {
		err := srvW.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"workspace/configuration","params":{}}`))
		for i := 0; err == nil && i < 3; i++ {
			err = srvW.Write([]byte(`{"jsonrpc":"2.0","method":"note","params":{}}`))
		}
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lsptest.Timeout):
		t.Fatal("the server could not write while the client's answer waited: deadlock")
	}
	reply, err := lspconn.NewFrameReader(sr, 1<<20).Read()
	if err != nil || !strings.Contains(string(reply), `"result":"ok"`) {
		t.Fatalf("answer %s, %v", reply, err)
	}
	if n, ok := c.WaitNotification("note"); !ok || n.Method != "note" {
		t.Fatal("notifications after the call were not read")
	}
	sw.Close()
	sr.Close()
}

func TestModelServer(t *testing.T) {
	m := lsptest.NewModelServer(t, []string{"m1"}, "hello", "hi")
	resp, err := http.Post(m.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"text":"hello"`) || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("completion stream: %s", b)
	}
	resp, err = http.Get(m.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"data":[{"id":"m1","object":"model"}],"object":"list"}` {
		t.Fatalf("models: %s", b)
	}
	if got := m.Bodies("/v1/completions"); len(got) != 1 || got[0]["prompt"] != "p" || m.Hits("/v1/models") != 1 {
		t.Fatalf("recorded %v", m.Requests())
	}
	http.DefaultClient.CloseIdleConnections()
}

// GoSource is as long as asked (less a cut character), the same for the
// same seed, different for another, and holds findings at the density the
// benchmarks rely on: one every four lines, a key about every KiB on one line.
func TestGoSource(t *testing.T) {
	d, err := redact.NewDetector(redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, oneLine := range []bool{false, true} {
		a, b, c := lsptest.GoSource(20<<10, oneLine, 1), lsptest.GoSource(20<<10, oneLine, 1), lsptest.GoSource(20<<10, oneLine, 2)
		if len(a) < 20<<10-3 || len(a) > 20<<10 || a != b || a == c {
			t.Fatalf("oneLine=%v: %d bytes, same seed equal %v, other seed differs %v", oneLine, len(a), a == b, a != c)
		}
		if oneLine && strings.Contains(a, "\n") {
			t.Fatal("the one-line source has a line break")
		}
		lines := max(1, strings.Count(a, "\n"))
		want := lines / 5
		if oneLine {
			want = len(a) / 2048
		}
		if n := len(d.Scan("a.go", []byte(a))); n < want {
			t.Errorf("oneLine=%v: %d findings in %d lines, want at least %d", oneLine, n, lines, want)
		}
	}
}
