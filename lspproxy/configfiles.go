package lspproxy

import (
	"path/filepath"
	"slices"
	"sync"

	"github.com/veil-dev/veil/config"
)

// The workspace files (.veil.yaml) in force are those config.Discover finds
// for each workspace root and for each open document: from the document's
// directory up to its repository root and the workspace roots above it.
// A document keeps the files found when it was opened until it is closed,
// so removing a workspace folder does not drop the rules that apply to the
// documents still open from it.

// configFiles is the set of discovered workspace files.
type configFiles struct {
	// mu guards everything below.
	mu    sync.Mutex
	roots []string
	byDoc map[string][]string // document URI → its files
}

// all is every file in force: each root's and each open document's.
// c.mu is held.
func (c *configFiles) all() []string {
	var out []string
	for _, r := range c.roots {
		out = append(out, config.Discover(filepath.Join(r, config.WorkspaceFile), c.roots)...)
	}
	for _, fs := range c.byDoc {
		out = append(out, fs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// setRoots records the workspace roots and returns the files in force.
func (c *configFiles) setRoots(roots []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roots = slices.Clone(roots)
	return c.all()
}

// open records doc's files; changed says the set in force grew.
func (c *configFiles) open(uri, path string) (files []string, changed bool) {
	if path == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.all()
	if c.byDoc == nil {
		c.byDoc = map[string][]string{}
	}
	c.byDoc[uri] = config.Discover(filepath.FromSlash(path), c.roots)
	after := c.all()
	return after, !slices.Equal(before, after)
}

// close forgets doc's files; changed says the set in force shrank.
func (c *configFiles) close(uri string) (files []string, changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byDoc[uri]; !ok {
		return nil, false
	}
	before := c.all()
	delete(c.byDoc, uri)
	after := c.all()
	return after, !slices.Equal(before, after)
}

// documentOpened reads the workspace files that apply to a newly opened
// document (the watcher reloads when that adds one).
func (p *pipeline) documentOpened(doc *Document) {
	if p.opts.Load == nil {
		return
	}
	if files, changed := p.files.open(doc.URI, doc.Path); changed {
		p.setWorkspaceFiles(files)
	}
}

// documentClosed drops the files only a closed document needed.
func (p *pipeline) documentClosed(uri string) {
	if p.opts.Load == nil {
		return
	}
	if files, changed := p.files.close(uri); changed {
		p.setWorkspaceFiles(files)
	}
}

func (p *pipeline) setWorkspaceFiles(files []string) {
	p.watcherMu.Lock()
	defer p.watcherMu.Unlock()
	if p.watcher != nil {
		p.watcher.SetWorkspaceFiles(files)
	}
}
