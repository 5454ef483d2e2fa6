package wrap

import (
	"encoding/json"
	"errors"
	"io"
	"slices"

	"github.com/veil-dev/veil/policy"
)

// readEditor forwards the editor's stream until it ends or exit arrives.
// It returns nil after exit, the read error otherwise (io.EOF included).
func (s *Session) readEditor(r io.Reader) error {
	err := s.readMessages(r, "the editor", s.fromEditor)
	if err != nil && !errors.Is(err, io.EOF) {
		s.log.Warn("wrap: editor stream", "err", err.Error())
	}
	return err
}

// aiMethods are the editor requests that send a document to the model;
// a blocked document's are answered empty here.
var aiMethods = map[string]string{
	"textDocument/inlineCompletion": `{"items":[]}`,
	"textDocument/completion":       `{"isIncomplete":false,"items":[]}`,
	"getCompletions":                `{"completions":[]}`,
	"getCompletionsCycling":         `{"completions":[]}`,
	"getPanelCompletions":           `{"solutionCountTarget":0}`,
}

// docNotifications carry a document's text or state to the child; a
// blocked document's are dropped.
var docNotifications = []string{"textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
	"textDocument/didSave", "textDocument/willSave", "textDocument/didFocus", "textDocument/didShowCompletion",
	"textDocument/didPartiallyAcceptCompletion"}

// fromEditor handles one editor message; true after exit.
func (s *Session) fromEditor(m *message, body []byte) bool {
	switch {
	case m.isResponse():
		if !s.localAnswer(m) {
			s.editorAnswer(m, body)
		}
		return false
	case m.Method == "exit":
		s.toChild(body)
		s.toLocal(body)
		return true
	case m.Method == "veil/status":
		s.toEditor(encodeReply(m.ID, s.status(docURI(m.Params)), nil))
		return false
	case slices.Contains(docNotifications, m.Method):
		if s.documentNotification(m, body) {
			return false
		}
	case aiMethods[m.Method] != "" && s.blockedRequest(m, body):
		return false
	case slices.Contains(sharedNotifications, m.Method):
		s.toLocal(body)
	}
	s.forward(m, body)
	return false
}

// sharedNotifications reach the local server as well as the child.
var sharedNotifications = []string{"initialized", "workspace/didChangeConfiguration", "workspace/didChangeWorkspaceFolders", "$/cancelRequest", "$/setTrace"}

// forward sends an editor message to the child, patched where veil
// forces client fetch, and remembers calls so their answers (or a crash)
// can be matched.
func (s *Session) forward(m *message, body []byte) {
	switch m.Method {
	case "initialize":
		s.localCall("initialize", m.Params)
		m.Params = patchInitialize(m.Params)
		body = encodeCall(m.ID, m.Method, m.Params)
	case "workspace/didChangeConfiguration":
		body = encodeNotification(m.Method, patchDidChangeConfiguration(m.Params))
	case "shutdown":
		s.mu.Lock()
		s.shutdown = true
		s.mu.Unlock()
		s.localCall("shutdown", nil)
	}
	if m.isCall() {
		s.mu.Lock()
		s.pending[idKey(m.ID)] = m.Method
		s.mu.Unlock()
	}
	if !s.toChild(body) {
		if m.isCall() {
			s.mu.Lock()
			delete(s.pending, idKey(m.ID))
			s.mu.Unlock()
			s.toEditor(encodeReply(m.ID, nil, &rpcError{Code: -32603, Message: s.notRunning()}))
		}
		return
	}
	if m.Method == "initialized" {
		s.mu.Lock()
		first := !s.pushedConfig
		s.pushedConfig = true
		s.mu.Unlock()
		if first {
			s.toChild(encodeNotification("workspace/didChangeConfiguration", forcedConfigurationParams()))
		}
	}
}

// notRunning says why the child cannot answer.
func (s *Session) notRunning() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused != "" {
		return s.refused
	}
	msg := "veil: the wrapped Copilot language server is not running"
	if s.childErr != nil {
		msg += " (" + s.childErr.Error() + ")"
	}
	return msg
}

// editorAnswer passes the editor's answer to a child's call, with the
// forced settings in every workspace/configuration answer.
func (s *Session) editorAnswer(m *message, body []byte) {
	s.mu.Lock()
	params, isConfig := s.childCalls[idKey(m.ID)]
	delete(s.childCalls, idKey(m.ID))
	s.mu.Unlock()
	if isConfig && len(m.Result) > 0 {
		body = encodeReply(m.ID, patchConfigurationResult(params, m.Result), nil)
	}
	s.toChild(body)
}

// blockedRequest keeps an AI request for a document that may not go
// upstream from the child: the local server answers it, or without one it
// gets the method's empty answer. False lets it through.
func (s *Session) blockedRequest(m *message, body []byte) bool {
	uri := docURI(m.Params)
	d := s.decision(uri)
	if d.Route == policy.Upstream {
		return false
	}
	if s.toLocal(body) {
		return true
	}
	s.tellBlocked(uri, d)
	s.toEditor(encodeReply(m.ID, json.RawMessage(aiMethods[m.Method]), nil))
	return true
}

// tellBlocked shows, once per document, why it is not sent to Copilot.
func (s *Session) tellBlocked(uri string, d policy.Decision) {
	s.mu.Lock()
	told := s.told[uri]
	s.told[uri] = true
	s.mu.Unlock()
	s.toEditor(encodeNotification("veil/status", map[string]any{"uri": uri, "route": d.Route, "reason": d.Reason, "rule": d.Rule}))
	if told {
		return
	}
	msg := "veil: this file is not sent to Copilot: " + d.Reason
	if d.Route == policy.Local {
		msg = "veil: this file's route is local and veil runs no local model here: nothing is sent (" + d.Reason + ")"
	}
	s.toEditor(encodeNotification("window/showMessage", map[string]any{"type": 2, "message": msg}))
}

// docURI finds the document a request or notification is about:
// textDocument.uri, doc.uri (the Copilot dialect) or uri.
func docURI(params json.RawMessage) string {
	var p struct {
		TextDocument struct {
			URI string `json:"uri"`
		} `json:"textDocument"`
		Doc struct {
			URI string `json:"uri"`
		} `json:"doc"`
		URI string `json:"uri"`
	}
	_ = json.Unmarshal(params, &p)
	switch {
	case p.TextDocument.URI != "":
		return p.TextDocument.URI
	case p.Doc.URI != "":
		return p.Doc.URI
	}
	return p.URI
}
