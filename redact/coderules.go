package redact

import "strings"

// codeRuleSpecs describes the detectors written in Go. They share the rule
// id space with the YAML rules (Options.Disable turns them off by id) and
// their samples live in the tests, where some are generated.
func codeRuleSpecs() []RuleSpec {
	return []RuleSpec{
		{ID: RuleGenericPassword, Category: Secret, Description: "password assigned to a password-named key"},
		{ID: RuleGenericSecret, Category: Secret, Description: "secret assigned to a secret-named key"},
		{ID: RuleGenericToken, Category: Secret, Description: "token assigned to a token-named key"},
		{ID: RuleGenericAPIKey, Category: Secret, Description: "API key assigned to an api_key-named key"},
		{ID: RuleGenericAuth, Category: Secret, Description: "credential assigned to an auth/credential-named key"},
		{ID: RulePrivateKey, Category: Secret, Description: "PEM, OpenSSH or PGP private key block"},
		{ID: RuleEmail, Category: PII, Description: "email address"},
		{ID: RulePhone, Category: PII, Description: "phone number"},
		{ID: RuleCard, Category: PII, Description: "payment card number (Luhn)"},
		{ID: RuleIBAN, Category: PII, Description: "IBAN (mod-97)"},
		{ID: RuleSSN, Category: PII, Description: "US social security number"},
		{ID: RuleIPv4, Category: PII, Description: "public IPv4 address"},
		{ID: RuleIPv6, Category: PII, Description: "public IPv6 address"},
		{ID: RuleTerm, Category: Identifier, Description: "configured identifier term"},
		{ID: RulePattern, Category: Identifier, Description: "configured identifier pattern"},
		{ID: RuleTypingPartial, Category: Secret, Description: "secret being typed"},
	}
}

// scanTerms reports every occurrence of a configured term, case-insensitive,
// also inside longer identifiers and host names: only the term's bytes are
// reported, so the rest of the identifier stays readable. A term of several
// words ("Project Halcyon") matches with any separator between its words:
// none (ProjectHalcyon, PROJECTHALCYON), blanks, _ - . +, %20, or a line
// break and indentation. (Invisible characters inside are removed by the
// decoding pass, which scans terms too.)
func (d *Detector) scanTerms(text []byte, sc *scratch) {
	eachMatch(d.terms, d.termMax, text, &sc.chunk, func(id, s, e int) {
		end := -1
		for _, rest := range d.termSets[id] {
			if te := matchTermRest(text, e, rest); te > end {
				end = te
			}
		}
		if end < 0 {
			return
		}
		sc.cands = append(sc.cands, Finding{RuleID: RuleTerm, Category: Identifier,
			Description: "configured identifier term", Start: s, End: end, Confidence: 0.9})
	})
	clear(sc.chunk[:min(len(text), acChunk)]) // the text lower-cased: nothing to keep in a pooled scratch
}

// matchTermRest matches the words of a term after its first word, each
// after a separator, and returns the end of the match or -1.
func matchTermRest(text []byte, at int, words []string) int {
	for _, w := range words {
		at = termSeparator(text, at)
		if !hasPrefixFold(text[at:], w) {
			return -1
		}
		at += len(w)
	}
	return at
}

// termSeparator skips what may stand between two words of a term: up to
// three of blank, _ - . +, "%20", or one line break with its indentation.
func termSeparator(text []byte, at int) int {
	for n := 0; n < 3 && at < len(text); n++ {
		switch c := text[at]; {
		case c == ' ' || c == '\t' || c == '_' || c == '-' || c == '.' || c == '+':
			at++
		case c == '%' && at+2 < len(text) && text[at+1] == '2' && text[at+2] == '0':
			at += 3
		case c == '\r' || c == '\n':
			if c == '\r' && at+1 < len(text) && text[at+1] == '\n' {
				at++
			}
			at = skipBlanks(text, at+1)
			for at < len(text) && (text[at] == '#' || text[at] == '/' || text[at] == '*') && n == 0 {
				at++ // a comment continued on the next line
			}
			return skipBlanks(text, at) // one line break at most
		default:
			return at
		}
	}
	return at
}

// termWords splits a configured term into lower-case words at blanks,
// _ - . + and camelCase boundaries: "Project Halcyon", "project_halcyon"
// and "ProjectHalcyon" are all [project halcyon].
func termWords(t string) []string {
	words := splitTerm(t, true)
	for _, w := range words {
		if len(w) < 3 {
			return splitTerm(t, false) // iPhone, eBay: no camelCase split
		}
	}
	return words
}

func splitTerm(t string, camel bool) []string {
	var words []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	t = strings.TrimSpace(t)
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == ' ' || c == '\t' || c == '_' || c == '-' || c == '.' || c == '+':
			flush()
			continue
		case camel && isUpper(c) && i > 0 && t[i-1] >= 'a' && t[i-1] <= 'z':
			flush()
		}
		cur = append(cur, c)
	}
	flush()
	return words
}
