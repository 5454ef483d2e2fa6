package redact

import (
	"bytes"
)

// typingPrefixes are distinctive starts of secret formats. Once the token
// at the cursor begins with one, it is masked whole while it is typed.
var typingPrefixes = []string{
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "glptt-", "gldt-", "GR1348941",
	"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIza",
	"sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "whsec_",
	"sk-ant-", "sk-proj-", "sk-", "hf_", "gsk_", "r8_", "pplx-", "xai-",
	"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxe-", "xapp-", "npm_", "pypi-", "rubygems_", "dop_v1_", "doo_v1_",
	"shpat_", "shpss_", "shpca_", "lin_api_", "ntn_", "SG.", "dp.st.", "dp.pt.", "pul-",
	"hvs.", "hvb.", "AGE-SECRET-KEY-1", "ATATT", "figd_", "PMAK-", "sq0atp-", "sq0csp-", "EAAA",
}

// Confidence of a typing finding says why the value is masked. Values
// masked at typingKnownConf or above are secrets for the rest of the
// session (the vault's known values); the others are masked only while
// they are being typed.
const (
	confPEM         = 0.95 // an open private key block
	confOwned       = 0.9  // its key, field, flag or file says credential; or a known secret prefix
	confShaped      = 0.6  // it looks machine-made or like a password
	confConfig      = 0.3  // a value in a configuration file, not prose
	typingKnownConf = 0.75
	// multiLineLookback bounds how far back the lexer starts, so a string
	// that spans lines (triple quotes, backticks) is seen from its opening
	// quote.
	multiLineLookback = 2048
)

// ScanTyping is Scan plus typing safety: the unfinished value at cursor
// (see Unfinished) is one finding that wins over whatever it overlaps. A
// secret typed one character at a time therefore never reaches the model
// in part, whether or not the detector would recognise it.
func (d *Detector) ScanTyping(path string, text []byte, cursor int) []Finding {
	fs := d.Scan(path, text)
	f, ok := d.Unfinished(path, text, cursor)
	if !ok {
		return fs
	}
	out := fs[:0:0]
	for _, g := range fs {
		if g.End <= f.Start || g.Start >= f.End {
			out = append(out, g)
			continue
		}
		f.Start, f.End = min(f.Start, g.Start), max(f.End, g.End)
		if g.Category == Secret {
			// It holds a detected secret: the whole is one for the session.
			f.Confidence = max(f.Confidence, confOwned)
		}
	}
	out = append(out, f)
	return resolveOverlaps(out)
}

// Unfinished reports the value being typed at `at` (a cursor, the end of
// the last edit or of a paste) as one finding (rule typing-partial-secret)
// when it could hold a credential: from the value's start to the end of
// the unfinished text. Unfinished values are string literals with no
// closing quote on their line (or with the cursor inside them), the value
// after KEY= / key: / key = on env, shell, YAML, TOML, INI, properties and
// Dockerfile lines, CLI flag values (--password X, --token=X, -pX,
// -u user:X, Bearer X), a token starting with a known secret prefix, and a
// private key block without its END line. A value could hold a credential
// when its key, variable, field, flag or call carries a secret-like word,
// when the file is env-like (confOwned) or a config file and the value is
// not prose (confConfig), or when the text so far looks machine-made or
// like a password (confShaped). Prose stays visible.
func (d *Detector) Unfinished(path string, text []byte, at int) (Finding, bool) {
	if d.pathAllowed(path) || !d.code[RuleTypingPartial] {
		return Finding{}, false
	}
	s, e, conf := unfinishedAt(syntaxFor(path), text, at)
	if conf == 0 || allowedSpan(path, text, s, e) {
		return Finding{}, false
	}
	return Finding{RuleID: RuleTypingPartial, Category: Secret, Description: "value being typed",
		Start: s, End: e, Confidence: conf}, true
}

// typingSpan is a candidate typing finding; conf 0 means none.
type typingSpan struct {
	s, e int
	conf float64
}

func (t *typingSpan) add(s, e int, conf float64) {
	if conf == 0 || e <= s {
		return
	}
	if t.conf == 0 {
		*t = typingSpan{s, e, conf}
		return
	}
	t.s, t.e, t.conf = min(t.s, s), max(t.e, e), max(t.conf, conf)
}

// unfinishedAt is Unfinished's structural part: the span and confidence of
// the value being typed at `at`, conf 0 when there is none.
func unfinishedAt(sx *syntax, text []byte, at int) (int, int, float64) {
	at = max(0, min(at, len(text)))
	ls, le := lineStart(text, at), lineEnd(text, at)
	if le > at && text[le-1] == '\r' {
		le--
	}
	from := ls
	if sx.multi != "" || sx.triple {
		from = lineStart(text, max(0, at-multiLineLookback))
	}
	st := sx.lex(text, from, at, lexState{})
	var t typingSpan
	t.add(flagValue(text, ls, le, at))
	t.add(prefixWord(text, at))
	if b := openPrivateKey(text, at); b >= 0 {
		t.add(b, le, confPEM)
	}
	switch {
	case st.str:
		t.add(stringValue(sx, text, st, at, le))
	case !st.comment && sx.kv:
		t.add(kvValue(sx, text, ls, le, at))
		t.add(blockScalarValue(sx, text, ls, le, at))
	}
	t.add(elementValue(sx, text, ls, le, at))
	t.add(longBracketValue(sx, text, ls, le, at))
	return t.s, t.e, t.conf
}

// stringValue: at is inside the string st opened; its value runs from the
// content start to the closing quote, or to the line's end when there is
// none on the line.
func stringValue(sx *syntax, text []byte, st lexState, at, le int) (int, int, float64) {
	e := le
	for i := at; i < le; i++ {
		j := sx.inString(text, i, le, &st)
		if !st.str {
			e = i
			break
		}
		i = j
	}
	vs := st.start
	if vs >= e {
		return 0, 0, 0
	}
	owned := ownerSecret(text, lineStart(text, st.qstart), st.qstart)
	// A string opened on an earlier line is judged by the line being typed.
	return vs, e, credential(sx, owned, text[max(vs, lineStart(text, at)):e])
}

// kvValue finds `KEY=value`, `key: value`, `key = value`, `export KEY=`,
// Dockerfile `ENV KEY value` on the line [ls, le) and returns the unquoted
// value when at lies in it.
func kvValue(sx *syntax, text []byte, ls, le, at int) (int, int, float64) {
	line := text[ls:le]
	i := skipBlank(line, 0)
	if bytes.HasPrefix(line[i:], []byte("- ")) {
		i = skipBlank(line, i+2)
	}
	spaceSep := false
	for _, kw := range []string{"export ", "ENV ", "ARG ", "LABEL ", "setenv ", "set -x ", "set -gx "} {
		if bytes.HasPrefix(line[i:], []byte(kw)) {
			i = skipBlank(line, i+len(kw))
			spaceSep = kw != "export "
			break
		}
	}
	ks := i
	for i < len(line) && (isNameByte(line[i]) || line[i] == '$') {
		i++
	}
	key := line[ks:i]
	if len(key) == 0 {
		return 0, 0, 0
	}
	j := skipBlank(line, i)
	switch {
	case j < len(line) && line[j] == '=' && (j+1 == len(line) || line[j+1] != '='):
		j = skipBlank(line, j+1)
	case j < len(line) && line[j] == ':' && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t'):
		j = skipBlank(line, j+1)
	case spaceSep && j > i:
	default:
		return 0, 0, 0
	}
	vs := ls + j
	if at < vs || vs >= le || bytes.IndexByte([]byte(sx.quotes), text[vs]) >= 0 {
		return 0, 0, 0 // the cursor is in the key, or a quoted value is closed
	}
	return vs, le, credential(sx, secretName(key), text[vs:le])
}

func skipBlank(line []byte, i int) int {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}

// credential is how sure veil is that an unfinished value could hold a
// credential: owned says its owner carries a secret-like word.
func credential(sx *syntax, owned bool, v []byte) float64 {
	switch {
	case owned || sx.env:
		return confOwned
	case hasSecretPrefix(v):
		return confOwned
	case passwordLike(v):
		return confShaped
	case sx.config && !prose(v):
		return confConfig
	}
	return 0
}

// prefixWord: the token around at begins with a known secret prefix.
func prefixWord(text []byte, at int) (int, int, float64) {
	s, e := at, at
	for s > 0 && isTokenByte(text[s-1]) {
		s--
	}
	for e < len(text) && isTokenByte(text[e]) {
		e++
	}
	if hasSecretPrefix(text[s:e]) {
		return s, e, confOwned
	}
	return 0, 0, 0
}

func hasSecretPrefix(tok []byte) bool {
	for _, p := range typingPrefixes {
		if len(tok) > len(p) && bytes.HasPrefix(tok, []byte(p)) {
			return true
		}
	}
	return false
}

// openPrivateKey returns the start of the "-----BEGIN ... PRIVATE KEY"
// block at is inside when it has no "-----END" yet, else -1: everything
// between the header and at is key material (base64, line breaks, \n
// escapes, PEM header lines), not code that merely mentions a header.
func openPrivateKey(text []byte, at int) int {
	win := text[max(0, at-maxWindow):at]
	if !bytes.Contains(win, []byte("-----BEGIN")) {
		return -1 // the common case, found by the fast forward search
	}
	b := bytes.LastIndex(win, []byte("-----BEGIN"))
	if b < 0 {
		return -1
	}
	b += max(0, at-maxWindow)
	hdr := text[b:at]
	if nl := bytes.IndexAny(hdr, "\n\\"); nl >= 0 {
		hdr = hdr[:nl]
	}
	if len(hdr) > 64 {
		return -1
	}
	closed := bytes.Index(hdr[len("-----BEGIN"):], []byte("-----"))
	if closed < 0 {
		// Still typing the header: mask it only once it names a private key.
		if bytes.Contains(hdr, []byte("PRIVATE")) {
			return b
		}
		return -1
	}
	if !bytes.Contains(hdr, []byte("PRIVATE KEY")) {
		return -1
	}
	for _, c := range text[b+len("-----BEGIN")+closed+5 : at] {
		if !(isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == '\\' ||
			c == ' ' || c == '\t' || c == '-' || c == ':' || c == ',') {
			return -1
		}
	}
	return b
}

// blockScalarValue: at is on a line of a YAML block scalar (key: | or
// key: >); the value runs from the block's first line to the end of this
// one and belongs to the key.
func blockScalarValue(sx *syntax, text []byte, ls, le, at int) (int, int, float64) {
	ind := skipBlank(text[ls:le], 0)
	if !sx.blocks || ind == 0 || ls+ind > at || ls+ind >= le {
		return 0, 0, 0
	}
	first := ls + ind
	for p := ls; p > 0 && ls-p < multiLineLookback; {
		ps := lineStart(text, p-1)
		line := bytes.TrimSuffix(text[ps:p-1], []byte("\r"))
		pind := skipBlank(line, 0)
		switch {
		case pind == len(line): // blank lines belong to the block
		case pind >= ind:
			first = ps + pind
		default:
			key, ok := blockHeader(line[pind:])
			if !ok {
				return 0, 0, 0
			}
			return first, le, credential(sx, secretName(key), text[ls+ind:le])
		}
		p = ps
	}
	return 0, 0, 0
}

// blockHeader reads "key: |" or "- key: >-" (a chomping or indentation
// indicator and a comment may follow) and returns the key.
func blockHeader(line []byte) ([]byte, bool) {
	line = bytes.TrimPrefix(line, []byte("- "))
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, false
	}
	rest := bytes.TrimLeft(line[colon+1:], " \t")
	if len(rest) == 0 || rest[0] != '|' && rest[0] != '>' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[1:], "+-0123456789")
	if rest = bytes.TrimLeft(rest, " \t"); len(rest) > 0 && rest[0] != '#' {
		return nil, false
	}
	return bytes.Trim(line[:colon], `"' `), true
}
