package editors

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// built is the veil binary TestMain builds once for the editor tests, or the
// reason it could not. Tests reach it through veilBinary.
var built struct {
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "veil-editors-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "editors: making temp dir:", err)
		os.Exit(2)
	}
	// VEIL_EDITORS_BIN tests an installed veil instead of building one.
	if p := os.Getenv("VEIL_EDITORS_BIN"); p != "" {
		built.path = p
	} else {
		built.path, built.err = buildVeil(dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildVeil runs `go build -o DIR/veil ./cmd/veil` from the module root.
func buildVeil(dir string) (string, error) {
	out := filepath.Join(dir, "veil")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", out, "./cmd/veil")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("editors: building veil: %w\n%s", err, b)
	}
	return out, nil
}

// veilBinary returns the path of the veil binary built in TestMain.
func veilBinary(t *testing.T) string {
	t.Helper()
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// requireEditors reports whether a missing editor or toolchain is a failure
// (CI sets VEIL_REQUIRE_EDITORS=1) rather than a skip.
func requireEditors() bool {
	return os.Getenv("VEIL_REQUIRE_EDITORS") == "1"
}

// lookTool returns the path of an editor or tool, skipping the test when it
// is missing (failing it when VEIL_REQUIRE_EDITORS=1).
func lookTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if requireEditors() {
			t.Fatalf("%s not found and VEIL_REQUIRE_EDITORS=1 (install: %s)", name, install)
		}
		t.Skipf("%s not found (install: %s; set VEIL_REQUIRE_EDITORS=1 to fail instead)", name, install)
	}
	return p
}

// isolatedEnv returns the process environment with HOME and the XDG
// directories moved into a fresh temp dir, so neither the editor nor veil
// reads the user's config or writes into their home.
func isolatedEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "HOME="), strings.HasPrefix(kv, "XDG_"),
			strings.HasPrefix(kv, "VEIL_") && !strings.HasPrefix(kv, "VEIL_REQUIRE_EDITORS="):
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
	)
}

// fakeAWSKeyID generates an AWS-access-key-shaped test value: "AKIA" and 16
// characters of the base32 alphabet AWS uses. It is random, so no real key.
func fakeAWSKeyID(t *testing.T) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("AKIA")
	for range 16 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, alphabet[n.Int64()])
	}
	return string(b)
}

// workspace writes a small project: a git root marker, a Python file with a
// line marked for completion, and a .env holding a generated secret, which
// it returns so tests can check it never shows up.
func workspace(t *testing.T) (dir, secret string) {
	t.Helper()
	dir = t.TempDir()
	secret = fakeAWSKeyID(t)
	must(t, os.Mkdir(filepath.Join(dir, ".git"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "main.py"), []byte(samplePython), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ".env"), []byte("AWS_ACCESS_KEY_ID="+secret+"\nDEBUG=1\n"), 0o600))
	return dir, secret
}

const samplePython = `import os


def add(a, b):
    return a + b


def greet(name):
    return "hello " + name


# complete here
def gre
`

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mask shows the first 4 characters and the length of a value that may hold
// a secret, for failure messages.
func mask(s string) string {
	if len(s) <= 4 {
		return fmt.Sprintf("%q(len %d)", s, len(s))
	}
	return fmt.Sprintf("%q…(len %d)", s[:4], len(s))
}
