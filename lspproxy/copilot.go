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

func copilotMethods() map[string]method {
	ok := func(*Server, *message) (any, error) { return "OK", nil }
	null := func(*Server, *message) (any, error) { return nil, nil }
	signedIn := func(*Server, *message) (any, error) {
		return map[string]any{"status": "AlreadySignedIn", "user": "local"}, nil
	}
	ignore := func(*Server, *message) {}
	return map[string]method{
		"checkStatus": {call: func(s *Server, _ *message) (any, error) {
			s.copilotMode()
			s.notify("didChangeStatus", map[string]any{"kind": "Normal", "message": "veil: local model " + s.ai.opts.Model.ID()})
			return map[string]any{"status": "OK", "user": "local"}, nil
		}},
		"signIn":         {call: signedIn},
		"signInInitiate": {call: signedIn},
		"signInConfirm": {call: func(*Server, *message) (any, error) {
			return map[string]any{"status": "OK", "user": "local"}, nil
		}},
		"signInWithGithubToken": {call: signedIn},
		"signOut": {call: func(*Server, *message) (any, error) {
			return map[string]any{"status": "OK", "user": "local"}, nil
		}},
		"setEditorInfo": {call: func(s *Server, _ *message) (any, error) { s.copilotMode(); return "OK", nil }},
		"getVersion": {call: func(s *Server, _ *message) (any, error) {
			return map[string]any{"version": s.opts.Version}, nil
		}},
		"notifyShown":    {call: ok, notify: ignore},
		"notifyAccepted": {call: ok, notify: ignore},
		"notifyRejected": {call: ok, notify: ignore},

		"textDocument/didFocus":                     {call: null, notify: ignore},
		"textDocument/didShowCompletion":            {call: null, notify: ignore},
		"textDocument/didPartiallyAcceptCompletion": {call: null, notify: ignore},
	}
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
