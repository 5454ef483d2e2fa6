package lspproxy

import (
	"fmt"
	"strings"
	"time"

	"github.com/veil-dev/veil/policy"
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
	pending    *Document
	pendingDec policy.Decision
	timer      *time.Timer
	closed     bool
}

// diagnosticsEvery is the least time between two publications for one
// document: a change after a quiet spell publishes at once, a burst of
// keystrokes after it once more at the end.
const diagnosticsEvery = 50 * time.Millisecond

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
	return s.decide(st.policy, policy.Request{
		Kind: policy.Inline, Path: doc.Path, WorkspaceRoot: s.workspaceRoot(doc.Path),
		LanguageID: doc.LanguageID, Findings: doc.AllFindings(),
	}, doc.Target)
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
// a timer when diagnosticsEvery has passed, with the newest snapshot then.
// The timer's goroutine is the session's (s.wg). s.uiMu is held.
func (s *Server) scheduleDiagnostics(ui *docUI, doc *Document, dec policy.Decision, st *settings) {
	if ui.pubOnce && ui.pending == nil && ui.pubGen == doc.FindingsGen && ui.pubSt == st && ui.pubDec == dec {
		return
	}
	ui.pubOnce, ui.pubGen, ui.pubSt, ui.pubDec = true, doc.FindingsGen, st, dec
	ui.pending, ui.pendingDec = doc, dec
	if ui.timer != nil {
		return // the running timer publishes the newest snapshot
	}
	wait := diagnosticsEvery - time.Since(ui.lastPub)
	if wait <= 0 {
		s.publishPending(doc.URI, ui)
		return
	}
	if s.uiStopped {
		return // the session is ending: no new timer (s.wg is being waited for)
	}
	s.wg.Add(1)
	ui.timer = time.AfterFunc(wait, func() {
		defer s.wg.Done()
		s.uiMu.Lock()
		defer s.uiMu.Unlock()
		ui.timer = nil
		if s.ctx.Err() == nil {
			s.publishPending(doc.URI, ui)
		}
	})
}

// publishPending publishes ui's pending snapshot unless the document was
// closed. s.uiMu is held, so a close (which clears the diagnostics) cannot
// overtake it.
func (s *Server) publishPending(uri string, ui *docUI) {
	doc, dec := ui.pending, ui.pendingDec
	ui.pending = nil
	ui.lastPub = time.Now()
	if ui.closed || doc == nil {
		return
	}
	wasShowing := ui.published
	diags := s.diagnostics(doc, dec, ui.refusal)
	ui.published = len(diags) > 0
	if len(diags) > 0 || wasShowing {
		v := doc.Version
		s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: uri, Version: &v, Diagnostics: diags})
	}
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

// diagnostics are doc's findings and, when it is blocked or a request for it
// was refused, a warning on line 1.
func (s *Server) diagnostics(doc *Document, dec policy.Decision, refusal string) []Diagnostic {
	enc := s.encoding()
	diags := make([]Diagnostic, 0, doc.FindingCount()+1)
	if dec.Route != policy.Local {
		_, end := doc.Text.LineRange(0)
		diags = append(diags, Diagnostic{
			Range:    doc.Text.Range(0, end, enc),
			Severity: SeverityWarning,
			Code:     "veil-blocked",
			Source:   "veil",
			Message:  "AI requests are blocked in this file: " + why(dec.Reason),
		})
	}
	if refusal != "" {
		d := refusalDiagnostic(refusal)
		_, end := doc.Text.LineRange(0)
		d.Range = doc.Text.Range(0, end, enc)
		diags = append(diags, d)
	}
	for _, f := range doc.AllFindings() {
		diags = append(diags, Diagnostic{
			Range:    doc.Text.Range(f.Start, f.End, enc),
			Severity: SeverityInformation,
			Code:     f.RuleID,
			Source:   "veil",
			Message:  f.Description + " — masked before any model sees it",
		})
	}
	return diags
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

// status answers veil/status {uri}: the route of that document.
func (s *Server) status(msg *message) (any, error) {
	var p TextDocumentIdentifier
	if err := decode(msg.Params, &p); err != nil {
		return nil, err
	}
	doc := s.docs.get(p.URI)
	if doc == nil {
		path := uriPath(p.URI)
		doc = &Document{URI: p.URI, Path: path, Target: policyTarget(p.URI, path)}
	}
	dec := s.decideDocument(doc)
	return map[string]any{"uri": p.URI, "route": dec.Route, "reason": dec.Reason, "rule": dec.Rule,
		"findings": doc.FindingCount(), "model": s.ai.opts.Model.ID()}, nil
}
