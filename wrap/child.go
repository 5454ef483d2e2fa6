package wrap

import (
	"encoding/json"
	"io"
	"slices"
)

// readChild handles the child's stream until it ends.
func (s *Session) readChild(r io.Reader) {
	_ = s.readMessages(r, "the child", func(m *message, body []byte) bool {
		s.fromChild(m, body)
		return false
	})
}

// droppedNotifications are the child's telemetry, redirected to veil so it
// never leaves.
var droppedNotifications = []string{"uedTelemetry", "codeSnippetTelemetry", "telemetry/event"}

// fromChild handles one message of the child. copilot/fetch and its
// companions are veil's to answer and never reach the editor.
func (s *Session) fromChild(m *message, body []byte) {
	switch {
	case m.isResponse():
		s.childAnswer(m, body)
		return
	case m.Method == "copilot/fetch":
		if m.isCall() {
			s.startFetch(m.ID, m.Params)
		}
		return
	case m.Method == "copilot/fetchCancel":
		s.cancelFetch(m.Params)
		s.replyChild(m, map[string]any{})
		return
	case m.Method == "copilot/fetchDisconnectAll":
		s.cancelAllFetches()
		s.replyChild(m, map[string]any{})
		return
	case slices.Contains(droppedNotifications, m.Method):
		s.replyChild(m, nil)
		return
	case m.Method == "workspace/configuration" && m.isCall():
		s.mu.Lock()
		s.childCalls[idKey(m.ID)] = m.Params
		s.mu.Unlock()
	}
	s.toEditor(body)
}

// replyChild answers a child's call (a notification gets nothing).
func (s *Session) replyChild(m *message, result any) {
	if m.isCall() {
		s.toChild(encodeReply(m.ID, result, nil))
	}
}

// childAnswer passes the child's answer to an editor call: initialize
// has the child's version checked, checkStatus says that veil wraps it.
func (s *Session) childAnswer(m *message, body []byte) {
	s.mu.Lock()
	method := s.pending[idKey(m.ID)]
	delete(s.pending, idKey(m.ID))
	s.mu.Unlock()
	switch {
	case method == "initialize" && len(m.Result) > 0:
		s.mu.Lock()
		s.encoding = positionEncoding(m.Result)
		s.mu.Unlock()
		if refusal := s.checkVersion(m.Result); refusal != "" {
			s.toEditor(encodeReply(m.ID, nil, &rpcError{Code: -32002, Message: refusal}))
			s.toEditor(encodeNotification("window/showMessage", map[string]any{"type": 1, "message": refusal}))
			return
		}
		// The editor can tell veil is in front: serverInfo names it.
		s.mu.Lock()
		name := "veil wrapping " + s.upstream
		s.mu.Unlock()
		body = encodeReply(m.ID, setPath(m.Result, []string{"serverInfo", "name"}, name), nil)
	case method == "checkStatus" && len(m.Result) > 0:
		body = encodeReply(m.ID, setPath(m.Result, []string{"veil"}, s.wrapInfo()), nil)
	}
	s.toEditor(body)
}

// checkVersion reads the child's serverInfo and returns a refusal when
// its version is not one veil was tested with and not allowed.
func (s *Session) checkVersion(result json.RawMessage) string {
	var r struct {
		ServerInfo struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"serverInfo"`
	}
	_ = json.Unmarshal(result, &r)
	v := r.ServerInfo.Version
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upstream = r.ServerInfo.Name + " " + v
	if slices.Contains(TestedVersions, v) || s.o.AllowVersion == "any" || (v != "" && s.o.AllowVersion == v) {
		s.log.Info("wrap: child initialized", "server", s.upstream)
		return ""
	}
	shown := v
	if shown == "" {
		shown = "an unknown version"
	}
	s.refused = "veil: the wrapped server is " + shown + ", which veil was not tested with (tested: " +
		joinVersions() + "). Install a tested version, or allow this one with upstream.allow_version: " + allowHint(v) + " in veil's config."
	s.log.Error("wrap: child version refused", "version", v)
	return s.refused
}

func joinVersions() string {
	out := ""
	for i, v := range TestedVersions {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

func allowHint(v string) string {
	if v == "" {
		return "any"
	}
	return `"` + v + `"`
}

// wrapInfo is what status answers say about wrap mode.
func (s *Session) wrapInfo() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := map[string]any{"mode": "wrap", "wraps": s.upstream, "version": s.o.Version, "running": s.childErr == nil && s.refused == ""}
	if s.proxy != nil {
		info["refusedConnections"] = s.proxy.Attempts()
	}
	return info
}

// status answers veil/status {uri}: the document's route and wrap mode.
func (s *Session) status(uri string) map[string]any {
	d := s.decision(uri)
	return map[string]any{"uri": uri, "route": d.Route, "reason": d.Reason, "rule": d.Rule, "wrap": s.wrapInfo()}
}
