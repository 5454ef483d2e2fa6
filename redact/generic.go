package redact

import (
	"bytes"
	"strings"
)

// The generic detector looks at every occurrence of a secret-ish word
// (password, secret, token, api_key, JWT_KEY, passwort, ...), takes the key
// name around it, finds how the key is tied to a value (relationAt: an
// assignment or a typed declaration, a subscript, a call argument, a setter,
// a ${KEY:-default}, a flag, a sentence, a separate name/value field), reads
// the value with the file family's lexer (lexer.go) and asks credentialScore
// (decide.go) whether it is a credential:
//
//	password = "hunter22"          os.environ["DB_PASSWORD"] = "..."
//	"client_secret": "..."         ds.setPassword("...")   put("password", "...")
//	DB_PASSWORD=hunter22           --password hunter22     ${DB_PASSWORD:-...}
//	- name: DB_PASSWORD            password: |             "my password is ..."
//	  value: ...                     ...
//
// The key name must END in the secret word (dbPassword, GITHUB_TOKEN,
// client-secret), so tokenType, password_hash or secretName are not keys.

func isKeyByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' || c >= 0x80 }

// passwordWords are the last words of a password key, in English and the
// common other languages (lower case, UTF-8).
var passwordWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true, "passcode": true, "passwort": true, "kennwort": true,
	"contraseña": true, "contrasena": true, "contrasenya": true, "motdepasse": true, "mdp": true, "senha": true,
	"wachtwoord": true, "lösenord": true, "losenord": true, "passord": true, "adgangskode": true,
	"salasana": true, "hasło": true, "haslo": true, "heslo": true, "jelszó": true, "jelszo": true, "şifre": true,
	"sifre": true, "пароль": true, "密码": true, "密碼": true, "パスワード": true, "비밀번호": true, "katasandi": true,
	"sandi": true, "parolă": true, "κωδικός": true, "סיסמה": true, "كلمة_المرور": true,
}

// keyPrefixes are the words before "key" that make a secret key name.
var keyPrefixes = map[string]string{
	"api": RuleGenericAPIKey, "access": RuleGenericSecret, "secret": RuleGenericSecret, "private": RuleGenericSecret,
	"signing": RuleGenericSecret, "encryption": RuleGenericSecret, "master": RuleGenericSecret,
	"client": RuleGenericSecret, "app": RuleGenericSecret, "consumer": RuleGenericSecret, "auth": RuleGenericSecret,
	"jwt": RuleGenericSecret, "hmac": RuleGenericSecret, "session": RuleGenericSecret, "aes": RuleGenericSecret,
	"service": RuleGenericSecret, "crypt": RuleGenericSecret, "cipher": RuleGenericSecret, "shared": RuleGenericSecret,
	"sign": RuleGenericSecret, "webhook": RuleGenericSecret, "license": RuleGenericSecret, "storage": RuleGenericSecret,
	"account": RuleGenericSecret, "subscription": RuleGenericSecret, "decryption": RuleGenericSecret,
	"hash": RuleGenericSecret, "cookie": RuleGenericSecret, "csrf": RuleGenericSecret,
}

// keyWords holds the words of a key name: the last two, the first (when
// there are two or more) and how many there are, lower case, cut at 24
// bytes. Fixed arrays keep the split free of allocations.
type keyWords struct {
	last, prev, first [24]byte
	nl, np, nf, n     int
}

// split splits name into lower-case words on _ - . and camelCase boundaries.
func (k *keyWords) split(name []byte) {
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
			if k.n == 1 {
				k.first, k.nf = k.last, k.nl
			}
			k.prev, k.np = k.last, k.nl
			k.nl = 0
			k.n++
			wordStart = false
		}
		if upper {
			c += 'a' - 'A'
		}
		if k.nl < len(k.last) {
			k.last[k.nl] = c
			k.nl++
		}
	}
}

// secretWord classifies a key name by its last word(s); "" means the name
// is not a secret key.
func secretWord(name []byte) string {
	var kw keyWords
	kw.split(name)
	w, p, first, words := string(kw.last[:kw.nl]), string(kw.prev[:kw.np]), string(kw.first[:kw.nf]), kw.n
	if words == 2 && leafVerbs[first] && bytes.IndexByte(name, '.') < 0 {
		return "" // getPassword, isPassword, hashedPassword: not a value holder
	}
	if leafVerb(name) {
		return ""
	}
	if joinedPasswordWord(name) {
		return RuleGenericPassword
	}
	switch {
	case passwordWords[w]:
		return RuleGenericPassword
	case w == "pass" || w == "pw":
		if p == "" || p == "by" || p == "no" {
			return ""
		}
		return RuleGenericPassword
	case w == "pin" || w == "pincode":
		switch p {
		case "card", "sim", "atm", "user", "":
			if w == "pin" && p == "" && len(name) != 3 {
				return ""
			}
			return RuleGenericPassword
		}
	case w == "secret" || w == "secrets":
		return RuleGenericSecret
	case w == "token":
		switch p {
		case "next", "page", "continuation", "input", "output", "pagination", "client", "idempotency", "request", "cursor", "sync",
			"resume", "start", "end", "max", "min", "num", "total", "cancel", "change", "lock", "marker", "id", "csrf", "xsrf":
			return "" // pagination and idempotency tokens are not credentials
		}
		return RuleGenericToken
	case w == "apikey":
		return RuleGenericAPIKey
	case w == "key" || w == "keys":
		return keyPrefixes[p]
	case w == "base" && p == "key":
		return RuleGenericSecret // secret_key_base
	case w == "credential" || w == "credentials" || w == "auth":
		return RuleGenericAuth
	case strings.HasSuffix(w, "password") || strings.HasSuffix(w, "passwd") || strings.HasSuffix(w, "secret") && len(w) > 6:
		// dbpassword, clientsecret: names joined without a separator.
		if strings.HasSuffix(w, "secret") {
			return RuleGenericSecret
		}
		return RuleGenericPassword
	}
	return ""
}

// shortPasswordKey reports a short form of "password" standing alone (pw,
// pass, pword, pswd). In code these words mean other things (a pass of a
// compiler, Python's pass), so they are keys only in a sentence.
func shortPasswordKey(name []byte) bool {
	if len(name) < 2 || len(name) > 5 {
		return false
	}
	var buf [5]byte
	lowerASCII(buf[:len(name)], name)
	switch string(buf[:len(name)]) {
	case "pw", "pass", "pword", "pswd":
		return true
	}
	return false
}

// testVerdict reports "PASS" as a test run prints it (--- PASS: TestX).
func testVerdict(name []byte) bool { return string(name) == "PASS" }

// leafVerbs start names that hold no value: getPassword, isPassword,
// hashedPassword, resetPassword.
var leafVerbs = map[string]bool{"get": true, "is": true, "has": true, "check": true, "validate": true, "verify": true,
	"hash": true, "hashed": true, "encrypted": true, "read": true, "load": true, "fetch": true, "find": true,
	"lookup": true, "reset": true, "forgot": true, "new": true, "show": true, "hide": true, "toggle": true,
	"min": true, "max": true, "confirm": true, "change": true, "update": true, "prompt": true, "ask": true}

// leafVerb reports whether the last dotted segment of name is a
// two-word name starting with a leafVerbs word (ds.getPassword).
func leafVerb(name []byte) bool {
	leaf := name[bytes.LastIndexByte(name, '.')+1:]
	for i := 1; i < len(leaf) && i < 16; i++ {
		c := leaf[i]
		if c == '_' || c == '-' || c >= 'A' && c <= 'Z' && leaf[i-1] >= 'a' && leaf[i-1] <= 'z' {
			var buf [16]byte
			lowerASCII(buf[:i], leaf[:i])
			return leafVerbs[string(buf[:i])] && secretWordOnly(leaf[i:])
		}
	}
	return false
}

// secretWordOnly reports a single secret word (with a leading separator).
func secretWordOnly(w []byte) bool {
	w = bytes.TrimLeft(w, "_-")
	if len(w) > 16 {
		return false
	}
	var buf [16]byte
	lowerASCII(buf[:len(w)], w)
	switch string(buf[:len(w)]) {
	case "password", "passwd", "pwd", "pass", "secret", "token", "key", "apikey", "passphrase", "pin":
		return true
	}
	return false
}

// joinedPasswordWord reports names ending in a password word of several
// words (mot_de_passe, kata_sandi).
func joinedPasswordWord(name []byte) bool {
	var buf [16]byte
	n := 0
	for _, c := range name[max(0, len(name)-16):] {
		if c != '_' && c != '-' && c != '.' {
			buf[n] = c | 0x20
			n++
		}
	}
	b := buf[:n]
	return bytes.HasSuffix(b, []byte("motdepasse")) || bytes.HasSuffix(b, []byte("katasandi"))
}

// keyName is a secret-named key found around a keyword hit.
type keyName struct {
	ns, ne int // the name, a flag's dashes excluded
	id     string
	flag   bool // --password, -token
}

// genericAt handles a generic keyword hit at [hs, he).
func (d *Detector) genericAt(text []byte, sc *scratch, hs, he int, fam family) {
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
	k := keyName{ns: ns, ne: ne}
	for k.ns < ne && text[k.ns] == '-' {
		k.ns++
	}
	k.flag = k.ns > ns && k.ns-ns <= 2 && (ns == 0 || text[ns-1] == ' ' || text[ns-1] == '"' || text[ns-1] == '\'')
	if ns > 0 && (text[ns-1] == '/' || text[ns-1] == '@' || text[ns-1] == ':') {
		return // a package, path or namespace: @azure/core-auth, AWS::IAM::AccessKey
	}
	for k.ne > k.ns && (text[k.ne-1] == '.' || text[k.ne-1] == '-') {
		k.ne--
	}
	k.id = secretWord(text[k.ns:k.ne])
	if k.id == "" && shortPasswordKey(text[k.ns:k.ne]) && proseContext(text, k.ns, fam) && !testVerdict(text[k.ns:k.ne]) {
		k.id = RuleGenericPassword // "# pw: value" in a comment or a chat line
	}
	if k.id == "" {
		d.parentKey(text, sc, k, fam)
		return
	}
	if !d.code[k.id] {
		return
	}
	d.valueAfterKey(text, sc, k, fam)
}

// parentKeys name objects whose key or secret field is a secret:
// "Jwt": {"Key": "..."}, hmac:\n  secret: ...
var parentKeys = map[string]bool{"jwt": true, "hmac": true, "signing": true, "encryption": true, "session": true}

// parentKey handles a parent key (parentKeys) opening an object or a YAML
// mapping: its "key" or "secret" field holds the secret.
func (d *Detector) parentKey(text []byte, sc *scratch, k keyName, fam family) {
	if k.ne-k.ns > 12 || !d.code[RuleGenericSecret] {
		return
	}
	var buf [12]byte
	lowerASCII(buf[:k.ne-k.ns], text[k.ns:k.ne])
	if !parentKeys[string(buf[:k.ne-k.ns])] {
		return
	}
	i := k.ne
	for i < len(text) && (text[i] == '"' || text[i] == '\'') && i-k.ne < 2 {
		i++
	}
	i = skipBlanks(text, i)
	if i >= len(text) || text[i] != ':' && text[i] != '=' {
		return
	}
	i = skipBlanks(text, i+1)
	if i >= len(text) || text[i] != '{' && text[i] != '\n' && text[i] != '\r' {
		return
	}
	indent := indentOf(text, k.ns)
	lim := min(len(text), i+200)
	for j := i + 1; j < lim; j++ {
		c := text[j]
		if c == '}' || c == '\n' && j+1 < lim && text[j+1] != '\n' && indentOf(text, j+1) <= indent {
			return
		}
		if !isAlnum(c) || isKeyByte(text[j-1]) {
			continue
		}
		e := j
		for e < lim && isKeyByte(text[e]) {
			e++
		}
		if w := bytes.ToLower(text[j:e]); string(w) == "key" || string(w) == "secret" {
			d.valueAfterKey(text, sc, keyName{ns: j, ne: e, id: RuleGenericSecret}, fam)
			return
		}
		j = e
	}
}

// relation is how a value is tied to its key.
type relation uint8

const (
	relNone     relation = iota
	relAssign            // key = v, key: v, key := v, key => v, key ?= v
	relArg               // f("KEY", v): setenv, setProperty, put, getenv default
	relCall              // setPassword(v), .password(v), withToken(v)
	relFlag              // --password v
	relDefault           // ${KEY:-v}, ${key:v}
	relProse             // "password is v"
	relXMLText           // <password>v</password>
	relSeparate          // {"name": "KEY", "value": v}
)

// valueAfterKey finds how a value is tied to the key k, reads it with the
// family's lexer and decides.
func (d *Detector) valueAfterKey(text []byte, sc *scratch, k keyName, fam family) {
	i := k.ne
	quotedKey := k.ns > 0 && (text[k.ns-1] == '"' || text[k.ns-1] == '\'' || text[k.ns-1] == '`')
	for i < len(text) && (text[i] == '"' || text[i] == '\'' || text[i] == '\\' || text[i] == '`') && i-k.ne < 3 {
		i++
	}
	closed := i > k.ne
	if closed && i < len(text) && text[i] == ']' {
		i++ // os.environ["KEY"] = v, config['password'] = v
	}
	i = skipBlanks(text, i)
	if i >= len(text) {
		return
	}
	rel, vi := d.relationAt(text, k, i, closed, quotedKey, fam)
	if rel == relNone {
		if vi = separateValue(text, k, i); vi > 0 {
			rel = relSeparate
		} else if text[i] == '{' {
			// variable "db_password" { default = "..." } (Terraform, HCL)
			if vi = siblingValue(text, i+1, 0); vi > 0 {
				rel = relSeparate
			}
		}
	}
	if rel == relNone {
		return
	}
	if rel == relXMLText {
		d.xmlValue(text, sc, k.id, vi, text[k.ns:k.ne])
		return
	}
	d.readAndDecide(text, sc, k, rel, vi, fam)
}

// relationAt looks at what follows a key name (at i, blanks skipped) and
// returns the relation and where its value starts.
func (d *Detector) relationAt(text []byte, k keyName, i int, closed, quotedKey bool, fam family) (relation, int) {
	c := text[i]
	next := byte(0)
	if i+1 < len(text) {
		next = text[i+1]
	}
	switch {
	case c == '>' && k.ns > 0 && text[k.ns-1] == '<':
		return relXMLText, i + 1
	case k.ns >= 2 && text[k.ns-1] == '{' && text[k.ns-2] == '$' && (c == ':' || c == '-'):
		j := i + 1
		if c == ':' && next == '-' || c == ':' && next == '=' {
			j++
		}
		return relDefault, j
	case c == ':' && next == '=', c == '=' && next == '>', c == '?' && next == '=', c == ':' && next == '-' && !closed:
		return relAssign, i + 2
	case c == '=' && next != '=':
		return relAssign, i + 1
	case c == ':' && next != ':':
		return relAssign, typeAnnotation(text, i+1, fam)
	case c == ',' && closed && quotedKey && callOpen(text, k.ns-1):
		return relArg, i + 1
	case c == '(' && !closed && i == k.ne && setterName(text, k):
		return relCall, i + 1
	case k.flag && i > k.ne:
		return relFlag, i
	case (c == '\'' || c == '"') && i > k.ne && sqlPassword(text, k):
		// CREATE USER app WITH PASSWORD 'x', ALTER ROLE r PASSWORD 'x'
		return relAssign, i
	case fam.code() && isAlnum(c) && i > k.ne && !closed:
		// Go: var password string = "x"
		j := i
		for j < len(text) && (isKeyByte(text[j]) || text[j] == '*' || text[j] == '[' || text[j] == ']') && j-i < 32 {
			j++
		}
		if j = skipBlanks(text, j); j+1 < len(text) && text[j] == '=' && text[j+1] != '=' {
			return relAssign, j + 1
		}
	}
	if proseContext(text, k.ns, fam) {
		if j, ok := proseVerb(text, i); ok {
			return relProse, j
		}
	}
	return relNone, 0
}

// sqlPassword reports the PASSWORD clause of a SQL user or role
// statement: the key word itself, with USER or ROLE earlier on its line.
func sqlPassword(text []byte, k keyName) bool {
	if k.ne-k.ns != len("password") || !hasPrefixFold(text[k.ns:], "password") {
		return false
	}
	return sqlUserLine(text, k.ns)
}

// typeAnnotation skips a type after ':' (password: str = "x", val
// password: String = "x", let password: &str = "x") and returns where the
// value starts: after the '=' when there is a type, else at after.
func typeAnnotation(text []byte, after int, fam family) int {
	if !fam.code() {
		return after
	}
	j := skipBlanks(text, after)
	k := j
	for k < len(text) && k-j < 48 && (isKeyByte(text[k]) || strings.IndexByte("<>[]&?*| '", text[k]) >= 0) && text[k] != '\'' {
		k++
	}
	if k > j && k+1 < len(text) && text[k] == '=' && text[k+1] != '=' && (isAlnum(text[j]) || text[j] == '&' || text[j] == '*') {
		return k + 1
	}
	return after
}

// callOpen reports whether the quote at q opens a call's first argument:
// ( or ( and blanks before it, or a subscript [.
func callOpen(text []byte, q int) bool {
	j := q
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	return j > 0 && text[j-1] == '('
}

// setterName reports a name that takes its value as a call argument:
// setPassword(, withToken(, .password(, Password(.
func setterName(text []byte, k keyName) bool {
	name := text[k.ns:k.ne]
	dot := bytes.LastIndexByte(name, '.')
	leaf := name[dot+1:]
	for _, p := range []string{"set", "with", "use", "put"} {
		// The verb ends at a camelCase or snake_case boundary: setPassword,
		// set_password, not UserPassword.
		if len(leaf) > len(p) && hasPrefixFold(leaf, p) && (isUpper(leaf[len(p)]) || leaf[len(p)] == '_') {
			return true
		}
	}
	return (dot >= 0 || k.ns > 0 && text[k.ns-1] == '.') && secretWordOnly(leaf)
}

// proseContext reports a key in a sentence: a comment in code, or any line
// of prose, chat or an unknown format.
func proseContext(text []byte, ns int, fam family) bool {
	switch fam {
	case famProse, famUnknown:
		return true
	}
	ls := lineStart(text, ns)
	if ns-ls > 200 {
		return false
	}
	line := text[ls:ns]
	t := bytes.TrimLeft(line, " \t")
	switch {
	case bytes.HasPrefix(t, []byte("//")), bytes.HasPrefix(t, []byte("#")), bytes.HasPrefix(t, []byte("--")),
		bytes.HasPrefix(t, []byte("/*")), bytes.HasPrefix(t, []byte("*")), bytes.HasPrefix(t, []byte(";")),
		bytes.HasPrefix(t, []byte("<!--")):
		return true
	}
	return bytes.Contains(line, []byte(" // ")) || bytes.Contains(line, []byte(" # "))
}

// proseVerb matches "is ", "was ", "is: ", "= " after a key in a sentence
// and returns where the value starts.
func proseVerb(text []byte, i int) (int, bool) {
	for _, v := range []string{"is:", "is", "was", "would be", "will be", "=", "-"} {
		if hasPrefixFold(text[i:], v) {
			j := i + len(v)
			if j < len(text) && (text[j] == ' ' || text[j] == '\t') {
				return skipBlanks(text, j), true
			}
		}
	}
	return 0, false
}

// nameFields are fields whose value names another field's secret:
// {"name": "DB_PASSWORD", "value": "..."}, <add key="Password" value="..."/>.
var nameFields = []string{"name", "key", "id", "param", "parameter", "property", "variable", "var", "env", "field",
	"setting", "option", "type", "parametername", "parameterkey", "secretname"}

// separateValue handles a secret name held in a name field with the value
// in a sibling field (JSON, YAML, XML attributes): it returns where the
// value starts, or 0.
func separateValue(text []byte, k keyName, after int) int {
	// Before the key: an opening quote, blanks, an operator, blanks, a
	// closing quote, a name field.
	j := k.ns
	if j > 0 && (text[j-1] == '"' || text[j-1] == '\'') {
		j--
	}
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	if j == 0 || text[j-1] != ':' && text[j-1] != '=' {
		return 0
	}
	j--
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t' || text[j-1] == '"' || text[j-1] == '\'') {
		j--
	}
	fe := j
	for j > 0 && isKeyByte(text[j-1]) {
		j--
	}
	field := strings.ToLower(string(text[j:fe]))
	if !slicesContains(nameFields, field) {
		return 0
	}
	return siblingValue(text, after, indentOf(text, k.ns))
}

// siblingValue looks for a value field (value, val, default, or a name
// ending in Value such as ParameterValue) after at, within the same object
// (up to 300 bytes, not past a brace or the end of a tag, or a YAML line
// indented less than indent), and returns where its value starts.
func siblingValue(text []byte, at, indent int) int {
	lim := min(len(text), at+300)
	for i := at; i < lim; i++ {
		c := text[i]
		switch {
		case c == '}' || c == '{' || c == '/' && i+1 < lim && text[i+1] == '>':
			return 0
		case c == '>':
			// <entry key="password">value</entry>
			if e := bytes.Index(text[i+1:lim], []byte("</")); e > 0 && bytes.IndexByte(text[i+1:i+1+e], '<') < 0 {
				return i + 1
			}
			return 0
		case c == '\n' && i+1 < lim && indentOf(text, i+1) < indent:
			return 0
		}
		if !isAlnum(c) || i > 0 && isKeyByte(text[i-1]) {
			continue
		}
		j := i
		for j < lim && isKeyByte(text[j]) {
			j++
		}
		name := text[i:j]
		i = j - 1
		if !valueField(name) {
			continue
		}
		for j < lim && (text[j] == '"' || text[j] == '\'' || text[j] == ' ') {
			j++
		}
		if j < lim && (text[j] == ':' || text[j] == '=') {
			return skipBlanks(text, j+1)
		}
	}
	return 0
}

// valueField reports a field name that holds the value of a name field.
func valueField(name []byte) bool {
	if len(name) > 24 {
		return false
	}
	var buf [24]byte
	l := buf[:len(name)]
	lowerASCII(l, name)
	return bytes.HasSuffix(l, []byte("value")) || string(l) == "val" || string(l) == "default"
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readAndDecide reads the value at vi (a literal, its continuation, a YAML
// block scalar or an unquoted word) and records it when credential says so.
func (d *Detector) readAndDecide(text []byte, sc *scratch, k keyName, rel relation, vi int, fam family) {
	vi = skipBlanks(text, vi)
	if vi >= len(text) {
		return
	}
	var buf [4]literal
	pieces := buf[:0]
	switch c := text[vi]; {
	case (c == '|' || c == '>') && (fam == famYAML || fam == famUnknown) && rel == relAssign:
		pieces = yamlBlock(text, vi, indentOf(text, k.ns), pieces)
	case (c == '\n' || c == '\r' || c == '(' || c == '\\' && vi+1 < len(text) && text[vi+1] == '\n') && fam.code() && rel == relAssign:
		// The value continues on the next line: password = (\n "a" "b")
		j := vi
		if c == '(' || c == '\\' {
			j++
		}
		if j = skipSpace(text, j, true); j-vi < 64 && j < len(text) {
			if lit, ok := readLiteral(text, j, fam); ok {
				pieces = concatenated(text, lit, fam, pieces)
			}
		}
	default:
		lit, ok := readLiteral(text, vi, fam)
		if !ok {
			lit, ok = unclosedLiteral(text, vi)
		}
		if ok {
			pieces = concatenated(text, lit, fam, pieces)
			break
		}
		if rel == relAssign && !unquotedOK(text, k, rel, vi, fam) && proseContext(text, k.ns, fam) {
			rel = relProse // "# pwd: value", "Admin password: value"
		}
		if rel == relAssign && fam == famTOML && atLineStart(text, k.ns) {
			pieces = append(pieces, readLineRest(text, vi)) // password = two words
			break
		}
		if unquotedOK(text, k, rel, vi, fam) {
			lit := readBare(text, vi)
			if k.ns > 0 && (text[k.ns-1] == '?' || text[k.ns-1] == '&') {
				if amp := bytes.IndexByte(text[lit.vs:lit.ve], '&'); amp >= 0 {
					lit.ve = lit.vs + amp // a query string: the value ends at '&'
				}
			}
			if rel == relProse || rel == relDefault {
				lit.ve = trimProse(text, lit.vs, lit.ve)
			}
			pieces = append(pieces, lit)
		}
	}
	d.decidePieces(text, sc, k, rel, fam, pieces)
}

// unquotedOK says where a bare word is a value: CLI flags, defaults, prose,
// separate value fields, and config-like families at a line start (or, in
// shell and env files, in KEY=value anywhere on a line).
func unquotedOK(text []byte, k keyName, rel relation, vi int, fam family) bool {
	switch rel {
	case relFlag, relDefault, relProse, relSeparate:
		return true
	case relAssign:
		if k.flag {
			return true // --token=value
		}
	default:
		return false
	}
	tight := vi > 0 && text[vi-1] == '=' && text[k.ne] == '=' &&
		(k.ns == 0 || strings.IndexByte(" \t;&?(,\"'", text[k.ns-1]) >= 0)
	if fam.code() {
		// In code only inside a string: a DSN, a query, a command line
		// ("host=db password=x", "?user=u&password=x").
		return tight && k.ns > 0 && text[k.ns-1] != '(' && insideString(text, k.ns)
	}
	// KEY=value inside a command line or a log line: no blanks around '='.
	return atLineStart(text, k.ns) || tight
}

// insideString reports whether at lies inside a string literal opened
// earlier on its line (quotes counted, escaped ones skipped).
func insideString(text []byte, at int) bool {
	var open byte
	for i := max(lineStart(text, at), at-400); i < at; i++ {
		switch c := text[i]; {
		case c == '\\':
			i++
		case open == 0 && (c == '"' || c == '\'' || c == '`'):
			open = c
		case c == open:
			open = 0
		}
	}
	return open != 0
}

// trimProse drops sentence punctuation after a word in prose.
func trimProse(text []byte, vs, ve int) int {
	for ve > vs && strings.IndexByte(".,;:)\"'`", text[ve-1]) >= 0 {
		ve--
	}
	return ve
}

// namesItself reports a value that contains its own key's name (the last
// dotted segment, 6 bytes or more): "encryptionKey": "encryptionKey1024"
// is a rename table, not a key.
func namesItself(name, v []byte) bool {
	leaf := name[bytes.LastIndexByte(name, '.')+1:]
	return len(leaf) >= 6 && len(v) >= len(leaf) && containsFold(v, leaf)
}

// decidePieces asks credentialScore about the joined pieces and records each.
func (d *Detector) decidePieces(text []byte, sc *scratch, k keyName, rel relation, fam family, pieces []literal) {
	if len(pieces) == 0 {
		return
	}
	var joined []byte
	if len(pieces) == 1 {
		joined = text[pieces[0].vs:pieces[0].ve]
	} else {
		for _, p := range pieces {
			joined = append(joined, text[p.vs:p.ve]...)
		}
	}
	quoted := pieces[0].quoted || rel == relDefault || rel == relSeparate
	conf := credentialScore(joined, valueCtx{id: k.id, quoted: quoted, prose: rel == relProse, fam: fam})
	if conf == 0 || namesItself(text[k.ns:k.ne], joined) {
		return
	}
	spec := d.codeSpecs[k.id]
	for _, p := range pieces {
		if p.ve > p.vs {
			sc.cands = append(sc.cands, Finding{RuleID: k.id, Category: Secret, Description: spec.Description,
				Start: p.vs, End: p.ve, Confidence: conf})
		}
	}
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
	case "", "export", "set", "-", "ENV", "ARG", "setx", "$env:", "declare", "readonly", "local", "env", "SET":
		return true
	}
	return false
}

// xmlValue handles <password>value</password>: the element's text, also
// on lines of its own between the tags, up to its closing tag.
func (d *Detector) xmlValue(text []byte, sc *scratch, id string, vs int, name []byte) {
	lim := min(len(text), vs+512)
	for vs < lim && isSpaceByte(text[vs]) {
		vs++
	}
	ct := bytes.IndexByte(text[vs:lim], '<')
	if ct <= 0 || !bytes.HasPrefix(text[vs+ct:lim], []byte("</")) || !bytes.HasPrefix(text[vs+ct+2:lim], name) {
		return
	}
	ve := vs + ct
	for ve > vs && isSpaceByte(text[ve-1]) {
		ve--
	}
	if bytes.IndexByte(text[vs:ve], '\n') >= 0 {
		return // several lines of text: prose, not a value
	}
	conf := credentialScore(text[vs:ve], valueCtx{id: id, quoted: true})
	if conf == 0 {
		return
	}
	sc.cands = append(sc.cands, Finding{RuleID: id, Category: Secret, Description: d.codeSpecs[id].Description,
		Start: vs, End: ve, Confidence: conf})
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
		if len(seg) > 40 || !isIdentBytes(seg) || isDigit(seg[0]) {
			return false
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

// envFile reports file names of the env family (.env, .env.*, *.env,
// .envrc, env.production): every value there is configuration that may be
// a secret whatever its key is called.
func envFile(path string) bool {
	base := strings.ToLower(path[strings.LastIndexAny(path, `/\`)+1:])
	return strings.HasPrefix(base, ".env") || strings.HasSuffix(base, ".env") || strings.HasPrefix(base, "env.")
}

// envMachineValues reports the values in an env file whose key says
// nothing (TOTP_SEED, SALT, SIGNATURE) when they look machine-made:
// 16 bytes or more, mixed characters and high entropy, not a URL, a path
// or a number.
func (d *Detector) envMachineValues(text []byte, sc *scratch) {
	if !d.code[RuleGenericSecret] {
		return
	}
	for ls := 0; ls < len(text); {
		le := lineEnd(text, ls)
		line := text[ls:le]
		t := bytes.TrimLeft(line, " \t")
		t = bytes.TrimPrefix(t, []byte("export "))
		eq := bytes.IndexByte(t, '=')
		if eq > 0 && isIdentBytes(bytes.TrimSpace(t[:eq])) && t[0] != '#' {
			vs := ls + (len(line) - len(t)) + eq + 1
			lit, ok := readLiteral(text[:le], vs, famShell)
			if !ok {
				lit = readBare(text[:le], vs)
			}
			v := text[lit.vs:lit.ve]
			if len(v) >= 16 && machineLike(v) && shannon(v) >= 3.3 && !isPlaceholderValue(v, true) &&
				bytes.IndexByte(v, '/') < 0 && bytes.IndexByte(v, ' ') < 0 {
				sc.cands = append(sc.cands, Finding{RuleID: RuleGenericSecret, Category: Secret,
					Description: "machine-made value in an env file", Start: lit.vs, End: lit.ve, Confidence: 0.6})
			}
		}
		ls = le + 1
	}
}

// pgpassValues reports the password field of each line of a PostgreSQL
// password file (.pgpass, pgpass.conf): host:port:database:user:password.
func (d *Detector) pgpassValues(text []byte, sc *scratch) {
	if !d.code[RuleGenericPassword] {
		return
	}
	for ls := 0; ls < len(text); {
		le := lineEnd(text, ls)
		line := bytes.TrimRight(text[ls:le], "\r")
		fields, last := 0, -1
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case ':':
				fields++
				if fields == 4 {
					last = i + 1
				}
			}
		}
		if len(line) > 0 && line[0] != '#' && fields == 4 && last < len(line) {
			sc.cands = append(sc.cands, Finding{RuleID: RuleGenericPassword, Category: Secret,
				Description: "password in a PostgreSQL password file", Start: ls + last, End: ls + len(line), Confidence: 0.9})
		}
		ls = le + 1
	}
}

// pgpassFile reports PostgreSQL password file names.
func pgpassFile(path string) bool {
	base := strings.ToLower(path[strings.LastIndexAny(path, `/\`)+1:])
	return base == ".pgpass" || base == "pgpass.conf"
}
