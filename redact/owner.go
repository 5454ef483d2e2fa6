package redact

import (
	"bytes"
	"strings"
)

// secretWords are the words (lower case, one word of a name split on
// separators and camelCase) that make a key, variable, field, flag or call
// an owner of credentials.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "passwort": true, "passcode": true, "passphrase": true, "pass": true,
	"pwd": true, "pw": true, "pword": true, "pswd": true, "pin": true, "secret": true, "secrets": true, "token": true, "tokens": true,
	"apikey": true, "apitoken": true, "auth": true, "authorization": true, "bearer": true, "credential": true,
	"credentials": true, "cred": true, "creds": true, "privatekey": true, "secretkey": true, "accesskey": true,
	"salt": true, "cookie": true, "jwt": true, "dsn": true, "otp": true, "totp": true, "passwords": true,
}

// secretInfixes are found inside names written without separators
// (DBPASSWORD, mysqlpassword).
var secretInfixes = []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "credential"}

// secretName reports whether name (a key, variable, field, flag or call)
// carries a secret-like word in any case and separator style:
// db_password, DB-PASSWORD, dbPassword, --api-key, X-Auth-Token, stripeKey.
func secretName(name []byte) bool {
	lower := strings.ToLower(string(name))
	for _, w := range secretInfixes {
		if strings.Contains(lower, w) {
			return true
		}
	}
	words := splitWords(name)
	for i, w := range words {
		if secretWords[w] {
			return true
		}
		// apiKey, access-key, stripeKey: "key" after another word.
		if w == "key" && i > 0 {
			return true
		}
	}
	return false
}

// splitWords splits a name into lower-case words on every byte that is not
// a letter or digit and on camelCase boundaries (HTTPToken: http, token).
func splitWords(name []byte) []string {
	var out []string
	start := -1
	for i := 0; i <= len(name); i++ {
		if i < len(name) && isAlnum(name[i]) {
			if start < 0 {
				start = i
			} else if camelBoundary(name, i) {
				out = append(out, strings.ToLower(string(name[start:i])))
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, strings.ToLower(string(name[start:i])))
			start = -1
		}
	}
	return out
}

func camelBoundary(name []byte, i int) bool {
	up := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	low := func(c byte) bool { return c >= 'a' && c <= 'z' }
	return up(name[i]) && low(name[i-1]) || up(name[i]) && i+1 < len(name) && low(name[i+1]) && up(name[i-1])
}

// ownerSecret looks left of the opening quote at q (on the line starting at
// ls) for what the string belongs to: the key or variable it is assigned
// to (password = ", "password": ", Password: ", --password ", pw := "),
// the index it is stored at (h["X-Api-Key"] = "), the argument before it
// (Setenv("DB_PASSWORD", ") or the call it is passed to (setPassword(").
func ownerSecret(text []byte, ls, q int) bool {
	line := text[ls:q]
	// String prefixes: r'x', f"x", b'x', r#"x"#, @"x", $"x".
	j := len(line)
	for j > 0 && j > len(line)-3 && strings.IndexByte("rRbBfFuU#@$", line[j-1]) >= 0 {
		j--
	}
	if j < len(line) && (j == 0 || !isNameByte(line[j-1])) {
		line = line[:j]
	}
	i := skipBlankLeft(line, len(line))
	for i > 0 && strings.IndexByte("=:(,[{+|&?!<>", line[i-1]) >= 0 {
		i--
	}
	i = skipBlankLeft(line, i)
	if i > 0 && line[i-1] == ']' {
		i--
	}
	if secretName(nameBefore(line, i)) {
		return true
	}
	return secretName(callBefore(line))
}

// nameBefore is the quoted key or the identifier that ends at i.
func nameBefore(line []byte, i int) []byte {
	if i > 0 && (line[i-1] == '"' || line[i-1] == '\'' || line[i-1] == '`') {
		o := bytes.LastIndexByte(line[:i-1], line[i-1])
		if o < 0 {
			return nil
		}
		return line[o+1 : i-1]
	}
	e := i
	for i > 0 && (isNameByte(line[i-1]) || line[i-1] == '$' || line[i-1] == '@') {
		i--
	}
	return line[i:e]
}

// callBefore is the name of the innermost call still open at the end of
// line: setPassword( in setPassword("x", ".
func callBefore(line []byte) []byte {
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				return nameBefore(line, skipBlankLeft(line, i))
			}
			depth--
		}
	}
	return nil
}

func skipBlankLeft(line []byte, i int) int {
	for i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
		i--
	}
	return i
}

// passwordLike: at least 8 bytes, no blanks, and either three character classes of lower,
// upper, digit and symbol (Tr0ub4dor&3, Sunny!Beach-walk) or letters and
// digits at some length (machine-made: a3f9c2e81b7d, user1234x).
func passwordLike(v []byte) bool {
	if len(v) < 8 || bytes.Contains(v, []byte("://")) || v[0] == '/' && bytes.Count(v, []byte("/")) > 1 {
		return false // a URL (its credentials: pairValue) or a path
	}
	if eq := bytes.IndexByte(bytes.TrimRight(v, "="), '='); eq > 0 {
		return false // key=value pairs (a query, a DSN: pairValue); base64 padding is only at the end
	}
	var lower, upper, digit, symbol bool
	for _, c := range v {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		case c >= 'a' && c <= 'z', c >= 0x80:
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case isDigit(c):
			digit = true
		default:
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			classes++
		}
	}
	return classes >= 3 || len(v) >= 8 && digit && (lower || upper)
}

// prose: text with a blank between two words of letters (connecting to
// the, Hello world).
func prose(v []byte) bool {
	words := 0
	run := 0
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			run++
		case c == ' ' || c == '\t':
			if run >= 2 {
				words++
			}
			run = 0
		default:
			run = 0
		}
	}
	if run >= 2 {
		words++
	}
	return words >= 2 && bytes.ContainsAny(v, " \t")
}

// flagValue finds a CLI flag's value being typed at at on the line
// [ls, le): --password X, --token=X, -p X (password-like X), -pX after
// mysql, -u user:X, --user user:X, Bearer X, token X, password X.
func flagValue(text []byte, ls, le, at int) (int, int, float64) {
	isSep := func(c byte) bool { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '`' }
	ws, we := spanAround(text, ls, le, at, isSep)
	word := text[ws:we]
	if len(word) == 0 {
		return 0, 0, 0
	}
	if bytes.HasPrefix(word, []byte("--")) {
		if eq := bytes.IndexByte(word, '='); eq > 2 && secretName(word[2:eq]) {
			return ws + eq + 1, we, confOwned
		}
	}
	if s, e, ok := pairValue(text, ws, we, at); ok {
		return s, e, confOwned
	}
	pe := ws
	for pe > ls && isSep(text[pe-1]) {
		pe--
	}
	ps := pe
	for ps > ls && !isSep(text[ps-1]) {
		ps--
	}
	return flagAfter(text[ls:le], text[ps:pe], word, ws, we)
}

// spanAround returns the run of bytes around at, within [lo, hi), that
// holds no separator.
func spanAround(text []byte, lo, hi, at int, sep func(byte) bool) (int, int) {
	s, e := at, at
	for s > lo && !sep(text[s-1]) {
		s--
	}
	for e < hi && !sep(text[e]) {
		e++
	}
	return s, e
}

// flagAfter decides for the word [ws, we) given the word before it.
func flagAfter(line, prev, word []byte, ws, we int) (int, int, float64) {
	p := strings.ToLower(string(prev))
	switch {
	case strings.HasPrefix(p, "--") && secretName(prev[2:]):
		return ws, we, confOwned
	case p == "bearer" || p == "basic" || p == "token" || p == "authorization:":
		return ws, we, confOwned
	case (p == "password" || p == "passwd") && (bytes.Contains(line, []byte("login ")) || passwordLike(word)):
		// .netrc lines, also in here-documents; not prose ("password must").
		return ws, we, confOwned
	case (p == "-u" || p == "--user") && bytes.IndexByte(word, ':') >= 0:
		return ws + bytes.IndexByte(word, ':') + 1, we, confOwned
	case p == "-p" && (passwordLike(word) || bytes.Contains(line, []byte("sshpass")) || bytes.Contains(line, []byte("login"))):
		return ws, we, confOwned
	}
	if len(word) > 2 && word[0] == '-' && word[1] == 'u' && bytes.IndexByte(word, ':') > 2 {
		return ws + bytes.IndexByte(word, ':') + 1, we, confOwned
	}
	if len(word) > 2 && word[0] == '-' && word[1] == 'p' && word[2] != '-' {
		l := strings.ToLower(string(line))
		if passwordLike(word[2:]) || strings.Contains(l, "mysql") || strings.Contains(l, "mariadb") {
			return ws + 2, we, confOwned
		}
	}
	return 0, 0, 0
}

// isNameByte reports bytes of a key, variable or flag name.
func isNameByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// pairValue finds, in the word [ws, we), the part at `at` of a
// connection string or URL: the value of a secret-named pair
// (password=X in a DSN, Password=X; in a connection string, ?api_key=X&)
// or the password of URL credentials (scheme://user:X before the @).
func pairValue(text []byte, ws, we, at int) (int, int, bool) {
	isPairSep := func(c byte) bool { return c == ';' || c == '&' || c == '?' || c == ',' }
	ss, se := spanAround(text, ws, we, at, isPairSep)
	seg := text[ss:se]
	if eq := bytes.IndexAny(seg, "=:"); eq > 0 && ss+eq < at && secretName(seg[:eq]) && bytes.IndexByte(seg[:eq], '/') < 0 {
		return ss + eq + 1, se, true
	}
	// scheme://user:password@host
	word := text[ws:we]
	if sch := bytes.Index(word, []byte("://")); sch > 0 {
		auth := ws + sch + 3
		end := we
		if at := bytes.IndexByte(text[auth:we], '@'); at >= 0 {
			end = auth + at
		}
		if slash := bytes.IndexByte(text[auth:end], '/'); slash >= 0 {
			return 0, 0, false // the cursor is past the authority
		}
		if c := bytes.IndexByte(text[auth:end], ':'); c >= 0 && auth+c < at && at <= end && !allDigits(text[auth+c+1:end]) {
			return auth + c + 1, end, true // digits alone are a host's port
		}
	}
	return 0, 0, false
}
