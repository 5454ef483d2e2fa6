package lspproxy

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
)

// The Copilot dialect: what copilot.vim, copilot.lua and copilot.el send to
// copilot-language-server, answered locally so those plugins run unmodified
// with veil as their server. Sign-in always succeeds without network: there
// is no account, the model is local.

// copilotRoutes are the Copilot dialect's rows of the route table. In wrap
// mode (veil in front of the real Copilot server) all of them go to the
// child: sign-in and status are its business, completions are forwarded
// masked.
func copilotRoutes() []route {
	ok := func(*Server, *message) (any, error) { return "OK", nil }
	null := func(*Server, *message) (any, error) { return nil, nil }
	signedIn := func(*Server, *message) (any, error) {
		return map[string]any{"status": "AlreadySignedIn", "user": "local"}, nil
	}
	statusOK := func(*Server, *message) (any, error) {
		return map[string]any{"status": "OK", "user": "local"}, nil
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
			return map[string]any{"version": s.opts.Version}, nil
		}, wrap: wrapForward},
		{method: "notifyShown", call: ok, notify: nothing, wrap: wrapForward},
		{method: "notifyAccepted", call: ok, notify: nothing, wrap: wrapForward},
		{method: "notifyRejected", call: ok, notify: nothing, wrap: wrapForward},
		{method: "getCompletions", async: (*Server).copilotGetCompletions, wrap: wrapForward},
		{method: "getCompletionsCycling", async: (*Server).copilotGetCompletions, wrap: wrapForward},

		{method: "textDocument/didFocus", call: null, notify: nothing, wrap: wrapForward},
		{method: "textDocument/didShowCompletion", call: null, notify: nothing, wrap: wrapForward},
		{method: "textDocument/didPartiallyAcceptCompletion", call: null, notify: nothing, wrap: wrapForward},
	}
}

func (s *Server) copilotCheckStatus(*message) (any, error) {
	s.copilotMode()
	s.notify("didChangeStatus", map[string]any{"kind": "Normal", "message": "veil: local model " + s.ai.opts.Model.ID()})
	return map[string]any{"status": "OK", "user": "local"}, nil
}

// copilotParams is getCompletions' params: the document and position inside
// "doc", newer plugins also send textDocument/position at the top level.
type copilotParams struct {
	Doc struct {
		URI      string   `json:"uri"`
		Position Position `json:"position"`
		Version  int32    `json:"version"`
	} `json:"doc"`
	TextDocument *VersionedTextDocumentIdentifier `json:"textDocument"`
	Position     *Position                        `json:"position"`
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

func (s *Server) copilotGetCompletions(msg *message) (requestFunc, string, error) {
	s.copilotMode()
	var p copilotParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, "", err
	}
	uri, pos := p.Doc.URI, p.Doc.Position
	if p.TextDocument != nil && p.TextDocument.URI != "" {
		uri = p.TextDocument.URI
	}
	if p.Position != nil {
		pos = *p.Position
	}
	if uri == "" {
		return nil, "", invalidParams("getCompletions: no document uri")
	}
	r, err := s.newFIMRequest(msg.ID, policy.Inline, uri, pos, localmodel.Automatic)
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
		return map[string]any{"completions": []copilotCompletion{{
			UUID:        newUUID(),
			Text:        sg.linePrefix + sg.text,
			Range:       Range{Start: sg.lineStart, End: sg.cursor},
			DisplayText: sg.text,
			Position:    sg.cursor,
			DocVersion:  r.doc.Version,
		}}}, nil
	}, uri, nil
}

// copilotMode marks the client as a Copilot plugin: it then also gets
// didChangeStatus notifications.
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
