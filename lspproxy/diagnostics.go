package lspproxy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/veil-dev/veil/policy"
)

// What the user sees of veil's decisions: diagnostics on findings, a
// diagnostic on blocked files, the veil/status notification and request
// (the VS Code status bar item), and the message when a request is blocked.

// docUI is what the session last told the client about one document.
type docUI struct {
	route     policy.Route
	reason    string
	warned    bool         // the one showMessage for a block was sent
	published bool         // non-empty diagnostics are showing
	last      []Diagnostic // what was published last
	warnedFor []string     // reasons a refusal was shown for (see refused)
	refusal   string       // the last request was refused for this reason
}

// decideDocument is the route of the document as a whole, for its status and
// diagnostics (requests decide on the text they would send).
func (s *Server) decideDocument(doc *Document) policy.Decision {
	return s.decide(s.ai.settings().policy, policy.Request{
		Kind: policy.Inline, Path: doc.Path, WorkspaceRoot: s.workspaceRoot(doc.Path),
		LanguageID: doc.LanguageID, Findings: doc.AllFindings(),
	}, doc.Target)
}

// decide routes r, and when its path is a symlink (target: where it leads)
// routes the target too: the stricter answer wins, so a link named
// settings.txt that leads to .env is treated as the .env it is.
func (s *Server) decide(pol *policy.Policy, r policy.Request, target string) policy.Decision {
	d := pol.Decide(r)
	if d.Route != policy.Local || target == "" {
		return d
	}
	r.Path, r.WorkspaceRoot = target, s.workspaceRoot(target)
	return pol.Decide(r)
}

// documentChanged refreshes a document's status and diagnostics.
func (s *Server) documentChanged(doc *Document) {
	dec := s.decideDocument(doc)
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	if ui == nil {
		ui = &docUI{}
		s.ui[doc.URI] = ui
	}
	changed := ui.route != dec.Route || ui.reason != dec.Reason
	ui.route, ui.reason = dec.Route, dec.Reason
	s.uiMu.Unlock()
	if changed {
		s.notify("veil/status", map[string]any{"uri": doc.URI, "route": dec.Route, "reason": dec.Reason, "rule": dec.Rule})
	}
	if s.ai.settings().cfg.LSP.Diagnostics {
		s.publishDiagnostics(doc, dec)
	}
}

func (s *Server) publishDiagnostics(doc *Document, dec policy.Decision) {
	enc := s.encoding()
	diags := []Diagnostic{}
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
	s.uiMu.Lock()
	if ui := s.ui[doc.URI]; ui != nil && ui.refusal != "" {
		d := refusalDiagnostic(ui.refusal)
		_, end := doc.Text.LineRange(0)
		d.Range = doc.Text.Range(0, end, enc)
		diags = append(diags, d)
	}
	s.uiMu.Unlock()
	for _, f := range doc.AllFindings() {
		diags = append(diags, Diagnostic{
			Range:    doc.Text.Range(f.Start, f.End, enc),
			Severity: SeverityInformation,
			Code:     f.RuleID,
			Source:   "veil",
			Message:  f.Description + " — masked before any model sees it",
		})
	}
	// Most keystrokes leave every diagnostic where it was: sending the same
	// list again (hundreds of entries in a large file) is skipped.
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	skip := len(diags) == 0 && (ui == nil || !ui.published)
	if ui != nil {
		skip = skip || ui.published && slices.Equal(ui.last, diags)
		ui.published = len(diags) > 0
		ui.last = diags
	}
	s.uiMu.Unlock()
	if skip {
		return
	}
	v := doc.Version
	s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: doc.URI, Version: &v, Diagnostics: diags})
}

func (s *Server) documentClosed(uri string) {
	s.uiMu.Lock()
	ui := s.ui[uri]
	delete(s.ui, uri)
	s.uiMu.Unlock()
	if ui != nil && ui.published {
		s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: uri, Diagnostics: []Diagnostic{}})
	}
}

// configApplied rescans every open document with the new settings and
// refreshes what the user sees.
func (s *Server) configApplied() {
	if s.docs == nil {
		return
	}
	for _, doc := range s.docs.rescanAll() {
		s.documentChanged(doc)
	}
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
