package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"
	"strings"
)

// Tokens
//
// A masked value is replaced by a token such as
//
//	VEIL_GITHUB_PAT_CLASSIC_3_k9x    VEIL_EMAIL_12_a0q    veil_name_4_p2m
//
// made of the prefix VEIL_ (or veil_), a readable label (what the value
// is: the rule id for provider secrets, PASSWORD/TOKEN/SECRET for generic
// ones, EMAIL/PHONE/CARD/IBAN/SSN/IP for PII, NAME for identifiers), a
// counter that the vault never reuses, and three check characters: the
// first bytes of HMAC-SHA256(session key, "label_counter") in base36. The
// value takes no part in the token, so a token says nothing about it; the
// check characters let Restore tell a token the vault issued from one a
// model altered or invented (about 1 in 46,656 invented tokens passes the
// check, and then still has to be in the vault).
//
// Tokens contain only [A-Za-z0-9_] and start with a letter, so they are
// valid identifiers, string contents, YAML scalars and JSON string values.
// An identifier whose first letter is lower case gets the lower-case form,
// keeping Go's exported/unexported distinction. The check characters have
// a fixed length, so a token embedded in a longer identifier
// (VEIL_NAME_1_abcBillingClient) is still found and restored exactly.
//
// Grammar (upper form; the lower form is the same in lower case, the check
// characters are always lower case):
//
//	token   = "VEIL_" label "_" counter "_" check
//	label   = word { "_" word }      word = [A-Z][A-Z0-9]*
//	counter = [0-9]{1,12}            check = [a-z0-9]{3}

const (
	checkLen    = 3
	maxLabelLen = 40
	maxTokenLen = 5 + maxLabelLen + 1 + 12 + 1 + checkLen
)

// tokenLabel is the readable part of a finding's token, upper case.
func tokenLabel(f Finding) string {
	switch f.Category {
	case Identifier:
		return "NAME"
	case PII:
		switch f.RuleID {
		case RuleIPv4, RuleIPv6:
			return "IP"
		}
	}
	id := strings.TrimPrefix(f.RuleID, "generic-")
	id = strings.TrimPrefix(id, "pii-")
	switch id {
	case RuleTypingPartial:
		return "SECRET"
	case RulePrivateKey:
		return "PRIVATE_KEY"
	}
	var b strings.Builder
	for _, w := range strings.FieldsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if !(w[0] >= 'a' && w[0] <= 'z' || w[0] >= 'A' && w[0] <= 'Z') {
			continue
		}
		if b.Len()+1+len(w) > maxLabelLen {
			break
		}
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		b.WriteString(strings.ToUpper(w))
	}
	if b.Len() == 0 {
		switch f.Category {
		case PII:
			return "PII"
		}
		return "SECRET"
	}
	return b.String()
}

// checkChars computes the check characters for label (upper case) and n.
func checkChars(key []byte, label string, n uint64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write([]byte{'_'})
	m.Write([]byte(strconv.FormatUint(n, 10)))
	sum := m.Sum(nil)
	v := uint32(sum[0])<<16 | uint32(sum[1])<<8 | uint32(sum[2])
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var out [checkLen]byte
	for i := range out {
		out[i] = digits[v%36]
		v /= 36
	}
	return string(out[:])
}

func formatToken(key []byte, label string, n uint64, lower bool) string {
	prefix, l := "VEIL_", label
	if lower {
		prefix, l = "veil_", strings.ToLower(label)
	}
	return prefix + l + "_" + strconv.FormatUint(n, 10) + "_" + checkChars(key, label, n)
}

type parseStatus int

const (
	parseInvalid    parseStatus = iota // not a token
	parseIncomplete                    // could still become a token with more text
	parseOK
)

// parsedToken is a syntactically valid token found in text.
type parsedToken struct {
	end   int
	label string // upper case
	n     uint64
	check string
}

// parseToken parses a token starting at i (text[i:] starts with VEIL_ or
// veil_, or is a prefix of one at the end of text).
func parseToken(text string, i int) (parsedToken, parseStatus) {
	var lower bool
	rest := text[i:]
	switch {
	case strings.HasPrefix(rest, "VEIL_"):
	case strings.HasPrefix(rest, "veil_"):
		lower = true
	case strings.HasPrefix("VEIL_", rest) || strings.HasPrefix("veil_", rest):
		return parsedToken{}, parseIncomplete
	default:
		return parsedToken{}, parseInvalid
	}
	isLetter := func(c byte) bool {
		if lower {
			return c >= 'a' && c <= 'z'
		}
		return c >= 'A' && c <= 'Z'
	}
	j := i + 5
	labelStart := j
	// label words
	for {
		if j >= len(text) {
			return parsedToken{}, parseIncomplete
		}
		c := text[j]
		if isDigit(c) && j > labelStart {
			break // counter
		}
		if !isLetter(c) {
			return parsedToken{}, parseInvalid
		}
		for j < len(text) && (isLetter(text[j]) || isDigit(text[j])) {
			j++
		}
		if j-labelStart > maxLabelLen {
			return parsedToken{}, parseInvalid
		}
		if j >= len(text) {
			return parsedToken{}, parseIncomplete
		}
		if text[j] != '_' {
			return parsedToken{}, parseInvalid
		}
		j++
	}
	label := text[labelStart : j-1]
	ns := j
	for j < len(text) && isDigit(text[j]) {
		j++
		if j-ns > 12 {
			return parsedToken{}, parseInvalid
		}
	}
	if j >= len(text) {
		return parsedToken{}, parseIncomplete
	}
	if text[j] != '_' {
		return parsedToken{}, parseInvalid
	}
	n, err := strconv.ParseUint(text[ns:j], 10, 64)
	if err != nil {
		return parsedToken{}, parseInvalid
	}
	j++
	cs := j
	for j < len(text) && j-cs < checkLen {
		c := text[j]
		if !(c >= 'a' && c <= 'z' || isDigit(c)) {
			return parsedToken{}, parseInvalid
		}
		j++
	}
	if j-cs < checkLen {
		return parsedToken{}, parseIncomplete
	}
	return parsedToken{end: j, label: strings.ToUpper(label), n: n, check: text[cs:j]}, parseOK
}
