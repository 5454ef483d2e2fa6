package redact

import (
	"bytes"
	"path/filepath"
	"strings"
)

// The generic detector looks at every occurrence of a secret-ish word
// (password, secret, token, api_key, ...), takes the key name around it and
// reports the value assigned to it:
//
//	password = "hunter22"          name = 'value'         name := `value`
//	"client_secret": "..."         Password: "..."        api_key => "..."
//	DB_PASSWORD=hunter22 (.env, shell, properties, YAML: unquoted values)
//	--password hunter22, --token=abc123 (CLI flags, anywhere)
//
// The key name must END in the secret word (dbPassword, GITHUB_TOKEN,
// client-secret), so tokenType, password_hash or secretName are not keys.
// Values that are references or placeholders are skipped: ${VAR}, $VAR,
// {{ .X }}, <your-token>, %(x)s, xxxx, ****, changeit, calls, paths, prose.

// codeExts are source files where a value must be a quoted literal: an
// unquoted value there is an identifier or an expression.
var codeExts = map[string]bool{
	".go": true, ".py": true, ".js": true, ".mjs": true, ".cjs": true, ".ts": true, ".jsx": true, ".tsx": true,
	".java": true, ".kt": true, ".kts": true, ".c": true, ".h": true, ".cc": true, ".cpp": true, ".hpp": true,
	".rs": true, ".rb": true, ".php": true, ".cs": true, ".swift": true, ".scala": true, ".m": true, ".lua": true,
	".pl": true, ".dart": true, ".vue": true, ".svelte": true, ".groovy": true, ".ex": true, ".exs": true,
	".s": true, ".tmpl": true, ".html": true, ".md": true, ".pyi": true, ".pyx": true, ".pxd": true, ".hs": true,
	".ml": true, ".erl": true, ".jl": true, ".clj": true, ".zig": true, ".nim": true, ".sql": true, ".rst": true,
}

// configLike reports whether unquoted values at the start of a line count
// (.env, YAML, properties, shell, ini, unknown files).
func configLike(path string) bool {
	return !codeExts[strings.ToLower(filepath.Ext(path))]
}

func isKeyByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// secretWord classifies a key name by its last word(s); "" means the name
// is not a secret key.
func secretWord(name []byte) string {
	// Split into lower-case words on _ - . and camelCase boundaries, keeping
	// only the last two.
	var last, prev [24]byte
	var nl, np int
	wordStart := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '-' || c == '.' {
			wordStart = true
			continue
		}
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 && name[i-1] >= 'a' && name[i-1] <= 'z' {
			wordStart = true
		}
		if wordStart {
			prev, np = last, nl
			nl = 0
			wordStart = false
		}
		if upper {
			c += 'a' - 'A'
		}
		if nl < len(last) {
			last[nl] = c
			nl++
		}
	}
	w, p := string(last[:nl]), string(prev[:np])
	switch w {
	case "password", "passwd", "pwd", "passphrase", "pass":
		if w == "pass" && p == "" {
			return ""
		}
		return RuleGenericPassword
	case "secret":
		return RuleGenericSecret
	case "token":
		switch p {
		case "next", "page", "continuation", "input", "output", "pagination", "client", "idempotency", "request", "cursor", "sync",
			"resume", "start", "end", "max", "min", "num", "total", "cancel", "change", "lock", "marker", "id":
			return "" // pagination and idempotency tokens are not credentials
		}
		return RuleGenericToken
	case "apikey":
		return RuleGenericAPIKey
	case "key":
		switch p {
		case "api", "access", "secret", "private", "signing", "encryption", "master", "client", "app", "consumer", "auth":
			if p == "api" {
				return RuleGenericAPIKey
			}
			return RuleGenericSecret
		}
	case "credential", "credentials", "auth":
		return RuleGenericAuth
	}
	return ""
}

// genericAt handles a generic keyword hit at [hs, he).
func (d *Detector) genericAt(text []byte, sc *scratch, hs, he int, cfg bool) {
	ns, ne := hs, he
	for ns > 0 && isKeyByte(text[ns-1]) && he-ns < 80 {
		ns--
	}
	for ne < len(text) && isKeyByte(text[ne]) && ne-hs < 80 {
		ne++
	}
	if ne == sc.genEnd {
		return // same key name as the previous hit
	}
	sc.genEnd = ne
	flag := false
	nameStart := ns
	for nameStart < ne && text[nameStart] == '-' {
		nameStart++
		flag = true
	}
	flag = flag && nameStart-ns <= 2
	if ns > 0 && (text[ns-1] == '/' || text[ns-1] == '@' || text[ns-1] == ':') {
		return // a package, path or namespace: @azure/core-auth, AWS::IAM::AccessKey
	}
	name := bytes.TrimRight(text[nameStart:ne], ".-")
	id := secretWord(name)
	if id == "" || !d.code[id] {
		return
	}
	i := ne
	// Close a quoted key: "password": / 'password' => / \"password\":
	for i < len(text) && (text[i] == '"' || text[i] == '\'' || text[i] == '\\' || text[i] == '`') && i-ne < 3 {
		i++
	}
	i = skipBlanks(text, i)
	if i >= len(text) {
		return
	}
	if text[i] == '>' && ns > 0 && text[ns-1] == '<' {
		d.xmlValue(text, sc, id, i+1, name)
		return
	}
	opLen := 0
	switch c := text[i]; {
	case c == ':' && i+1 < len(text) && text[i+1] == '=':
		opLen = 2
	case c == '=' && i+1 < len(text) && text[i+1] == '>':
		opLen = 2
	case c == '=' && (i+1 >= len(text) || text[i+1] != '='):
		opLen = 1
	case c == ':' && (i+1 >= len(text) || text[i+1] != ':'):
		opLen = 1
	case flag && i > ne:
		opLen = 0 // --password value
	default:
		return
	}
	i = skipBlanks(text, i+opLen)
	if i >= len(text) {
		return
	}
	unquotedOK := flag || cfg && atLineStart(text, ns)
	vs, ve, quoted := readValue(text, i, unquotedOK)
	if ve <= vs {
		return
	}
	v := text[vs:ve]
	if isPlaceholder(v, quoted) || isDocExample(v) {
		return
	}
	if id != RuleGenericPassword && !machineLike(v) {
		// Tokens, keys and secrets are generated: a plain word or an
		// identifier ("AccessToken", "refresh_token") is a label.
		return
	}
	conf := 0.7
	if shannon(v) >= 3.5 && len(v) >= 16 {
		conf = 0.85
	}
	spec := d.codeSpecs[id]
	sc.cands = append(sc.cands, Finding{RuleID: id, Category: Secret, Description: spec.Description,
		Start: vs, End: ve, Confidence: conf})
}

func skipBlanks(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// atLineStart reports whether only indentation, "export ", "set ", "- " or
// an opening quote precede at on its line.
func atLineStart(text []byte, at int) bool {
	ls := at
	for ls > 0 && text[ls-1] != '\n' {
		ls--
		if at-ls > 64 {
			return false // a long prefix is not indentation and a keyword
		}
	}
	pre := bytes.TrimSpace(text[ls:at])
	pre = bytes.TrimRight(pre, `"'`)
	pre = bytes.TrimSpace(pre)
	switch string(pre) {
	case "", "export", "set", "-", "ENV", "ARG", "setx", "$env:", "declare", "readonly", "local":
		return true
	}
	return false
}

// readValue reads the value starting at i. A quoted value ends at its
// closing quote on the same line; an unquoted one (only when unquotedOK)
// at blank, comma, semicolon, comment or line end.
func readValue(text []byte, i int, unquotedOK bool) (vs, ve int, quoted bool) {
	q := text[i]
	escaped := false
	if q == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\'') {
		escaped = true
		i++
		q = text[i]
	}
	if q == '"' || q == '\'' || q == '`' {
		vs = i + 1
		for j := vs; j < len(text) && j-vs < 512; j++ {
			c := text[j]
			if c == '\n' {
				return 0, 0, true
			}
			if c == '\\' {
				if escaped && j+1 < len(text) && text[j+1] == q {
					return vs, j, true
				}
				j++
				continue
			}
			if c == q && !escaped {
				return vs, j, true
			}
		}
		return 0, 0, true
	}
	if !unquotedOK {
		return 0, 0, false
	}
	vs = i
	j := i
	for j < len(text) && j-vs < 512 {
		c := text[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';' || c == '"' || c == '\'' || c == '}' || c == ')' || c == ']' {
			break
		}
		j++
	}
	return vs, j, false
}

// xmlValue handles <password>value</password>: the element's text, on
// one line, up to its closing tag.
func (d *Detector) xmlValue(text []byte, sc *scratch, id string, vs int, name []byte) {
	le := lineEnd(text[:min(len(text), vs+512)], vs)
	ct := bytes.Index(text[vs:le], []byte("</"))
	if ct <= 0 || !bytes.HasPrefix(text[vs+ct+2:le], name) {
		return
	}
	ve := vs + ct
	v := text[vs:ve]
	if isPlaceholder(v, true) || isDocExample(v) || id != RuleGenericPassword && !machineLike(v) {
		return
	}
	sc.cands = append(sc.cands, Finding{RuleID: id, Category: Secret, Description: d.codeSpecs[id].Description,
		Start: vs, End: ve, Confidence: 0.7})
}

// placeholderWords are values that stand for a secret rather than being one.
var placeholderWords = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "test": true, "testing": true, "foobar": true,
	"none": true, "null": true, "nil": true, "true": true, "false": true, "undefined": true, "default": true,
	"changeit": true, "changeme": true, "guest": true, "username": true, "string": true, "required": true,
	"optional": true, "hidden": true, "redacted": true, "masked": true, "placeholder": true, "secret123": true,
	"password123": true, "example": true, "sample": true, "dummy": true, "notasecret": true, "empty": true,
	"apikey": true, "api_key": true, "access_token": true, "bearer": true, "basic": true,
}

// placeholderParts are substrings that mark a documentation value.
var placeholderParts = []string{"xxx", "***", "...", "your", "changeme", "changeit", "example", "placeholder",
	"redacted", "dummy", "insert", "replace", "todo", "fixme", "passw", "token", "secret", "credential", "auth",
	"apikey", "api_key", "api-key", "<", ">", "${", "{{", "%(", "%s", "%v", "%d", "()"}

func isPlaceholder(v []byte, quoted bool) bool {
	if len(v) < 5 || len(v) > 400 {
		return true
	}
	switch v[0] {
	case '^', '\\', '$', '<', '{', '[', '%', '!', '&', '*', '#', '@', '-', '/', '~', '.', '(':
		return true
	}
	lv := strings.ToLower(string(v))
	if placeholderWords[lv] {
		return true
	}
	for _, p := range placeholderParts {
		if strings.Contains(lv, p) {
			return true
		}
	}
	distinct := 0
	var seen [256]bool
	for _, c := range v {
		if c == ' ' || c == '\t' {
			return true // prose, not a secret
		}
		if c < 0x20 {
			return true
		}
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct <= 2 {
		return true
	}
	if strings.Contains(lv, "://") || strings.HasPrefix(lv, "env.") || strings.HasPrefix(lv, "process.env") ||
		strings.HasPrefix(lv, "os.") || strings.HasPrefix(lv, "secrets.") || strings.HasPrefix(lv, "vault:") {
		return true
	}
	if !quoted {
		// Unquoted: an identifier-like reference (other.setting, SOME_CONST)
		// or a number is not a secret.
		if isDottedIdent(v) || isUpperConst(v) || isNumber(v) {
			return true
		}
	} else if isReference(v) {
		return true // "config.password", "DistributionList.NextMarker": a reference
	}
	return false
}

// machineLike reports a value that looks generated: at least 8 bytes, two
// of lower case, upper case, digits and symbols (not counting _ and -),
// digits or symbols unless it is long, and some entropy.
func machineLike(v []byte) bool {
	if len(v) < 8 {
		return false
	}
	var lower, upper, digit, symbol int
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z':
			lower = 1
		case c >= 'A' && c <= 'Z':
			upper = 1
		case isDigit(c):
			digit = 1
		case c == '_' || c == '-':
		default:
			symbol = 1
		}
	}
	if digit == 0 && symbol == 0 && len(v) < 24 {
		return false // InvalidPrivateKey, refresh_token: identifiers and words
	}
	return lower+upper+digit+symbol >= 2 && shannon(v) >= 3.0
}

// isReference reports a dotted path of identifiers (each segment starts with
// a letter or _, at most 40 bytes).
func isReference(v []byte) bool {
	if bytes.IndexByte(v, '.') < 0 {
		return false
	}
	for _, seg := range bytes.Split(v, []byte{'.'}) {
		if len(seg) == 0 || len(seg) > 40 || isDigit(seg[0]) {
			return false
		}
		for _, c := range seg {
			if !isAlnum(c) && c != '_' {
				return false
			}
		}
	}
	return true
}

func isDottedIdent(v []byte) bool {
	for _, c := range v {
		if !(isAlnum(c) || c == '_' || c == '.') {
			return false
		}
	}
	return bytes.IndexByte(v, '.') > 0 && !isDigit(v[0])
}

func isUpperConst(v []byte) bool {
	letters := 0
	for _, c := range v {
		switch {
		case c >= 'A' && c <= 'Z':
			letters++
		case c == '_':
		default:
			return false
		}
	}
	return letters > 0
}

func isNumber(v []byte) bool {
	for _, c := range v {
		if !isDigit(c) && c != '.' {
			return false
		}
	}
	return true
}

// privateKeyAt reports a PEM/OpenSSH/PGP private key block starting at the
// "-----BEGIN" at hs, also inside JSON or code strings with \n escapes.
func (d *Detector) privateKeyAt(text []byte, sc *scratch, hs int) {
	const begin = "-----BEGIN "
	if !bytes.HasPrefix(text[hs:], []byte(begin)) {
		return
	}
	hdrEnd := bytes.Index(text[hs+len(begin):min(len(text), hs+len(begin)+48)], []byte("-----"))
	if hdrEnd < 0 {
		return
	}
	label := text[hs+len(begin) : hs+len(begin)+hdrEnd]
	if !bytes.Contains(label, []byte("PRIVATE KEY")) {
		return
	}
	bodyStart := hs + len(begin) + hdrEnd + 5
	limit := min(len(text), bodyStart+maxWindow*4)
	end := -1
	if k := sc.nextPEMEnd(text, bodyStart, limit); k >= 0 && !bytes.Contains(text[bodyStart:k], []byte("-----BEGIN")) {
		e := k + len("-----END ")
		if k2 := bytes.Index(text[e:min(len(text), e+64)], []byte("-----")); k2 >= 0 {
			end = e + k2 + 5
		}
	}
	if end < 0 {
		// Truncated block: mask the body as far as it goes.
		end = bodyStart
		for end < limit && (isTokenByte(text[end]) || text[end] == '\n' || text[end] == '\r' || text[end] == '\\' || text[end] == ' ') &&
			!bytes.HasPrefix(text[end:], []byte("-----")) {
			end++
		}
	}
	if !keyBody(text[bodyStart:end]) {
		return // a header mentioned in code or a regex, not a key
	}
	sc.cands = append(sc.cands, Finding{RuleID: RulePrivateKey, Category: Secret,
		Description: d.codeSpecs[RulePrivateKey].Description, Start: hs, End: end, Confidence: 0.99})
}

// keyBody reports whether b (a key block after its BEGIN line, possibly
// with the END line) is key material: at least 32 base64 characters and
// nothing but base64, line breaks, \n escapes and PEM header lines.
func keyBody(b []byte) bool {
	if e := bytes.Index(b, []byte("-----END ")); e >= 0 {
		b = b[:e]
	}
	n := 0
	for _, c := range b {
		switch {
		case isAlnum(c) || c == '+' || c == '/' || c == '=':
			n++
		case c == '\n' || c == '\r' || c == '\\' || c == ' ' || c == '\t' || c == ':' || c == '-' || c == ',' || c == '"':
		default:
			return false
		}
	}
	return n >= 32
}

// nextPEMEnd returns the index of the first "-----END " in text[from:limit],
// or -1. It remembers the last search (from pemFrom up to pemSearched,
// found at pemEnd or -1), so that many BEGIN lines in a row do not each
// search the same stretch again. Calls come with increasing from.
func (sc *scratch) nextPEMEnd(text []byte, from, limit int) int {
	const end = "-----END "
	if sc.pemFrom <= from {
		if sc.pemEnd >= from && sc.pemEnd < limit {
			return sc.pemEnd // the first END after pemFrom, so after from too
		}
		if sc.pemEnd < 0 && sc.pemSearched >= limit {
			return -1 // this stretch was searched and holds none
		}
	}
	start := from
	if sc.pemFrom <= from && sc.pemEnd < 0 && sc.pemSearched > from {
		start = max(from, sc.pemSearched-len(end)+1) // text before that holds no END
	}
	sc.pemFrom, sc.pemSearched, sc.pemEnd = from, limit, -1
	if k := bytes.Index(text[start:limit], []byte(end)); k >= 0 {
		sc.pemEnd = start + k
	}
	return sc.pemEnd
}
