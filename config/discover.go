package config

import (
	"os"
	"path/filepath"
	"strings"
)

// Discover returns the workspace files (.veil.yaml, untrusted) that apply
// to the document at doc, an absolute path: one in each directory from the
// document's own up to the highest of its repository root (the nearest
// directory holding .git) and the workspace roots that contain it, like
// .editorconfig, so a monorepo opened at a subfolder still gets the
// repository's file. With neither a repository nor a workspace root above
// it, the search goes up to the filesystem root. The files need not exist:
// Load skips missing ones and Watcher sees them appear. The outermost
// comes first. `veil policy explain` and `veil lsp` both decide with this
// function.
func Discover(doc string, roots []string) []string {
	dir := filepath.Dir(filepath.Clean(doc))
	stop := repoRoot(dir)
	for _, r := range roots {
		r = filepath.Clean(r)
		if within(dir, r) && (stop == "" || len(r) < len(stop)) {
			stop = r
		}
	}
	var out []string
	for {
		out = append(out, filepath.Join(dir, WorkspaceFile))
		parent := filepath.Dir(dir)
		if dir == stop || parent == dir {
			break
		}
		dir = parent
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// repoRoot is the nearest directory at or above dir that holds .git (a
// directory, or a file in a worktree), "" when there is none.
func repoRoot(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// within reports whether dir is root or lies below it.
func within(dir, root string) bool {
	if dir == root {
		return true
	}
	sep := string(filepath.Separator)
	return strings.HasPrefix(dir, strings.TrimSuffix(root, sep)+sep)
}
