package editors

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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

	// What `npm run package` would put in the .vsix: the compiled extension
	// and its runtime dependencies, not the sources or the tests.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "run", "--silent", "files")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm run files (vsce ls): %v\n%s", err, out)
	}
	files := strings.Fields(string(out))
	for _, want := range []string{"package.json", "README.md", "out/extension.js", "out/settings.js", "node_modules/vscode-languageclient/package.json"} {
		if !slices.Contains(files, want) {
			t.Errorf("the .vsix would lack %s", want)
		}
	}
	for _, f := range files {
		if strings.HasPrefix(f, "src/") || strings.HasPrefix(f, "out/test/") || strings.HasSuffix(f, ".vsix") ||
			strings.HasPrefix(f, "node_modules/typescript/") || strings.HasPrefix(f, "node_modules/@vscode/vsce/") {
			t.Errorf("the .vsix would include %s", f)
		}
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
