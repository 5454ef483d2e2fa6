package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// demoEnv runs veil with XDG directories inside a temp dir, so the audit
// log and the user config never touch the real home.
func demoEnv(t *testing.T, args ...string) (int, string, string, string) {
	t.Helper()
	home := t.TempDir()
	vars := map[string]string{
		"XDG_STATE_HOME":  filepath.Join(home, "state"),
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"HOME":            home,
	}
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := run(e, args)
	return code, out.String(), errOut.String(), home
}

func TestDemo(t *testing.T) {
	code, out, errOut, home := demoEnv(t, "demo")
	if code != exitOK {
		t.Fatalf("veil demo: exit %d\n%s\nstderr:\n%s", code, summaryOf(out), errOut)
	}
	for _, want := range []string{
		"leaks           0",
		"func NewZephyrineClient(region string) *ZephyrineClient {", // restored identifier
		"VEIL_NAME_", // what the model saw instead
		"model saw       nothing: the request never reached it", // .env
		"veil: AI requests are blocked for .env",
		"$/progress reports",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	audit, err := os.ReadFile(filepath.Join(home, "state", "veil", "audit.jsonl"))
	if err != nil {
		t.Fatalf("demo wrote no audit log: %v", err)
	}
	if n := bytes.Count(audit, []byte("\n")); n < 40 || !bytes.Contains(audit, []byte(`"outcome":"blocked"`)) {
		t.Errorf("audit log has %d records, want one per request including the blocked one", n)
	}
}

// TestDemoCatchesLeaks turns detection off: planted values then reach the
// model and the demo must say so and exit 1.
func TestDemoCatchesLeaks(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "veil.yaml")
	if err := os.WriteFile(cfg, []byte("detect:\n  secrets: false\n  pii: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut, _ := demoEnv(t, "demo", "--config", cfg)
	if code != exitFindings {
		t.Fatalf("veil demo with detection off: exit %d, want %d\n%s\n%s", code, exitFindings, summaryOf(out), errOut)
	}
	if !strings.Contains(out, "LEAK") || !strings.Contains(out, "AWS access key ID reached the model") {
		t.Errorf("demo output does not name the leak:\n%s", summaryOf(out))
	}
}

// summaryOf is the demo's summary section: failure messages show it rather
// than the whole output, which holds the (fake) planted values.
func summaryOf(out string) string {
	if i := strings.Index(out, "── summary"); i >= 0 {
		return out[i:]
	}
	return "(no summary)"
}

// TestDemoEndpoint runs the demo against an OpenAI-compatible server given
// by --endpoint/--model and checks what that server received.
func TestDemoEndpoint(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"demo-model","object":"model"}]}`)
		case "/v1/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, `data: {"id":"1","object":"text_completion","model":"demo-model","choices":[{"index":0,"text":"nil","finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
		case "/v1/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, `data: {"id":"1","object":"chat.completion.chunk","model":"demo-model","choices":[{"index":0,"delta":{"role":"assistant","content":"It charges orders."},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	code, out, errOut, _ := demoEnv(t, "demo", "--endpoint", srv.URL+"/v1", "--model", "demo-model")
	if code != exitOK {
		t.Fatalf("veil demo --endpoint: exit %d\n%s\nstderr:\n%s", code, summaryOf(out), errOut)
	}
	if !strings.Contains(out, "demo-model") || !strings.Contains(out, "It charges orders.") {
		t.Errorf("the demo did not use the endpoint:\n%s", summaryOf(out))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) < 40 {
		t.Fatalf("the endpoint got %d requests", len(bodies))
	}
	all := strings.Join(bodies, "\n")
	for _, planted := range []string{"AKIAVEILDEMO7K3QZ5WN", "ghp_VeilDemoFakeToken", "dana.fakename", "Zephyrine", "zephyrine", "Hunter2-Demo", "ghp_T"} {
		if strings.Contains(all, planted) {
			t.Errorf("the model server received a planted value (%.4s…)", planted)
		}
	}
}
