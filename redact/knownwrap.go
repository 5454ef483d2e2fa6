package redact

import "bytes"

// Known values re-wrapped or base64-encoded. A value hard-wrapped over
// lines (prose filled to a width, a comment continued on the next line,
// base64 or PEM-like text cut at 64 columns) is read joined: the line's
// last word, then the next line's first word after its indent and a comment
// marker both lines start with, and on while a line is one word. Only breaks
// where a known value may start in the last word and run on past the
// line's end (see mayCross) are joined, so a value with blanks in it, or
// starting before the line's last word, is not seen across a break. A base64 run that decodes to text holding a known value
// is masked whole, as the decoding pass masks a blob a detector finds in.

// wrapMarkers continue a comment, or a quoted mail, on the next line.
var wrapMarkers = [][]byte{[]byte("//"), []byte("#"), []byte("--"), []byte(";"), []byte("*"), []byte(">")}

// knownInBlobs appends the base64 runs of text that decode to text holding
// a known value, each as one finding over the whole run.
func (k *knownIndex) knownInBlobs(text []byte, out []Finding) []Finding {
	blobRuns(text, func(s, e int, dec []byte) {
		if fs := k.findings(dec); len(fs) > 0 {
			f := fs[0]
			f.Start, f.End = s, e
			out = append(out, f)
		}
	})
	return out
}

// knownWrapped appends the known values found across line breaks, mapped
// to text (the span runs over the break and the markers inside it).
func (k *knownIndex) knownWrapped(text []byte, out []Finding) []Finding {
	var v view
	k.wrappedEach(text, &v, func(le int) {
		for _, f := range k.findings(v.text) {
			if s, e := int(v.start[f.Start]), int(v.end[f.End-1]); s < le && e > le {
				f.Start, f.End = s, e
				out = append(out, f)
			}
		}
	})
	return out
}

// wrappedEach fills v with the joined view at each break wrapBreaks
// returns and calls fn with the break's line end.
func (k *knownIndex) wrappedEach(text []byte, v *view, fn func(le int)) {
	breaks := k.wrapBreaks(text)
	if len(breaks) == 0 {
		return
	}
	longest := k.maxLen()
	for _, le := range breaks {
		if wrappedView(v, text, le, longest) {
			fn(le)
		}
	}
}

// wrapBreaks returns the ends of text's lines (before "\r\n" or "\n") where
// a known value's first six bytes may start in the line's last word and
// run on into the next line.
func (k *knownIndex) wrapBreaks(text []byte) []int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.values) == 0 {
		return nil
	}
	var ends []int
	ls := 0
	for nl := bytes.IndexByte(text, '\n'); nl >= 0 && nl+1 < len(text); {
		le := nl
		if le > ls && text[le-1] == '\r' {
			le--
		}
		if ws := lastWord(text, le, k.longest); ws < le && k.mayCross(text, ls, ws, le, nl) {
			ends = append(ends, le)
		}
		next := bytes.IndexByte(text[nl+1:], '\n')
		if next < 0 {
			break
		}
		ls, nl = nl+1, nl+1+next
	}
	return ends
}

// mayCross reports whether a known value may start in the word [ws, le)
// ending the line that starts at ls and run on past le, and the next line
// continues it: where six bytes of the word pass the filter, a value with
// those first bytes must go on beyond the word's rest (one that ends within
// the word is in the text as it is, and no view is needed to see it); in
// the word's last five bytes, the filter on them joined with the next
// line's first word. k.mu is held.
func (k *knownIndex) mayCross(text []byte, ls, ws, le, nl int) bool {
	j := ws
	for ; j+knownMinLen <= le; j++ {
		if !k.mayPair(text[j], text[j+1]) {
			continue
		}
		if x := anchor(text, j); k.mayStart(x) && k.runsOn(text[j:le], x) {
			return continuation(text, ls, nl) >= 0
		}
	}
	// The last few bytes joined with the next line's first word: read
	// only if a value's first pair may start in them (its second byte,
	// at the last one, from the next line).
	if !k.mayPairIn(text[j:le]) {
		return false
	}
	cs := continuation(text, ls, nl)
	if cs < 0 {
		return false
	}
	var buf [2 * knownMinLen]byte
	n := copy(buf[:], text[j:le])
	n += copy(buf[n:], wordAt(text, cs))
	for o := 0; o+knownMinLen <= n && o < le-j; o++ {
		if k.mayPair(buf[o], buf[o+1]) && k.mayStart(anchor(buf[:n], o)) {
			return true
		}
	}
	return false
}

// mayPairIn reports whether a known value may start in tail: its first
// two bytes are a pair there, or its first byte is tail's last. k.mu is
// held.
func (k *knownIndex) mayPairIn(tail []byte) bool {
	if len(tail) == 0 {
		return false
	}
	for q := 0; q+1 < len(tail); q++ {
		if k.mayPair(tail[q], tail[q+1]) {
			return true
		}
	}
	c := tail[len(tail)-1]
	return k.pairFirst[c/64]&(1<<(c%64)) != 0
}

// mayPair reports whether a known value may start with the bytes a, b
// (false: none does; the pair table holds every value's first pair). k.mu
// is held.
func (k *knownIndex) mayPair(a, b byte) bool {
	g := uint16(a) | uint16(b)<<8
	return k.pairs[g/64]&(1<<(g%64)) != 0
}

// runsOn reports whether a known value whose first six bytes are x starts
// with rest and is longer. k.mu is held.
func (k *knownIndex) runsOn(rest []byte, x uint64) bool {
	for _, id := range k.byAnchor[x] {
		if v := k.values[id].value; len(v) > len(rest) && v[:len(rest)] == string(rest) {
			return true
		}
	}
	return false
}

// lastWord returns where the last word of the line ending at le starts (at
// most max bytes back).
func lastWord(text []byte, le, max int) int {
	ws := le
	for ws > 0 && le-ws < max && text[ws-1] != ' ' && text[ws-1] != '\t' && text[ws-1] != '\n' {
		ws--
	}
	return ws
}

// wordAt is the run of non-blank bytes at i on its line.
func wordAt(text []byte, i int) []byte {
	e := i
	for e < len(text) && text[e] != ' ' && text[e] != '\t' && text[e] != '\n' && text[e] != '\r' {
		e++
	}
	return text[i:e]
}

// continuation returns where the line after the break at nl goes on with
// the line starting at ls: after its indent, and after a comment marker
// both lines start with; -1 when it is blank.
func continuation(text []byte, ls, nl int) int {
	cs := skipBlanks(text, nl+1)
	if cs >= len(text) || text[cs] == '\n' || text[cs] == '\r' {
		return -1
	}
	switch text[cs] {
	case '/', '#', '-', ';', '*', '>':
	default:
		return cs
	}
	prev := text[skipBlanks(text, ls):]
	for _, m := range wrapMarkers {
		if bytes.HasPrefix(prev, m) && bytes.HasPrefix(text[cs:], m) {
			cs = skipBlanks(text, cs+len(m))
			break
		}
	}
	if cs >= len(text) || text[cs] == '\n' || text[cs] == '\r' {
		return -1
	}
	return cs
}

// wrappedView fills v with the last word of the line ending at le and the
// words that continue it on the next lines (while a line is one word), up
// to max bytes past the break. It reports whether anything was joined.
func wrappedView(v *view, text []byte, le, max int) bool {
	v.reset()
	ws := lastWord(text, le, max)
	v.addEach(text[ws:le], ws)
	joined := 0
	for joined < max && le < len(text) {
		nl := le
		if text[nl] == '\r' {
			nl++
		}
		if nl >= len(text) || text[nl] != '\n' {
			break
		}
		cs := continuation(text, lineStart(text, ws), nl)
		if cs < 0 {
			break
		}
		w := wordAt(text, cs)
		v.addEach(w, cs)
		joined += len(w)
		if le = cs + len(w); le >= len(text) || text[le] != '\n' && text[le] != '\r' {
			break // the line goes on after its first word
		}
		ws = cs
	}
	return joined > 0
}

// addEach adds b, which stands at off in the original, byte for byte.
func (v *view) addEach(b []byte, off int) {
	for i, c := range b {
		v.text = append(v.text, c)
		v.start = append(v.start, int32(off+i))
		v.end = append(v.end, int32(off+i+1))
	}
}
