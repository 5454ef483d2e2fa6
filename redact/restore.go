package redact

import (
	"strings"
)

// Problem is a token-like string in model output that was not restored.
// Token is safe to show: it is the model's text, never a value.
type Problem struct {
	Token  string
	Offset int // byte offset in the text given to Restore (or in the whole stream)
	Reason string
}

const (
	reasonUnknown = "unknown token: not issued in this session, or evicted from the vault"
	reasonAltered = "altered or invented token: check characters do not match"
)

// Restore replaces every token the vault issued with its value. Unknown,
// evicted, altered or invented tokens are left as they are and reported;
// nothing is fuzzy-matched.
func (v *Vault) Restore(text string) (string, []Problem) {
	r := restorer{v: v}
	var out strings.Builder
	out.Grow(len(text))
	r.run(&out, text, true)
	return out.String(), r.problems
}

// RestoreJSON is Restore for JSON text: a token inside a JSON string is
// replaced by its value JSON-escaped, so the result stays valid JSON.
func (v *Vault) RestoreJSON(text string) (string, []Problem) {
	r := restorer{v: v, json: true}
	var out strings.Builder
	out.Grow(len(text))
	r.run(&out, text, true)
	return out.String(), r.problems
}

// StreamRestorer restores tokens in text that arrives in chunks. It emits
// everything as soon as it cannot be part of a token and holds back only a
// possible token prefix (at most the longest token, ~60 bytes). The output
// is the same as Restore over the whole text, however it is split. A
// StreamRestorer is not safe for concurrent use; the vault behind it is.
type StreamRestorer struct {
	r       restorer
	pending string
}

// NewStream returns a restorer for one stream.
func (v *Vault) NewStream() *StreamRestorer { return &StreamRestorer{r: restorer{v: v}} }

// NewJSONStream returns a restorer for one stream of JSON text (a tool
// call's arguments arriving in pieces): like RestoreJSON, a value restored
// inside a JSON string is JSON-escaped.
func (v *Vault) NewJSONStream() *StreamRestorer {
	return &StreamRestorer{r: restorer{v: v, json: true}}
}

// Write takes the next chunk and returns the restored text that is ready.
func (s *StreamRestorer) Write(chunk string) string {
	buf := s.pending + chunk
	var out strings.Builder
	n := s.r.run(&out, buf, false)
	s.r.base += n
	s.pending = buf[n:]
	return out.String()
}

// Flush ends the stream and returns whatever was held back.
func (s *StreamRestorer) Flush() string {
	var out strings.Builder
	n := s.r.run(&out, s.pending, true)
	s.r.base += n
	s.pending = ""
	return out.String()
}

// Problems lists the tokens not restored so far.
func (s *StreamRestorer) Problems() []Problem { return append([]Problem(nil), s.r.problems...) }

type restorer struct {
	v        *Vault
	json     bool
	inString bool // JSON: inside a string
	escaped  bool // JSON: after a backslash inside a string
	problems []Problem
	base     int // stream offset of the text given to run
}

// run restores text into out. Unless final, it stops before anything that
// could still turn into a token and returns how many bytes it consumed.
func (r *restorer) run(out *strings.Builder, text string, final bool) int {
	copied, pos := 0, 0
	var pf prefixFinder
	for {
		k := pf.next(text, pos)
		if k < 0 {
			end := len(text)
			if !final {
				end = max(copied, len(text)-partialPrefixLen(text))
			}
			r.copy(out, text[copied:end])
			return end
		}
		tok, st := parseToken(text, k)
		switch st {
		case parseIncomplete:
			if !final {
				r.copy(out, text[copied:k])
				return k
			}
			pos = k + 1
			continue
		case parseInvalid:
			pos = k + 1
			continue
		}
		s := text[k:tok.end]
		if val, ok := r.v.lookup(s); ok {
			r.copy(out, text[copied:k])
			r.writeValue(out, val)
			copied, pos = tok.end, tok.end
			continue
		}
		if r.knownInside(text, k+1, tok.end) {
			pos = k + 1
			continue
		}
		reason := reasonAltered
		if checkChars(r.v.key, tok.label, tok.n) == tok.check {
			reason = reasonUnknown
		}
		r.problems = append(r.problems, Problem{Token: s, Offset: r.base + k, Reason: reason})
		pos = tok.end
	}
}

// knownInside reports a token the vault knows starting in text[from:to].
func (r *restorer) knownInside(text string, from, to int) bool {
	for p := from; p < to; {
		k := nextPrefix(text[:to], p)
		if k < 0 {
			return false
		}
		if tok, st := parseToken(text, k); st == parseOK {
			if _, ok := r.v.lookup(text[k:tok.end]); ok {
				return true
			}
		}
		p = k + 1
	}
	return false
}

// prefixFinder finds the next "VEIL_" or "veil_", remembering where each
// was last seen so that text with many of one and none of the other is
// searched once, not once per occurrence.
type prefixFinder struct {
	upper, lower       int // next index of each at or after from, -1 none
	upperFrom, lowFrom int // positions the cached answers were searched from, +1 (0: never)
}

func (p *prefixFinder) next(text string, pos int) int {
	find := func(at *int, from *int, prefix string) int {
		if *from == 0 || *from-1 > pos || (*at >= 0 && *at < pos) {
			*from = pos + 1
			*at = -1
			if pos < len(text) {
				if i := strings.Index(text[pos:], prefix); i >= 0 {
					*at = pos + i
				}
			}
		}
		return *at
	}
	a := find(&p.upper, &p.upperFrom, "VEIL_")
	b := find(&p.lower, &p.lowFrom, "veil_")
	switch {
	case a < 0:
		return b
	case b < 0 || a < b:
		return a
	}
	return b
}

// nextPrefix returns the index of the next "VEIL_" or "veil_" at or after
// pos, or -1.
func nextPrefix(text string, pos int) int {
	if pos >= len(text) {
		return -1
	}
	a := strings.Index(text[pos:], "VEIL_")
	b := strings.Index(text[pos:], "veil_")
	switch {
	case a < 0 && b < 0:
		return -1
	case a < 0:
		return pos + b
	case b < 0 || a < b:
		return pos + a
	}
	return pos + b
}

// partialPrefixLen is the length of the longest suffix of text that is a
// proper prefix of "VEIL_" or "veil_".
func partialPrefixLen(text string) int {
	for n := 4; n > 0; n-- {
		if len(text) < n {
			continue
		}
		tail := text[len(text)-n:]
		if tail == "VEIL_"[:n] || tail == "veil_"[:n] {
			return n
		}
	}
	return 0
}

func (r *restorer) copy(out *strings.Builder, s string) {
	out.WriteString(s)
	if !r.json {
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case !r.inString:
			r.inString = c == '"'
		case r.escaped:
			r.escaped = false
		case c == '\\':
			r.escaped = true
		case c == '"':
			r.inString = false
		}
	}
}

func (r *restorer) writeValue(out *strings.Builder, v string) {
	if !r.json || !r.inString {
		out.WriteString(v)
		return
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			if c < 0x20 {
				out.WriteString(`\u00`)
				out.WriteByte(hex[c>>4])
				out.WriteByte(hex[c&0xf])
				continue
			}
			out.WriteByte(c)
		}
	}
}
