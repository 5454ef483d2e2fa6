package lspproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/veil-dev/veil/redact"
)

// Code actions and commands: "veil: allow this line" (adds a veil:allow
// comment), "Ask veil about this selection" (veil.chat), veil.explain, and
// the Copilot accept commands.

func (s *Server) codeAction(msg *message) (any, error) {
	var p CodeActionParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, err
	}
	doc := s.docs.get(p.TextDocument.URI)
	actions := []CodeAction{}
	if doc == nil {
		return actions, nil
	}
	enc := s.encoding()
	start, end, err := doc.Text.OffsetRange(p.Range, enc)
	if err != nil {
		return nil, invalidParams("%v", err)
	}
	seen := map[uint32]bool{}
	for _, f := range doc.Findings(start, end) {
		line := doc.Text.OffsetPosition(f.Start, enc).Line
		if seen[line] {
			continue
		}
		seen[line] = true
		if edit := allowEdit(doc, int(line), enc); edit != nil {
			actions = append(actions, CodeAction{
				Title: fmt.Sprintf("veil: allow this line (stop masking the %s)", f.Description),
				Kind:  "quickfix",
				Edit:  edit,
			})
		}
	}
	if start < end {
		r := p.Range
		actions = append(actions, CodeAction{
			Title: "Ask veil about this selection",
			Kind:  "refactor",
			Command: &Command{Title: "Ask veil about this selection", Command: "veil.chat", Arguments: []any{
				ChatParams{Message: "Explain this code.", References: []ChatReference{{URI: doc.URI, Range: &r}}},
			}},
		})
	}
	return actions, nil
}

// allowEdit appends a veil:allow comment to a line, the one redact
// honours there (by the file's extension); nil when none would count.
func allowEdit(doc *Document, line int, enc Encoding) *WorkspaceEdit {
	ls, le := doc.Text.LineRange(line)
	text := doc.Text.Slice(ls, le)
	if bytes.Contains(text, []byte("veil:allow")) {
		return nil
	}
	comment := redact.AllowComment(doc.Path, bytes.TrimSuffix(text, []byte("\r")))
	if comment == "" {
		return nil
	}
	at := doc.Text.OffsetPosition(le, enc)
	return &WorkspaceEdit{Changes: map[string][]TextEdit{
		doc.URI: {{Range: Range{Start: at, End: at}, NewText: " " + comment}},
	}}
}

// executeCommand runs in its own goroutine: veil.chat streams and veil.allow
// asks the client to apply an edit. The commands are the route table's.
func (s *Server) executeCommand(msg *message) (requestFunc, string, error) {
	var p ExecuteCommandParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, "", err
	}
	c := s.routes.commands[p.Command]
	if c == nil {
		return nil, "", invalidParams("unknown command %.60q", p.Command)
	}
	return c.run(s, msg, &p)
}

// commandArg decodes a command's first argument.
func commandArg(p *ExecuteCommandParams, v any) error {
	if len(p.Arguments) == 0 {
		return invalidParams("%s: missing argument", p.Command)
	}
	if err := json.Unmarshal(p.Arguments[0], v); err != nil {
		return invalidParams("%s: bad argument: %v", p.Command, err)
	}
	return nil
}

func (s *Server) chatCommand(msg *message, p *ExecuteCommandParams) (requestFunc, string, error) {
	var cp ChatParams
	if err := commandArg(p, &cp); err != nil {
		return nil, "", err
	}
	if len(cp.WorkDoneToken) == 0 {
		cp.WorkDoneToken = p.WorkDoneToken
	}
	return s.prepareChat(string(msg.ID), cp)
}

func (s *Server) explainCommand(_ *message, p *ExecuteCommandParams) (requestFunc, string, error) {
	var a struct {
		URI string `json:"uri"`
	}
	if err := commandArg(p, &a); err != nil {
		return nil, "", err
	}
	result := s.explain(a.URI)
	return func(context.Context) (any, error) { return result, nil }, "", nil
}

func (s *Server) allowCommand(_ *message, p *ExecuteCommandParams) (requestFunc, string, error) {
	var a struct {
		URI  string `json:"uri"`
		Line int    `json:"line"`
	}
	if err := commandArg(p, &a); err != nil {
		return nil, "", err
	}
	doc := s.docs.get(a.URI)
	if doc == nil {
		return nil, "", invalidParams("veil.allow: %s is not open", a.URI)
	}
	if a.Line < 0 || a.Line >= doc.Text.LineCount() {
		// Clamped, it would allow a line nobody chose.
		return nil, "", invalidParams("veil.allow: line %d is outside the document (%d lines)", a.Line, doc.Text.LineCount())
	}
	edit := allowEdit(doc, a.Line, s.encoding())
	return func(ctx context.Context) (any, error) {
		if edit == nil {
			return false, nil
		}
		res, err := s.call(ctx, "workspace/applyEdit", map[string]any{"label": "veil: allow this line", "edit": edit})
		if err != nil {
			return nil, err
		}
		var r struct {
			Applied bool `json:"applied"`
		}
		_ = json.Unmarshal(res, &r)
		return r.Applied, nil
	}, "", nil
}

// acceptCommand answers the Copilot accept commands (telemetry upstream).
func (s *Server) acceptCommand(*message, *ExecuteCommandParams) (requestFunc, string, error) {
	return func(context.Context) (any, error) { return true, nil }, "", nil
}

// explain is veil.explain: the route of a document and what is masked in it,
// by rule and position (never the values).
func (s *Server) explain(uri string) map[string]any {
	doc := s.docs.get(uri)
	if doc == nil {
		path := uriPath(uri)
		doc = &Document{URI: uri, Path: path, Target: policyTarget(uri, path)}
	}
	dec := s.decideDocument(doc)
	enc := s.encoding()
	type item struct {
		Rule        string          `json:"rule"`
		Category    redact.Category `json:"category"`
		Description string          `json:"description"`
		Range       Range           `json:"range"`
	}
	items := []item{}
	for _, f := range doc.AllFindings() {
		items = append(items, item{f.RuleID, f.Category, f.Description, doc.Text.Range(f.Start, f.End, enc)})
	}
	s.showMessage(MessageInfo, fmt.Sprintf("veil: %s — %d value(s) masked; %s", s.relPath(doc), len(items), dec.Reason))
	return map[string]any{"route": dec.Route, "reason": dec.Reason, "rule": dec.Rule, "findings": items}
}
