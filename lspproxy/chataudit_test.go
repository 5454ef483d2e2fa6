package lspproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/localmodel"
)

// A chat whose leak guard fires is blocked and audited like an inline
// completion whose redaction failed: route block, reason "blocked:
// redaction failed", outcome error. Here a short term from the message (too
// short to be a known value, long enough for the guard) also sits,
// unmasked, in a reference from an allow-listed path (allowed paths yield
// no findings).
func TestChatRedactionFailedIsAuditedAsBlock(t *testing.T) {
	dir := t.TempDir()
	key := "Kraqz"
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "keys.txt"), []byte("old key "+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, log := auditedConfig(t)
	cfg.Allow.Paths = []string{"testdata/**"}
	cfg.Identifiers.Terms = []string{key}
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		return "ok", onChunk("ok")
	}}
	c := startClient(t, Options{Config: cfg, RedactOptions: testRedactOptions, Model: m, Audit: log})
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + dir, "capabilities": map[string]any{}})
	c.result(0)
	c.call(1, "veil/chat", map[string]any{"message": "Is " + key + " rotated?", "references": []any{
		map[string]any{"uri": "file://" + dir + "/testdata/keys.txt"},
	}})
	if got := get(c.result(1), "blocked"); got != "blocked: redaction failed" {
		t.Fatalf("blocked = %v, want redaction failed", got)
	}
	if m.calls() != 0 {
		t.Fatalf("the model was called %d times", m.calls())
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cfg.Audit.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatal(err)
		}
	}
	if last.Kind != "chat" || last.Route != "block" || last.Reason != "blocked: redaction failed" || last.Outcome != audit.OutcomeError {
		t.Fatalf("audit record: kind %q route %q reason %q outcome %q", last.Kind, last.Route, last.Reason, last.Outcome)
	}
}
