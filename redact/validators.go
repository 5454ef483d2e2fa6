package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
	"math"
	"strings"
)

// A validator checks a candidate value beyond its regex. It returns
// ok=false to reject the candidate, or ok=true with a confidence floor the
// finding is raised to (0 leaves the rule's confidence as it is).
type validator func(value []byte) (ok bool, confidence float64)

// Validators usable by name in a rule's `validator` field:
//
//   - luhn: digits (spaces and dashes ignored) pass the Luhn check.
//   - iban: country code, check digits and BBAN pass ISO 13616 mod-97, and the
//     length fits the country.
//   - github_crc32: GitHub token (ghp_, gho_, ghu_, ghs_, ghr_): the last 6
//     characters are the base62 (0-9A-Za-z) CRC32 (IEEE) of the 30 characters
//     between the prefix and the checksum, left-padded with '0'.
//   - npm_crc32: the same scheme for npm tokens (npm_ + 30 + 6).
//   - jwt: three dot-separated base64url parts; the header decodes to a JSON
//     object with an "alg" field.
//   - ssn: US social security number AAA-GG-SSSS with area not 000, 666 or
//     9xx, group not 00, serial not 0000.
//   - aws_not_example: rejects the AWS documentation example keys and values
//     ending in EXAMPLE / EXAMPLEKEY.
//   - base64: the value decodes as standard or URL base64 (padding optional).
//
// Every validator rejects a known documentation example value.
func validatorByName(name string) (validator, bool) {
	switch name {
	case "":
		return nil, true
	case "luhn":
		return func(v []byte) (bool, float64) { return luhnValid(v), 0.95 }, true
	case "iban":
		return func(v []byte) (bool, float64) { return ibanValid(v), 0.95 }, true
	case "github_crc32":
		return func(v []byte) (bool, float64) { return base62CRCValid(v), 0.99 }, true
	case "npm_crc32":
		return func(v []byte) (bool, float64) { return base62CRCValid(v), 0.99 }, true
	case "jwt":
		return func(v []byte) (bool, float64) { return jwtValid(v), 0.9 }, true
	case "ssn":
		return func(v []byte) (bool, float64) { return ssnValid(v), 0 }, true
	case "aws_not_example":
		return func(v []byte) (bool, float64) { return !awsExample(v), 0 }, true
	case "base64":
		return func(v []byte) (bool, float64) { return base64Valid(v), 0 }, true
	}
	return nil, false
}

// ValidatorNames lists the validators a rule may name.
func ValidatorNames() []string {
	return []string{"luhn", "iban", "github_crc32", "npm_crc32", "jwt", "ssn", "aws_not_example", "base64"}
}

func luhnValid(v []byte) bool {
	sum, n := 0, 0
	for i := len(v) - 1; i >= 0; i-- {
		c := v[i]
		if c == ' ' || c == '-' {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 12 && sum%10 == 0
}

// ibanLengths is the IBAN length per country (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

func ibanValid(v []byte) bool {
	var buf [40]byte
	n := 0
	for _, c := range v {
		if c == ' ' {
			continue
		}
		if n == len(buf) {
			return false
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	if n < 15 {
		return false
	}
	s := buf[:n]
	want, ok := ibanLengths[string(s[:2])]
	if !ok || want != n {
		return false
	}
	// Move the first four characters to the end, letters to 10..35, mod 97.
	rem := 0
	for i := 0; i < n; i++ {
		c := s[(i+4)%n]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62CRC returns the 6-character base62 CRC32 of b.
func base62CRC(b []byte) [6]byte {
	c := crc32.ChecksumIEEE(b)
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62Digits[c%62]
		c /= 62
	}
	return out
}

// base62CRCValid checks a GitHub/npm style token: prefix_ + body + 6-char
// checksum. The checksum covers the body; a checksum over prefix and body
// is accepted too.
func base62CRCValid(v []byte) bool {
	us := bytes.LastIndexByte(v, '_')
	if us < 0 || len(v)-us-1 < 7 {
		return false
	}
	body, sum := v[us+1:len(v)-6], v[len(v)-6:]
	if got := base62CRC(body); bytes.Equal(got[:], sum) {
		return true
	}
	got := base62CRC(v[:len(v)-6])
	return bytes.Equal(got[:], sum)
}

func jwtValid(v []byte) bool {
	parts := bytes.Split(v, []byte{'.'})
	if len(parts) != 3 || len(parts[0]) == 0 || len(parts[1]) == 0 {
		return false
	}
	hdr, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(string(parts[0]), "="))
	if err != nil {
		return false
	}
	var h map[string]any
	if json.Unmarshal(hdr, &h) != nil {
		return false
	}
	_, ok := h["alg"]
	return ok
}

// ssnValid checks AAA-GG-SSSS (dashes or spaces optional) against the
// ranges the SSA never assigns.
func ssnValid(v []byte) bool {
	var d [9]int
	n := 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			if n == 9 {
				return false
			}
			d[n] = int(c - '0')
			n++
		case c == '-' || c == ' ':
		default:
			return false
		}
	}
	if n != 9 {
		return false
	}
	area := d[0]*100 + d[1]*10 + d[2]
	group := d[3]*10 + d[4]
	serial := d[5]*1000 + d[6]*100 + d[7]*10 + d[8]
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	return !isDocExample(v)
}

func awsExample(v []byte) bool {
	return bytes.HasSuffix(v, []byte("EXAMPLE")) || bytes.HasSuffix(v, []byte("EXAMPLEKEY")) || isDocExample(v)
}

func base64Valid(v []byte) bool {
	s := strings.TrimRight(string(v), "=")
	if _, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return true
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// docExamples are values published in vendor documentation as examples.
// They are recognised as such and never reported.
var docExamples = map[string]bool{
	"AKIAIOSFODNN7EXAMPLE":                     true,
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": true,
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY": true,
	"ASIAIOSFODNN7EXAMPLE":                     true,
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc":         true,
	"078-05-1120":                              true, // the Woolworth wallet SSN
	"123-45-6789":                              true,
	"4111111111111111":                         true,
	"4242424242424242":                         true,
	"5555555555554444":                         true,
	"378282246310005":                          true,
	"4012888888881881":                         true,
	"5105105105105100":                         true,
	"6011111111111117":                         true,
	"GB82WEST12345698765432":                   true,
	"DE89370400440532013000":                   true,
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c": true,
}

func isDocExample(v []byte) bool {
	if len(v) > 300 {
		return false
	}
	return docExamples[string(v)]
}

// shannon returns the Shannon entropy of v in bits per byte.
func shannon(v []byte) float64 {
	if len(v) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range v {
		counts[c]++
	}
	n := float64(len(v))
	h := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}
