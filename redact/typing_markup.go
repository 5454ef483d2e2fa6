package redact

import "bytes"

// Values typed where the line lexer sees no string: element text after an
// opening tag in markup (<password>, <apiToken>) with no closing tag yet,
// and a Lua long string ([[ or [==[) with no closing bracket yet. Both are
// judged like any unfinished value: by their owner's name (the tag, the
// variable) or by their shape.

// elementValue: at is in the text of the element whose opening tag is the
// last one before at on the line, in a file that is not code veil knows
// (XML, HTML, Markdown, unknown).
func elementValue(sx *syntax, text []byte, ls, le, at int) (int, int, float64) {
	if sx.known {
		return 0, 0, 0
	}
	line := text[ls:at]
	lt := bytes.LastIndexByte(line, '<')
	if lt < 0 {
		return 0, 0, 0
	}
	gt := bytes.IndexByte(line[lt:], '>')
	if gt <= 1 {
		return 0, 0, 0 // "<" or "<>", or still typing inside the tag
	}
	tag := line[lt+1 : lt+gt]
	if c := tag[0]; c == '/' || c == '!' || c == '?' || tag[len(tag)-1] == '/' {
		return 0, 0, 0
	}
	name := tag
	if k := bytes.IndexAny(tag, " \t"); k >= 0 {
		name = tag[:k]
	}
	vs, e := ls+lt+gt+1, le
	if k := bytes.IndexByte(text[at:le], '<'); k >= 0 {
		e = at + k
	}
	if vs >= e {
		return 0, 0, 0
	}
	return vs, e, credential(sx, secretName(name), text[vs:e])
}

// longBracketValue: at is inside a Lua long string opened on this line and
// not closed before at; the value runs to its closing bracket or the line's
// end. A block comment (--[[) is not a string.
func longBracketValue(sx *syntax, text []byte, ls, le, at int) (int, int, float64) {
	if sx != &sxLua {
		return 0, 0, 0
	}
	line := text[ls:at]
	open, level := -1, 0
	for i := len(line) - 2; i >= 0 && open < 0; i-- {
		if line[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(line) && line[j] == '=' {
			j++
		}
		if j < len(line) && line[j] == '[' {
			open, level = i, j-i-1
		}
	}
	if open < 0 || open >= 2 && line[open-1] == '-' && line[open-2] == '-' {
		return 0, 0, 0
	}
	closer := "]" + string(bytes.Repeat([]byte{'='}, level)) + "]"
	vs := ls + open + level + 2
	if bytes.Contains(text[vs:at], []byte(closer)) {
		return 0, 0, 0
	}
	e := le
	if k := bytes.Index(text[at:le], []byte(closer)); k >= 0 {
		e = at + k
	}
	if vs >= e {
		return 0, 0, 0
	}
	return vs, e, credential(sx, ownerSecret(text, ls, ls+open), text[vs:e])
}
