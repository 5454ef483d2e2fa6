package lspproxy

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// What the user sees of veil's decisions: diagnostics on findings, a
// diagnostic on blocked files, the veil/status notification and request
// (the VS Code status bar item), and the message when a request is blocked.

// docUI is what the session last told the client about one document.
type docUI struct {
	route     policy.Route
	reason    string
	warned    bool     // the one showMessage for a block was sent
	warnedFor []string // reasons a refusal was shown for (see refused)
	refusal   string   // the last request was refused for this reason

	// The document's decision, cached for the findings generation and
	// settings it was made with (it reads every finding).
	decided bool
	decGen  uint64
	decSt   *settings
	dec     policy.Decision

	// Diagnostics: what the published ones were made from, and the
	// newest snapshot waiting for the debounce timer.
	pubGen     uint64
	pubSt      *settings
	pubDec     policy.Decision
	pubOnce    bool // something was scheduled at least once
	published  bool // non-empty diagnostics are showing
	lastPub    time.Time
	pubCost    time.Duration // what encoding the last publication took
	seq        uint64        // snapshots taken for publication
	sentSeq    uint64        // the newest of them sent
	pending    *Document
	pendingDec policy.Decision
	timer      *time.Timer
	closed     bool
}

// decideDocument is the route of the document as a whole, for its status and
// diagnostics (requests decide on the text they would send).
func (s *Server) decideDocument(doc *Document) policy.Decision {
	st := s.ai.settings()
	s.uiMu.Lock()
	if ui := s.ui[doc.URI]; ui != nil && ui.decided && ui.decGen == doc.FindingsGen && ui.decSt == st {
		dec := ui.dec
		s.uiMu.Unlock()
		return dec
	}
	s.uiMu.Unlock()
	tally, weights := doc.tally()
	return s.decide(st.policy, policy.Request{
		Kind: policy.Inline, Path: doc.Path, WorkspaceRoot: s.workspaceRoot(doc.Path),
		LanguageID: doc.LanguageID, Findings: tally, Weights: weights,
	}, doc.Target)
}

// tally is doc's findings for a decision on the whole document: the first
// finding of each rule and category, in order, and how many there are of
// it (policy.Request.Weights). A document with tens of thousands of
// findings holds a few dozen kinds, so this is what is copied and decided
// on when its findings change, not every finding.
func (d *Document) tally() ([]redact.Finding, []int) {
	type kind struct {
		rule string
		cat  redact.Category
	}
	var fs []redact.Finding
	var weights []int
	at := map[kind]int{}
	for sp := range d.findings.All() {
		k := kind{sp.Value.RuleID, sp.Value.Category}
		if i, ok := at[k]; ok {
			weights[i]++
			continue
		}
		at[k] = len(fs)
		f := *sp.Value
		f.Start, f.End = sp.Start, sp.End
		fs, weights = append(fs, f), append(weights, 1)
	}
	return fs, weights
}

// documentChanged refreshes a document's status and diagnostics. It runs on
// the read loop and costs O(1) unless the findings changed: the decision is
// cached per findings generation, and diagnostics are built off the read
// loop, debounced per document.
func (s *Server) documentChanged(doc *Document) {
	st := s.ai.settings()
	dec := s.decideDocument(doc)
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	if ui == nil {
		ui = &docUI{}
		s.ui[doc.URI] = ui
	}
	ui.decided, ui.decGen, ui.decSt, ui.dec = true, doc.FindingsGen, st, dec
	changed := ui.route != dec.Route || ui.reason != dec.Reason
	ui.route, ui.reason = dec.Route, dec.Reason
	s.uiMu.Unlock()
	if changed {
		s.notifyStatus(doc.URI, dec)
	}
	if st.cfg.LSP.Diagnostics {
		s.uiMu.Lock()
		if s.ui[doc.URI] == ui {
			s.scheduleDiagnostics(ui, doc, dec, st)
		}
		s.uiMu.Unlock()
	}
}

// scheduleDiagnostics arranges for doc's diagnostics to be published when
// its findings, decision or settings differ from what was published last:
// at once after a quiet spell (in order with the other messages), else by
// a timer, with the newest snapshot then. Publications are spaced by
// diagnosticsEvery, or by diagnosticsCostFactor times what the last one
// took when that is longer, and one that took more than publishInlineMax
// is made on the timer's goroutine, off the read loop: a document with tens
// of thousands of findings, typed in where they change, costs the session a
// bounded share of its time and keystrokes do not wait for it. s.uiMu is
// held.
func (s *Server) scheduleDiagnostics(ui *docUI, doc *Document, dec policy.Decision, st *settings) {
	if ui.pubOnce && ui.pending == nil && ui.pubGen == doc.FindingsGen && ui.pubSt == st && ui.pubDec == dec {
		return
	}
	ui.pubOnce, ui.pubGen, ui.pubSt, ui.pubDec = true, doc.FindingsGen, st, dec
	ui.pending, ui.pendingDec = doc, dec
	if ui.timer != nil {
		return // the running timer publishes the newest snapshot
	}
	if ui.pubCost < publishInlineMax && time.Since(ui.lastPub) >= ui.publishGap() {
		s.publishPending(doc.URI, ui)
		return
	}
	s.publishLater(doc.URI, ui)
}

const (
	// diagnosticsEvery is the least time between two publications for
	// one document: a change after a quiet spell publishes at once, a
	// burst of keystrokes after it once more at the end.
	diagnosticsEvery = 50 * time.Millisecond
	// diagnosticsCostFactor keeps publishing to a tenth of the time.
	diagnosticsCostFactor = 10
	// publishInlineMax is the most a publication may take on the read loop.
	publishInlineMax = time.Millisecond
)

func (ui *docUI) publishGap() time.Duration {
	return max(diagnosticsEvery, diagnosticsCostFactor*ui.pubCost)
}

// publishLater starts ui's timer: when the gap since the last publication
// has passed, the pending snapshot is encoded on the timer's goroutine
// (the session's: s.wg) without s.uiMu, then sent unless something newer
// was sent meanwhile or the document closed; a change that arrived while
// it was encoded starts the timer again. s.uiMu is held.
func (s *Server) publishLater(uri string, ui *docUI) {
	if s.uiStopped {
		return // the session is ending: no new timer (s.wg is being waited for)
	}
	s.wg.Add(1)
	ui.timer = time.AfterFunc(max(0, ui.publishGap()-time.Since(ui.lastPub)), func() {
		defer s.wg.Done()
		s.uiMu.Lock()
		doc, dec, seq := ui.takePending()
		refusal := ui.refusal
		s.uiMu.Unlock()
		var params json.RawMessage
		var n int
		start := time.Now()
		if doc != nil && s.ctx.Err() == nil {
			params, n = s.diagnosticsJSON(doc, dec, refusal, runtime.Gosched)
		}
		cost := time.Since(start)
		s.uiMu.Lock()
		defer s.uiMu.Unlock()
		ui.timer = nil
		if doc != nil && s.ctx.Err() == nil {
			s.sendDiagnostics(uri, ui, seq, params, n, cost)
		}
		if ui.pending != nil && !ui.closed && s.ctx.Err() == nil {
			s.publishLater(uri, ui)
		}
	})
}

// takePending takes ui's pending snapshot for publication (nil when there
// is none or the document closed) with its sequence number.
func (ui *docUI) takePending() (*Document, policy.Decision, uint64) {
	doc, dec := ui.pending, ui.pendingDec
	ui.pending = nil
	ui.seq++
	if ui.closed {
		doc = nil
	}
	return doc, dec, ui.seq
}

// publishPending publishes ui's pending snapshot now, unless the document
// was closed. s.uiMu is held, so a close (which clears the diagnostics)
// cannot overtake it.
func (s *Server) publishPending(uri string, ui *docUI) {
	doc, dec, seq := ui.takePending()
	if doc == nil {
		return
	}
	start := time.Now()
	params, n := s.diagnosticsJSON(doc, dec, ui.refusal, nil)
	s.sendDiagnostics(uri, ui, seq, params, n, time.Since(start))
}

// sendDiagnostics sends the publication of snapshot seq, which took cost
// to encode, unless the document closed or a newer snapshot's was sent
// already. s.uiMu is held.
func (s *Server) sendDiagnostics(uri string, ui *docUI, seq uint64, params json.RawMessage, n int, cost time.Duration) {
	ui.lastPub, ui.pubCost = time.Now(), cost
	if ui.closed || seq <= ui.sentSeq {
		return
	}
	ui.sentSeq = seq
	if n > 0 || ui.published {
		s.notify("textDocument/publishDiagnostics", params)
	}
	ui.published = n > 0
}

// publishDiagnostics publishes doc's diagnostics now (a refusal was shown
// or cleared: the findings did not change, what is said about them did).
func (s *Server) publishDiagnostics(doc *Document, dec policy.Decision) {
	s.uiMu.Lock()
	defer s.uiMu.Unlock()
	ui := s.ui[doc.URI]
	if ui == nil {
		return
	}
	if ui.timer != nil && ui.timer.Stop() {
		ui.timer = nil
		s.wg.Done()
	}
	ui.pubOnce, ui.pubGen, ui.pubSt, ui.pubDec = true, doc.FindingsGen, s.ai.settings(), dec
	ui.pending, ui.pendingDec = doc, dec
	s.publishPending(doc.URI, ui)
}

// diagnosticsJSON is the publishDiagnostics params for doc, encoded, and
// how many diagnostics they hold: doc's findings and, when it is blocked or
// a request for it was refused, a warning on line 1.
//
// A large document holds tens of thousands of findings, so they are
// encoded by hand straight from the stored spans: each range from the
// span's offsets by one pass of a position cursor, the fields that depend
// only on the rule encoded once per rule. The bytes are those
// encoding/json writes for PublishDiagnosticsParams. pause, when not nil,
// is called every yieldEvery diagnostics: off the read loop it lets a
// keystroke that arrived meanwhile be handled (veil lsp runs on one
// processor) instead of waiting for the whole encoding.
func (s *Server) diagnosticsJSON(doc *Document, dec policy.Decision, refusal string, pause func()) (json.RawMessage, int) {
	enc := s.encoding()
	head := s.headDiagnostics(doc, dec, refusal, enc)
	buf := make([]byte, 0, 64+len(doc.URI)+160*(len(head)+doc.FindingCount()))
	buf = append(buf, `{"uri":`...)
	buf = appendJSON(buf, doc.URI)
	buf = strconv.AppendInt(append(buf, `,"version":`...), int64(doc.Version), 10)
	buf = append(buf, `,"diagnostics":[`...)
	for i, d := range head {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSON(buf, d)
	}
	n := len(head)
	tails := map[string][]byte{} // rule ID -> the diagnostic after its range
	starts, ends := doc.Text.Cursor(enc), doc.Text.Cursor(enc)
	i := 0 // findings encoded
	for sp := range doc.findings.All() {
		f := sp.Value
		tail, ok := tails[f.RuleID]
		if !ok {
			tail = append(appendJSON([]byte(`,"severity":`+strconv.Itoa(SeverityInformation)+`,"code":`), f.RuleID), `,"source":"veil","message":`...)
			tail = append(appendJSON(tail, f.Description+" — masked before any model sees it"), '}')
			tails[f.RuleID] = tail
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		if i++; pause != nil && i%yieldEvery == 0 {
			pause()
		}
		buf = append(buf, `{"range":`...)
		buf = appendRange(buf, starts.Position(sp.Start), ends.Position(sp.End))
		buf = append(buf, tail...)
		n++
	}
	return append(buf, "]}"...), n
}

// yieldEvery is how many diagnostics are encoded between two pauses (about
// 0.2 ms of work).
const yieldEvery = 512

// headDiagnostics are the warnings on line 1 ahead of the findings: the
// document is blocked, a request for it was refused.
func (s *Server) headDiagnostics(doc *Document, dec policy.Decision, refusal string, enc Encoding) []Diagnostic {
	var head []Diagnostic
	_, end := doc.Text.LineRange(0)
	if dec.Route != policy.Local {
		head = append(head, Diagnostic{
			Range:    doc.Text.Range(0, end, enc),
			Severity: SeverityWarning,
			Code:     "veil-blocked",
			Source:   "veil",
			Message:  "AI requests are blocked in this file: " + why(dec.Reason),
		})
	}
	if refusal != "" {
		d := refusalDiagnostic(refusal)
		d.Range = doc.Text.Range(0, end, enc)
		head = append(head, d)
	}
	return head
}

// appendJSON appends v as encoding/json writes it (v is a string or a
// Diagnostic, which always encode).
func appendJSON(buf []byte, v any) []byte {
	b, _ := json.Marshal(v)
	return append(buf, b...)
}

// appendRange appends r as encoding/json writes a Range.
func appendRange(buf []byte, start, end Position) []byte {
	buf = strconv.AppendUint(append(buf, `{"start":{"line":`...), uint64(start.Line), 10)
	buf = strconv.AppendUint(append(buf, `,"character":`...), uint64(start.Character), 10)
	buf = strconv.AppendUint(append(buf, `},"end":{"line":`...), uint64(end.Line), 10)
	buf = strconv.AppendUint(append(buf, `,"character":`...), uint64(end.Character), 10)
	return append(buf, "}}"...)
}

func (s *Server) documentClosed(uri string) {
	s.uiMu.Lock()
	defer s.uiMu.Unlock()
	ui := s.ui[uri]
	delete(s.ui, uri)
	if ui == nil {
		return
	}
	ui.closed = true
	if ui.timer != nil && ui.timer.Stop() {
		ui.timer = nil
		s.wg.Done()
	}
	if ui.published {
		s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: uri, Diagnostics: []Diagnostic{}})
	}
}

// stopDiagnostics stops the pending diagnostics timers (the session is
// ending); a timer already firing finishes on its own.
func (s *Server) stopDiagnostics() {
	s.uiMu.Lock()
	defer s.uiMu.Unlock()
	s.uiStopped = true
	for _, ui := range s.ui {
		if ui.timer != nil && ui.timer.Stop() {
			ui.timer = nil
			s.wg.Done()
		}
	}
}

// configApplied rescans every open document with the new settings and
// refreshes what the user sees.
//
// It may be called from any goroutine (the config watcher's): the rescan
// is posted to the session loop, so documents and the editor are only
// touched there, between messages.
func (s *Server) configApplied() {
	s.events.Post(s.rescanDocuments)
}

func (s *Server) rescanDocuments() {
	if s.docs == nil {
		return
	}
	det := s.ai.settings().det
	for _, doc := range s.docs.rescanAll() {
		s.documentChanged(doc)
	}
	s.ai.scannedBy.Store(det)
}

// notifyStatus sends veil/status: the route in force for uri and why.
func (s *Server) notifyStatus(uri string, dec policy.Decision) {
	s.notify("veil/status", map[string]any{"uri": uri, "route": dec.Route, "reason": dec.Reason, "rule": dec.Rule})
}

// blocked tells the user a request was blocked: a log line every time (the
// document named by maskedName, its masked path), one warning per document
// per session.
func (s *Server) blocked(doc *Document, maskedName string, dec policy.Decision) {
	name := s.relPath(doc)
	s.logger.Info("request blocked", "document", maskedName, "rule", dec.Rule, "reason", dec.Reason)
	s.logMessage(MessageWarning, fmt.Sprintf("veil: AI request blocked for %s: %s", name, why(dec.Reason)))
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	if ui == nil {
		ui = &docUI{route: dec.Route, reason: dec.Reason}
		s.ui[doc.URI] = ui
	}
	first := !ui.warned
	ui.warned = true
	s.uiMu.Unlock()
	if first {
		s.showMessage(MessageWarning, fmt.Sprintf("veil: AI requests are blocked for %s: %s", name, why(dec.Reason)))
	}
	s.copilotBlocked(doc, name, dec)
}

// why is a policy reason without its leading route ("blocked: "), for
// sentences that already say the request was blocked.
func why(reason string) string {
	return strings.TrimPrefix(reason, "blocked: ")
}

// statusReply is veil/status's answer. Its fields are in the order of
// their names, as the map it replaced was encoded: the bytes are the same.
type statusReply struct {
	Findings int          `json:"findings"`
	Model    string       `json:"model"`
	Reason   string       `json:"reason"`
	Route    policy.Route `json:"route"`
	Rule     string       `json:"rule"`
	URI      string       `json:"uri"`
}

// status answers veil/status {uri}: the route of that document.
func (s *Server) status(msg *message) (any, error) {
	var p TextDocumentIdentifier
	if err := decodeWith(s.loopJSON.decode, msg.Params, &p); err != nil { // a call: on the read loop
		return nil, err
	}
	doc := s.docs.get(p.URI)
	if doc == nil {
		path := uriPath(p.URI)
		doc = &Document{URI: p.URI, Path: path, Target: policyTarget(p.URI, path)}
	}
	dec := s.decideDocument(doc)
	return &statusReply{URI: p.URI, Route: dec.Route, Reason: dec.Reason, Rule: dec.Rule,
		Findings: doc.FindingCount(), Model: s.ai.opts.Model.ID()}, nil
}
