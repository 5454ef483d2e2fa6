package redact

import (
	"bytes"
	"sort"
)

// maxAllowLine is the longest line a `veil:allow` comment can allow: a
// longer line (minified code, a data blob) hides too much behind one
// marker.
const maxAllowLine = 400

// lineSet is a sorted list of line spans.
type lineSet []span

// allowedLines returns the lines of text that a `veil:allow` comment
// allows. The marker counts only in a line comment at the end of its line,
// in a language veil knows (by path), never inside a string literal, and
// never on a line longer than maxAllowLine bytes. A path of "" (chat
// messages and chat history) allows nothing.
func allowedLines(path string, text []byte) lineSet {
	marker := []byte("veil:allow")
	if bytes.Index(text, marker) < 0 {
		return nil
	}
	sx := syntaxFor(path)
	if !sx.known || len(sx.comments) == 0 {
		return nil
	}
	var out lineSet
	for off := 0; ; {
		k := bytes.Index(text[off:], marker)
		if k < 0 {
			return out
		}
		at := off + k
		l := span{lineStart(text, at), lineEnd(text, at)}
		off = l.end
		if l.end-l.start > maxAllowLine {
			continue
		}
		from := l.start
		if sx.multi != "" || sx.triple {
			from = lineStart(text, max(0, l.start-multiLineLookback))
		}
		if st := sx.lex(text, from, at, lexState{}); st.comment && st.start >= l.start {
			out = append(out, l)
		}
	}
}

// covers reports whether [s, e) lies within one line of the set.
func (ls lineSet) covers(s, e int) bool {
	i := sort.Search(len(ls), func(i int) bool { return ls[i].end >= s })
	return i < len(ls) && ls[i].start <= s && e <= ls[i].end
}

// allowedSpan reports whether a veil:allow comment allows [s, e), looking
// only at its lines (and the lexer's lookback before them), so a typing
// scan of a large document costs what its line costs.
func allowedSpan(path string, text []byte, s, e int) bool {
	from := lineStart(text, max(0, s-multiLineLookback))
	to := lineEnd(text, e)
	return allowedLines(path, text[from:to]).covers(s-from, e-from)
}

// AllowComment is the comment to append to line (one line of the file at
// path, without its line break) so that it allows the line's findings, or
// "" when no comment would: the language has no line comment veil knows,
// the line would grow past maxAllowLine bytes, or it ends inside a string.
func AllowComment(path string, line []byte) string {
	sx := syntaxFor(path)
	if !sx.known || len(sx.comments) == 0 {
		return ""
	}
	c := sx.comments[0] + " veil:allow"
	if len(line)+1+len(c) > maxAllowLine {
		return ""
	}
	if st := sx.lex(line, 0, len(line), lexState{}); st.str {
		return ""
	}
	return c
}
