package editors

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestVSCodeExtension builds the extension and runs its tests: unit tests of
// the modules that need no VS Code (settings → server command, status
// parsing, chat progress assembly) and server.test.ts, which drives the veil
// binary through those modules with the protocol library the extension's
// client uses. It needs `npm ci` to have run in editors/vscode.
func TestVSCodeExtension(t *testing.T) {
	npm := lookTool(t, "npm", "Node.js 20+ with npm")
	dir := filepath.Join("vscode")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		if requireEditors() {
			t.Fatalf("editors/vscode/node_modules missing and VEIL_REQUIRE_EDITORS=1: run `npm ci` in editors/vscode")
		}
		t.Skip("editors/vscode/node_modules missing: run `npm ci` in editors/vscode")
	}
	veil := veilBinary(t)
	for _, script := range []string{"compile", "test"} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, npm, "run", "--silent", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "VEIL_BIN="+veil)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("npm run %s: %v\n%s", script, err, out)
		}
		t.Logf("npm run %s:\n%s", script, tail(out, 12))
	}
}

// tail returns the last n lines of b.
func tail(b []byte, n int) []byte {
	count := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			count++
			if count > n {
				return b[i+1:]
			}
		}
	}
	return b
}
