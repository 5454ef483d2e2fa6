package lspproxy

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
)

// Side channels carry no document content: a frame that fails to parse is
// logged by size only, absolute paths in logs are masked names, and a
// non-file document's percent-encoded name is decoded before masking.
func TestSideChannels(t *testing.T) {
	sec := newSecrets(77)
	tok := sec.github()
	base := filepath.Join(t.TempDir(), "Zephyrine-home")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	userFile := filepath.Join(base, "veil.yaml")
	writeFile(t, userFile, "audit:\n  enabled: false\nidentifiers:\n  terms: [Zephyrine]\n")
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startWithUserFile(t, opts, userFile, base)
	c.notify("initialized", map[string]any{})

	// A header holding a value, and a body that is not JSON.
	c.writeRaw("Content-Length: " + tok + "\r\n\r\n")
	c.writeBody(`{"jsonrpc":"2.0","id":7,"method":"x","params":` + tok + `}`)
	c.writeBody(`{"jsonrpc":"2.0","id":8,"method":"textDocument/inlineCompletion","params":{"textDocument":{"uri":1e99999}}}`)
	// A document with no file path, its name percent-encoded.
	uri := "untitled:Zephyr%69ne%20" + tok[:6] + "%" + strings.ToUpper(hexByte(tok[6])) + tok[7:]
	c.open(uri, "go", "package a\n\nfunc f() {\n\t\n}\n")
	c.call(9, "textDocument/inlineCompletion", inlineParams(uri, 3, 1))
	c.result(9)
	c.call(10, "veil/barrier", nil)
	c.response(10)
	// A save of the config file: the watcher logs the event (with its path).
	writeFile(t, userFile, "audit:\n  enabled: false\nidentifiers:\n  terms: [Zephyrine]\n# saved\n")
	deadline := time.Now().Add(testTimeout)
	for !strings.Contains(sk.logs.String(), "config: file event") {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never logged the save")
		}
		time.Sleep(10 * time.Millisecond)
	}

	logs := sk.logs.String()
	auditText, _ := os.ReadFile(sk.auditPath)
	for name, text := range map[string]string{"logs": logs, "audit": string(auditText), "model": m.seen()} {
		for _, p := range pieces(tok) {
			if strings.Contains(text, p) {
				t.Fatalf("%s hold a 10-byte piece of the token", name)
			}
		}
		if strings.Contains(text, "Zephyrine") || strings.Contains(text, base) {
			t.Fatalf("%s hold the codename or an absolute path", name)
		}
	}
	if !strings.Contains(logs, "bad frame skipped") || !strings.Contains(logs, "bad message") {
		t.Fatalf("the bad input was not logged at all")
	}
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// A rule id from a workspace file reaches logs and audit records only as
// its index.
func TestWorkspaceRuleIDsAliased(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, config.WorkspaceFile),
		"rules:\n  - id: quillfeather-license\n    category: secret\n    keywords: [qflic-]\n    regex: 'qflic-[0-9a-f]{24}'\n")
	userFile := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, userFile, "audit:\n  enabled: false\n")
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startWithUserFile(t, opts, userFile, root)
	c.notify("initialized", map[string]any{})
	uri := "file://" + filepath.Join(root, "a.go")
	c.open(uri, "go", "package a\n\nconst lic = \"qflic-0123456789abcdef01234567\"\n\nfunc f() {\n\t\n}\n")
	c.call(1, "textDocument/inlineCompletion", inlineParams(uri, 5, 1))
	c.result(1)
	auditText, _ := os.ReadFile(sk.auditPath)
	if strings.Contains(string(auditText), "quillfeather") || strings.Contains(sk.logs.String(), "quillfeather") {
		t.Fatal("a workspace rule id reached the audit file or the logs")
	}
	if !strings.Contains(string(auditText), `"workspace-rule-1":1`) {
		t.Fatalf("the audit record does not count the workspace rule by index:\n%s", auditText)
	}
}

func TestPathMaskingHandler(t *testing.T) {
	var b lockedBuffer
	l := slog.New(PathMaskingHandler(slog.NewTextHandler(&b, nil)))
	l.Warn("config /home/noor/.config/veil/veil.yaml: bad", "file", "/home/noor/Zephyrine/.veil.yaml", "err", errors.New("open /srv/noor/x: denied"))
	out := b.String()
	if strings.Contains(out, "noor") || strings.Contains(out, "Zephyrine") || !strings.Contains(out, "…/veil.yaml") {
		t.Fatalf("logged %q", out)
	}
}
