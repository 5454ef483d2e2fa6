package redact

import "bytes"

// Concatenated string literals are joined before detection: a token split
// as "ghp_abc…" +\n "…xyz" (Lua: ..) is found in a view of the literals'
// contents joined, and the finding masks the span from the first piece's
// value to the last one's, the operators between included, so the masked
// code keeps its quotes balanced. Chains are found from each operator that
// follows a closing quote; only code families concatenate this way.

// maxJoinedPieces bounds one chain (concatenated's own bound).
const maxJoinedPieces = 16

// scanJoined adds the findings in the joined views of text's literal
// chains.
func (d *Detector) scanJoined(path string, text []byte, sc *scratch, depth int) {
	fam := familyOf(path)
	if depth > 0 || fam != famCLike && fam != famPython && fam != famRuby && fam != famLua {
		return
	}
	joinedViews(text, fam, true, &sc.view, func() { d.scanView(path, &sc.view, sc, depth, false) })
}

// joinedViews builds in v, one after the other, the joined view of each
// literal chain in text (with cutOnly, each chain that cuts a word), and
// calls fn for each.
func joinedViews(text []byte, fam family, cutOnly bool, v *view, fn func()) {
	op := byte('+')
	if fam == famLua {
		op = '.'
	}
	var buf [maxJoinedPieces]literal
	for i := 0; i < len(text); {
		k := bytes.IndexByte(text[i:], op)
		if k < 0 {
			return
		}
		p := i + k
		i = p + 1
		if op == '.' && (p+1 >= len(text) || text[p+1] != '.') {
			continue
		}
		lit, ok := literalEndingBefore(text, p, fam)
		if !ok {
			continue
		}
		pieces := concatenated(text, lit, fam, buf[:0])
		if len(pieces) < 2 || cutOnly && !splitsAWord(text, pieces) {
			continue
		}
		v.reset()
		for _, pc := range pieces {
			for j := pc.vs; j < pc.ve; j++ {
				v.add(text[j:j+1], j, j+1)
			}
		}
		fn()
		i = max(i, pieces[len(pieces)-1].end)
	}
}

// literalEndingBefore reads the literal whose closing quote is the last
// non-blank byte before p, opened on the same line.
func literalEndingBefore(text []byte, p int, fam family) (literal, bool) {
	q := p - 1
	for q >= 0 && (text[q] == ' ' || text[q] == '\t') {
		q--
	}
	if q < 1 || text[q] != '"' && text[q] != '\'' && text[q] != '`' {
		return literal{}, false
	}
	ls := lineStart(text, q)
	for j := q - 1; j >= ls && q-j <= 512; j-- {
		if text[j] != text[q] || j > 0 && text[j-1] == '\\' {
			continue
		}
		if lit, ok := readLiteral(text, j, fam); ok && lit.end == q+1 {
			return lit, true
		}
		return literal{}, false
	}
	return literal{}, false
}

// splitsAWord reports whether some join in the chain has a word byte on
// both sides (a token cut in two); "a: " + "b" joins prose and is skipped,
// which keeps the views to the few chains that can hide a value.
func splitsAWord(text []byte, pieces []literal) bool {
	for k := 1; k < len(pieces); k++ {
		a, b := pieces[k-1], pieces[k]
		if a.ve > a.vs && b.ve > b.vs && wordByte(text[a.ve-1]) && wordByte(text[b.vs]) {
			return true
		}
	}
	return false
}

func wordByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c == '.'
}
