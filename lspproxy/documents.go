package lspproxy

import (
	"container/list"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"go.lsp.dev/uri"

	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/spanset"
	"github.com/veil-dev/veil/textbuf"
)

// Document is an immutable snapshot of one open document: its text, version
// and cached findings. An edit makes a new Document sharing everything the
// edit did not touch, so request goroutines can hold a snapshot while the
// mirror moves on.
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
	Text       *textbuf.Text
	// findings are the detector's findings, offsets into Text; anchors
	// the spans whose findings depend on all of them (see
	// redact.Anchor), kept so an edit near one rescans it whole.
	findings *spanset.Set[*redact.Finding] // values shared, never modified
	anchors  *spanset.Set[struct{}]
	// FindingsGen changes whenever the findings change other than by
	// moving with the text around them: what the user is shown and the
	// document's policy decision only need refreshing then.
	FindingsGen uint64
	// Typed are the places the user typed last: the offset just after
	// each of the last maxTypedSites edits (a run of keystrokes is one
	// place; a whole-document change counts where it differs, fullsync.go),
	// oldest first, kept in step with later
	// edits. A request's typing-safe scan covers them as well as the
	// cursor, so a secret left half typed stays masked after the cursor
	// moves on, in this document and when it is a neighbour.
	Typed []int
	// rescanned is how many bytes the edit that made this snapshot
	// scanned again (tests check it stays proportional to the edit).
	rescanned int
}

// FindingCount is the number of findings in the document.
func (d *Document) FindingCount() int { return d.findings.Len() }

// Findings returns the findings that overlap or touch [lo, hi] (Start <= hi
// and End >= lo), sorted by Start. O(log n + k).
func (d *Document) Findings(lo, hi int) []redact.Finding {
	var out []redact.Finding
	for sp := range d.findings.Overlapping(lo, hi) {
		f := *sp.Value
		f.Start, f.End = sp.Start, sp.End
		out = append(out, f)
	}
	return out
}

// AllFindings returns every finding, sorted by Start: O(n), for the
// document's policy decision, its diagnostics and status.
func (d *Document) AllFindings() []redact.Finding {
	return d.Findings(-1, d.Text.Len()+1)
}

// textWindow is the bytes [base, base+len(text)) of a document: the only
// part of it a request materialises.
type textWindow struct {
	base int
	text []byte
	// around, when not nil, is the document's bytes [aroundBase,
	// aroundBase+len(around)), text and a margin on each side,
	// materialised with it: withKnown looks for known values crossing
	// the window's edges there instead of copying the text again.
	around     []byte
	aroundBase int
}

func (w textWindow) end() int { return w.base + len(w.text) }

// slice returns the document's bytes [start, end), which must lie in w.
func (w textWindow) slice(start, end int) []byte { return w.text[start-w.base : end-w.base] }

// findingsWindow returns the window of doc around [start, end) widened so
// it cuts no finding in two, and the findings (sorted by Start) inside it.
func findingsWindow(doc *Document, start, end int) (textWindow, []redact.Finding) {
	return findingsWindowIn(doc, start, end, 0, nil, nil)
}

// findingsWindowIn is findingsWindow with the window's text and margin
// bytes on each side (textWindow.around) materialised into *buf, which it
// reuses and may grow; buf nil materialises the window alone into a new
// slice. The findings are written over dst's room (grown when short; nil
// is fine) and have room after them for the typing-safe scan's findings
// and, with a margin, for the known values withKnown adds (mostly the
// detector's findings again).
func findingsWindowIn(doc *Document, start, end, margin int, buf *[]byte, dst []redact.Finding) (textWindow, []redact.Finding) {
	start, end = doc.Text.RuneStart(start), doc.Text.RuneStart(end)
	lo, hi, near := start, end, 0
	for sp := range doc.findings.Overlapping(lo, hi) {
		near++
		if sp.Start < start && sp.End > start {
			start = sp.Start
		}
		if sp.Start < end && sp.End > end {
			end = sp.End
		}
	}
	room := near + typingRoom
	if margin > 0 {
		room += near
	}
	in := dst[:0]
	if cap(in) < room {
		in = make([]redact.Finding, 0, room)
	}
	for sp := range doc.findings.Overlapping(lo, hi) {
		if sp.Start >= start && sp.End <= end {
			f := *sp.Value
			f.Start, f.End = sp.Start, sp.End
			in = append(in, f)
		}
	}
	if buf == nil {
		return textWindow{base: start, text: doc.Text.Slice(start, end)}, in
	}
	aLo, aHi := max(0, start-margin), min(doc.Text.Len(), end+margin)
	*buf = doc.Text.AppendSlice((*buf)[:0], aLo, aHi)
	around := *buf
	return textWindow{base: start, text: around[start-aLo : end-aLo], around: around, aroundBase: aLo}, in
}

// newDocument makes a snapshot of text with a full scan.
func newDocument(base Document, text []byte, sc scanner) *Document {
	doc := base
	doc.Text = textbuf.New(text)
	doc.findings, doc.anchors = nil, nil
	doc.Typed = openSites(text, sc, doc.Path) // a value left open in the text: see opensites.go
	doc.FindingsGen++
	if sc.det != nil {
		doc.findings = findingSet(sc.det.ScanRange(sc.path(doc.Path), text, 0))
		doc.anchors = anchorSet(sc.det.Anchors(text, 0, nil))
	}
	doc.rescanned = len(text)
	return &doc
}

func findingSet(fs []redact.Finding) *spanset.Set[*redact.Finding] {
	spans := make([]spanset.Span[*redact.Finding], len(fs))
	for i := range fs {
		spans[i] = spanset.Span[*redact.Finding]{Start: fs[i].Start, End: fs[i].End, Value: &fs[i]}
	}
	return spanset.New(spans)
}

func anchorSet(as []redact.Anchor) *spanset.Set[struct{}] {
	spans := make([]spanset.Span[struct{}], len(as))
	for i, a := range as {
		spans[i] = spanset.Span[struct{}]{Start: a.Start, End: a.End}
	}
	return spanset.New(spans)
}

// maxTypedSites bounds Document.Typed.
const maxTypedSites = 8

// typed moves the sites for text[start:end] replaced by n bytes and adds
// the end of the new text as the newest site.
func typed(sites []int, start, end, n int) []int {
	out := make([]int, 0, min(len(sites)+1, maxTypedSites))
	return moveSites(out, sites[max(0, len(sites)+1-maxTypedSites):], start, end, n)
}

// moveSites appends to out each of sites moved for text[start:end]
// replaced by n bytes (a site inside the replaced text moves to its end),
// then the end of the new text as the newest site, once.
func moveSites(out, sites []int, start, end, n int) []int {
	at := start + n
	for _, s := range sites {
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

// scanner is what the mirror scans with: the current detector (nil when
// detection is off) and the path it is told for a document path (allow.paths
// globs match the workspace-relative path).
type scanner struct {
	det  *redact.Detector
	path func(string) string
}

// documents is the mirror of every open document.
type documents struct {
	// scanner returns the current detector (it changes with config
	// reloads).
	scanner func() scanner

	mu    sync.Mutex
	byURI map[string]*Document
	// meter counts the open text (nil: not counted).
	meter *TextMeter
	// recent holds the open URIs, the most recently opened or changed
	// first: neighbour candidates are taken from its front, O(1) to keep.
	recent   *list.List
	inRecent map[string]*list.Element
	// scratch is the edit path's copy of text around an edit (the open
	// sites' lines, then the rescan window), reused by every edit: only
	// change, under mu, uses it, and nothing keeps what it holds.
	scratch []byte
}

func newDocuments(scanner func() scanner, meter *TextMeter) *documents {
	return &documents{scanner: scanner, byURI: map[string]*Document{}, recent: list.New(), inRecent: map[string]*list.Element{}, meter: meter}
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
	path := uriPath(item.URI)
	doc := newDocument(Document{
		URI:        item.URI,
		Path:       path,
		Target:     policyTarget(item.URI, path),
		LanguageID: item.LanguageID,
		Version:    item.Version,
	}, []byte(item.Text), d.scanner())
	d.mu.Lock()
	if old := d.byURI[item.URI]; old != nil {
		d.meter.add(-old.Text.Len())
	}
	d.byURI[item.URI] = doc
	d.meter.add(doc.Text.Len())
	d.touch(item.URI)
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
	sc := d.scanner()
	for _, c := range p.ContentChanges {
		if c.Range == nil {
			prev := doc
			doc = newDocument(*doc, []byte(c.Text), sc)
			doc.Typed = mergeSites(doc.Typed, replacedSites(prev.Typed, prev.Text.Slice(0, prev.Text.Len()), []byte(c.Text)))
			doc.Version = p.TextDocument.Version
			continue
		}
		start, end, err := doc.Text.OffsetRange(*c.Range, enc)
		if err != nil {
			problem = fmt.Errorf("lspproxy: didChange: %w (clamped)", err)
			start, end = clampRange(doc.Text, *c.Range, enc)
		}
		doc = edited(doc, textbuf.Edit{Start: start, End: end, Text: c.Text}, sc, &d.scratch)
		doc.Version = p.TextDocument.Version
	}
	if cap(d.scratch) > maxScratch {
		d.scratch = nil // a rare wide rescan: do not keep its window
	}
	d.meter.add(doc.Text.Len() - d.byURI[p.TextDocument.URI].Text.Len())
	d.byURI[p.TextDocument.URI] = doc
	d.touch(p.TextDocument.URI)
	return doc, problem
}

// maxScratch bounds the scratch documents keeps between edits (a
// keystroke's rescan window is a few KiB; an edit in a private key block
// can reach 64 KiB and more).
const maxScratch = 256 << 10

// clampRange maps a range with lines past the end to the end of the text.
func clampRange(t *textbuf.Text, r Range, enc Encoding) (int, int) {
	off := func(p Position) int {
		o, err := t.PositionOffset(p, enc)
		if err != nil {
			return t.Len()
		}
		return o
	}
	start, end := off(r.Start), off(r.End)
	if end < start {
		start, end = end, start
	}
	return start, end
}

// edited is doc after one edit (inside the text), its findings rescanned
// around the edit only (see rescan). The open sites' check, then the
// rescan, read text into *scratch.
func edited(doc *Document, e textbuf.Edit, sc scanner, scratch *[]byte) *Document {
	next := *doc
	text, err := doc.Text.Apply(e)
	if err != nil { // unreachable: the range was clamped to the text
		return doc
	}
	next.Text = text
	next.Typed = typedKeeping(doc.Typed, e.Start, e.End, len(e.Text), openCheck(text, sc, doc.Path, scratch))
	next.rescanned = 0
	if sc.det != nil {
		rescan(doc, &next, sc, editSpan{a: e.Start, b: e.End, n: len(e.Text)}, scratch)
	}
	return &next
}

func (d *documents) close(u string) {
	d.mu.Lock()
	if old := d.byURI[u]; old != nil {
		d.meter.add(-old.Text.Len())
	}
	delete(d.byURI, u)
	if e := d.inRecent[u]; e != nil {
		d.recent.Remove(e)
		delete(d.inRecent, u)
	}
	d.mu.Unlock()
}

// closeAll closes every document (the session ended).
func (d *documents) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for u, doc := range d.byURI {
		d.meter.add(-doc.Text.Len())
		delete(d.byURI, u)
	}
	d.recent.Init()
	clear(d.inRecent)
}

// get returns the current snapshot of u, or nil when it is not open.
func (d *documents) get(u string) *Document {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byURI[u]
}

// touch moves u to the front of the recency list. d.mu is held.
func (d *documents) touch(u string) {
	if e := d.inRecent[u]; e != nil {
		d.recent.MoveToFront(e)
		return
	}
	d.inRecent[u] = d.recent.PushFront(u)
}

// recentOthers returns up to n open documents other than u, the most
// recently opened or changed first: O(n), whatever is open.
func (d *documents) recentOthers(u string, n int) []*Document {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Document, 0, min(n, len(d.byURI)))
	for e := d.recent.Front(); e != nil && len(out) < n; e = e.Next() {
		if e.Value.(string) != u {
			out = append(out, d.byURI[e.Value.(string)])
		}
	}
	return out
}

// rescanAll rescans every document (after a config reload changed the
// detector) and returns the new snapshots.
func (d *documents) rescanAll() []*Document {
	sc := d.scanner()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Document, 0, len(d.byURI))
	for u, doc := range d.byURI {
		next := newDocument(*doc, doc.Text.Slice(0, doc.Text.Len()), sc)
		next.Typed = doc.Typed
		d.byURI[u] = next
		out = append(out, next)
	}
	return out
}
