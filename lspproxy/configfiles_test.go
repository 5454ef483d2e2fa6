package lspproxy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
)

// A monorepo opened at a subfolder gets the repository's .veil.yaml, a
// document in a nested folder gets the one beside it, and removing the
// workspace folder keeps both while the document stays open.
func TestWorkspaceFilesDiscovered(t *testing.T) {
	repo := t.TempDir()
	sub := filepath.Join(repo, "svc")
	pkg := filepath.Join(sub, "pkg")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, config.WorkspaceFile), "identifiers:\n  terms: [Krakenvale]\n")
	writeFile(t, filepath.Join(pkg, config.WorkspaceFile), "identifiers:\n  terms: [Hydrastone]\n")
	userFile := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, userFile, "audit:\n  enabled: false\n")

	m := &fakeModel{}
	opts := pipelineOptions(m)
	c := startWithUserFile(t, opts, userFile, sub)
	c.notify("initialized", map[string]any{})
	uri := "file://" + filepath.Join(pkg, "a.go")
	c.open(uri, "go", "package pkg\n\n// Krakenvale and Hydrastone clients.\nfunc f() {\n\t\n}\n")
	// The nested file is read once the document opens; the document is
	// rescanned under it (its diagnostics then name two terms).
	c.next("rescan under the nested file", func(m map[string]any) bool {
		ds, _ := get(m, "params", "diagnostics").([]any)
		return m["method"] == "textDocument/publishDiagnostics" && len(ds) == 2
	})
	ask := func(id int) {
		t.Helper()
		c.call(id, "textDocument/inlineCompletion", inlineParams(uri, 4, 1))
		c.result(id)
		if seen := m.seen(); strings.Contains(seen, "Krakenvale") || strings.Contains(seen, "Hydrastone") {
			t.Fatalf("request %d: a repository term reached the model (Krakenvale %v, Hydrastone %v)", id, strings.Contains(seen, "Krakenvale"), strings.Contains(seen, "Hydrastone"))
		}
	}
	ask(1)
	c.notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{}, "removed": []any{map[string]any{"uri": "file://" + sub, "name": "svc"}}}})
	c.call(2, "veil/barrier", nil)
	c.response(2)
	c.srv.ai.files.mu.Lock()
	files := c.srv.ai.files.all()
	c.srv.ai.files.mu.Unlock()
	for _, want := range []string{filepath.Join(repo, config.WorkspaceFile), filepath.Join(pkg, config.WorkspaceFile)} {
		if !slices.Contains(files, want) {
			t.Errorf("after removing the folder, %s is no longer in force: %v", want, files)
		}
	}
	ask(3)
}
