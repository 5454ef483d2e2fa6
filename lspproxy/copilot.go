package lspproxy

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
)

// The Copilot dialect: what copilot.vim, copilot.lua and copilot.el send to
// copilot-language-server, answered locally so those plugins run unmodified
// with veil as their server. Sign-in always succeeds without network: there
// is no account, the model is local, and every place a plugin shows the
// server's identity (serverInfo, checkStatus' user, getVersion) names veil.
//
// Facts from the plugins' public sources this file relies on (copilot.vim
// 1.26.0, copilot.lua 2025, copilot.el 2026):
//   - Positions: all three compute Copilot positions in UTF-16 code units
//     whatever was negotiated (copilot.vim autoload/copilot/doc.vim,
//     copilot.lua lua/copilot/util.lua make_position_params(0, "utf-16"),
//     copilot.el copilot--lsp-pos). copilot.lua and copilot.vim in Neovim
//     start the client with Neovim's default capabilities, which on 0.12
//     offer utf-8 first; text sync keeps the negotiated encoding.
//   - getCompletions / getCompletionsCycling {doc{uri, version, position},
//     textDocument, position} → {completions: [{uuid, text, range,
//     displayText, position, docVersion}]}, text being whole lines from
//     column 0 (copilot.vim and copilot.lua; copilot.el uses
//     textDocument/inlineCompletion).
//   - getPanelCompletions (the same params plus panelId) → {solutionCountTarget};
//     the solutions follow as notifications PanelSolution {panelId,
//     solutionId, displayText, completionText, range, score} and one
//     PanelSolutionsDone {panelId, status "OK"|"Error", message}. copilot.vim
//     waits for the answer before it makes the panel buffer and drops
//     solutions for a panel it has no buffer for, so they go after the answer.
//   - copilot/models (no params) → [{id, modelName, scopes, preview, default}];
//     copilot.lua and copilot.el keep the models whose scopes hold
//     "completion". No plugin calls checkQuota.
//   - Messages: copilot.vim shows statusNotification {status, message} in
//     :Copilot status (Warning/Error) and window/logMessage in its log, and
//     under Vim has no window/showMessage handler; copilot.lua keeps
//     statusNotification for :Copilot status and its status line, Neovim
//     shows window/showMessage; copilot.el shows didChangeStatus {kind,
//     message} in its mode line, window/logMessage in its log buffer, and has
//     no window/showMessage handler.
//   - :Copilot version prints initialize's serverInfo name and version;
//     copilot.el's copilot-login says "Already signed in as <user>".

// copilotRoutes are the Copilot dialect's rows of the route table. In wrap
// mode (veil in front of the real Copilot server) all of them go to the
// child: sign-in and status are its business, completions are forwarded
// masked.
func copilotRoutes() []route {
	ok := func(*Server, *message) (any, error) { return "OK", nil }
	null := func(*Server, *message) (any, error) { return nil, nil }
	signedIn := func(*Server, *message) (any, error) {
		return map[string]any{"status": "AlreadySignedIn", "user": copilotUser}, nil
	}
	statusOK := func(*Server, *message) (any, error) {
		return map[string]any{"status": "OK", "user": copilotUser}, nil
	}
	return []route{
		{method: "checkStatus", call: (*Server).copilotCheckStatus, wrap: wrapForward},
		{method: "signIn", call: signedIn, wrap: wrapForward},
		{method: "signInInitiate", call: signedIn, wrap: wrapForward},
		{method: "signInConfirm", call: statusOK, wrap: wrapForward},
		{method: "signInWithGithubToken", call: signedIn, wrap: wrapForward},
		{method: "signOut", call: statusOK, wrap: wrapForward},
		{method: "setEditorInfo", call: func(s *Server, _ *message) (any, error) { s.copilotMode(); return "OK", nil }, wrap: wrapForward},
		{method: "getVersion", call: func(s *Server, _ *message) (any, error) {
			return map[string]any{"version": "veil " + s.opts.Version}, nil
		}, wrap: wrapForward},
		{method: "copilot/models", call: (*Server).copilotModels, wrap: wrapForward},
		{method: "notifyShown", call: ok, notify: nothing, wrap: wrapForward},
		{method: "notifyAccepted", call: ok, notify: nothing, wrap: wrapForward},
		{method: "notifyRejected", call: ok, notify: nothing, wrap: wrapForward},
		{method: "getCompletions", async: (*Server).copilotGetCompletions, wrap: wrapForward},
		{method: "getCompletionsCycling", async: (*Server).copilotGetCompletions, wrap: wrapForward},
		{method: "getPanelCompletions", async: (*Server).copilotPanel, wrap: wrapForward},

		{method: "textDocument/didFocus", call: null, notify: nothing, wrap: wrapForward},
		{method: "textDocument/didShowCompletion", call: null, notify: nothing, wrap: wrapForward},
		{method: "textDocument/didPartiallyAcceptCompletion", call: null, notify: nothing, wrap: wrapForward},
	}
}

func (s *Server) copilotCheckStatus(*message) (any, error) {
	s.copilotMode()
	s.notify("didChangeStatus", map[string]any{"kind": "Normal", "message": "veil: local model " + s.ai.opts.Model.ID()})
	return map[string]any{"status": "OK", "user": copilotUser}, nil
}

// copilotUser is the "GitHub user" the plugins show (":Copilot setup":
// "Authenticated as GitHub user veil"): it says who answers.
const copilotUser = "veil"

// copilotParams is the Copilot methods' params: the document and position
// inside "doc"; newer plugins also send textDocument/position at the top
// level, and the panel its panelId.
type copilotParams struct {
	Doc struct {
		URI      string   `json:"uri"`
		Position Position `json:"position"`
		Version  int32    `json:"version"`
	} `json:"doc"`
	TextDocument *VersionedTextDocumentIdentifier `json:"textDocument"`
	Position     *Position                        `json:"position"`
	PanelID      string                           `json:"panelId"`
}

// copilotCompletion is one entry of getCompletions' answer. text is the whole
// new line from column 0 (as Copilot sends it), displayText what is new.
type copilotCompletion struct {
	UUID        string   `json:"uuid"`
	Text        string   `json:"text"`
	Range       Range    `json:"range"`
	DisplayText string   `json:"displayText"`
	Position    Position `json:"position"`
	DocVersion  int32    `json:"docVersion"`
}

// copilotRequest decodes a Copilot method's params and snapshots the
// request, its positions in UTF-16 whatever the session negotiated (the
// plugins compute them so). A nil request means the document is not open.
func (s *Server) copilotRequest(msg *message, kind policy.Kind, trigger localmodel.Trigger) (*fimRequest, *copilotParams, error) {
	s.copilotMode()
	var p copilotParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, nil, err
	}
	uri, pos := p.Doc.URI, p.Doc.Position
	if p.TextDocument != nil && p.TextDocument.URI != "" {
		uri = p.TextDocument.URI
	}
	if p.Position != nil {
		pos = *p.Position
	}
	if uri == "" {
		return nil, nil, invalidParams("%s: no document uri", msg.Method)
	}
	r, err := s.newFIMRequestIn(UTF16, msg.ID, kind, uri, pos, trigger)
	if r != nil {
		r.multiline = true
	}
	return r, &p, err
}

func (s *Server) copilotGetCompletions(msg *message) (requestFunc, string, error) {
	r, p, err := s.copilotRequest(msg, policy.Inline, localmodel.Automatic)
	empty := map[string]any{"completions": []copilotCompletion{}}
	if err != nil {
		return nil, "", err
	}
	if r == nil {
		return func(context.Context) (any, error) { return empty, nil }, "", nil
	}
	return func(ctx context.Context) (any, error) {
		sg, err := s.suggest(ctx, r)
		if sg == nil || err != nil {
			return empty, err
		}
		s.copilotServed()
		return map[string]any{"completions": []copilotCompletion{{
			UUID:        newUUID(),
			Text:        sg.linePrefix + sg.text,
			Range:       Range{Start: sg.lineStart, End: sg.cursor},
			DisplayText: sg.text,
			Position:    sg.cursor,
			DocVersion:  r.doc.Version,
		}}}, nil
	}, p.docURI(), nil
}

func (p *copilotParams) docURI() string {
	if p.TextDocument != nil && p.TextDocument.URI != "" {
		return p.TextDocument.URI
	}
	return p.Doc.URI
}

// copilotPanel answers getPanelCompletions: {solutionCountTarget: 1}, then,
// after the answer, one PanelSolution when there is a suggestion (a block,
// as the panel is asked for explicitly) and PanelSolutionsDone: status OK,
// or Error with the reason when the document is blocked.
func (s *Server) copilotPanel(msg *message) (requestFunc, string, error) {
	r, p, err := s.copilotRequest(msg, policy.Completion, localmodel.Invoked)
	if err != nil {
		return nil, "", err
	}
	panelID := p.PanelID
	answer := map[string]any{"solutionCountTarget": 1}
	done := func() {
		if s.panelPause() {
			s.notify("PanelSolutionsDone", map[string]any{"panelId": panelID, "status": "OK"})
		}
	}
	if r == nil {
		return func(context.Context) (any, error) { return replyThen{answer, done}, nil }, "", nil
	}
	return func(ctx context.Context) (any, error) {
		sg, err := s.suggest(ctx, r)
		if err != nil {
			return nil, err
		}
		if sg == nil {
			if dec := s.decideDocument(r.doc); dec.Route != policy.Local {
				// copilot.vim and copilot.lua show an Error status in the panel.
				msg := "veil: AI requests are blocked for " + s.relPath(r.doc) + ": " + why(dec.Reason)
				return replyThen{answer, func() {
					if s.panelPause() {
						s.notify("PanelSolutionsDone", map[string]any{"panelId": panelID, "status": "Error", "message": msg})
					}
				}}, nil
			}
			return replyThen{answer, done}, nil
		}
		s.copilotServed()
		text := sg.linePrefix + sg.text
		solution := map[string]any{
			"panelId": panelID, "solutionId": newUUID(), "score": 1,
			"displayText": text, "completionText": text,
			"range": Range{Start: sg.lineStart, End: sg.cursor},
		}
		return replyThen{answer, func() {
			if s.panelPause() {
				s.notify("PanelSolution", solution)
				s.notify("PanelSolutionsDone", map[string]any{"panelId": panelID, "status": "OK"})
			}
		}}, nil
	}, "", nil
}

// panelDelay separates the panel's solutions from its answer. copilot.vim
// (1.26.0, in Neovim and Vim) waits for the answer in a loop that sleeps
// 1 ms at a time and only then opens the panel buffer; a solution handled
// in the same turn as the answer finds no buffer and is dropped (seen with
// the real plugin: "Synthesizing 0/1 solutions"). GitHub's server never hits
// this: its solutions come from the network.
const panelDelay = 50 * time.Millisecond

// panelPause waits panelDelay; false when the session ended meanwhile.
func (s *Server) panelPause() bool {
	t := time.NewTimer(panelDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// replyThen is a request result whose then runs once the reply is written:
// notifications that must reach the client after the answer.
type replyThen struct {
	result any
	then   func()
}

// copilotModels answers copilot/models with the one model veil asks.
func (s *Server) copilotModels(*message) (any, error) {
	id := s.ai.opts.Model.ID()
	return []map[string]any{{
		"id": id, "modelName": "veil: " + id, "scopes": []string{"completion"},
		"preview": false, "default": true,
	}}, nil
}

// copilotStatus is what the Copilot plugins were last told about blocks:
// the reason each document was reported blocked for, and whether the last
// status sent was a warning.
type copilotStatus struct {
	mu      sync.Mutex
	warned  map[string]string // document URI → reason reported
	warning bool
}

// copilotBlocked tells a Copilot plugin a request was blocked, in the
// notifications each plugin shows: statusNotification (copilot.vim,
// copilot.lua) and didChangeStatus (copilot.el), once per document per
// reason. window/logMessage and window/showMessage go out in blocked.
func (s *Server) copilotBlocked(doc *Document, name string, dec policy.Decision) {
	if !s.isCopilot() {
		return
	}
	s.cp.mu.Lock()
	if s.cp.warned == nil {
		s.cp.warned = map[string]string{}
	}
	first := s.cp.warned[doc.URI] != dec.Reason
	s.cp.warned[doc.URI] = dec.Reason
	if first {
		s.cp.warning = true
	}
	s.cp.mu.Unlock()
	if !first {
		return
	}
	text := "veil: AI requests are blocked for " + name + ": " + why(dec.Reason)
	s.notify("statusNotification", map[string]any{"status": "Warning", "message": text})
	s.notify("didChangeStatus", map[string]any{"kind": "Warning", "message": text})
}

// copilotServed clears a block warning from the plugins' status once a
// request was answered by the model again.
func (s *Server) copilotServed() {
	s.cp.mu.Lock()
	was := s.cp.warning
	s.cp.warning = false
	s.cp.mu.Unlock()
	if was {
		text := "veil: local model " + s.ai.opts.Model.ID()
		s.notify("statusNotification", map[string]any{"status": "Normal", "message": text})
		s.notify("didChangeStatus", map[string]any{"kind": "Normal", "message": text})
	}
}

// inlineAcceptCommand is the command an inline completion item carries:
// Copilot's accept notification for Copilot plugins, none for other
// clients (they would run, or register, a github.copilot.* id).
func (s *Server) inlineAcceptCommand() *Command {
	if !s.isCopilot() {
		return nil
	}
	return &Command{Title: "veil: accepted", Command: "github.copilot.didAcceptCompletionItem", Arguments: []any{newUUID()}}
}

// copilotMode marks the client as a Copilot plugin: it then also gets
// didChangeStatus and statusNotification.
func (s *Server) copilotMode() {
	s.stateMu.Lock()
	s.copilot = true
	s.stateMu.Unlock()
}

func (s *Server) isCopilot() bool {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.copilot
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
