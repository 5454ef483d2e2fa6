package editors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopilotWrapWrapper checks the wrap-form wrapper the Copilot snippets
// name: the plugin's `--stdio` reaches veil lsp, and the child after -- is
// copilot-language-server --stdio (or $VEIL_COPILOT_LS).
func TestCopilotWrapWrapper(t *testing.T) {
	sh := lookTool(t, "sh", "a POSIX shell")
	wrapper, err := filepath.Abs(filepath.Join("neovim", "bin", "veil-copilot-wrap"))
	must(t, err)
	if fi, err := os.Stat(wrapper); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s missing or not executable: %v", wrapper, err)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "veil")
	must(t, os.WriteFile(fake, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\"\n"), 0o755))
	for _, c := range []struct{ env, want string }{
		{"", "lsp --wrap --stdio -- copilot-language-server --stdio"},
		{"/opt/cls/copilot-language-server", "lsp --wrap --config /c.yaml --stdio -- /opt/cls/copilot-language-server --stdio"},
	} {
		cmd := exec.Command(sh, wrapper, "--stdio")
		cmd.Env = append(os.Environ(), "VEIL_BIN="+fake, "VEIL_COPILOT_LS="+c.env)
		if c.env != "" {
			cmd.Env = append(cmd.Env, "VEIL_LSP_ARGS=--config /c.yaml")
		}
		out, err := cmd.Output()
		must(t, err)
		if got := strings.Join(strings.Fields(string(out)), " "); got != c.want {
			t.Errorf("wrapper ran veil %q, want %q", got, c.want)
		}
	}
	for _, snippet := range []string{"neovim/snippets/copilot-lua.lua", "neovim/snippets/copilot-vim.vim", "emacs/veil-copilot.el"} {
		b, err := os.ReadFile(snippet)
		must(t, err)
		if !strings.Contains(string(b), "veil-copilot-wrap") || !strings.Contains(string(b), "veil lsp --wrap -- copilot-language-server --stdio") {
			t.Errorf("%s has no wrap form", snippet)
		}
	}
}
