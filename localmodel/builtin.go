package localmodel

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// builtin is the offline fallback and demo engine. It is not a language model
// and does not pretend to be one: it completes by copying, and it answers chat
// with a factual note about what it received.
//
// Completion: it takes the text just before the cursor and looks for the
// longest earlier occurrence of it (between 4 and 256 bytes) in the prefix or
// in a neighbour snippet, then offers what followed that occurrence, cut at
// the same boundary the network client uses (end of line for Automatic, end
// of block for Invoked). The latest occurrence in the prefix wins, then the
// neighbours in the order given. A match must contain a letter, digit or
// underscore. Everything is computed per call from the redacted request; it
// is deterministic, does no I/O and keeps no state.
type builtin struct{}

func newBuiltin() *builtin { return &builtin{} }

func (*builtin) ID() string { return BuiltinID }

// Matching limits of the built-in model.
const (
	builtinMinMatch = 4
	builtinMaxMatch = 256
)

// Complete implements Model. req holds redacted text only.
func (*builtin) Complete(ctx context.Context, req FIMRequest) (Completion, error) {
	if err := ctx.Err(); err != nil {
		return Completion{}, fmt.Errorf("localmodel: builtin completion: %w", err)
	}
	sh := newShaper(req, nil)
	text, _ := sh.cut(continuation(req.Prefix, req.Neighbors), true)
	return Completion{Text: sh.finish(text), Model: BuiltinID}, nil
}

// continuation returns what followed the longest earlier occurrence of the
// end of prefix, or "".
func continuation(prefix string, neighbors []Snippet) string {
	// The prefix comes first, then the neighbours. Each is searched without
	// its last byte, so every occurrence found has at least one byte after it
	// (and, in the prefix, is not the needle itself).
	var sources []string
	for _, s := range append([]string{prefix}, snippetTexts(neighbors)...) {
		if len(s) > 1 {
			sources = append(sources, s)
		}
	}
	needle := func(l int) string { return prefix[len(prefix)-l:] }
	found := func(l int) bool {
		for _, s := range sources {
			if strings.Contains(s[:len(s)-1], needle(l)) {
				return true
			}
		}
		return false
	}
	// If the last l bytes occur earlier, so do the last l-1: binary search
	// for the longest l.
	lo, hi := builtinMinMatch, min(builtinMaxMatch, len(prefix))
	if hi < lo || !found(lo) {
		return ""
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if found(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	n := needle(lo)
	if !hasWordByte(n) {
		return ""
	}
	for _, s := range sources {
		if at := strings.LastIndex(s[:len(s)-1], n); at >= 0 {
			rest := s[at+lo:]
			return rest[:min(len(rest), 2*maxSuggestionBytes)]
		}
	}
	return ""
}

func snippetTexts(snips []Snippet) []string {
	out := make([]string, len(snips))
	for i, s := range snips {
		out[i] = s.Text
	}
	return out
}

// Chat implements Model: the reply is a short factual summary of the request,
// streamed line by line. It keeps no history.
func (*builtin) Chat(ctx context.Context, req ChatRequest, onChunk func(string) error) (string, error) {
	var b strings.Builder
	for _, line := range builtinSummary(req) {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("localmodel: builtin chat: %w", err)
		}
		line += "\n"
		if onChunk != nil {
			if err := onChunk(line); err != nil {
				return "", fmt.Errorf("localmodel: builtin chat: delivering a chunk: %w", err)
			}
		}
		b.WriteString(line)
	}
	return b.String(), nil
}

func builtinSummary(req ChatRequest) []string {
	out := []string{
		"This is veil's built-in offline model, not a language model: it can only describe what it was sent.",
		fmt.Sprintf("Your message: %s.", plural(len(strings.Fields(req.Message)), "word")),
	}
	if len(req.References) == 0 {
		out = append(out, "Files: none attached.")
	} else {
		var files []string
		for _, r := range req.References {
			lines := strings.Count(r.Text, "\n")
			if r.Text != "" && !strings.HasSuffix(r.Text, "\n") {
				lines++
			}
			files = append(files, fmt.Sprintf("%s (%s)", r.Path, plural(lines, "line")))
		}
		out = append(out, "Files: "+strings.Join(files, ", ")+".")
	}
	out = append(out, maskSummary(req))
	out = append(out, "Set model.endpoint to chat with a local model (Ollama, llama.cpp, vLLM).")
	return out
}

func maskSummary(req ChatRequest) string {
	re := req.TokenPattern
	if re == nil {
		return "Masked values: not counted (no token pattern given)."
	}
	texts := []string{req.Message}
	for _, r := range req.References {
		texts = append(texts, r.Text)
	}
	total, distinct, byCat := countTokens(re, texts)
	if total == 0 {
		return "Masked values: none."
	}
	s := fmt.Sprintf("Masked values: %s, %d distinct", plural(total, "placeholder"), distinct)
	if len(byCat) > 0 {
		cats := make([]string, 0, len(byCat))
		for c := range byCat {
			cats = append(cats, c)
		}
		slices.Sort(cats)
		for i, c := range cats {
			cats[i] = fmt.Sprintf("%s %d", c, byCat[c])
		}
		s += " (" + strings.Join(cats, ", ") + ")"
	}
	return s + "."
}

// countTokens counts the matches of re in texts: all of them, the distinct
// ones, and per value of the group named "category" when re has one.
func countTokens(re *regexp.Regexp, texts []string) (total, distinct int, byCat map[string]int) {
	cat := re.SubexpIndex("category")
	seen := make(map[string]bool)
	for _, t := range texts {
		for _, m := range re.FindAllStringSubmatchIndex(t, -1) {
			total++
			seen[t[m[0]:m[1]]] = true
			if cat >= 0 && m[2*cat] >= 0 {
				if byCat == nil {
					byCat = make(map[string]int)
				}
				byCat[t[m[2*cat]:m[2*cat+1]]]++
			}
		}
	}
	return total, len(seen), byCat
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
