package localmodel

import (
	"iter"
	"slices"
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
	start, cursor, end := ContextBounds(text, cursor, budget)
	prefix = text[start:cursor]
	return prefix, text[cursor:end], PickNeighbors(neighbors, neighborBudget, prefix)
}

// ContextBounds is where BuildContext cuts text: the prefix is
// text[start:cur] and the suffix text[cur:end], cur being cursor moved
// into text and back to a rune start. It reads text in place, as a string
// or as bytes.
func ContextBounds[T string | []byte](text T, cursor, budget int) (start, cur, end int) {
	cursor = max(0, min(cursor, len(text)))
	for cursor > 0 && cursor < len(text) && !utf8.RuneStart(text[cursor]) {
		cursor--
	}
	start, end = 0, len(text)
	if budget > 0 {
		before, after := cursor, len(text)-cursor
		sufShare := budget / 4
		preShare := budget - sufShare
		if after < sufShare {
			preShare += sufShare - after
		}
		if before < preShare {
			sufShare += preShare - before
		}
		start = cursor - tailLen(text[:cursor], preShare)
		end = cursor + headLen(text[cursor:], sufShare)
	}
	return start, cursor, end
}

// PickNeighbors is the neighbour pieces BuildContext picks for prefix,
// the context before the cursor it cut.
func PickNeighbors(neighbors []Snippet, neighborBudget int, prefix string) []Snippet {
	var p Picker
	return p.Pick(neighbors, neighborBudget, prefix)
}

// Picker is PickNeighbors' working memory, reused from one call to the
// next. Its zero value is ready; it is not safe for concurrent use.
type Picker struct {
	ws   windowScorer
	qbuf []string  // the query's identifiers
	out  []Snippet // the last Pick's result
}

// Pick is PickNeighbors in p's memory: the slice it returns is valid until
// p picks again (the snippets' texts are pieces of the neighbours', as
// always). p keeps nothing of prefix, and Pick(nil, 0, "") drops the last
// pick: a Picker kept for reuse refers to no text.
func (p *Picker) Pick(neighbors []Snippet, neighborBudget int, prefix string) []Snippet {
	clear(p.out)
	out := pickNeighbors(neighbors, neighborBudget, queryText(prefix), p)
	clear(p.qbuf) // the query's words: needed only while picking
	p.qbuf, p.ws.query = p.qbuf[:0], nil
	if cap(out) > 0 { // else nothing was picked: p.out keeps its room
		p.out = out
	} else {
		p.out = p.out[:0]
	}
	return out
}

// tailLen is the length of the last n bytes of s or less, starting at a
// line start when s has one in that range.
func tailLen[T string | []byte](s T, n int) int {
	if len(s) <= n {
		return len(s)
	}
	start := len(s) - n
	for i := start; i < len(s)-1; i++ {
		if s[i] == '\n' {
			return len(s) - (i + 1)
		}
	}
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return len(s) - start
}

// headLines returns the first n bytes of s or less, ending after a
// newline when s has one in that range.
func headLines(s string, n int) string { return s[:headLen(s, n)] }

// headLen is the length of headLines(s, n).
func headLen[T string | []byte](s T, n int) int {
	if len(s) <= n {
		return len(s)
	}
	for i := n - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return i + 1
		}
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
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

// pickNeighbors picks the neighbour pieces for query in p's memory.
func pickNeighbors(neighbors []Snippet, budget int, query string, p *Picker) []Snippet {
	if budget <= 0 {
		return nil
	}
	nlive, ids := 0, 0 // neighbours with text; the most identifiers in one index
	for _, n := range neighbors {
		if strings.TrimSpace(n.Text) != "" {
			nlive++
		}
		if n.Index != nil {
			ids = max(ids, len(n.Index.ids))
		}
	}
	out := p.out[:0]
	scoring := false
	left, i := budget, 0
	for _, n := range neighbors {
		if strings.TrimSpace(n.Text) == "" {
			continue
		}
		share := left / (nlive - i)
		i++
		if share <= 0 {
			break
		}
		text := n.Text
		if len(text) > share {
			if !scoring {
				p.qbuf = queryWords(query, p.qbuf[:0])
				p.ws.reset(p.qbuf, ids)
				scoring = true
			}
			ix := n.Index
			if ix == nil || ix.text != text {
				ix = IndexWords(text)
			}
			text = p.ws.bestWindow(ix, share)
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if cap(out) == 0 {
			out = make([]Snippet, 0, nlive)
		}
		out = append(out, Snippet{Path: n.Path, Text: text})
		left -= len(text)
	}
	return out
}

// WordIndex is a text's identifiers line by line: every identifier gets a
// small integer id, each line records which ids it holds. It is built once
// per text (IndexWords) and read by every query that scores the text.
// Immutable.
type WordIndex struct {
	text string
	ids  map[string]int // identifier -> id; ids run from 0 to len(ids)-1
	toks []int          // ids of the identifiers of the text, in order
	// marks[i] is where line i starts; one more mark holds the end of the
	// text. Line i is text[marks[i].off:marks[i+1].off] (with its newline)
	// and holds the identifiers toks[marks[i].tok:marks[i+1].tok].
	marks []lineMark
}

type lineMark struct{ off, tok int }

// IndexWords splits s into lines (a newline ends a line unless it is the
// last byte of s) and records the identifier ids of each line.
func IndexWords(s string) *WordIndex {
	// Source code has an identifier every 5 to 8 bytes, a line every 25
	// to 40, a new identifier every 50 or more.
	ix := &WordIndex{text: s, ids: make(map[string]int, len(s)/64), toks: make([]int, 0, len(s)/6),
		marks: append(make([]lineMark, 0, len(s)/24), lineMark{})}
	for i := 0; i < len(s); {
		c := s[i]
		if !isWordByte(c) {
			i++
			if c == '\n' && i < len(s) {
				ix.marks = append(ix.marks, lineMark{off: i, tok: len(ix.toks)})
			}
			continue
		}
		j := i + 1
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		if j-i >= 2 {
			w := s[i:j]
			id, ok := ix.ids[w]
			if !ok {
				id = len(ix.ids)
				ix.ids[w] = id
			}
			ix.toks = append(ix.toks, id)
		}
		i = j
	}
	ix.marks = append(ix.marks, lineMark{off: len(s), tok: len(ix.toks)})
	return ix
}

// windowScorer chooses neighbour windows for one query: a window slides
// down a text's WordIndex adding the lines that enter it and removing the
// ones that leave, so a window's score costs the lines that changed rather
// than all of its bytes. Its buffers are reused from one neighbour to the
// next.
type windowScorer struct {
	query []string // the query's identifiers, sorted, each once
	inQ   []bool   // by id of the current index: the identifier is in query
	count []int32  // by id: occurrences in the current window
}

// reset makes ws a scorer for query (from queryWords) whose buffers hold
// ids identifiers before they need to grow, keeping its own when they do.
func (ws *windowScorer) reset(query []string, ids int) {
	ws.query = query
	if cap(ws.count) < ids {
		ws.inQ, ws.count = make([]bool, 0, ids), make([]int32, 0, ids)
	}
}

// use points the scorer at ix: which of its identifiers the query holds
// (looked up from the query's side, which is the smaller).
func (ws *windowScorer) use(ix *WordIndex) {
	n := len(ix.ids)
	if cap(ws.count) < n {
		ws.inQ, ws.count = make([]bool, n), make([]int32, n)
	} else {
		ws.inQ, ws.count = ws.inQ[:n], ws.count[:n]
		clear(ws.inQ)
		clear(ws.count)
	}
	for _, w := range ws.query {
		if id, ok := ix.ids[w]; ok {
			ws.inQ[id] = true
		}
	}
}

// bestWindow returns the run of whole lines of s, at most n bytes, with the
// highest Jaccard similarity between its identifiers and the query; the
// earliest wins a tie. Candidate windows start at the first line and then
// about half a window further each time, so each line is scored a few
// times at most. A line longer than n is a candidate of its own, cut at n.
func (ws *windowScorer) bestWindow(ix *WordIndex, n int) string {
	s := ix.text
	if len(s) <= n {
		return s
	}
	ws.use(ix)
	marks, lines := ix.marks, len(ix.marks)-1
	best, bestScore := headLines(s, n), -1.0
	distinct, inter := 0, 0 // identifiers in lines lo to hi-1 and how many of them are in query
	lo, hi := 0, 0
	for k := 0; k < lines; {
		// The window moves to start at line k: the lines before k leave
		// it (none when it was empty), the lines that fit in n join it.
		for _, id := range ix.toks[marks[lo].tok:marks[min(k, hi)].tok] {
			if ws.count[id]--; ws.count[id] == 0 {
				distinct--
				if ws.inQ[id] {
					inter--
				}
			}
		}
		lo, hi = k, max(hi, k)
		end := hi
		for end < lines && marks[end+1].off-marks[k].off <= n {
			end++
		}
		for _, id := range ix.toks[marks[hi].tok:marks[end].tok] {
			if ws.count[id]++; ws.count[id] == 1 {
				distinct++
				if ws.inQ[id] {
					inter++
				}
			}
		}
		hi = end
		if hi == k {
			// Line k alone is longer than n: score its first n bytes (a
			// word cut there counts as cut). The window cannot reach the end.
			if w := headLines(s[marks[k].off:], n); w != "" {
				if sc := jaccardQuery(words(w), ws.query); sc > bestScore {
					best, bestScore = w, sc
				}
			}
			k++
			continue
		}
		if sc := jaccardCounts(distinct, len(ws.query), inter); sc > bestScore {
			best, bestScore = s[marks[k].off:marks[hi].off], sc
		}
		if hi == lines {
			break
		}
		k += max(1, (hi-k)/2)
	}
	return best
}

// words returns the identifiers ([A-Za-z0-9_], two bytes or more) in s.
func words(s string) map[string]bool {
	// An identifier every 5 to 8 bytes of code, about half of them new.
	set := make(map[string]bool, len(s)/16)
	for w := range identifiers(s) {
		set[w] = true
	}
	return set
}

// identifiers yields the identifiers of s in order, repeats included.
func identifiers(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start := -1
		for i := 0; i <= len(s); i++ {
			if i < len(s) && isWordByte(s[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start >= 2 && !yield(s[start:i]) {
				return
			}
			start = -1
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// queryWords appends the identifiers of s to buf, each once, sorted: the
// set words(s) without building a map.
func queryWords(s string, buf []string) []string {
	for w := range identifiers(s) {
		buf = append(buf, w)
	}
	slices.Sort(buf)
	return slices.Compact(buf)
}

// jaccardQuery is the Jaccard similarity of set and the distinct
// identifiers query.
func jaccardQuery(set map[string]bool, query []string) float64 {
	inter := 0
	for _, w := range query {
		if set[w] {
			inter++
		}
	}
	return jaccardCounts(len(set), len(query), inter)
}

// jaccardCounts is the Jaccard similarity of a set of a elements and one of
// b elements that share inter.
func jaccardCounts(a, b, inter int) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return float64(inter) / float64(a+b-inter)
}
