package lspproxy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// The completion pipeline shared by textDocument/inlineCompletion,
// textDocument/completion and Copilot's getCompletions: policy → redact →
// local model → restore. Every failure blocks: the editor gets an empty
// answer and nothing unredacted leaves.

// fimRequest is one completion request as the read loop prepared it: a
// snapshot of the document and its neighbours at the request's arrival.
type fimRequest struct {
	id        string // the LSP request id, for audit
	kind      policy.Kind
	doc       *Document
	cursor    int // byte offset in doc
	trigger   localmodel.Trigger
	neighbors []*Document

	// enc is the encoding of the request's positions and of the answer's:
	// the negotiated one, except UTF-16 for the Copilot dialect.
	enc Encoding
	// multiline lets an automatic suggestion span a block (Copilot dialect).
	multiline bool

	// scannedBy is the detector the snapshot's findings came from.
	scannedBy *detectorFuture

	// name is the document's masked relative path, set by maskedName the
	// first time it is needed (the audit record and the prompt share it).
	name *pathMask
}

type pathMask struct {
	text redact.Text
	err  error
}

var errBudget = errors.New("latency budget exhausted")

// newFIMRequest snapshots uri at pos (in the negotiated encoding); it runs
// on the read loop.
func (s *Server) newFIMRequest(id []byte, kind policy.Kind, uri string, pos Position, trigger localmodel.Trigger) (*fimRequest, error) {
	return s.newFIMRequestIn(s.encoding(), id, kind, uri, pos, trigger)
}

// neighbourCandidates is how many of the most recently touched documents a
// request considers as neighbours (policy may keep some out; the first
// lsp.neighbor_files that pass are sent).
const neighbourCandidates = 16

// newFIMRequestIn is newFIMRequest with pos, and the answer's positions, in
// enc.
func (s *Server) newFIMRequestIn(enc Encoding, id []byte, kind policy.Kind, uri string, pos Position, trigger localmodel.Trigger) (*fimRequest, error) {
	doc := s.docs.get(uri)
	if doc == nil {
		return nil, nil // not open: nothing to complete
	}
	cursor, err := doc.Text.PositionOffset(pos, enc)
	if err != nil {
		return nil, invalidParams("%v", err)
	}
	// The most recently touched documents, same language first.
	neighbors := s.docs.recentOthers(uri, neighbourCandidates)
	slices.SortStableFunc(neighbors, func(a, b *Document) int {
		as, bs := a.LanguageID == doc.LanguageID, b.LanguageID == doc.LanguageID
		switch {
		case as == bs:
			return 0
		case as:
			return -1
		}
		return 1
	})
	return &fimRequest{id: string(id), kind: kind, doc: doc, cursor: cursor, trigger: trigger, neighbors: neighbors, enc: enc,
		scannedBy: s.ai.scannedBy.Load()}, nil
}

// complete runs the pipeline and returns the text to insert at the cursor,
// with original values restored; "" means no suggestion (blocked, timed out,
// failed or nothing to say). It returns an error only when ctx was cancelled
// by the client or a newer request.
func (p *pipeline) complete(ctx context.Context, r *fimRequest) (string, error) {
	st := p.settings()
	tr := p.newTrail(r.id, r.kind)
	log := requestLog{base: p.logger, id: r.id, kind: r.kind}
	tr.rec.Document, tr.rec.Language = p.requestDocName(st, r), r.doc.LanguageID
	ctx, stop := withBudget(ctx, st.cfg.LSP.LatencyBudget)
	defer stop()

	if d := st.cfg.LSP.Debounce; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return p.ended(ctx, tr)
		case <-t.C:
		}
	}

	room := p.promptRoom()
	defer p.putPromptRoom(room) // after the audit record counted pr.findings
	pr, err := p.prompt(st, r, room)
	if pr != nil {
		tr.rec.Findings, tr.rec.Rules = room.count(pr.findings)
		tr.decided(pr.decision)
	}
	switch {
	case err != nil:
		p.s.refused(r.doc, tr.rec.Document, err)
		tr.end(refusal(), audit.OutcomeError)
		return "", nil
	case pr.decision.Route != policy.Local:
		p.s.blocked(r.doc, tr.rec.Document, pr.decision)
		tr.finish(audit.OutcomeBlocked)
		return "", nil
	case pr.skip != "":
		log.get().Debug("completion skipped", "reason", pr.skip)
		tr.finish(audit.OutcomeEmpty)
		return "", nil
	}
	if err := p.ready(ctx); err != nil {
		if ctx.Err() != nil {
			return p.ended(ctx, tr)
		}
		d := modelCheckFailed(err)
		p.s.blocked(r.doc, tr.rec.Document, d)
		tr.end(d, audit.OutcomeBlocked)
		return "", nil
	}
	tr.sent(p.opts.Model.ID(), pr.bytes())
	c, err := p.opts.Model.Complete(ctx, pr.fim)
	if err != nil {
		if ctx.Err() != nil {
			return p.ended(ctx, tr)
		}
		log.get().Warn("model", "error", err)
		p.s.logMessage(MessageWarning, "veil: "+err.Error())
		tr.finish(audit.OutcomeError)
		return "", nil
	}
	text, problems := p.vault.Restore(c.Text)
	if len(problems) > 0 {
		for _, pb := range problems {
			log.get().Warn("restore: token not restored", "token", pb.Token, "reason", pb.Reason)
		}
		tr.finish(audit.OutcomeError) // a placeholder must never land in the user's file
		return "", nil
	}
	if strings.TrimSpace(text) == "" {
		tr.finish(audit.OutcomeEmpty)
		return "", nil
	}
	p.s.served(r.doc)
	tr.finish(audit.OutcomeOK)
	return text, nil
}

// withBudget is ctx ended with errBudget after budget. A request's own
// context (goRequest's) is ended by a timer, one context less per request;
// any other gets a timeout context. stop releases either.
func withBudget(ctx context.Context, budget time.Duration) (context.Context, func()) {
	if rc, ok := ctx.(*requestContext); ok {
		t := time.AfterFunc(budget, func() { rc.cancel(errBudget) })
		return ctx, func() { t.Stop() }
	}
	ctx, cancel := context.WithTimeoutCause(ctx, budget, errBudget)
	return ctx, cancel
}

// ended finishes a request whose context ended: the budget running out is
// an empty answer; a cancellation is returned to goRequest.
func (p *pipeline) ended(ctx context.Context, tr *trail) (string, error) {
	if context.Cause(ctx) == errBudget {
		tr.finish(audit.OutcomeTimeout)
		return "", nil
	}
	tr.finish(audit.OutcomeCancelled)
	return "", context.Cause(ctx)
}

// prompt is a redacted FIM request and what it was decided on.
type prompt struct {
	fim      localmodel.FIMRequest
	findings []redact.Finding // masked in the window around the cursor
	decision policy.Decision
	skip     string // non-empty: do not ask the model (why)
	values   []string
	// nbValues are the values masked in each neighbour, each list as
	// checkValues leaves it (the cached neighbour's own, not copies).
	nbValues [][]string
}

// promptRoom is one completion request's reusable room for its prompt:
// the window's findings, the masked window with the values masked in it
// (a redact.Scratch) and the prompt that refers to them. The text the
// request sends is copied out of it (cutContext) and nothing the request
// replies, records or caches refers to it, so it goes back to the
// pipeline's pool (putPromptRoom) when the request ends.
type promptRoom struct {
	fs      []redact.Finding
	mask    redact.Scratch
	maskLen int // the masked window's length, to bound what is kept
	nbs     []redactedSnippet
	nbVals  [][]string
	cut     cutRoom
	pr      prompt
	// byCategory and byRule are the audit record's counts (see count).
	byCategory, byRule map[string]int
}

// count is countFindings into room's two maps: the audit record that
// holds them is written (audit.Log.Write keeps nothing of a record) before
// the request ends and the room goes back.
func (room *promptRoom) count(fs []redact.Finding) (byCategory, byRule map[string]int) {
	if len(fs) == 0 {
		return nil, nil
	}
	if room.byCategory == nil {
		room.byCategory, room.byRule = map[string]int{}, map[string]int{}
	}
	clear(room.byCategory)
	clear(room.byRule)
	for _, f := range fs {
		room.byCategory[string(f.Category)]++
		room.byRule[f.RuleID]++
	}
	return room.byCategory, room.byRule
}

// promptRoom is a room from p.rooms, or a new one.
func (p *pipeline) promptRoom() *promptRoom {
	if r, ok := p.rooms.Get().(*promptRoom); ok {
		return r
	}
	return new(promptRoom)
}

// putPromptRoom gives room back once nothing refers to it; it drops the
// values it held and keeps no more than maxKnownBuf of masked text.
func (p *pipeline) putPromptRoom(room *promptRoom) {
	room.mask.Reset()
	room.cut.reset()
	clear(room.nbs[:cap(room.nbs)])
	clear(room.nbVals[:cap(room.nbVals)])
	room.pr = prompt{}
	if room.maskLen <= maxKnownBuf && cap(room.fs) <= maxRoomFindings {
		p.rooms.Put(room)
	}
}

// maxRoomFindings bounds the findings' room a promptRoom keeps for reuse.
const maxRoomFindings = 1 << 12

func (pr *prompt) bytes() int {
	n := len(pr.fim.Prefix) + len(pr.fim.Suffix) + len(pr.fim.Path)
	for _, s := range pr.fim.Neighbors {
		n += len(s.Text) + len(s.Path)
	}
	return n
}

// prompt decides and redacts. A non-nil error means redaction failed and the
// request must be blocked. The prompt and its findings and values live in
// room, which the caller gives back only when it is done with them; the
// text it sends (pr.fim) is copied out of room.
func (p *pipeline) prompt(st *settings, r *fimRequest, room *promptRoom) (*prompt, error) {
	// The window's text is read from a reused buffer: everything the
	// prompt keeps (masked text, values) is a copy, never a part of it.
	buf := p.textBuf()
	defer p.putTextBuf(buf)
	w, fs := window(st, r.doc, p.s.scanPath(r.doc.Path), r.cursor, min(knownMargin, p.vault.KnownMaxLen()), buf, room.fs)
	fs = freshFindings(st, r.scannedBy, p.s.scanPath(r.doc.Path), w, fs)
	w, fs, err := p.withKnown(r.doc, w, fs, r.cursor)
	room.fs = fs // its room, grown or not, serves the next request
	pr := &room.pr
	if err != nil {
		return pr, err
	}
	pr.findings = fs
	pr.decision = p.s.decide(st.policy, policy.Request{
		Kind: r.kind, Path: r.doc.Path, WorkspaceRoot: p.s.workspaceRoot(r.doc.Path),
		LanguageID: r.doc.LanguageID, Findings: fs,
	}, r.doc.Target)
	if pr.decision.Route != policy.Local {
		return pr, nil
	}
	for _, f := range fs {
		if f.Start < r.cursor && r.cursor < f.End && f.RuleID != redact.RuleTypingPartial {
			pr.skip = "cursor inside a masked value"
			return pr, nil
		}
	}
	m, err := p.vault.MaskDraft(&room.mask, w.text, w.base, fs)
	if err != nil {
		return pr, err
	}
	room.maskLen = m.Len()
	maskedPath, err := p.maskedName(st, r)
	if err != nil {
		return pr, err
	}
	snips, nbValues, err := p.neighbours(st, r, room)
	if err != nil {
		return pr, err
	}
	pr.nbValues = nbValues
	pr.values = checkValues(m.Values()) // the leak guard's order, made once (in room)
	prefix, suffix, picked, err := cutContext(m, m.ToMasked(r.cursor-w.base), st.cfg.LSP.ContextBytes, snips, st.cfg.LSP.NeighborBytes, &room.cut)
	if err != nil {
		return pr, err
	}
	pr.fim = fimFor(prefix, suffix, maskedPath, picked, r.doc.LanguageID, r.trigger)
	pr.fim.Multiline = r.multiline
	if err := p.leakCheck(pr); err != nil {
		return pr, err
	}
	return pr, nil
}

// typingLookback bounds the typing-safe scan on each side of the cursor
// (within its line); longer than any token format.
const typingLookback = 4096

// window picks the span of text around cursor that may be sent: ContextBytes
// on each side (BuildContext cuts it further), widened so no cached finding
// is cut in two, and the findings in it: the cached ones plus a typing-safe
// scan of the window (a secret being typed at the cursor is masked whole).
// The text is materialised into *buf with margin bytes more on each side
// (see findingsWindowIn), the findings over dst's room.
func window(st *settings, doc *Document, scanPath string, cursor, margin int, buf *[]byte, dst []redact.Finding) (textWindow, []redact.Finding) {
	budget := st.cfg.LSP.ContextBytes
	w, fs := findingsWindowIn(doc, max(0, cursor-budget), min(doc.Text.Len(), cursor+budget), margin, buf, dst)
	// The cached findings are complete (kept current on every edit, an
	// unfinished private key block included); the typing-safe scan only
	// has to look at the token touching the cursor and at the places the
	// user typed last (a secret left half typed when the cursor moved on):
	// each one's line, bounded on very long (minified) lines.
	cs, ce := typingAt(st, w, scanPath, cursor, &fs)
	typingSites(st, doc, w, scanPath, cs, ce, &fs)
	return w, sortedUnique(fs)
}

// typingRoom is the spare capacity findingsWindow leaves for the
// typing-safe scan's findings.
const typingRoom = 4

// typingAt appends the value being typed at at (within w) to fs and
// returns the line around at.
func typingAt(st *settings, w textWindow, scanPath string, at int, fs *[]redact.Finding) (ts, te int) {
	text, ws, we := w.text, w.base, w.end()
	at = max(ws, min(at, we))
	ts, te = at, at
	for ts > ws && ts > at-typingLookback && text[ts-1-ws] != '\n' && text[ts-1-ws] != '\r' {
		ts--
	}
	for ts > ws && ts < we && !utf8.RuneStart(text[ts-ws]) {
		ts--
	}
	for te < we && te < at+typingLookback && text[te-ws] != '\n' && text[te-ws] != '\r' {
		te++
	}
	for te < we && !utf8.RuneStart(text[te-ws]) {
		te++
	}
	unfinishedAt(st, w, scanPath, at, fs)
	return ts, te
}

// typingSites appends the typing-safe scan at each of doc's typed sites
// within w (newest first; each line once, skipping [skipS, skipE] already
// scanned) to fs.
func typingSites(st *settings, doc *Document, w textWindow, scanPath string, skipS, skipE int, fs *[]redact.Finding) {
	done := [][2]int{{skipS, skipE}}
	for i := len(doc.Typed) - 1; i >= 0; i-- {
		e := doc.Typed[i]
		if e < w.base || e > w.end() || slices.ContainsFunc(done, func(d [2]int) bool { return d[0] <= e && e <= d[1] }) {
			continue
		}
		s, t := typingAt(st, w, scanPath, e, fs)
		done = append(done, [2]int{s, t})
	}
}

// withTyped is the findings in w (from findingsWindow) plus the
// typing-safe scan at doc's typed sites in it (a secret left half typed
// there), sorted by Start: for a document sent in part that is not the one
// at the cursor.
func (p *pipeline) withTyped(st *settings, doc *Document, w textWindow, fs []redact.Finding) []redact.Finding {
	if len(doc.Typed) == 0 {
		return fs
	}
	typingSites(st, doc, w, p.s.scanPath(doc.Path), -1, -1, &fs)
	return sortedUnique(fs)
}

// sortedUnique sorts fs by Start and drops exact duplicates (a finding
// both cached and re-scanned).
func sortedUnique(fs []redact.Finding) []redact.Finding {
	sortByStart(fs)
	return slices.CompactFunc(fs, func(a, b redact.Finding) bool {
		return a.Start == b.Start && a.End == b.End
	})
}

// sortByStart sorts fs by Start exactly as slices.SortFunc does, findings
// with equal Starts in the same order (which of two duplicates
// sortedUnique keeps, and so the rule a value is masked under, stays as
// it was): it sorts the findings' indices with the same comparisons, so
// the sort makes the same moves, and then moves each 80-byte finding once
// instead of at every step.
func sortByStart(fs []redact.Finding) {
	var buf [256]int32
	if len(fs) > len(buf) {
		slices.SortFunc(fs, func(a, b redact.Finding) int { return a.Start - b.Start })
		return
	}
	idx := buf[:len(fs)]
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return fs[a].Start - fs[b].Start })
	// fs[i] becomes the old fs[idx[i]], one cycle of the permutation at a
	// time; a position done is marked idx[j] = j.
	for i := range idx {
		if idx[i] == int32(i) {
			continue
		}
		tmp, j := fs[i], i
		for {
			k := int(idx[j])
			idx[j] = int32(j)
			if k == i {
				fs[j] = tmp
				break
			}
			fs[j], j = fs[k], k
		}
	}
}

func rebase(fs []redact.Finding, by int) []redact.Finding {
	out := make([]redact.Finding, len(fs))
	for i, f := range fs {
		f.Start -= by
		f.End -= by
		out[i] = f
	}
	return out
}

// maskString masks a short string (a path, a chat message) as maskText
// does.
func (p *pipeline) maskString(st *settings, s string) (redact.Text, error) {
	m, _, err := p.maskText(st, s)
	return m, err
}

// requestDocName is r's document workspace-relative path masked like any
// other text, for the logs and the audit file: a file named after a
// codename, or a path that holds a token, must not write the value there.
// It is masked once per request.
func (p *pipeline) requestDocName(st *settings, r *fimRequest) string {
	name, err := p.maskedName(st, r)
	if err != nil {
		return "(name withheld: redaction failed)"
	}
	return name.String()
}

// maskedName is r's document path masked, computed on first use: the audit
// record and the prompt both need it, and masking it twice per keystroke
// is wasted work.
func (p *pipeline) maskedName(st *settings, r *fimRequest) (redact.Text, error) {
	if r.name == nil {
		name, err := p.maskName(st, p.s.relPath(r.doc))
		r.name = &pathMask{text: name, err: err}
	}
	return r.name.text, r.name.err
}

// maskName is maskString for a document's name, sent with every request:
// a name found to hold nothing to mask (no finding, no known value) under
// st at the vault's version is taken as it is while both are unchanged
// (what the detector finds depends on nothing else, and no value became
// known since).
func (p *pipeline) maskName(st *settings, name string) (redact.Text, error) {
	v := p.vault.KnownVersion() // before the check: a value known later bumps it
	if t, ok := p.leakMemo.cleanName(name, st, v); ok {
		return t, nil
	}
	m, values, err := p.maskText(st, name)
	if err == nil && len(values) == 0 {
		p.leakMemo.rememberName(name, st, v, m)
	}
	return m, err
}

// neighbourCap bounds how much of a neighbour document (its start) is masked
// and handed to BuildContext, which picks the best lines within
// NeighborBytes. Scoring windows costs time in proportion to this; 8 KiB
// keeps a completion within the latency target.
const neighbourCap = 8 << 10

// neighbours redacts the other open documents the policy lets through and
// returns their snippets and, for each, the values masked in it (for the
// leak guard; the cached entry's own slices, not copies), both lists in
// room.
func (p *pipeline) neighbours(st *settings, r *fimRequest, room *promptRoom) ([]redactedSnippet, [][]string, error) {
	if st.cfg.LSP.NeighborFiles <= 0 || st.cfg.LSP.NeighborBytes <= 0 {
		return nil, nil, nil
	}
	out, values := room.nbs[:0], room.nbVals[:0]
	for _, d := range r.neighbors {
		if len(out) == st.cfg.LSP.NeighborFiles {
			break
		}
		n, err := p.neighbour(st, r.kind, d, r.scannedBy)
		if err != nil {
			return nil, nil, err
		}
		if n.ok {
			out = append(out, n.snip)
			values = append(values, n.values)
		}
	}
	room.nbs, room.nbVals = out, values // the room, grown or not
	return out, values, nil
}

// neighbourEntry is one neighbour document redacted for one settings, kind
// and workspace root; ok is false when policy keeps it out.
type neighbourEntry struct {
	doc    *Document // the snapshot it was made from
	st     *settings
	kind   policy.Kind
	root   string
	ok     bool
	snip   redactedSnippet
	values []string
	known  uint64 // the vault's KnownVersion when it was masked
}

// neighbourCacheMax bounds the cache of redacted neighbours.
const neighbourCacheMax = 64

// neighbour redacts the start of d, reusing the last result while d, the
// settings and the root are unchanged (Documents are immutable snapshots,
// and the vault gives a value the same token every time).
func (p *pipeline) neighbour(st *settings, kind policy.Kind, d *Document, scannedBy *detectorFuture) (neighbourEntry, error) {
	root := p.s.workspaceRoot(d.Path)
	p.nbMu.Lock()
	e, hit := p.nbCache[d.URI]
	p.nbMu.Unlock()
	if hit && e.doc == d && e.st == st && e.kind == kind && e.root == root {
		if v, leaks := p.knownIn(e); !leaks {
			p.checkedAt(d.URI, e, v)
			e.known = v
			return e, nil
		}
	}
	e = neighbourEntry{doc: d, st: st, kind: kind, root: root}
	bp := p.textBuf() // nothing in e refers to it: snippet and values are copies
	defer p.putTextBuf(bp)
	w, end, fs := p.neighbourStart(st, d, scannedBy, bp)
	dec := p.s.decide(st.policy, policy.Request{Kind: kind, Path: d.Path, WorkspaceRoot: root, LanguageID: d.LanguageID, Findings: fs}, d.Target)
	if dec.Route == policy.Local {
		m, err := p.vault.MaskBytes(w.slice(0, end), fs)
		if err != nil {
			return e, err
		}
		name, err := p.maskName(st, p.s.relPath(d))
		if err != nil {
			return e, err
		}
		// After its own values became known: only values known later
		// make the cached snippet be checked again.
		e.known = p.vault.KnownVersion()
		e.ok, e.snip = true, redactedSnippet{path: name, text: m.Redacted(), index: localmodel.IndexWords(m.Text)}
		for _, f := range fs {
			e.values = append(e.values, string(w.slice(f.Start, f.End)))
		}
		e.values = checkValues(e.values)
	}
	p.nbMu.Lock()
	if len(p.nbCache) >= neighbourCacheMax {
		clear(p.nbCache)
	}
	p.nbCache[d.URI] = e
	p.nbMu.Unlock()
	return e, nil
}

// neighbourStart is the start of d that may be sent as a neighbour, its
// text read into *buf with the known-value margin after it: the window of
// neighbourCap bytes, its end moved back so no finding or known value is
// cut in two, and the findings that end by it.
func (p *pipeline) neighbourStart(st *settings, d *Document, scannedBy *detectorFuture, buf *[]byte) (w textWindow, end int, fs []redact.Finding) {
	w, inWindow := findingsWindowIn(d, 0, min(d.Text.Len(), neighbourCap), min(knownMargin, p.vault.KnownMaxLen()), buf, nil)
	inWindow = freshFindings(st, scannedBy, p.s.scanPath(d.Path), w, inWindow)
	hi := min(d.Text.Len(), w.end()+min(knownMargin, p.vault.KnownMaxLen()))
	text := w.around[:min(hi, len(w.around))] // w.aroundBase is 0
	if len(text) < hi {                       // a longer value became known meanwhile
		text = d.Text.Slice(0, hi)
	}
	all := p.vault.AppendKnown(slices.Clone(p.withTyped(st, d, w, inWindow)), text)
	end, fs = cutBefore(all, w.end()) // never cut a value in two
	return w, end, fs
}

// leakCheck is the last guard before the model: no value that was found in
// the window or in a neighbour, and no value the vault knows, may appear
// anywhere in the prompt. The values are looked for in each part in one
// pass (see valueFilter); only when one is there are they gathered and
// looked for one by one, so the refusal names the same value it always did.
func (p *pipeline) leakCheck(pr *prompt) error {
	var room [3 + 2*4]string // the prompt's parts with up to four neighbours
	parts := append(room[:0], pr.fim.Prefix, pr.fim.Suffix, pr.fim.Path)
	for _, s := range pr.fim.Neighbors {
		parts = append(parts, s.Text, s.Path)
	}
	var groupRoom [1 + 4][]string // the window's values and up to four neighbours'
	groups := append(groupRoom[:0], checkedValues(pr.values))
	for _, vs := range pr.nbValues {
		groups = append(groups, checkedValues(vs))
	}
	var vf valueFilter
	for _, vs := range groups {
		vf.add(vs)
	}
	for i, part := range parts {
		if vf.anyIn(part, groups) {
			return leakIn(parts, i, slices.Concat(groups...))
		}
	}
	for i, part := range parts {
		if err := p.leakFree("prompt", part, i >= 3); err != nil {
			return err
		}
	}
	return nil
}

// leakIn is the refusal for a prompt whose part i holds one of values (the
// first such part): the first value, in checkedValues' order, in any of
// the prefix, suffix and path, or else in part i.
func leakIn(parts []string, i int, values []string) error {
	values = checkedValues(values)
	if i < 3 {
		return leakGuard("prompt", values, parts[:3])
	}
	for _, v := range values {
		if strings.Contains(parts[i], v) {
			return fmt.Errorf("lspproxy: leak guard: a masked value (%s) is still in the prompt", redact.Preview(v))
		}
	}
	return fmt.Errorf("lspproxy: leak guard: a masked value is still in the prompt")
}

// checkedValues is the values the leak guard looks for: each one of 4
// bytes or more, once, sorted. Values that are so already (see
// checkValues) are returned as they are.
func checkedValues(values []string) []string {
	if isChecked(values) {
		return values
	}
	return checkValues(slices.Clone(values))
}

// checkValues makes values what checkedValues returns, in place.
func checkValues(values []string) []string {
	values = slices.DeleteFunc(values, func(v string) bool { return len(v) < 4 })
	slices.Sort(values)
	return slices.Compact(values)
}

// isChecked reports that values are sorted, each once and 4 bytes or
// more.
func isChecked(values []string) bool {
	for i, v := range values {
		if len(v) < 4 || i > 0 && values[i-1] >= v {
			return false
		}
	}
	return true
}

// leakGuard fails when a masked value (of 4 bytes or more) is still in any
// part of a request to the model; what names the request in the error,
// which shows the value only as a preview.
func leakGuard(what string, values, parts []string) error {
	for _, v := range values {
		if len(v) < 4 {
			continue
		}
		for _, part := range parts {
			if strings.Contains(part, v) {
				return fmt.Errorf("lspproxy: leak guard: a masked value (%s) is still in the %s", redact.Preview(v), what)
			}
		}
	}
	return nil
}
