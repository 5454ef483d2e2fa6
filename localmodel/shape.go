package localmodel

import (
	"strings"
	"unicode/utf8"
)

// Caps on a suggestion, whatever the trigger.
const (
	maxSuggestionBytes = 2048
	maxSuggestionLines = 32
)

// shaper turns raw model output into the suggestion to insert at the cursor:
// it stops at the boundary the trigger asks for, drops text that repeats what
// already follows the cursor, caps the length and never yields only
// whitespace. The network client and the built-in model share it, so both
// stop in the same places.
type shaper struct {
	block      bool     // stop at the end of the block rather than the line
	lineBefore string   // the cursor line up to the cursor
	restOfLine string   // the cursor line after the cursor, trailing blanks trimmed
	nextLine   string   // the first non-blank line after the cursor line, trailing blanks trimmed
	stops      []string // strings that end the output (leaked special tokens)
}

func newShaper(req FIMRequest, stops []string) shaper {
	s := shaper{stops: stops}
	if i := strings.LastIndexByte(req.Prefix, '\n'); i >= 0 {
		s.lineBefore = req.Prefix[i+1:]
	} else {
		s.lineBefore = req.Prefix
	}
	rest, after, _ := strings.Cut(req.Suffix, "\n")
	s.restOfLine = trimRight(rest)
	for line := range strings.SplitSeq(after, "\n") {
		if strings.TrimSpace(line) != "" {
			s.nextLine = trimRight(line)
			break
		}
	}
	s.block = req.Trigger == Invoked ||
		req.Multiline && s.restOfLine == "" && (strings.TrimSpace(s.lineBefore) == "" || opensBlock(s.lineBefore))
	return s
}

// cut returns the part of out that ends at the trigger's boundary and whether
// that boundary has been reached, i.e. more output cannot change the answer.
// final says out is the model's whole output. The text is meaningful only
// when done or final.
func (s shaper) cut(out string, final bool) (text string, done bool) {
	for _, stop := range s.stops {
		if i := strings.Index(out, stop); i >= 0 {
			out, final, done = out[:i], true, true
		}
	}
	lines := strings.Split(out, "\n")
	complete := len(lines) - 1 // the last line may still grow
	if final {
		complete = len(lines)
	}
	var n int
	var reached bool
	if s.block {
		n, reached = s.blockLines(lines, complete)
	} else {
		n, reached = s.lineLines(lines, complete)
	}
	if n > maxSuggestionLines {
		n, reached = maxSuggestionLines, true
	}
	text = strings.Join(lines[:n], "\n")
	if len(text) > maxSuggestionBytes {
		text, reached = capBytes(text, maxSuggestionBytes), true
	}
	return text, done || reached
}

// lineLines: Automatic stops at the end of the line. When the cursor is at the
// end of its line and the model starts a new one, that next line is the
// suggestion (newline included).
func (s shaper) lineLines(lines []string, complete int) (int, bool) {
	if complete < 1 {
		return len(lines), false
	}
	if strings.TrimSpace(lines[0]) != "" || s.restOfLine != "" || len(lines) == 1 {
		return 1, true
	}
	if complete < 2 {
		return len(lines), false
	}
	return 2, true
}

// blockLines: Invoked (and Multiline at a block opener or on an empty line)
// stops at the end of the block the cursor is in. With
// base the cursor line's indentation, it stops before the first line indented
// less than base, before two blank lines, and before a blank line followed by
// a line at or left of base. When the cursor line opens a block (ends in
// { ( [ or :), the first line back at or left of base closes it and is kept.
func (s shaper) blockLines(lines []string, complete int) (int, bool) {
	base := indentWidth(s.lineBefore)
	opens := opensBlock(s.lineBefore + lines[0])
	blanks := 0
	for k := 1; k < len(lines); k++ {
		if k >= complete {
			return len(lines), false
		}
		line := lines[k]
		if strings.TrimSpace(line) == "" {
			blanks++
			if blanks >= 2 {
				return k - 1, true
			}
			continue
		}
		ind := indentWidth(line)
		switch {
		case opens && ind <= base:
			return k + 1, true
		case !opens && ind < base:
			return k - blanks, true
		case !opens && blanks > 0 && ind <= base:
			return k - blanks, true
		}
		blanks = 0
	}
	return len(lines), false
}

// finish applies the rules that need the whole candidate: drop a repeat of the
// next line and of the rest of the cursor line, trim trailing blanks, and
// return "" for whitespace.
func (s shaper) finish(text string) string {
	if s.nextLine != "" {
		lines := strings.Split(text, "\n")
		for k := 1; k < len(lines); k++ {
			if trimRight(lines[k]) == s.nextLine {
				text = strings.Join(lines[:k], "\n")
				break
			}
		}
	}
	text = trimRight(text)
	if s.restOfLine != "" {
		text = trimRight(dropOverlap(s.lineBefore, text, s.restOfLine))
	}
	if strings.TrimSpace(text) == "" {
		return ""
	}
	return text
}

// dropOverlap removes the longest end of text that is also the start of rest,
// when that overlap is all of rest, holds no letter or digit (closing
// brackets, quotes, semicolons), or is 8 bytes or longer, and when every
// closing bracket or quote in it closes an opener from before the cursor
// (in before, or not visible at all), so the copy in rest closes the same
// one. A closer that ends something the suggestion itself opened stays:
// in "fmt.Println(|)" the suggestion "f(x)" keeps its ")". A one-letter
// overlap like "a" is left alone: it is more likely new code than a repeat.
func dropOverlap(before, text, rest string) string {
	for k := min(len(text), len(rest)); k > 0; k-- {
		ov := rest[:k]
		if !strings.HasSuffix(text, ov) {
			continue
		}
		if (k == len(rest) || k >= 8 || !hasWordByte(ov)) && closesOutside(before, text[:len(text)-k], ov) {
			return text[:len(text)-k]
		}
	}
	return text
}

// closesOutside reports whether every closing bracket or quote in ov, read
// after before+kept, closes an opener that is not in kept: one from before,
// one from ov itself, or one out of sight (an empty stack).
func closesOutside(before, kept, ov string) bool {
	var b brackets
	b.scan(before)
	b.mark = len(b.stack)
	b.scan(kept)
	b.cut = len(b.stack)
	b.strict = true
	b.scan(ov)
	return !b.bad
}

// brackets tracks open brackets and quotes along a line of code: inside a
// quote, brackets do not count and a backslash escapes the next byte.
type brackets struct {
	stack  []byte
	escape bool
	mark   int  // entries below mark were opened before the cursor
	cut    int  // entries from mark to cut were opened by the kept text
	strict bool // a closer popping an entry in [mark, cut) is bad
	bad    bool
}

func (b *brackets) scan(s string) {
	for i := 0; i < len(s); i++ {
		b.step(s[i])
	}
}

func (b *brackets) step(c byte) {
	top := byte(0)
	if n := len(b.stack); n > 0 {
		top = b.stack[n-1]
	}
	inQuote := top == '"' || top == '\'' || top == '`'
	switch {
	case b.escape:
		b.escape = false
	case inQuote && c == '\\':
		b.escape = true
	case inQuote && c == top:
		b.pop()
	case inQuote:
	case c == '"' || c == '\'' || c == '`' || c == '(' || c == '[' || c == '{':
		b.stack = append(b.stack, c)
	case c == ')' || c == ']' || c == '}':
		if len(b.stack) > 0 && top == opener(c) {
			b.pop()
		} else if len(b.stack) > 0 && b.strict && len(b.stack) > b.mark && len(b.stack) <= b.cut {
			b.bad = true // it would close nothing of ours; keep it
		}
	}
}

// pop removes the top entry; in strict mode, popping one the kept text
// opened means the closer belongs to the suggestion.
func (b *brackets) pop() {
	n := len(b.stack)
	if b.strict && n > b.mark && n <= b.cut {
		b.bad = true
	}
	b.stack = b.stack[:n-1]
	b.mark = min(b.mark, n-1)
	b.cut = min(b.cut, n-1)
}

func opener(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

func hasWordByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if isWordByte(s[i]) {
			return true
		}
	}
	return false
}

func opensBlock(line string) bool {
	line = trimRight(line)
	if line == "" {
		return false
	}
	switch line[len(line)-1] {
	case '{', '(', '[', ':':
		return true
	}
	return false
}

// indentWidth is the width of s's leading blanks, a tab counting 4.
func indentWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			w++
		case '\t':
			w += 4
		default:
			return w
		}
	}
	return w
}

func trimRight(s string) string { return strings.TrimRight(s, " \t\r\n") }

// capBytes cuts s to at most n bytes, at the last line end when there is one,
// otherwise at a rune boundary.
func capBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.LastIndexByte(s[:n], '\n'); i > 0 {
		return s[:i]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
