package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/policy"
)

func TestLSPWrapUsage(t *testing.T) {
	home := t.TempDir()
	getenv := func(k string) string {
		switch k {
		case "HOME":
			return home
		case "XDG_STATE_HOME":
			return filepath.Join(home, "state")
		}
		return ""
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"lsp", "--wrap"}, "name the server to wrap after --"},
		{[]string{"lsp", "--wrap", "--listen", "127.0.0.1:0", "--", "x"}, "--wrap serves stdio only"},
		{[]string{"lsp", "--wrap", "--", filepath.Join(home, "no-such-server"), "--stdio"}, "starting"},
	}
	for _, c := range cases {
		var out, errOut strings.Builder
		code := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: getenv}, c.args)
		if code != exitError || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v wrote to stdout: %q", c.args, out.String())
		}
	}
}

// TestLSPWrapUpstreamCommand: with no command after --, upstream.command
// from the config names the child.
func TestLSPWrapUpstreamCommand(t *testing.T) {
	home := t.TempDir()
	missing := filepath.Join(home, "configured-server")
	cfg := filepath.Join(home, "veil.yaml")
	if err := os.WriteFile(cfg, []byte("upstream:\n  command: ["+missing+", --stdio]\naudit:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	code := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}}, []string{"lsp", "--wrap", "--config", cfg})
	if code != exitError || !strings.Contains(errOut.String(), "configured-server") {
		t.Errorf("exit %d, stderr %q; want the configured command to be started", code, errOut.String())
	}
}

// TestWrapBoundaryReloads: a term added to the user file is masked at the
// boundary (and the workspace's .veil.yaml counts) without a restart.
func TestWrapBoundaryReloads(t *testing.T) {
	home := t.TempDir()
	ws := t.TempDir()
	t.Chdir(ws)
	if err := os.WriteFile(filepath.Join(ws, ".veil.yaml"), []byte("identifiers:\n  terms: [Quillmark]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, "veil.yaml")
	if err := os.WriteFile(cfg, []byte("identifiers:\n  terms: [Zephyrine]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	load := config.LoadOptions{UserFile: cfg, Getenv: getenv}
	loaded, err := config.Load(load)
	if err != nil {
		t.Fatal(err)
	}
	d, err := openWrapDeps(loaded.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := d.watch(ctx, load, slog.New(slog.DiscardHandler))
	if w == nil {
		t.Fatal("not watched")
	}
	defer w.Close()
	masked := func(s string) bool { return !strings.Contains(d.mask(s), s) }
	if !masked("Zephyrine") || !masked("Quillmark") {
		t.Fatal("the user's and the workspace's terms are not masked at start")
	}
	if masked("Borealix") {
		t.Fatal("an unconfigured word is masked")
	}
	if err := os.WriteFile(cfg, []byte("identifiers:\n  terms: [Zephyrine, Borealix]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !masked("Borealix"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a term added to the config is not masked after the reload")
		}
	}
}

// BenchmarkWrapRouteOnChange is what wrap mode spends per didChange to
// decide the document's route again: a scan of the whole 20 KB document
// and the policy.
func BenchmarkWrapRouteOnChange(b *testing.B) {
	c := config.Defaults()
	c.Identifiers.Terms = []string{"Zephyrine"}
	d, err := openWrapDeps(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	var doc strings.Builder
	doc.WriteString("package billing\n\n")
	for i := 0; doc.Len() < 20000; i++ {
		fmt.Fprintf(&doc, "// step%d asks the ledger for owner noor@acmecorp.io\nfunc (c *ZephyrineClient) step%d(ctx context.Context) error { return c.do(ctx, %d) }\n\n", i, i, i)
	}
	text := doc.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		d.route(policy.Inline, "file:///w/internal/billing/client.go", "go", text)
	}
}
