package redact

// pctAlnum decodes a percent-encoded letter or digit (%41 is A) in a line
// that is already viewed decoded: encoders that escape every byte write
// them, while on their own they do not make a line worth a view (see
// decodeAt). The format-verb exception is decodeAt's.
func pctAlnum(text []byte, i int) (byte, bool) {
	if text[i] != '%' || i+2 >= len(text) || !upperHex(text[i+1]) || !upperHex(text[i+2]) ||
		i+3 < len(text) && isDigit(text[i+2]) && isVerb(text[i+3]) {
		return 0, false
	}
	b := hexVal(text[i+1])<<4 | hexVal(text[i+2])
	return b, isAlnum(b)
}

// minPctRun is how many percent-encoded letters or digits in a row make a
// line worth a view on their own: a value with every byte escaped
// (%41%4B%49%41...), not a lone %4A.
const minPctRun = 4

// pctAlnumRun reports minPctRun percent-encoded letters or digits in a row
// at i.
func pctAlnumRun(text []byte, i int) bool {
	for n := 0; n < minPctRun; n, i = n+1, i+3 {
		if i >= len(text) {
			return false
		}
		if _, ok := pctAlnum(text, i); !ok {
			return false
		}
	}
	return true
}
