package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
)

// The client chooses the language id; a record names only a known one.
func TestLanguageIsKnownOrOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, config.Audit{Path: path})
	planted := "zephyrine-db-pw-Sunny!Beach"
	for _, lang := range []string{"go", planted, "", "typescriptreact"} {
		r := rec(1)
		r.Language = lang
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if strings.Contains(out, planted[:10]) {
		t.Fatal("an unknown language id reached the audit file")
	}
	for _, want := range []string{`"language":"go"`, `"language":"other"`, `"language":"typescriptreact"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit file lacks %s", want)
		}
	}
}
