package redact

// unclosedLiteral reads a string opened at i by " or ' that has no closing
// quote on its line: the value runs to the line's end (trailing blanks, a
// carriage return and a ; or , cut). Such a line is left half typed or
// continues on the next; either way what is there belongs to the key, and
// the finished-text scan must see it as the typing rule does. Backticks are
// not read here: their strings may span lines.
func unclosedLiteral(text []byte, i int) (literal, bool) {
	if i >= len(text) || text[i] != '"' && text[i] != '\'' {
		return literal{}, false
	}
	q, ls, le := text[i], lineStart(text, i), lineEnd(text, i)
	if quotesBefore(text[ls:i], q)%2 == 1 {
		return literal{}, false // it closes a string ("KEY="+x), not opens one
	}
	for j := i + 1; j < le; j++ {
		switch text[j] {
		case '\\':
			j++
		case q:
			return literal{}, false // closed: not this reader's case
		}
	}
	ve := le
	for ve > i+1 && (isSpaceByte(text[ve-1]) || text[ve-1] == ';' || text[ve-1] == ',') {
		ve--
	}
	if ve-(i+1) > 512 || ve <= i+1 {
		return literal{}, false
	}
	return literal{vs: i + 1, ve: ve, end: le, quoted: true}, true
}

// quotesBefore counts the unescaped q in line.
func quotesBefore(line []byte, q byte) int {
	n := 0
	for j := 0; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case q:
			n++
		}
	}
	return n
}
