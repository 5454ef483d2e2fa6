package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
