package lspproxy

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.lsp.dev/uri"

	"github.com/veil-dev/veil/redact"
)

// Document is an immutable snapshot of one open document: its text (through
// the Mapper), version and cached findings. An edit makes a new Document, so
// request goroutines can hold a snapshot while the mirror moves on.
type Document struct {
	URI  string // as the client sent it; never rewritten
	Path string // slash path for policy; "" when the URI is not file:
	// Target is a second path policy decides on (the stricter answer
	// wins): where Path leads when it is a symlink (or lies under one),
	// resolved at open; for a URI that is not file: (a remote workspace,
	// an untitled buffer) the path the URI names. "" otherwise.
	Target     string
	LanguageID string
	Version    int32
	Map        *Mapper
	// Findings are sorted by Start; offsets index Map.Text().
	Findings []redact.Finding
	// Typed are the places the user typed last: the offset just after
	// each of the last maxTypedSites incremental edits (a run of
	// keystrokes is one place), oldest first, kept in step with later
	// edits. A request's typing-safe scan covers them as well as the
	// cursor, so a secret left half typed stays masked after the cursor
	// moves on, in this document and when it is a neighbour.
	Typed []int
}

// maxTypedSites bounds Document.Typed.
const maxTypedSites = 8

// typed moves the sites for text[start:end] replaced by n bytes and adds
// the end of the new text as the newest site.
func typed(sites []int, start, end, n int) []int {
	at := start + n
	out := make([]int, 0, min(len(sites)+1, maxTypedSites))
	for _, s := range sites[max(0, len(sites)+1-maxTypedSites):] {
		switch {
		case s >= end:
			s += n - (end - start)
		case s > start:
			s = at
		}
		if s != at {
			out = append(out, s)
		}
	}
	return append(out, at)
}

// scanRangeFunc finds values in text, looking at least at [start, end) and
// returning findings with offsets into the whole text. It is the detector's
// ScanRange; nil when detection is off.
type scanRangeFunc func(path string, text []byte, start, end int) []redact.Finding

// rescanMargin is how far around an edit the incremental scan looks, so a
// keyword a few words before the edited value (password = "…") is seen
// again. Findings overlapping the window widen it to cover them whole.
const rescanMargin = 512

// documents is the mirror of every open document.
type documents struct {
	// scanner returns the current scan function (it changes with config
	// reloads).
	scanner func() scanRangeFunc

	mu    sync.Mutex
	byURI map[string]*Document
}

func newDocuments(scanner func() scanRangeFunc) *documents {
	return &documents{scanner: scanner, byURI: map[string]*Document{}}
}

// uriPath turns a file: URI into a slash path for policy; other schemes have
// no path. The URI itself stays as the client sent it.
func uriPath(u string) string {
	parsed, err := uri.Parse(u)
	if err != nil || !parsed.IsFile() {
		return ""
	}
	return uri.FsPathFor(parsed, uri.PlatformPOSIX, true)
}

// realPath resolves the symlinks on a slash path: "" when p is empty, cannot
// be resolved (not on disk) or is already the real path.
func realPath(p string) string {
	if p == "" {
		return ""
	}
	r, err := filepath.EvalSymlinks(filepath.FromSlash(p))
	if err != nil {
		return ""
	}
	if r = filepath.ToSlash(r); r == path.Clean(p) {
		return ""
	}
	return r
}

// policyTarget is Document.Target for a URI and its file path. The path a
// URI names is read by hand: URIs with an escaped authority
// (vscode-remote://ssh-remote%2Bhost/...) do not parse as URLs.
func policyTarget(u, p string) string {
	if p != "" {
		return realPath(p)
	}
	_, rest, ok := strings.Cut(u, ":")
	if !ok {
		return ""
	}
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		i := strings.IndexByte(auth, '/')
		if i < 0 {
			return ""
		}
		rest = auth[i:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	if dec, err := url.PathUnescape(rest); err == nil {
		rest = dec
	}
	return rest
}

func (d *documents) open(item TextDocumentItem) *Document {
	doc := &Document{
		URI:        item.URI,
		Path:       uriPath(item.URI),
		LanguageID: item.LanguageID,
		Version:    item.Version,
		Map:        NewMapper([]byte(item.Text)),
	}
	doc.Target = policyTarget(item.URI, doc.Path)
	if scan := d.scanner(); scan != nil {
		doc.Findings = scan(doc.Path, doc.Map.Text(), 0, len(doc.Map.Text()))
	}
	d.mu.Lock()
	d.byURI[item.URI] = doc
	d.mu.Unlock()
	return doc
}

// change applies the changes in order. A stale version or a range outside the
// document is applied as well as it can be (clamped) and reported: the mirror
// follows the client, which is the authority on its text.
//
// The lock is held throughout, so a rescan after a config reload (on the
// watcher's goroutine) cannot interleave with an edit and lose either.
func (d *documents) change(p DidChangeTextDocumentParams, enc Encoding) (*Document, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc := d.byURI[p.TextDocument.URI]
	if doc == nil {
		return nil, fmt.Errorf("lspproxy: didChange for a document that is not open")
	}
	var problem error
	if p.TextDocument.Version <= doc.Version {
		problem = fmt.Errorf("lspproxy: didChange version %d not after %d", p.TextDocument.Version, doc.Version)
	}
	scan := d.scanner()
	for _, c := range p.ContentChanges {
		next := *doc
		next.Version = p.TextDocument.Version
		if c.Range == nil {
			next.Map = NewMapper([]byte(c.Text))
			next.Typed = nil
			next.Findings = nil
			if scan != nil {
				next.Findings = scan(doc.Path, next.Map.Text(), 0, len(next.Map.Text()))
			}
			doc = &next
			continue
		}
		start, end, err := doc.Map.OffsetRange(*c.Range, enc)
		if err != nil {
			problem = fmt.Errorf("lspproxy: didChange: %w (clamped)", err)
			start, end = clampRange(doc.Map, *c.Range, enc)
		}
		next.Map = doc.Map.Replace(start, end, []byte(c.Text))
		next.Typed = typed(doc.Typed, start, end, len(c.Text))
		next.Findings = rescan(scan, doc, next.Map, start, end, len(c.Text))
		doc = &next
	}
	d.byURI[p.TextDocument.URI] = doc
	return doc, problem
}

// clampRange maps a range with lines past the end to the end of the text.
func clampRange(m *Mapper, r Range, enc Encoding) (int, int) {
	off := func(p Position) int {
		o, err := m.Offset(p, enc)
		if err != nil {
			return len(m.Text())
		}
		return o
	}
	start, end := off(r.Start), off(r.End)
	if end < start {
		start, end = end, start
	}
	return start, end
}

// rescan updates old's findings for text[start:end] replaced by n bytes,
// scanning only a window around the edit. Findings before the window are
// kept, those after it shifted.
func rescan(scan scanRangeFunc, old *Document, m *Mapper, start, end, n int) []redact.Finding {
	if scan == nil {
		return nil
	}
	delta := n - (end - start)
	lo, hi := max(0, start-rescanMargin), min(len(old.Map.Text()), end+rescanMargin)
	for _, f := range old.Findings { // widen to whole findings the window touches
		if f.Start < hi && f.End > lo {
			lo, hi = min(lo, f.Start), max(hi, f.End)
		}
	}
	nlo, nhi := lo, hi+delta
	fresh := scan(old.Path, m.Text(), nlo, nhi)
	out := make([]redact.Finding, 0, len(old.Findings)+len(fresh))
	overlapsFresh := func(f redact.Finding) bool {
		for _, g := range fresh {
			if f.Start < g.End && g.Start < f.End {
				return true
			}
		}
		return false
	}
	for _, f := range old.Findings {
		switch {
		case f.End <= lo:
		case f.Start >= hi:
			f.Start += delta
			f.End += delta
		default:
			continue // inside the window: replaced by the fresh scan
		}
		if !overlapsFresh(f) {
			out = append(out, f)
		}
	}
	out = append(out, fresh...)
	slices.SortFunc(out, func(a, b redact.Finding) int { return a.Start - b.Start })
	return out
}

func (d *documents) close(u string) {
	d.mu.Lock()
	delete(d.byURI, u)
	d.mu.Unlock()
}

// get returns the current snapshot of u, or nil when it is not open.
func (d *documents) get(u string) *Document {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byURI[u]
}

// all returns every open document, in no particular order.
func (d *documents) all() []*Document {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Document, 0, len(d.byURI))
	for _, doc := range d.byURI {
		out = append(out, doc)
	}
	return out
}

// rescanAll rescans every document (after a config reload changed the
// detector) and returns the new snapshots.
func (d *documents) rescanAll() []*Document {
	scan := d.scanner()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Document, 0, len(d.byURI))
	for u, doc := range d.byURI {
		next := *doc
		next.Findings = nil
		if scan != nil {
			next.Findings = scan(doc.Path, doc.Map.Text(), 0, len(doc.Map.Text()))
		}
		d.byURI[u] = &next
		out = append(out, &next)
	}
	return out
}
