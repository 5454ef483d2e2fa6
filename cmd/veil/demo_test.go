package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
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
	srv := lsptest.NewModelServer(t, []string{"demo-model"}, "nil", "It charges orders.")
	code, out, errOut, _ := demoEnv(t, "demo", "--endpoint", srv.URL+"/v1", "--model", "demo-model")
	if code != exitOK {
		t.Fatalf("veil demo --endpoint: exit %d\n%s\nstderr:\n%s", code, summaryOf(out), errOut)
	}
	if !strings.Contains(out, "demo-model") || !strings.Contains(out, "It charges orders.") {
		t.Errorf("the demo did not use the endpoint:\n%s", summaryOf(out))
	}
	if n := len(srv.Requests()); n < 40 {
		t.Fatalf("the endpoint got %d requests", n)
	}
	all := srv.Received()
	for _, planted := range []string{"AKIAVEILDEMO7K3QZ5WN", "ghp_VeilDemoFakeToken", "dana.fakename", "Zephyrine", "zephyrine", "Hunter2-Demo", "ghp_T"} {
		if strings.Contains(all, planted) {
			t.Errorf("the model server received a planted value (%.4s…)", planted)
		}
	}
}
