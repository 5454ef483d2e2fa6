package redact

import (
	"bytes"
	"sort"
)

// Passwords on command lines that no key name announces: mysql -pSECRET,
// sshpass -p SECRET, curl -u user:SECRET, redis-cli -a SECRET, openssl
// -passin pass:SECRET, zip -P SECRET, smbclient -U user%SECRET, htpasswd -b
// FILE USER SECRET. (--password SECRET, --password=SECRET and
// PGPASSWORD=SECRET are key names: the generic detector reads them.)

// cliOpt is one way a tool takes a password.
type cliOpt struct {
	opt      string // the option, e.g. "-p"
	attached bool   // the value is glued to the option (-pSECRET)
	split    byte   // the value is the part after this byte (user:SECRET)
	prefix   string // the value starts with this (pass:SECRET)
	nth      int    // for positional forms: the value is the nth word after the option
	quoted   bool   // the value must be a quoted literal
}

// cliTools maps a command name to its password options.
var cliTools = map[string][]cliOpt{
	"mysql":      {{opt: "-p", attached: true}},
	"mysqldump":  {{opt: "-p", attached: true}},
	"mysqladmin": {{opt: "-p", attached: true}, {opt: "password"}}, // mysqladmin -u root password NEW
	"mariadb":    {{opt: "-p", attached: true}},
	"sshpass":    {{opt: "-p"}, {opt: "-p", attached: true}},
	"curl":       {{opt: "-u", split: ':'}, {opt: "--user", split: ':'}, {opt: "-u", attached: true, split: ':'}},
	"redis-cli":  {{opt: "-a"}},
	"openssl":    {{opt: "-passin", prefix: "pass:"}, {opt: "-passout", prefix: "pass:"}, {opt: "-pass", prefix: "pass:"}, {opt: "-k"}},
	"zip":        {{opt: "-P"}},
	"unzip":      {{opt: "-P"}},
	"smbclient":  {{opt: "-U", split: '%'}, {opt: "--user", split: '%'}},
	"htpasswd":   {{opt: "-b", nth: 3}, {opt: "-bc", nth: 3}, {opt: "-cb", nth: 3}},
	"sqlcmd":     {{opt: "-P"}},
	"login":      {{opt: "-p"}},               // docker login -u user -p SECRET
	"identified": {{opt: "by", quoted: true}}, // ALTER USER u IDENTIFIED BY 'SECRET' (SQL; prose says "identified by")
}

// cliKeywords are the keywords that start the CLI detector.
func cliKeywords() []string {
	out := make([]string, 0, len(cliTools))
	for k := range cliTools {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cliAt handles a tool name at [hs, he): it reads the rest of the command
// (to the line end or a | ; && ||) word by word and reports passwords.
func (d *Detector) cliAt(text []byte, sc *scratch, hs, he int) {
	if !d.code[RuleGenericPassword] || hs > 0 && (isKeyByte(text[hs-1]) && text[hs-1] != '.') ||
		he < len(text) && text[he] != ' ' && text[he] != '\t' {
		return
	}
	var buf [16]byte
	if he-hs > len(buf) {
		return
	}
	lowerASCII(buf[:he-hs], text[hs:he])
	opts := cliTools[string(buf[:he-hs])]
	if string(buf[:he-hs]) == "identified" && !sqlUserLine(text, hs) {
		return // "the function identified by "repeat"": prose
	}
	var words [24]literal
	n := cliWords(text, he, words[:])
	for i := 0; i < n; i++ {
		w := text[words[i].vs:words[i].ve]
		for _, o := range opts {
			switch {
			case o.attached && len(w) > len(o.opt) && string(w[:len(o.opt)]) == o.opt:
				d.cliValue(text, sc, words[i].vs+len(o.opt), words[i].ve, o)
			case !o.attached && (string(w) == o.opt || o.opt[0] != '-' && len(w) == len(o.opt) && hasPrefixFold(w, o.opt)) &&
				i+max(1, o.nth) < n:
				v := words[i+max(1, o.nth)]
				if !o.quoted || v.quoted {
					d.cliValue(text, sc, v.vs, v.ve, o)
				}
			}
		}
	}
}

// cliValue applies the option's split or prefix and records the password.
func (d *Detector) cliValue(text []byte, sc *scratch, vs, ve int, o cliOpt) {
	if vs < ve && (text[vs] == '"' || text[vs] == '\'') {
		vs++
	}
	if o.split != 0 {
		k := bytes.IndexByte(text[vs:ve], o.split)
		if k < 0 {
			return
		}
		vs += k + 1
	}
	if o.prefix != "" {
		if !bytes.HasPrefix(text[vs:ve], []byte(o.prefix)) {
			return
		}
		vs += len(o.prefix)
	}
	if ve-vs < 4 || credentialScore(text[vs:ve], valueCtx{id: RuleGenericPassword, quoted: true}) == 0 {
		return
	}
	sc.cands = append(sc.cands, Finding{RuleID: RuleGenericPassword, Category: Secret,
		Description: "password on a command line", Start: vs, End: ve, Confidence: 0.8})
}

// cliWords splits the command after at into words (quotes removed from a
// word's span) until the line or the command ends; it returns the count.
func cliWords(text []byte, at int, out []literal) int {
	n := 0
	i := at
	for n < len(out) && i < len(text) && i-at < 512 {
		i = skipBlanks(text, i)
		if i >= len(text) || text[i] == '\n' || text[i] == '|' || text[i] == ';' || text[i] == '&' || text[i] == '#' {
			break
		}
		if text[i] == '\\' && i+1 < len(text) && text[i+1] == '\n' {
			i += 2 // line continuation
			continue
		}
		if text[i] == '"' || text[i] == '\'' {
			if lit, ok := quotedAt(text, i, text[i] == '\''); ok {
				out[n] = literal{vs: lit.vs, ve: lit.ve, end: lit.end, quoted: true}
				n++
				i = lit.end
				continue
			}
		}
		j := i
		for j < len(text) && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' && text[j] != '\r' &&
			text[j] != ';' && text[j] != '|' && text[j] != '"' && text[j] != '\'' && text[j] != '`' {
			j++
		}
		ve := j
		// -p"secret", -u'user:pass': an option glued to a quoted value.
		if j < len(text) && (text[j] == '"' || text[j] == '\'') && j > i {
			if lit, ok := quotedAt(text, j, text[j] == '\''); ok {
				// The option and its value stay one word; cliValue drops the
				// quote after the option: -p"secret.
				out[n] = literal{vs: i, ve: lit.ve, end: lit.end}
				n++
				i = lit.end
				continue
			}
		}
		if j == i {
			break
		}
		out[n] = literal{vs: i, ve: ve, end: j}
		n++
		i = j
	}
	return n
}

// sqlUserLine reports a SQL user or role statement: USER or ROLE before at
// on its line.
func sqlUserLine(text []byte, at int) bool {
	line := bytes.ToUpper(text[max(lineStart(text, at), at-120):at])
	return bytes.Contains(line, []byte("USER ")) || bytes.Contains(line, []byte("ROLE "))
}
