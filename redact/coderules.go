package redact

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
// reported, so the rest of the identifier stays readable.
func (d *Detector) scanTerms(text []byte, sc *scratch) {
	eachMatch(d.terms, d.termMax, text, &sc.chunk, func(_, s, e int) {
		sc.cands = append(sc.cands, Finding{RuleID: RuleTerm, Category: Identifier,
			Description: "configured identifier term", Start: s, End: e, Confidence: 0.9})
	})
}
