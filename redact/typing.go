package redact

import "bytes"

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

// ScanTyping is Scan plus typing safety: the token touching cursor is a
// finding (rule typing-partial-secret) when it begins with a known secret
// prefix, sits inside an unfinished private key block, or is an unfinished
// high-entropy literal. A secret typed one character at a time therefore
// never reaches the model in part.
func (d *Detector) ScanTyping(path string, text []byte, cursor int) []Finding {
	fs := d.Scan(path, text)
	if d.pathAllowed(path) || !d.code[RuleTypingPartial] {
		return fs
	}
	cursor = max(0, min(cursor, len(text)))
	s, e := cursor, cursor
	for s > 0 && isTypingByte(text[s-1]) {
		s--
	}
	for e < len(text) && isTypingByte(text[e]) {
		e++
	}
	if e <= s {
		return fs
	}
	for _, f := range fs {
		if f.Start <= s && f.End >= e {
			return fs // already masked whole
		}
	}
	conf := 0.0
	tok := text[s:e]
	for _, p := range typingPrefixes {
		if bytes.HasPrefix(tok, []byte(p)) && len(tok) > len(p) {
			conf = 0.9
			break
		}
	}
	if conf == 0 && inOpenPrivateKey(text, s) {
		conf = 0.95
		s = bytes.LastIndex(text[:s], []byte("-----BEGIN"))
	}
	if conf == 0 && unfinishedLiteral(text, s, tok) {
		conf = 0.6
	}
	if conf == 0 {
		return fs
	}
	f := Finding{RuleID: RuleTypingPartial, Category: Secret, Description: "secret being typed",
		Start: s, End: e, Confidence: conf}
	if allowedLines(text).has(s) {
		return fs
	}
	// The typing finding wins over whatever it overlaps.
	out := fs[:0:0]
	for _, g := range fs {
		if g.End <= f.Start || g.Start >= f.End {
			out = append(out, g)
		} else if g.Start < f.Start {
			f.Start = g.Start
		} else if g.End > f.End {
			f.End = g.End
		}
	}
	out = append(out, f)
	return resolveOverlaps(out)
}

func isTypingByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c == '.'
}

// inOpenPrivateKey reports that at is inside the body of a
// "-----BEGIN ... PRIVATE KEY" block with no "-----END" yet: everything
// between the header and at is key material (base64, line breaks, \n
// escapes, PEM header lines), not code that merely mentions a header.
func inOpenPrivateKey(text []byte, at int) bool {
	b := bytes.LastIndex(text[:at], []byte("-----BEGIN"))
	if b < 0 || at-b > maxWindow*4 {
		return false
	}
	hdr := text[b:at]
	if nl := bytes.IndexAny(hdr, "\n\\"); nl >= 0 {
		hdr = hdr[:nl]
	}
	if len(hdr) > 64 {
		return false
	}
	closed := bytes.Index(hdr[len("-----BEGIN"):], []byte("-----"))
	if closed < 0 {
		// Still typing the header: mask it only once it names a private key.
		return bytes.Contains(hdr, []byte("PRIVATE"))
	}
	if !bytes.Contains(hdr, []byte("PRIVATE KEY")) {
		return false
	}
	for _, c := range text[b+len("-----BEGIN")+closed+5 : at] {
		if !(isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == '\\' ||
			c == ' ' || c == '\t' || c == '-' || c == ':' || c == ',') {
			return false
		}
	}
	return true
}

// unfinishedLiteral: a token right after an opening quote or an = / : of
// at least 12 bytes mixing letters and digits with high entropy, that is
// not closed yet.
func unfinishedLiteral(text []byte, s int, tok []byte) bool {
	if len(tok) < 12 || s == 0 {
		return false
	}
	p := text[s-1]
	if p != '"' && p != '\'' && p != '`' && p != '=' && p != ':' && p != ' ' {
		return false
	}
	var lower, upper, digit bool
	for _, c := range tok {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case isDigit(c):
			digit = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit} {
		if b {
			classes++
		}
	}
	return classes >= 2 && digit && shannon(tok) >= 3.2
}
