package lspproxy

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
)

// textDocument/inlineCompletion (LSP 3.18) and textDocument/completion: the
// same pipeline, answered in two shapes.

// suggestion is a completion placed in the document: the model's text to
// insert at the cursor, and the line it goes into.
type suggestion struct {
	text       string   // to insert at the cursor, original values restored
	cursor     Position // the request position, in the session encoding
	lineStart  Position // column 0 of the cursor's line
	linePrefix string   // the line's text before the cursor
	wordStart  Position // start of the identifier ending at the cursor
	word       string
}

// maxWordBytes bounds the identifier a completion item replaces.
const maxWordBytes = 256

// suggest runs the pipeline for a prepared request and places the answer.
// It returns nil for no suggestion.
func (s *Server) suggest(ctx context.Context, r *fimRequest) (*suggestion, error) {
	text, err := s.ai.complete(ctx, r)
	if err != nil || text == "" {
		return nil, err
	}
	enc := r.enc
	doc := r.doc.Text
	pos := doc.OffsetPosition(r.cursor, enc)
	ls, _ := doc.LineRange(int(pos.Line))
	// The line before the cursor is part of the answer (LSP replaces from
	// the line start); the word is looked for in its last maxWordBytes.
	var room [256]byte
	prefix := string(doc.AppendSlice(room[:0], ls, r.cursor)) // one copy, the word a part of it
	ws := len(prefix)
	for ws > max(0, len(prefix)-maxWordBytes) {
		c, size := utf8.DecodeLastRuneInString(prefix[:ws])
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			break
		}
		ws -= size
	}
	return &suggestion{
		text:       text,
		cursor:     pos,
		lineStart:  Position{Line: pos.Line},
		linePrefix: prefix,
		wordStart:  doc.OffsetPosition(ls+ws, enc),
		word:       prefix[ws:],
	}, nil
}

func (s *Server) inlineCompletion(msg *message) (requestFunc, string, error) {
	var p InlineCompletionParams
	if err := decodeWith(s.loopJSON.decode, msg.Params, &p); err != nil { // on the read loop
		return nil, "", err
	}
	trigger := localmodel.Automatic
	if p.Context.TriggerKind == 1 {
		trigger = localmodel.Invoked
	}
	r, err := s.newFIMRequest(msg.ID, policy.Inline, p.TextDocument.URI, p.Position, trigger)
	if r == nil || err != nil {
		return nil, "", err
	}
	r.multiline = s.isCopilot() // copilot.el asks this way
	return func(ctx context.Context) (any, error) {
		sg, err := s.suggest(ctx, r)
		if sg == nil || err != nil {
			return InlineCompletionList{Items: []InlineCompletionItem{}}, err
		}
		s.copilotServed() // copilot.el's mode line back to Normal after a block
		// Like Copilot: the item replaces the line from column 0 to the
		// cursor with the whole new line, which every client renders.
		return InlineCompletionList{Items: []InlineCompletionItem{{
			InsertText: sg.linePrefix + sg.text,
			Range:      &Range{Start: sg.lineStart, End: sg.cursor},
			Command:    s.inlineAcceptCommand(),
		}}}, nil
	}, p.TextDocument.URI, nil
}

func (s *Server) completion(msg *message) (requestFunc, string, error) {
	var p CompletionParams
	if err := decodeWith(s.loopJSON.decode, msg.Params, &p); err != nil { // on the read loop
		return nil, "", err
	}
	r, err := s.newFIMRequest(msg.ID, policy.Completion, p.TextDocument.URI, p.Position, localmodel.Invoked)
	if r == nil || err != nil {
		return nil, "", err
	}
	return func(ctx context.Context) (any, error) {
		sg, err := s.suggest(ctx, r)
		if sg == nil || err != nil {
			return CompletionList{Items: []CompletionItem{}}, err
		}
		label := strings.TrimSpace(firstLine(sg.word + sg.text))
		if len(label) > 80 {
			label = label[:80] + "…"
		}
		// One item whose edit replaces the identifier being typed, so
		// clients that filter by the word at the cursor keep it.
		return CompletionList{IsIncomplete: true, Items: []CompletionItem{{
			Label:            label,
			Kind:             1, // Text
			Detail:           "veil · " + s.ai.opts.Model.ID(),
			Documentation:    sg.word + sg.text,
			SortText:         "0",
			FilterText:       sg.word + sg.text,
			InsertTextFormat: 1,
			TextEdit:         &TextEdit{Range: Range{Start: sg.wordStart, End: sg.cursor}, NewText: sg.word + sg.text},
			Preselect:        true,
		}}}, nil
	}, p.TextDocument.URI, nil
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
