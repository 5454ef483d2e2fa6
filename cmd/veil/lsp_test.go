package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func frames(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(m), m)
	}
	return b.String()
}

// runLSPSession runs `veil lsp` on stdin frames with XDG dirs in a temp dir.
func runLSPSession(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	home := t.TempDir()
	vars := map[string]string{"XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config"), "HOME": home}
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := run(e, append([]string{"lsp"}, args...))
	return code, out.String(), errOut.String()
}

func TestLSPExitCodes(t *testing.T) {
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`
	cases := []struct {
		name  string
		stdin string
		want  int
	}{
		{"shutdown then exit", frames(initialize, `{"jsonrpc":"2.0","id":2,"method":"shutdown"}`, `{"jsonrpc":"2.0","method":"exit"}`), exitOK},
		{"exit without shutdown", frames(initialize, `{"jsonrpc":"2.0","method":"exit"}`), exitFindings},
		{"stream closed without exit", frames(initialize), exitFindings},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runLSPSession(t, c.stdin, "--stdio")
			if code != c.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.want, errOut)
			}
			// stdout is the LSP stream and nothing else.
			body := out[strings.Index(out, "\r\n\r\n")+4:]
			var v map[string]any
			if err := json.NewDecoder(strings.NewReader(body)).Decode(&v); err != nil || v["id"] != float64(1) {
				t.Fatalf("stdout does not start with the initialize answer: %.200q", out)
			}
		})
	}
}

// An empty stdin is no session: veil lsp exits 0 and writes nothing.
func TestLSPEmptyStdin(t *testing.T) {
	code, out, errOut := runLSPSession(t, "")
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
}

func TestLSPListenRefusesNonLoopback(t *testing.T) {
	code, _, errOut := runLSPSession(t, "", "--listen", "0.0.0.0:7777")
	if code != exitError || !strings.Contains(errOut, "loopback") {
		t.Fatalf("--listen 0.0.0.0: exit %d, stderr %q", code, errOut)
	}
}

// The soft memory limit grows with the open text, never falls as more is
// opened, keeps resident memory under twice the text plus 25 MB (the
// binary's pages and the runtime's own take up to ~6 MB beyond the limit),
// and has 18 MiB while nothing is open.
func TestMemoryLimit(t *testing.T) {
	if got := memoryLimit(0); got != 18<<20 {
		t.Errorf("memoryLimit(0) = %d, want 18 MiB", got)
	}
	prev := int64(0)
	for text := int64(0); text <= 64<<20; text += 64 << 10 {
		l := memoryLimit(text)
		if l < prev {
			t.Fatalf("memoryLimit(%d) = %d, below memoryLimit of less text (%d)", text, l, prev)
		}
		if budget := 2*text + 25_000_000; l+6_000_000 > budget {
			t.Fatalf("memoryLimit(%d) = %d leaves no room for the binary under %d", text, l, budget)
		}
		prev = l
	}
}

// veil lsp runs on one processor and collects at GOGC=200 unless
// GOMAXPROCS or GOGC say otherwise; every other command keeps the
// runtime's defaults.
func TestLSPRuntime(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		args             []string
		vars             map[string]string
		procs, gcPercent int
	}{
		{[]string{"lsp"}, nil, 1, 200},
		{[]string{"lsp", "--stdio"}, nil, 1, 200},
		{[]string{"lsp", "--wrap", "--", "copilot-language-server", "--stdio"}, nil, 1, 200},
		{[]string{"lsp"}, map[string]string{"GOMAXPROCS": "4"}, 0, 200},
		{[]string{"lsp"}, map[string]string{"GOGC": "100"}, 1, 0},
		{[]string{"scan", "."}, nil, 0, 0},
		{[]string{"demo"}, nil, 0, 0},
		{nil, nil, 0, 0},
	} {
		if got := procsFor(tc.args, env(tc.vars)); got != tc.procs {
			t.Errorf("procsFor(%q, %v) = %d, want %d", tc.args, tc.vars, got, tc.procs)
		}
		if got := gcPercentFor(tc.args, env(tc.vars)); got != tc.gcPercent {
			t.Errorf("gcPercentFor(%q, %v) = %d, want %d", tc.args, tc.vars, got, tc.gcPercent)
		}
	}
}
