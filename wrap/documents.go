package wrap

import (
	"encoding/json"

	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/textbuf"
)

// document is an open document as veil mirrors it: its text (so its route
// can be decided again after every change) and where it lives now.
type document struct {
	text     *textbuf.Text
	lang     string
	version  json.RawMessage
	decision policy.Decision
}

// upstream reports whether the document lives in the child.
func (d *document) upstream() bool { return d.decision.Route == policy.Upstream }

// decision is the route of the document at uri: the open document's
// current one, else policy's for the path alone.
func (s *Session) decision(uri string) policy.Decision {
	s.mu.Lock()
	doc := s.docs[uri]
	var d policy.Decision
	if doc != nil {
		d = doc.decision
	}
	s.mu.Unlock()
	if doc == nil {
		d = s.o.Route(policy.Inline, uri, "", "")
	}
	return d
}

// openParams is what didOpen carries.
type openParams struct {
	TextDocument struct {
		URI        string          `json:"uri"`
		LanguageID string          `json:"languageId"`
		Version    json.RawMessage `json:"version"`
		Text       string          `json:"text"`
	} `json:"textDocument"`
}

// changeParams is what didChange carries.
type changeParams struct {
	TextDocument struct {
		URI     string          `json:"uri"`
		Version json.RawMessage `json:"version"`
	} `json:"textDocument"`
	ContentChanges []struct {
		Range *textbuf.Range `json:"range"`
		Text  string         `json:"text"`
	} `json:"contentChanges"`
}

// documentNotification routes a document notification. didOpen decides
// the route and didChange decides it again on the new text: a document
// routed upstream lives in the child, any other in the local server (or
// nowhere). When a change moves it, it is closed on one side and opened,
// whole, on the other. It reports whether the notification was consumed.
func (s *Session) documentNotification(m *message, body []byte) bool {
	uri := docURI(m.Params)
	switch m.Method {
	case "textDocument/didOpen":
		s.open(m.Params, body)
		return true
	case "textDocument/didChange":
		return s.change(uri, m.Params, body)
	}
	s.mu.Lock()
	doc := s.docs[uri]
	if m.Method == "textDocument/didClose" {
		delete(s.docs, uri)
	}
	s.mu.Unlock()
	if doc == nil {
		return false // not opened through veil: the child's business
	}
	s.sendDoc(doc.upstream(), body)
	return true
}

func (s *Session) open(params json.RawMessage, body []byte) {
	var p openParams
	_ = json.Unmarshal(params, &p)
	uri := p.TextDocument.URI
	doc := &document{text: textbuf.FromString(p.TextDocument.Text), lang: p.TextDocument.LanguageID, version: p.TextDocument.Version}
	doc.decision = s.o.Route(policy.Inline, uri, doc.lang, p.TextDocument.Text)
	s.mu.Lock()
	s.docs[uri] = doc
	s.mu.Unlock()
	s.announce(uri, doc.decision)
	s.sendDoc(doc.upstream(), body)
}

// change applies a didChange to the mirror and routes it; a document
// whose route changed moves.
func (s *Session) change(uri string, params json.RawMessage, body []byte) bool {
	s.mu.Lock()
	doc := s.docs[uri]
	enc := s.encoding
	s.mu.Unlock()
	if doc == nil {
		return false
	}
	var p changeParams
	_ = json.Unmarshal(params, &p)
	text := doc.text
	for _, c := range p.ContentChanges {
		next, err := applyChange(text, c.Range, c.Text, enc)
		if err != nil {
			s.log.Warn("wrap: a change outside the document; its route stays", "err", err.Error())
			s.sendDoc(doc.upstream(), body)
			return true
		}
		text = next
	}
	full := text.String()
	d := s.o.Route(policy.Inline, uri, doc.lang, full)
	was := doc.upstream()
	s.mu.Lock()
	doc.text, doc.version, doc.decision = text, p.TextDocument.Version, d
	s.mu.Unlock()
	if doc.upstream() == was {
		s.sendDoc(was, body)
		return true
	}
	s.log.Info("wrap: a document changed route", "route", string(d.Route), "rule", d.Rule)
	closeMsg := encodeNotification("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	openMsg := encodeNotification("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": doc.lang, "version": doc.version, "text": full}})
	s.sendDoc(was, closeMsg)
	s.sendDoc(!was, openMsg)
	s.announce(uri, d)
	return true
}

// applyChange applies one LSP content change (no range: the whole text).
func applyChange(t *textbuf.Text, r *textbuf.Range, text string, enc textbuf.Encoding) (*textbuf.Text, error) {
	if r == nil {
		return textbuf.FromString(text), nil
	}
	start, end, err := t.OffsetRange(*r, enc)
	if err != nil {
		return nil, err
	}
	return t.Apply(textbuf.Edit{Start: start, End: end, Text: text})
}

// sendDoc sends a document message to the child (upstream) or to the
// local server (any other route; dropped without one).
func (s *Session) sendDoc(upstream bool, body []byte) {
	if upstream {
		s.toChild(body)
		return
	}
	s.toLocal(body)
}

// announce tells the editor a document's route: veil/status for every
// route, and once per document the block message when no local server
// gives its own.
func (s *Session) announce(uri string, d policy.Decision) {
	switch {
	case d.Route == policy.Upstream:
		s.toEditor(encodeNotification("veil/status", map[string]any{"uri": uri, "route": d.Route, "reason": d.Reason, "rule": d.Rule}))
	case s.local == nil:
		s.tellBlocked(uri, d)
	}
}

// positionEncoding reads the encoding the child negotiated from its
// initialize result (UTF-16 unless it says utf-8).
func positionEncoding(result json.RawMessage) textbuf.Encoding {
	var r struct {
		Capabilities struct {
			PositionEncoding string `json:"positionEncoding"`
		} `json:"capabilities"`
	}
	_ = json.Unmarshal(result, &r)
	if r.Capabilities.PositionEncoding == "utf-8" {
		return textbuf.UTF8
	}
	return textbuf.UTF16
}
