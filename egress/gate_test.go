package egress

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

// fakePAT is a classic GitHub token with a valid checksum, from a random
// seed.
func fakePAT(t testing.TB) string {
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		t.Fatal(err)
	}
	return lsptest.NewSecrets(binary.LittleEndian.Uint64(seed[:])).GitHubPAT()
}

// preview is what a failure message may show of a planted value.
func preview(s string) string { return redact.Preview(s) }

// hide replaces each planted value in s by its preview, for failure
// messages that print a whole body.
func hide(s string, planted ...string) string {
	for _, p := range planted {
		s = strings.ReplaceAll(s, p, preview(p))
	}
	return s
}

// upstream is a TLS server standing in for every GitHub host: it records
// what reached it and answers with handler.
type upstream struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []seen
}

type seen struct {
	host, method, url, body string
	header                  http.Header
}

func newUpstream(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, body string)) *upstream {
	u := &upstream{}
	u.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, seen{host: r.Host, method: r.Method, url: r.URL.String(), body: string(b), header: r.Header.Clone()})
		u.mu.Unlock()
		handler(w, r, string(b))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// client dials the test server for every host and checks its certificate
// as example.com (the name httptest's certificate carries).
func (u *upstream) client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(u.srv.Certificate())
	addr := u.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

// everything is all the text of every request that reached the server.
func (u *upstream) everything() string {
	var b strings.Builder
	for _, s := range u.requests() {
		b.WriteString(s.host + " " + s.url + "\n" + s.body + "\n")
		for k, vs := range s.header {
			b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
	}
	return b.String()
}

type gateFixture struct {
	gate    *Gate
	vault   *redact.Vault
	mu      sync.Mutex
	records []audit.Record
}

func newGate(t *testing.T, up *upstream) *gateFixture {
	det, err := redact.NewDetector(redact.Options{Terms: []string{"Zephyrine"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &gateFixture{vault: redact.NewVault([]byte("0123456789abcdef0123456789abcdef"), 0)}
	f.gate = New(Options{
		Client:   up.client(),
		Detector: func() *redact.Detector { return det },
		Vault:    f.vault,
		Blocked: func(p string) (string, bool) {
			if strings.HasSuffix(p, "/.env") {
				return "blocked: path matches **/.env (default policy rule 1)", true
			}
			return "", false
		},
		Record: func(r audit.Record) {
			f.mu.Lock()
			f.records = append(f.records, r)
			f.mu.Unlock()
		},
		Session: "s1",
	})
	return f
}

// fetch runs one request through the gate and returns the head and the
// whole restored body.
func (f *gateFixture) fetch(t *testing.T, req Request) (*Response, string, error) {
	t.Helper()
	resp, err := f.gate.Fetch(context.Background(), req)
	if err != nil {
		return nil, "", err
	}
	var b strings.Builder
	err = resp.Stream(func(p []byte) error { b.Write(p); return nil })
	return resp, b.String(), err
}

func ptr(s string) *string { return &s }

func assertAbsent(t *testing.T, where, text string, planted ...string) {
	t.Helper()
	for _, p := range planted {
		if strings.Contains(text, p) {
			t.Errorf("%s holds planted value %s", where, preview(p))
		}
	}
}

func TestCompletionMaskedOutRestoredBack(t *testing.T) {
	pat := fakePAT(t)
	email := "noor.haddad@acmecorp.io"
	var sent string
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		sent = body
		// Echo every token the prompt carried, split across events at
		// every byte boundary of the token.
		tok := regexp.MustCompile(`Token = \\"(VEIL_[A-Z_]+_[0-9]+_[a-z0-9]{3})`).FindStringSubmatch(body)
		if tok == nil {
			http.Error(w, "no token", 500)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for k := 0; k < len(tok[1]); k += 3 {
			piece := tok[1][k:min(k+3, len(tok[1]))]
			io.WriteString(w, `data: {"choices":[{"index":0,"text":"`+piece+`","finish_reason":null}]}`+"\n\n")
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, `data: {"choices":[{"index":0,"text":"\"\n","finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	f := newGate(t, up)
	body := `{"prompt":"// owner ` + email + `\nconst zephyrineToken = \"` + pat + `\";\nconst again = \"","suffix":"\n// Zephyrine billing","nwo":"acme/zephyrine-billing","stream":true,"extra":{"language":"go"}}`
	resp, out, err := f.fetch(t, Request{URL: "https://proxy.individual.githubcopilot.com/v1/engines/gpt-41-copilot/completions", Method: "POST",
		Headers: map[string]string{"Authorization": "Bearer tid=abc", "X-Repo": "acme/Zephyrine", "Content-Type": "application/json"}, Body: &body})
	if err != nil || resp.Status != 200 {
		t.Fatalf("fetch: %v %v; upstream got %s", resp, err, hide(sent, pat, email))
	}
	assertAbsent(t, "upstream request", up.everything(), pat, email, "Zephyrine", "zephyrine")
	if !strings.Contains(sent, `"suffix"`) || !strings.Contains(sent, `"nwo":"acme/veil_name_`) {
		t.Errorf("the body lost its shape: %.200s", hide(sent, pat, email))
	}
	if got := up.requests()[0].header.Get("Authorization"); got != "Bearer tid=abc" {
		t.Errorf("Authorization changed to %q", got)
	}
	if !strings.Contains(out, pat) {
		t.Errorf("the token split across events was not restored: %q", hide(out, pat))
	}
	if strings.Contains(out, "VEIL_") {
		t.Errorf("a token reached the child: %q", hide(out, pat))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.records) != 1 {
		t.Fatalf("%d audit records, want 1", len(f.records))
	}
	r := f.records[0]
	if r.Route != "upstream" || r.Host != "proxy.individual.githubcopilot.com" || r.Kind != "completions" || r.Outcome != audit.OutcomeOK || r.Findings["secret"] == 0 || r.Findings["identifier"] == 0 || r.Findings["pii"] == 0 {
		t.Errorf("audit record %+v", r)
	}
}

func TestChatRefusesBlockedFilesAndMasksTheRest(t *testing.T) {
	pat, envPAT := fakePAT(t), fakePAT(t)
	envText := "DB_PASSWORD=Tr0ub4dor&3-horse\nGITHUB_TOKEN=" + envPAT + "\n"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"content":"ok","role":"assistant"}}]}`+"\n\n")
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	})
	f := newGate(t, up)
	body := `{"model":"gpt-4.1","messages":[` +
		`{"role":"system","content":"You are Copilot."},` +
		`{"role":"user","content":"<attachments>\n<attachment id=\".env\" filePath=\"/w/.env\">\n` + strings.ReplaceAll(envText, "\n", `\n`) + `</attachment>\n<attachment id=\"main.go\" filePath=\"/w/Zephyrine/main.go\">\nvar tok = \"` + pat + `\"\n</attachment>\n</attachments>\nexplain"},` +
		`{"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\"filePath\":\"/w/.env\",\"startLine\":1}"}}]},` +
		`{"role":"tool","tool_call_id":"call_1","content":"` + strings.ReplaceAll(envText, "\n", `\n`) + `"}],"stream":true}`
	_, out, err := f.fetch(t, Request{URL: "https://api.individual.githubcopilot.com/chat/completions", Method: "POST", Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	all := up.everything()
	assertAbsent(t, "upstream request", all, pat, envPAT, "Tr0ub4dor", "Zephyrine")
	if n := strings.Count(all, "withheld by policy"); n != 2 {
		t.Errorf("%d refusals sent, want 2 (attachment and tool result)\n%s", n, hide(all, pat, envPAT))
	}
	if !strings.Contains(all, "var tok = ") {
		t.Error("the allowed attachment did not go out")
	}
	if !strings.Contains(out, `"content":"ok"`) {
		t.Errorf("chat answer: %q", out)
	}
	if f.records[0].Refused != 2 {
		t.Errorf("audit refused = %d, want 2", f.records[0].Refused)
	}
}

func TestSignInPassesUnmodified(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"device_code":"dc","user_code":"ABCD-1234","verification_uri":"https://github.com/login/device","interval":1}`)
	})
	f := newGate(t, up)
	body := `{"client_id":"Iv1.b507a08c87ecfe98","scope":"read:user"}`
	_, out, err := f.fetch(t, Request{URL: "https://github.com/login/device/code", Method: "POST", Headers: map[string]string{"Accept": "application/json"}, Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	got := up.requests()
	if len(got) != 1 || got[0].body != body || got[0].url != "/login/device/code" {
		t.Errorf("sign-in changed on the way: %+v", got)
	}
	if !strings.Contains(out, `"user_code":"ABCD-1234"`) {
		t.Errorf("answer changed: %q", out)
	}
}

func TestTokenExchangeTeachesHosts(t *testing.T) {
	tok := "tid=" + strings.Repeat("a", 40)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		if r.URL.Path == "/copilot_internal/v2/token" {
			io.WriteString(w, `{"token":"`+tok+`","expires_at":9999999999,"endpoints":{"api":"https://copilot-api.acme.ghe.com"}}`)
			return
		}
		io.WriteString(w, `{"data":[]}`)
	})
	f := newGate(t, up)
	_, out, err := f.fetch(t, Request{URL: "https://api.github.com/copilot_internal/v2/token", Headers: map[string]string{"Authorization": "token gho_x"}})
	if err != nil || !strings.Contains(out, tok) {
		t.Fatalf("token exchange: %v %q", err, out)
	}
	if _, _, err := f.fetch(t, Request{URL: "https://copilot-api.acme.ghe.com/models"}); err != nil {
		t.Errorf("advertised host refused: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.records {
		if strings.Contains(r.Reason, tok) {
			t.Error("the token reached the audit")
		}
	}
}

func TestRefusedAndTelemetryNeverLeave(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {})
	f := newGate(t, up)
	_, _, err := f.fetch(t, Request{URL: "https://evil.example.com/upload", Method: "POST", Body: ptr("x")})
	if !errors.Is(err, ErrNotAllowed) {
		t.Errorf("unknown host: %v, want ErrNotAllowed", err)
	}
	resp, _, err := f.fetch(t, Request{URL: "https://copilot-telemetry.githubusercontent.com/telemetry", Method: "POST", Body: ptr("[]")})
	if err != nil || resp.Status != http.StatusNoContent {
		t.Errorf("telemetry: %v %v, want 204", resp, err)
	}
	if n := len(up.requests()); n != 0 {
		t.Errorf("%d requests reached upstream, want 0", n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.records) != 2 || f.records[0].Outcome != audit.OutcomeBlocked || f.records[1].Reason != "telemetry dropped" {
		t.Errorf("audit: %+v", f.records)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		http.Redirect(w, r, "https://elsewhere.example.com/x", http.StatusFound)
	})
	f := newGate(t, up)
	resp, _, err := f.fetch(t, Request{URL: "https://api.githubcopilot.com/models"})
	if err != nil || resp.Status != http.StatusFound || len(up.requests()) != 1 {
		t.Errorf("redirect: %v %v, %d requests", resp, err, len(up.requests()))
	}
}

func TestTypedValueMaskedAndKnownLater(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: [DONE]\n\n")
	})
	f := newGate(t, up)
	typed := "Tr0ub4dor&3-horse"
	body := `{"prompt":"db_password = \"` + typed + `","suffix":""}`
	if _, _, err := f.fetch(t, Request{URL: "https://proxy.individual.githubcopilot.com/v1/engines/x/completions", Method: "POST", Body: &body}); err != nil {
		t.Fatal(err)
	}
	// Later the same value shows up where nothing marks it as a secret.
	chat := `{"messages":[{"role":"user","content":"is ` + typed + ` a good one?"}]}`
	if _, _, err := f.fetch(t, Request{URL: "https://api.githubcopilot.com/chat/completions", Method: "POST", Body: &chat}); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, "upstream", up.everything(), typed, typed[:10])
}
