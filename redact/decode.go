package redact

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// The decoding pass shows the detectors what encoded text says: base64 and
// base64url blobs (a Kubernetes Secret's data, .dockerconfigjson, auth
// fields), percent-encoding, \xNN \uNNNN \NNN escapes, HTML entities, and
// text with invisible characters (zero-width spaces and joiners, soft
// hyphens, BOMs, bidi marks) removed. Each decoded view keeps, per byte,
// the span of the original it came from, so a finding in a view maps back
// exactly; a finding in a decoded base64 blob masks the whole blob.
//
// Cost: base64 is looked for by sampling one byte in minBlob (a value needs
// minBlob bytes of its alphabet, so it covers a sampled byte); a line gets a
// view only when it holds an escape that decodes to a printable character.

// maxDecodeDepth bounds views of views (base64 inside percent-encoding,
// an auth field inside a decoded .dockerconfigjson).
const maxDecodeDepth = 2

// minBlob and maxBlob bound the base64 runs decoded (18 bytes of payload
// up to 64 KiB of text).
const minBlob, maxBlob = 24, 64 * 1024

// view is decoded text with, for each byte, the original span it came from.
type view struct {
	text       []byte
	start, end []int32 // original span of the sequence that produced text[i]
}

// reset empties v, zeroing the decoded text it held: a view's bytes are
// values in clear, and its room is reused (and pooled, see putScratch).
func (v *view) reset() {
	clear(v.text)
	v.text, v.start, v.end = v.text[:0], v.start[:0], v.end[:0]
}

func (v *view) add(b []byte, s, e int) {
	for _, c := range b {
		v.text = append(v.text, c)
		v.start = append(v.start, int32(s))
		v.end = append(v.end, int32(e))
	}
}

// scanDecoded adds to sc the findings in the decoded views of text,
// mapped to text's positions.
func (d *Detector) scanDecoded(path string, text []byte, sc *scratch, depth int) {
	if depth >= maxDecodeDepth {
		return
	}
	d.scanBlobs(path, text, sc, depth)
	// Lines holding an escape that decodes to something printable, each
	// scanned once as a view.
	var buf [16]int
	for _, ls := range escapedLines(text, buf[:0]) {
		if decodeLine(&sc.view, text, ls, lineEnd(text, ls)) {
			d.scanView(path, &sc.view, sc, depth, false)
		}
	}
}

// appendInvisibleLines appends the starts of the lines holding an
// invisible character.
func appendInvisibleLines(text []byte, lines []int) []int {
	for i := nextNonASCII(text, 0); i < len(text); i = nextNonASCII(text, i) {
		if invisibleAt(text, i) > 0 {
			lines = append(lines, lineStart(text, i))
			i = lineEnd(text, i)
			continue
		}
		i++
	}
	return lines
}

// scanView runs the detectors over a view and maps their findings back;
// whole widens each to the view's full original span (base64 blobs).
func (d *Detector) scanView(path string, v *view, sc *scratch, depth int, whole bool) {
	if len(v.text) == 0 {
		return
	}
	sub := d.scratch.Get().(*scratch)
	sub.cands = sub.cands[:0]
	d.collectDepth(path, v.text, sub, depth+1)
	for _, f := range sub.cands {
		if f.End <= f.Start {
			continue
		}
		if whole {
			f.Start, f.End = int(v.start[0]), int(v.end[len(v.end)-1])
		} else {
			f.Start, f.End = int(v.start[f.Start]), int(v.end[f.End-1])
		}
		sc.cands = append(sc.cands, f)
	}
	d.putScratch(sub)
}

// decodeLine builds in v the decoded view of text[ls:le]; it reports
// false when nothing in it decodes to a printable character.
func decodeLine(v *view, text []byte, ls, le int) bool {
	v.reset()
	changed := false
	var one [4]byte
	for i := ls; i < le; {
		if out, n, ok := decodeAt(text[:le], i); ok {
			v.add(out.b[:out.n], i, i+n)
			changed = true
			i += n
			continue
		}
		if b, ok := pctAlnum(text[:le], i); ok {
			v.add([]byte{b}, i, i+3)
			changed = true
			i += 3
			continue
		}
		one[0] = text[i]
		v.add(one[:1], i, i+1)
		i++
	}
	return changed
}

// decoded is what one encoded sequence stands for: up to one UTF-8
// character (none for an invisible one).
type decoded struct {
	b [4]byte
	n uint8
}

func one(c byte) decoded { return decoded{b: [4]byte{c}, n: 1} }

func runeOut(r rune) decoded {
	var d decoded
	d.n = uint8(utf8.EncodeRune(d.b[:], r))
	return d
}

// decodeAt decodes one encoded sequence at i: it returns the decoded
// bytes (empty for an invisible character), the sequence length and
// whether there was one that decodes to printable text.
func decodeAt(text []byte, i int) (decoded, int, bool) {
	switch c := text[i]; c {
	case '%':
		// Encoders write upper-case hex (%3D, %2F, %40); "%2d" and "%20s"
		// are format verbs.
		if i+2 < len(text) && upperHex(text[i+1]) && upperHex(text[i+2]) &&
			(i+3 >= len(text) || !isDigit(text[i+2]) || !isVerb(text[i+3])) {
			b := hexVal(text[i+1])<<4 | hexVal(text[i+2])
			if printable(b) && !isAlnum(b) {
				return one(b), 3, true
			}
		}
	case '\\':
		return decodeEscape(text, i)
	case '&':
		return decodeEntity(text, i)
	default:
		if n := invisibleAt(text, i); n > 0 {
			return decoded{}, n, true
		}
	}
	return decoded{}, 0, false
}

func upperHex(c byte) bool { return isDigit(c) || c >= 'A' && c <= 'F' }

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// printable reports a decoded byte worth a view: printable ASCII, a line
// break or tab, or part of a UTF-8 sequence.
func printable(b byte) bool {
	return b >= 0x20 && b != 0x7f || b == '\n' || b == '\t' || b == '\r'
}

// decodeEscape decodes \xNN, \uNNNN, \u{N..}, \UNNNNNNNN and \NNN (octal).
func decodeEscape(text []byte, i int) (decoded, int, bool) {
	if i+1 >= len(text) {
		return decoded{}, 0, false
	}
	hexRun := func(from, n int) (rune, bool) {
		if from+n > len(text) {
			return 0, false
		}
		var r rune
		for _, c := range text[from : from+n] {
			if !isHex(c) {
				return 0, false
			}
			r = r<<4 | rune(hexVal(c))
		}
		return r, true
	}
	var r rune
	n := 0
	switch c := text[i+1]; {
	case c == 'x':
		if v, ok := hexRun(i+2, 2); ok {
			r, n = v, 4
		}
	case c == 'u':
		if v, ok := hexRun(i+2, 4); ok {
			r, n = v, 6
		}
	case c == 'U':
		if v, ok := hexRun(i+2, 8); ok {
			r, n = v, 10
		}
	case c >= '0' && c <= '3':
		if i+3 < len(text) && text[i+2] >= '0' && text[i+2] <= '7' && text[i+3] >= '0' && text[i+3] <= '7' {
			r, n = rune(c-'0')<<6|rune(text[i+2]-'0')<<3|rune(text[i+3]-'0'), 4
		}
	}
	if n == 0 || r > utf8.MaxRune || r < 0x80 && !printable(byte(r)) {
		return decoded{}, 0, false
	}
	if r < 0x100 && text[i+1] != 'u' && text[i+1] != 'U' {
		return one(byte(r)), n, true // a byte escape: UTF-8 comes as its bytes
	}
	if invisibleRune(r) {
		return decoded{}, n, true
	}
	return runeOut(r), n, true
}

// htmlEntities are the named entities a view decodes.
var htmlEntities = map[string]byte{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "colon": ':',
	"sol": '/', "equals": '=', "period": '.', "commat": '@', "num": '#', "percnt": '%', "plus": '+', "lowbar": '_'}

// decodeEntity decodes &name; &#NN; and &#xHH;.
func decodeEntity(text []byte, i int) (decoded, int, bool) {
	if i+3 >= len(text) || text[i+1] != '#' && !(text[i+1] >= 'a' && text[i+1] <= 'z') {
		return decoded{}, 0, false // && and & x are operators
	}
	end := bytes.IndexByte(text[i+1:min(len(text), i+12)], ';')
	if end < 1 {
		return decoded{}, 0, false
	}
	body := text[i+1 : i+1+end]
	n := end + 2
	if body[0] != '#' {
		if b, ok := htmlEntities[string(body)]; ok {
			return one(b), n, true
		}
		if string(body) == "shy" || string(body) == "zwj" || string(body) == "zwnj" {
			return decoded{}, n, true
		}
		return decoded{}, 0, false
	}
	var r rune
	digits := body[1:]
	base := rune(10)
	if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 {
		return decoded{}, 0, false
	}
	for _, c := range digits {
		if base == 10 && !isDigit(c) || base == 16 && !isHex(c) {
			return decoded{}, 0, false
		}
		r = r*base + rune(hexVal(c))
		if r > utf8.MaxRune {
			return decoded{}, 0, false
		}
	}
	if r < 0x80 && !printable(byte(r)) {
		return decoded{}, 0, false
	}
	if invisibleRune(r) {
		return decoded{}, n, true
	}
	return runeOut(r), n, true
}

// invisibleRune reports characters that render as nothing: zero-width
// space, non-joiner and joiner, word joiner, soft hyphen, BOM, Mongolian
// vowel separator, bidi marks and isolates, invisible operators.
func invisibleRune(r rune) bool {
	switch {
	case r == 0xad, r == 0x180e, r == 0xfeff, r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
		r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// invisibleAt returns the length of the invisible UTF-8 character at i, or 0.
func invisibleAt(text []byte, i int) int {
	c := text[i]
	if c != 0xe2 && c != 0xef && c != 0xc2 && c != 0xe1 {
		return 0
	}
	r, n := utf8.DecodeRune(text[i:])
	if r == utf8.RuneError || !invisibleRune(r) {
		return 0
	}
	return n
}

// scanBlobs decodes base64 and base64url runs of minBlob bytes or more that
// stand as a value (after a quote, ':', '=', '>', a blank or a line start,
// and before a delimiter) and scans what they say when it is printable
// text. It looks at one byte in minBlob where no run is: a run that long
// must cover the byte looked at.
func (d *Detector) scanBlobs(path string, text []byte, sc *scratch, depth int) {
	blobRuns(text, func(s, e int, dec []byte) { d.scanBlobView(path, dec, s, e, sc, depth) })
}

// blobRuns calls fn with each base64 or base64url run of text that stands
// as a value and decodes to printable text (see scanBlobs), and what it
// says.
func blobRuns(text []byte, fn func(s, e int, dec []byte)) {
	prevEnd := 0
	for p := minBlob - 1; p < len(text); {
		// A run of minBlob bytes covering p covers all of [p-minBlob/2, p]
		// or all of [p, p+minBlob/2]: a few probes on each side rule most
		// tokens out.
		if !isB64(text[p]) || !b64Side(text, p, -1) && !b64Side(text, p, 1) {
			p += minBlob
			continue
		}
		// Walk to the run's ends; each byte is walked at most once, as p
		// moves past the run.
		s := p
		for s > prevEnd && isB64(text[s-1]) {
			s--
		}
		e := p + 1
		for e < len(text) && isB64(text[e]) {
			e++
		}
		prevEnd = e
		p = e + minBlob
		if e-s < minBlob || e-s > maxBlob || s > 0 && !blobStart(text[s-1]) {
			continue
		}
		for e < len(text) && text[e] == '=' {
			e++
		}
		if e < len(text) && !blobEnd(text[e]) {
			continue
		}
		if dec := decodeBlob(text[s:e]); dec != nil {
			fn(s, e, dec)
		}
	}
}

// b64Side probes the minBlob/2 bytes on one side of p (dir -1 or 1).
func b64Side(text []byte, p, dir int) bool {
	const h = minBlob / 2
	if q := p + dir*h; q < 0 || q >= len(text) {
		return false
	}
	return isB64(text[p+dir*h]) && isB64(text[p+dir*(h*2/3)]) && isB64(text[p+dir*(h/3)])
}

// blobStart reports bytes a base64 value may follow.
func blobStart(c byte) bool {
	switch c {
	case '"', '\'', '`', ':', '=', '>', ' ', '\t', '\n', '\r', '(', ',', '[':
		return true
	}
	return false
}

// scanBlobView scans a decoded blob; every finding masks the whole blob.
func (d *Detector) scanBlobView(path string, dec []byte, s, e int, sc *scratch, depth int) {
	sub := d.scratch.Get().(*scratch)
	sub.cands = sub.cands[:0]
	d.collectDepth(path, dec, sub, depth+1)
	for _, f := range sub.cands {
		f.Start, f.End = s, e
		sc.cands = append(sc.cands, f)
	}
	d.putScratch(sub)
}

// b64Bytes marks the bytes of the base64 and base64url alphabets.
var b64Bytes = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = isAlnum(b) || b == '+' || b == '/' || b == '-' || b == '_'
	}
	return t
}()

func isB64(c byte) bool { return b64Bytes[c] }

func blobEnd(c byte) bool {
	switch c {
	case '"', '\'', ' ', '\t', '\n', '\r', ',', ';', '<', '}', ']', ')', '`':
		return true
	}
	return false
}

// decodeBlob decodes b as base64 or base64url and returns the payload when
// it is mostly printable text (and not just the run itself: identifiers
// and hex digests decode to binary), or nil.
func decodeBlob(b []byte) []byte {
	var upper, lower, digit bool
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case isDigit(c):
			digit = true
		}
	}
	if !(upper && lower && digit) {
		return nil
	}
	s := bytes.TrimRight(b, "=")
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(s, "-_") {
		if bytes.ContainsAny(s, "+/") {
			return nil
		}
		enc = base64.RawURLEncoding
	}
	// The first 16 characters decode to 12 bytes: most runs that are not
	// encoded text (paths, long identifiers) fail here, before a full
	// decode.
	var head [12]byte
	if n, err := enc.Decode(head[:], s[:16]); err != nil || !printableText(head[:n]) {
		return nil
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil || n < 12 {
		return nil
	}
	out = out[:n]
	if !printableText(out) {
		return nil
	}
	return out
}

// printableText reports bytes that are at least 95% printable ASCII.
func printableText(b []byte) bool {
	bad := 0
	for _, c := range b {
		if !printable(c) || c >= 0x80 {
			bad++
		}
	}
	return bad*20 <= len(b)
}

// isVerb reports printf verb letters ("%20s" is a width, not an encoding).
func isVerb(c byte) bool {
	switch c {
	case 's', 'd', 'v', 'x', 'q', 'f', 'g', 'e', 't', 'c', 'b', 'o':
		return true
	}
	return false
}
