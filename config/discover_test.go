package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestDiscover(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "mono")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(repo, "svc", "api", "main.go")
	files := func(dirs ...string) []string {
		var out []string
		for _, d := range dirs {
			out = append(out, filepath.Join(d, WorkspaceFile))
		}
		return out
	}
	svc, api := filepath.Join(repo, "svc"), filepath.Join(repo, "svc", "api")
	cases := []struct {
		name  string
		roots []string
		want  []string
	}{
		{"monorepo opened at a subfolder reaches the repository root", []string{svc}, files(repo, svc, api)},
		{"no workspace root: up to the repository root", nil, files(repo, svc, api)},
		{"a workspace root above the repository", []string{base}, files(base, repo, svc, api)},
		{"an unrelated root changes nothing", []string{filepath.Join(base, "other")}, files(repo, svc, api)},
	}
	for _, c := range cases {
		if got := Discover(doc, c.roots); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
	// Outside any repository and workspace: up to the filesystem root.
	loose := filepath.Join(base, "loose", "x.py")
	got := Discover(loose, nil)
	if got[len(got)-1] != filepath.Join(base, "loose", WorkspaceFile) || !slices.Contains(got, filepath.Join(string(filepath.Separator), WorkspaceFile)) {
		t.Errorf("loose file: %v", got)
	}
	// A worktree's .git is a file.
	wt := filepath.Join(base, "wt")
	writeFile(t, filepath.Join(wt, ".git"), "gitdir: /elsewhere\n")
	if got := Discover(filepath.Join(wt, "a", "b.go"), nil); !reflect.DeepEqual(got, files(wt, filepath.Join(wt, "a"))) {
		t.Errorf("worktree: %v", got)
	}
}

// A monorepo opened at a subfolder gets the repository's terms and block
// rules through the discovered files.
func TestDiscoveredFilesLoad(t *testing.T) {
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(repo, WorkspaceFile), "identifiers:\n  terms: [hydra]\npolicy:\n  rules:\n    - name: no sql\n      paths: ['**/*.sql']\n      route: block\n")
	writeFile(t, filepath.Join(repo, "svc", WorkspaceFile), "identifiers:\n  terms: [kraken]\n")
	sub := filepath.Join(repo, "svc")
	l, err := Load(LoadOptions{
		WorkspaceRoots: []string{sub},
		WorkspaceFiles: Discover(filepath.Join(sub, "main.go"), []string{sub}),
		Getenv:         testEnv(map[string]string{"HOME": t.TempDir()}),
		Environ:        []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(l.Config.Identifiers.Terms, "hydra") || !slices.Contains(l.Config.Identifiers.Terms, "kraken") {
		t.Errorf("terms %v, want hydra and kraken", l.Config.Identifiers.Terms)
	}
	if len(l.Config.Policy.Workspace) != 1 {
		t.Errorf("workspace policy rules %v, want the repository's one", l.Config.Policy.Workspace)
	}
}

func TestWorkspaceRuleIDs(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, user, "rules:\n  - id: acme-key\n    category: secret\n    keywords: [acme_]\n    regex: 'acme_[a-z0-9]{24}'\n")
	writeFile(t, filepath.Join(dir, WorkspaceFile), "rules:\n  - id: zephyrine-license\n    category: secret\n    keywords: [zlic-]\n    regex: 'zlic-[0-9a-f]{24}'\n")
	l, err := Load(LoadOptions{UserFile: user, WorkspaceRoots: []string{dir}, Getenv: testEnv(map[string]string{"HOME": t.TempDir()}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	got := l.WorkspaceRuleIDs()
	if len(got) != 1 || got["zephyrine-license"] != "workspace-rule-1" {
		t.Fatalf("got %v", got)
	}
}
