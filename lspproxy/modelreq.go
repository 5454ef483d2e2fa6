package lspproxy

import (
	"errors"
	"regexp"
	"strings"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// The model boundary: every request to the model is assembled here, and
// only from redact.Text, which only the vault produces. A string that did
// not go through the vault cannot reach these functions, so it cannot reach
// the model.

// redactedSnippet is a masked document (or a piece of one) and its masked
// name; index, when set, is localmodel.IndexWords of text.
type redactedSnippet struct {
	path, text redact.Text
	index      *localmodel.WordIndex
}

func (s redactedSnippet) snippet() localmodel.Snippet {
	return localmodel.Snippet{Path: s.path.String(), Text: s.text.String(), Index: s.index}
}

func snippets(rs []redactedSnippet) []localmodel.Snippet {
	if rs == nil {
		return nil
	}
	return appendSnippets(make([]localmodel.Snippet, 0, len(rs)), rs)
}

// appendSnippets appends the snippet of each of rs to dst.
func appendSnippets(dst []localmodel.Snippet, rs []redactedSnippet) []localmodel.Snippet {
	for _, r := range rs {
		dst = append(dst, r.snippet())
	}
	return dst
}

// redactedTurn is an earlier chat exchange, masked.
type redactedTurn struct{ user, assistant redact.Text }

// errContextCut fails a request whose context is not a piece of the masked
// text (a bug in the cut): nothing is sent.
var errContextCut = errors.New("lspproxy: the prompt context is not a slice of the masked text")

// cutContext is localmodel.BuildContext on a masked window held in a
// draft: the prefix and suffix around cursor, copied out of the draft as
// one redact.Text, and the neighbour pieces it picks (each checked to be a
// slice of a neighbour's redacted text), in cr's room: valid until cr is
// used again.
func cutContext(d redact.Draft, cursor, budget int, nbs []redactedSnippet, nbBudget int, cr *cutRoom) (prefix, suffix redact.Text, picked []redactedSnippet, err error) {
	start, cur, end := localmodel.ContextBounds(d.Bytes(), cursor, budget)
	win := d.Text(start, end)
	prefix, suffix = win.Slice(0, cur-start), win.Slice(cur-start, end-start)
	cr.snips = appendSnippets(cr.snips[:0], nbs)
	picked = cr.picked[:0]
	for _, sn := range cr.pick.Pick(cr.snips, nbBudget, prefix.String()) {
		p, ok := pieceOf(nbs, sn)
		if !ok {
			return prefix, suffix, nil, errContextCut
		}
		picked = append(picked, p)
	}
	cr.picked = picked
	return prefix, suffix, picked, nil
}

// cutRoom is cutContext's working memory, reused from one request to the
// next; nothing in it is sent (fimFor copies the picked pieces' list).
type cutRoom struct {
	pick   localmodel.Picker
	snips  []localmodel.Snippet
	picked []redactedSnippet
}

// reset drops what cr refers to.
func (cr *cutRoom) reset() {
	clear(cr.snips[:cap(cr.snips)])
	clear(cr.picked[:cap(cr.picked)])
	cr.pick.Pick(nil, 0, "") // drops its last pick
}

// pieceOf finds the neighbour sn was cut from and cuts the same piece of
// its redacted text.
func pieceOf(nbs []redactedSnippet, sn localmodel.Snippet) (redactedSnippet, bool) {
	for _, n := range nbs {
		if n.path.String() != sn.Path {
			continue
		}
		if i := strings.Index(n.text.String(), sn.Text); i >= 0 {
			return redactedSnippet{path: n.path, text: n.text.Slice(i, i+len(sn.Text))}, true
		}
	}
	return redactedSnippet{}, false
}

// fimFor is the completion request from redacted parts.
func fimFor(prefix, suffix, path redact.Text, neighbors []redactedSnippet, language string, trigger localmodel.Trigger) localmodel.FIMRequest {
	return localmodel.FIMRequest{
		Prefix: prefix.String(), Suffix: suffix.String(), Path: path.String(), Language: language,
		Neighbors: snippets(neighbors), Trigger: trigger,
	}
}

// chatFor is the chat request from redacted parts.
func chatFor(session string, message redact.Text, refs []redactedSnippet, history []redactedTurn, tokens *regexp.Regexp) localmodel.ChatRequest {
	turns := make([]localmodel.Turn, len(history))
	for i, t := range history {
		turns[i] = localmodel.Turn{User: t.user.String(), Assistant: t.assistant.String()}
	}
	return localmodel.ChatRequest{SessionID: session, Message: message.String(), References: snippets(refs), History: turns, TokenPattern: tokens}
}
