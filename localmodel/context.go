package localmodel

import (
	"strings"
	"unicode/utf8"
)

// BuildContext cuts the context window for a completion out of text, the
// REDACTED document, around the byte offset cursor, and picks the parts of the
// REDACTED neighbour documents that fit neighborBudget bytes.
//
// The window holds at most budget bytes: three quarters before the cursor and
// one quarter after, with either side's unused share going to the other. Cuts
// fall on line boundaries (the prefix starts at a line start, the suffix ends
// after a newline) unless a single line is longer than its share; they never
// split a UTF-8 sequence. budget <= 0 means no limit.
//
// Neighbours are taken in the order given (most relevant first), each limited
// to a fair share of what is left of neighborBudget; a neighbour longer than
// its share contributes the run of whole lines that shares the most
// identifiers with the last lines before the cursor (the way Copilot picks
// snippets from open tabs). Empty neighbours are dropped; neighborBudget <= 0
// means no neighbours. The budget counts snippet text, not the headers the
// prompt adds.
//
// BuildContext works on redacted text only and returns substrings of it.
func BuildContext(text string, cursor int, budget int, neighbors []Snippet, neighborBudget int) (prefix, suffix string, snips []Snippet) {
	cursor = max(0, min(cursor, len(text)))
	for cursor > 0 && cursor < len(text) && !utf8.RuneStart(text[cursor]) {
		cursor--
	}
	before, after := text[:cursor], text[cursor:]
	if budget > 0 {
		sufShare := budget / 4
		preShare := budget - sufShare
		if len(after) < sufShare {
			preShare += sufShare - len(after)
		}
		if len(before) < preShare {
			sufShare += preShare - len(before)
		}
		before = tailLines(before, preShare)
		after = headLines(after, sufShare)
	}
	return before, after, pickNeighbors(neighbors, neighborBudget, queryText(before))
}

// tailLines returns the last n bytes of s or less, starting at a line start
// when s has one in that range.
func tailLines(s string, n int) string {
	if len(s) <= n {
		return s
	}
	start := len(s) - n
	if i := strings.IndexByte(s[start:], '\n'); i >= 0 && start+i+1 < len(s) {
		return s[start+i+1:]
	}
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[start:]
}

// headLines returns the first n bytes of s or less, ending after a newline
// when s has one in that range.
func headLines(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexByte(s[:n], '\n'); i >= 0 {
		return s[:i+1]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// queryLines is how many lines before the cursor pick neighbour windows.
const queryLines = 20

func queryText(prefix string) string {
	end := len(prefix)
	for range queryLines {
		i := strings.LastIndexByte(prefix[:end], '\n')
		if i < 0 {
			return prefix
		}
		end = i
	}
	return prefix[end:]
}

func pickNeighbors(neighbors []Snippet, budget int, query string) []Snippet {
	if budget <= 0 {
		return nil
	}
	var live []Snippet
	for _, n := range neighbors {
		if strings.TrimSpace(n.Text) != "" {
			live = append(live, n)
		}
	}
	var out []Snippet
	var q map[string]bool
	left := budget
	for i, n := range live {
		share := left / (len(live) - i)
		if share <= 0 {
			break
		}
		text := n.Text
		if len(text) > share {
			if q == nil {
				q = words(query)
			}
			text = bestWindow(text, share, q)
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		out = append(out, Snippet{Path: n.Path, Text: text})
		left -= len(text)
	}
	return out
}

// bestWindow returns the run of whole lines of s, at most n bytes, with the
// highest Jaccard similarity between its identifiers and query; the earliest
// wins a tie. A first line longer than n is cut at n.
func bestWindow(s string, n int, query map[string]bool) string {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) {
			starts = append(starts, i+1)
		}
	}
	best, bestScore := headLines(s, n), -1.0
	// Step by about half a window so each line is scored a few times at most.
	for k := 0; k < len(starts); {
		w := headLines(s[starts[k]:], n)
		if w == "" {
			k++
			continue
		}
		if sc := jaccard(words(w), query); sc > bestScore {
			best, bestScore = w, sc
		}
		lines := strings.Count(w, "\n")
		if starts[k]+len(w) >= len(s) {
			break
		}
		k += max(1, lines/2)
	}
	return best
}

// words returns the identifiers ([A-Za-z0-9_], two bytes or more) in s.
func words(s string) map[string]bool {
	set := make(map[string]bool)
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isWordByte(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 2 {
			set[s[start:i]] = true
		}
		start = -1
	}
	return set
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
