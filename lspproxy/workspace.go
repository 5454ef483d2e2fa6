package lspproxy

import (
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/veil-dev/veil/policy"
)

// roots is a session's workspace: the root folders the editor named, and
// the paths and policy decisions that follow from them. It implements
// workspace for the pipeline; the Server embeds one.
type roots struct {
	// rootsMu guards list: workspace root paths (slash, absolute).
	rootsMu sync.Mutex
	list    []string
}

// setRoots replaces the roots (initialize).
func (w *roots) setRoots(list []string) {
	w.rootsMu.Lock()
	w.list = slices.Clone(list)
	w.rootsMu.Unlock()
}

// changeRoots removes and adds roots (workspace/didChangeWorkspaceFolders)
// and returns the new list.
func (w *roots) changeRoots(removed, added []string) []string {
	w.rootsMu.Lock()
	defer w.rootsMu.Unlock()
	for _, p := range removed {
		w.list = slices.DeleteFunc(w.list, func(r string) bool { return r == p })
	}
	for _, p := range added {
		if p != "" && !slices.Contains(w.list, p) {
			w.list = append(w.list, p)
		}
	}
	return slices.Clone(w.list)
}

// workspaceRoot is the longest root containing path ("" if none).
func (w *roots) workspaceRoot(path string) string {
	w.rootsMu.Lock()
	defer w.rootsMu.Unlock()
	best := ""
	for _, r := range w.list {
		if len(r) > len(best) && (path == r || len(path) > len(r) && path[:len(r)] == r && (path[len(r)] == '/' || r[len(r)-1] == '/')) {
			best = r
		}
	}
	return best
}

// scanPath is the path the detector sees (allow.paths globs match it):
// relative to the workspace root when the file lies inside one, else the
// absolute slash path.
func (w *roots) scanPath(abs string) string {
	if root := strings.TrimSuffix(w.workspaceRoot(abs), "/"); root != "" {
		if rel, ok := strings.CutPrefix(abs, root+"/"); ok {
			return rel
		}
	}
	return abs
}

// relPath is the document's path relative to its workspace root, or its
// base name; for non-file URIs the last URI segment, percent-decoded.
func (w *roots) relPath(doc *Document) string {
	if doc.Path == "" {
		return uriName(doc.URI)
	}
	if root := w.workspaceRoot(doc.Path); root != "" {
		return strings.TrimPrefix(strings.TrimPrefix(doc.Path, root), "/")
	}
	return path.Base(doc.Path)
}

// decide routes r, and when its path is a symlink (target: where it leads)
// routes the target too: the stricter answer wins, so a link named
// settings.txt that leads to .env is treated as the .env it is.
func (w *roots) decide(pol *policy.Policy, r policy.Request, target string) policy.Decision {
	d := pol.Decide(r)
	if d.Route != policy.Local || target == "" {
		return d
	}
	r.Path, r.WorkspaceRoot = target, w.workspaceRoot(target)
	return pol.Decide(r)
}

var _ workspace = (*roots)(nil)
