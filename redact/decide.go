package redact

import (
	"bytes"
	"strings"
)

// valueCtx is what the lexer knows about a value when the generic detector
// asks whether it is a credential.
type valueCtx struct {
	id     string // generic rule id the key name maps to
	quoted bool   // a string literal (or a YAML/XML/JSON field value)
	prose  bool   // found in a sentence ("my password is ..."), not a field
	fam    family
}

// dollarRef reports "$name" in a family whose strings interpolate
// variables: shell and PHP, and $UPPER_CASE in config files.
func dollarRef(v []byte, f family) bool {
	if len(v) < 2 || v[0] != '$' {
		return false
	}
	switch f {
	case famShell, famPHP:
		return isIdentBytes(v[1:]) || v[1] == '{' || v[1] == '('
	case famUnknown, famYAML, famTOML:
		// Tools interpolate $VAR in config files; "$ecret9" is a password.
		return isUpperConst(v[1:]) || v[1] == '{' || v[1] == '('
	}
	return false
}

// credentialScore is the one decision whether v, found as the value of a
// secret-named key, is a credential, and how confident that is (0: no).
// Placeholders are recognised by the whole value, never by a substring: a
// password may contain "auth", "your" or "todo" and start with '!'.
func credentialScore(v []byte, c valueCtx) float64 {
	if len(v) > 400 || len(v) == 0 || c.id == RuleGenericPassword && len(v) < 4 ||
		c.id != RuleGenericPassword && len(v) < 8 {
		return 0
	}
	if isPlaceholderValue(v, c.quoted) || isDocExample(v) || dollarRef(v, c.fam) {
		return 0
	}
	if v[0] == '!' && !c.quoted && (c.fam == famYAML || c.fam == famUnknown) {
		return 0 // a YAML tag: !vault, !Ref
	}
	if bytes.IndexByte(v, ' ') >= 0 || bytes.IndexByte(v, '\t') >= 0 {
		if c.id != RuleGenericPassword || !c.quoted || c.prose || !isPassphrase(v) {
			return 0
		}
		return 0.7
	}
	switch {
	case c.prose:
		// A word in a sentence: a password mixes letters with digits or
		// cases; a token or key is machine-made and has digits.
		if !proseWord(v) || !proseHumanPassword(v) || c.id != RuleGenericPassword && (!machineLike(v) || !hasDigit(v)) {
			return 0
		}
	case c.id == RuleGenericPassword:
		if len(v) < 5 && !allDigits(v) {
			return 0 // a PIN is digits; other 4-byte values are words
		}
	case !machineLike(v):
		// Tokens, keys and secrets are generated: a plain word or an
		// identifier ("AccessToken", "refresh_token") is a label.
		return 0
	}
	if shannon(v) >= 3.5 && len(v) >= 16 {
		return 0.85
	}
	return 0.7
}

// placeholderWords are whole values that stand for a secret rather than
// being one.
var placeholderWords = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "test": true, "testing": true, "foobar": true,
	"none": true, "null": true, "nil": true, "true": true, "false": true, "undefined": true, "default": true,
	"changeit": true, "changeme": true, "change_me": true, "change-me": true, "guest": true, "username": true,
	"string": true, "required": true, "optional": true, "hidden": true, "redacted": true, "masked": true,
	"placeholder": true, "secret123": true, "password123": true, "example": true, "sample": true, "dummy": true,
	"notasecret": true, "empty": true, "apikey": true, "api_key": true, "access_token": true, "bearer": true,
	"basic": true, "replace_me": true, "replaceme": true, "replace-me": true, "todo": true, "fixme": true,
	"tbd": true, "unset": true, "blank": true, "value": true, "pass": true, "pwd": true, "mypassword": true,
	"yourpassword": true, "insert_here": true, "xxx": true, "foo": true, "bar": true, "baz": true,
}

// isPlaceholderValue reports a value that is a placeholder, a reference or
// an expression as a whole.
func isPlaceholderValue(v []byte, quoted bool) bool {
	lv := lowerString(v)
	if placeholderWords[lv] || sameByte(v) {
		return true
	}
	switch {
	case wrapped(lv, "<", ">"), wrapped(lv, "${", "}"), wrapped(lv, "{{", "}}"), wrapped(lv, "%(", ")s"),
		wrapped(lv, "[", "]"), wrapped(lv, "$(", ")"), wrapped(lv, "#{", "}"), wrapped(lv, "{", "}") && isIdentBytes(v[1:len(v)-1]),
		wrapped(lv, "@", "@") && isIdentBytes(v[1:len(v)-1]), wrapped(lv, "%", "%") && isIdentBytes(v[1:len(v)-1]),
		wrapped(lv, "__", "__"):
		return true
	case lv[0] == '$' && len(lv) > 1 && isIdentBytes(v[1:]) && (!quoted || isUpperConst(v[1:])):
		return true // $VAR (a quoted "$ecret9" in most languages is a literal; dollarRef decides)
	}
	// Interpolation and format verbs make an expression, not a literal.
	for _, p := range []string{"${", "{{", "%(", "#{", "%s", "%v", "%d", "$("} {
		if strings.Contains(lv, p) {
			return true
		}
	}
	for _, p := range []string{"your", "my", "some", "insert", "enter", "replace", "put", "add", "todo"} {
		if rest, ok := strings.CutPrefix(lv, p); ok && (rest == "" || rest[0] == '-' || rest[0] == '_' || rest[0] == ' ' || rest[0] == '.') &&
			(p != "todo" || len(rest) > 0) && templateish(rest) {
			return true // your-api-key-here, YOUR_TOKEN, insert_password_here
		}
	}
	if strings.HasPrefix(lv, "xxx") && strings.Trim(lv, "x-_") == "" || strings.HasPrefix(lv, "***") ||
		strings.HasSuffix(lv, "...") || strings.HasPrefix(lv, "...") {
		return true
	}
	if strings.Contains(lv, "://") || strings.HasPrefix(lv, "env.") || strings.HasPrefix(lv, "process.env") ||
		strings.HasPrefix(lv, "os.") || strings.HasPrefix(lv, "secrets.") || strings.HasPrefix(lv, "vault:") ||
		strings.HasPrefix(lv, "env:") || strings.HasPrefix(lv, "secret:") || strings.HasPrefix(lv, "arn:") {
		return true
	}
	if !quoted {
		// Unquoted: an identifier-like reference (other.setting, SOME_CONST),
		// a call or a number is not a secret.
		return isDottedIdent(v) || isUpperConst(v) || isNumber(v) && len(v) > 8 || bytes.HasSuffix(v, []byte("()")) ||
			bytes.IndexByte(v, '(') > 0 && isIdentBytes(v[:bytes.IndexByte(v, '(')])
	}
	return isReference(v) // "config.password", "DistributionList.NextMarker"
}

// templateish reports whether the rest of a "your..."-style value is made
// of words and separators only (a template), not random characters.
func templateish(rest string) bool {
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == ' ' || c == '.') {
			return false
		}
	}
	return true
}

func wrapped(s, open, close string) bool {
	return len(s) >= len(open)+len(close)+1 && strings.HasPrefix(s, open) && strings.HasSuffix(s, close)
}

func sameByte(v []byte) bool {
	distinct := 0
	var seen [256]bool
	for _, c := range v {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	return distinct <= 2 && len(v) > 2 || distinct == 1
}

func isIdentBytes(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

func allDigits(v []byte) bool {
	for _, c := range v {
		if !isDigit(c) {
			return false
		}
	}
	return len(v) > 0
}

// messageWords mark a sentence about a password rather than a passphrase.
var messageWords = map[string]bool{
	"the": true, "a": true, "an": true, "is": true, "are": true, "be": true, "your": true, "my": true,
	"please": true, "enter": true, "invalid": true, "required": true, "must": true, "not": true, "for": true,
	"to": true, "of": true, "or": true, "with": true, "this": true, "that": true, "new": true, "old": true,
	"current": true, "confirm": true, "password": true, "passwd": true, "token": true, "secret": true,
	"key": true, "here": true, "value": true, "empty": true, "missing": true, "wrong": true, "incorrect": true,
	"in": true, "on": true, "at": true, "if": true, "no": true, "you": true, "was": true, "has": true,
	"should": true, "can": true, "cannot": true, "will": true, "and": true, "failed": true, "error": true,
}

// isPassphrase reports a quoted value with spaces that reads as a passphrase
// (words none of which make it a message) rather than a UI text.
func isPassphrase(v []byte) bool {
	if len(v) < 8 || len(v) > 100 || bytes.ContainsAny(v, "\n%{}<>") {
		return false
	}
	switch v[len(v)-1] {
	case '.', '?', ':', ')':
		return false
	}
	words := strings.Fields(strings.ToLower(string(v)))
	if len(words) < 2 || len(words) > 8 {
		return false
	}
	for _, w := range words {
		if messageWords[strings.Trim(w, ",;!")] {
			return false
		}
	}
	return true
}

// proseWord reports a word that can be a value in a sentence: printable
// ASCII, no brackets or quotes.
func proseWord(v []byte) bool {
	for _, c := range v {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()[]{}<>\"'`", c) >= 0 {
			return false
		}
	}
	return true
}

func hasDigit(v []byte) bool {
	for _, c := range v {
		if isDigit(c) {
			return true
		}
	}
	return false
}

// proseHumanPassword reports a word in prose that is a password rather than an
// English word: it mixes letters with digits or symbols, or cases.
func proseHumanPassword(v []byte) bool {
	if len(v) < 6 {
		return false
	}
	var lower, upper, digit, symbol bool
	for i, c := range v {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = upper || i > 0
		case isDigit(c):
			digit = true
		default:
			symbol = true
		}
	}
	letters := lower || upper
	return letters && digit || lower && upper || letters && symbol && len(v) >= 8
}
