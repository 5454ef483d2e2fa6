package redact

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"strings"
)

// The PII detectors are code: each runs on a cheap byte trigger ('@' for
// email, a digit for numbers, ':' for IPv6) and checks structure and
// checksums by hand rather than by regex.

// piiOn caches which PII detectors are enabled (map lookups per digit
// showed in profiles).
type piiOn struct{ email, phone, card, iban, ssn, ipv4, ipv6 bool }

func (d *Detector) scanPII(text []byte, sc *scratch) {
	if d.pii.email {
		d.scanEmails(text, sc)
	}
	if d.pii.phone || d.pii.card || d.pii.iban || d.pii.ssn || d.pii.ipv4 {
		d.scanNumbers(text, sc)
	}
	if d.pii.ipv6 {
		d.scanIPv6(text, sc)
	}
}

func (d *Detector) emit(sc *scratch, id string, s, e int, conf float64) {
	sc.cands = append(sc.cands, Finding{RuleID: id, Category: d.codeSpecs[id].Category,
		Description: d.codeSpecs[id].Description, Start: s, End: e, Confidence: conf})
}

func isLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// reservedDomains never hold real people's addresses (RFC 2606, RFC 6761).
func reservedDomain(dom string) bool {
	for _, s := range []string{"example.com", "example.org", "example.net"} {
		if dom == s || strings.HasSuffix(dom, "."+s) {
			return true
		}
	}
	for _, s := range []string{".example", ".test", ".invalid", ".localhost", ".local", ".internal"} {
		if strings.HasSuffix(dom, s) {
			return true
		}
	}
	return false
}

// fileExtTLDs are "TLDs" that are really file extensions (icon@2x.png).
var fileExtTLDs = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "js": true,
	"ts": true, "go": true, "py": true, "css": true, "html": true, "json": true, "txt": true, "md": true,
	"webp": true, "ico": true, "rb": true, "rs": true, "java": true, "yaml": true, "yml": true, "xml": true}

func (d *Detector) scanEmails(text []byte, sc *scratch) {
	pct := -2 // next "%40" (a percent-encoded '@', as in mailto: and query strings) at or after off; -1 none
	for off := 0; off < len(text); {
		at, w := -1, 1
		if k := bytes.IndexByte(text[off:], '@'); k >= 0 {
			at = off + k
		}
		if pct != -1 && pct < off {
			if pct = bytes.Index(text[off:], []byte("%40")); pct >= 0 {
				pct += off
			}
		}
		if pct >= 0 && (at < 0 || pct < at) {
			at, w = pct, 3
		}
		if at < 0 {
			return
		}
		off = at + 1
		ls := at
		for ls > 0 && at-ls < 64 && isLocalByte(text[ls-1]) {
			ls--
		}
		for ls < at && (text[ls] == '.' || text[ls] == '-' || text[ls] == '+') {
			ls++
		}
		if ls == at {
			continue
		}
		ds := at + w
		de := ds
		for de < len(text) && de-at < 254 && (isAlnum(text[de]) || text[de] == '.' || text[de] == '-') {
			de++
		}
		for de > ds && (text[de-1] == '.' || text[de-1] == '-') {
			de--
		}
		rawTLD := text[ds+bytes.LastIndexByte(text[ds:de], '.')+1 : de]
		if !bytes.Equal(rawTLD, bytes.ToLower(rawTLD)) && !bytes.Equal(rawTLD, bytes.ToUpper(rawTLD)) {
			continue // m.Path@m.Version: code, not an address
		}
		dom := strings.ToLower(string(text[ds:de]))
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || dot == len(dom)-1 {
			continue
		}
		tld := dom[dot+1:]
		if len(tld) < 2 || fileExtTLDs[tld] || !allLetters(tld) || reservedDomain(dom) || strings.Contains(dom, "..") {
			continue
		}
		local := string(text[ls:at])
		if local == "git" || strings.Contains(local, "..") {
			continue
		}
		d.emit(sc, RuleEmail, ls, de, 0.9)
		off = de
	}
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z') {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// numRun is a run of digits joined by single separators.
type numRun struct {
	start, end int
	digits     [20]byte
	nd         int
	groups     [8]int // digits per group
	ng         int
	sep        byte // the separator used, 0 when none; '*' when mixed
	plus       bool
	paren      bool
	literal    bool // preceded by a quote, '>', ':', '=' or ": "
}

func (d *Detector) scanNumbers(text []byte, sc *scratch) {
	for i := 0; i < len(text); {
		// Skip eight bytes at a time while none is a digit, then straight
		// to the first digit.
		if i+8 <= len(text) {
			m := digitMask(binary.LittleEndian.Uint64(text[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else if !isDigit(text[i]) {
			i++
			continue
		}
		// IBAN: two upper-case letters right before the first digit.
		if d.pii.iban && i >= 2 && isUpper(text[i-2]) && isUpper(text[i-1]) && (i < 3 || !isAlnum(text[i-3])) {
			if e := d.tryIBAN(text, sc, i-2); e > 0 {
				i = e + 1
				continue
			}
		}
		start := i
		if i > 0 && (text[i-1] == '+' || text[i-1] == '(') {
			start = i - 1 // +44 ..., (415) ...
		}
		if start > 0 {
			p := text[start-1]
			if isAlnum(p) || p == '_' || p == '.' || p == '$' || (text[start] == '+' && (p == ')' || p == ']')) {
				// Inside a word or a longer number: skip the rest of it.
				for i+1 < len(text) && (isAlnum(text[i+1]) || text[i+1] == '.') {
					i++
				}
				i++
				continue
			}
		}
		if j, ok := shortNumber(text, i); ok {
			// Fewer than four digits and nothing joined on: too short for
			// any detector.
			if j < len(text) && (isAlnum(text[j]) || text[j] == '_') {
				j++
			}
			i = j
			continue
		}
		var r numRun
		j := readNumRun(text, start, &r)
		switch {
		case r.nd == 0:
			i++
		case j < len(text) && (isAlnum(text[j]) || text[j] == '_'):
			i = j + 1
		default:
			d.classifyNumber(text, sc, &r)
			i = max(j, i+1)
		}
	}
}

// digitMask has the top bit of each byte of x that is an ASCII digit set:
// for b < 0x80, b+0x50 reaches 0x80 when b >= '0', b+0x46 when b > '9'.
func digitMask(x uint64) uint64 {
	const hi = 0x8080808080808080
	h := x &^ hi
	return (h + 0x5050505050505050) &^ (h + 0x4646464646464646) &^ x & hi
}

// shortNumber reports whether the digits at i are fewer than four and not
// followed by a separator and another digit (where readNumRun would stop
// after them), and returns their end. No detector takes so short a number.
func shortNumber(text []byte, i int) (int, bool) {
	j := i
	for j < len(text) && j-i < 4 && isDigit(text[j]) {
		j++
	}
	if j-i >= 4 || j+1 >= len(text) {
		return j, j-i < 4
	}
	switch text[j] {
	case ' ', '-', '.', ')', '(':
		next := j + 1
		if text[j] == ')' && text[next] == ' ' {
			next++
		}
		if next < len(text) && isDigit(text[next]) {
			return j, false
		}
	}
	return j, true
}

// readNumRun reads digits and single separators from i into r and returns
// the end.
func readNumRun(text []byte, i int, r *numRun) int {
	r.start = i
	j := i
	if i > 0 {
		switch text[i-1] {
		case '"', '\'', '`', '>', ':', '=':
			r.literal = true
		case ' ':
			r.literal = i > 1 && text[i-2] == ':'
		}
	}
	if text[j] == '+' {
		r.plus = true
		j++
	}
	if j < len(text) && text[j] == '(' {
		r.paren = true
		j++
	}
	cur := 0
	for j < len(text) && j-i < 40 {
		c := text[j]
		if isDigit(c) {
			if r.nd == len(r.digits) {
				r.nd = 0 // too long to be anything we look for
				return j
			}
			r.digits[r.nd] = c
			r.nd++
			cur++
			j++
			continue
		}
		sepOK := (c == ' ' || c == '-' || c == '.' || c == ')' || c == '(') && j+1 < len(text)
		if !sepOK || cur == 0 {
			break
		}
		next := j + 1
		if c == ')' && next < len(text) && text[next] == ' ' {
			next++
		}
		if next >= len(text) || !isDigit(text[next]) {
			break
		}
		if r.ng == len(r.groups) {
			break
		}
		r.groups[r.ng] = cur
		r.ng++
		cur = 0
		s := c
		if c == ')' || c == '(' {
			s = '('
		}
		switch r.sep {
		case 0:
			r.sep = s
		case s:
		default:
			r.sep = '*'
		}
		j = next
	}
	if cur > 0 && r.ng < len(r.groups) {
		r.groups[r.ng] = cur
		r.ng++
	}
	r.end = j
	return j
}

func (d *Detector) classifyNumber(text []byte, sc *scratch, r *numRun) {
	v := text[r.start:r.end]
	switch {
	case !r.plus && !r.paren && r.sep == '.' && r.ng == 4:
		if d.pii.ipv4 && ipv4Like(text, r) && d.publicIP(string(v)) {
			d.emit(sc, RuleIPv4, r.start, r.end, 0.8)
		}
	case !r.plus && !r.paren && r.sep == '-' && r.ng == 3 && r.groups[0] == 3 && r.groups[1] == 2 && r.groups[2] == 4:
		if d.pii.ssn && ssnValid(v) {
			d.emit(sc, RuleSSN, r.start, r.end, 0.85)
		}
	case !r.plus && !r.paren && r.nd >= 13 && r.nd <= 19 && (r.sep == 0 || r.sep == ' ' || r.sep == '-'):
		negative := r.sep == 0 && r.start > 0 && text[r.start-1] == '-' // $-2251799813685248: a constant
		if d.pii.card && !negative && cardLike(r) && luhnValid(v) && !isDocExample(v) && !isDocExample(r.digits[:r.nd]) {
			conf := 0.95
			if r.sep == 0 {
				conf = 0.8
			}
			d.emit(sc, RuleCard, r.start, r.end, conf)
		}
	default:
		if d.pii.phone && phoneLike(r) {
			d.emit(sc, RulePhone, r.start, r.end, 0.75)
		}
	}
}

// ipv4Like rejects dotted numbers that are section numbers, OIDs, version
// strings or reverse-DNS labels: the first octet, or two octets, must have
// two or more digits, the first octet is not 0, 1 or 2, no "section"/"§"/"RFC" right before, no ".label" right after.
func ipv4Like(text []byte, r *numRun) bool {
	wide := 0
	for i := 0; i < r.ng; i++ {
		if r.groups[i] > 3 {
			return false
		}
		if r.groups[i] >= 2 {
			wide++
		}
	}
	if wide < 2 && r.groups[0] < 2 {
		return false
	}
	if r.groups[0] == 1 && r.digits[0] <= '2' {
		return false // 0.x, 1.x, 2.x: far more often an OID (2.5.29.17) than a host
	}
	if r.end+1 < len(text) && text[r.end] == '.' && isAlnum(text[r.end+1]) {
		return false
	}
	before := strings.ToLower(string(text[max(0, r.start-10):r.start]))
	return !strings.Contains(before, "section") && !strings.Contains(before, "§") && !strings.Contains(before, "rfc")
}

// cardLike checks the issuer prefix and the grouping of a card number.
func cardLike(r *numRun) bool {
	dg := string(r.digits[:r.nd])
	prefix := func(ps ...string) bool {
		for _, p := range ps {
			if strings.HasPrefix(dg, p) {
				return true
			}
		}
		return false
	}
	n := r.nd
	iin4 := 0
	for _, c := range dg[:4] {
		iin4 = iin4*10 + int(c-'0')
	}
	switch {
	case dg[0] == '4' && (n == 13 || n == 16 || n == 19): // Visa
	case (iin4 >= 5100 && iin4 <= 5599 || iin4 >= 2221 && iin4 <= 2720) && n == 16: // Mastercard
	case prefix("34", "37") && n == 15: // Amex
	case prefix("6011", "65", "644", "645", "646", "647", "648", "649") && n >= 16 && n <= 19: // Discover
	case iin4 >= 3528 && iin4 <= 3589 && n >= 16 && n <= 19: // JCB
	case prefix("36") && n == 14, prefix("300", "301", "302", "303", "304", "305", "38", "39") && n >= 14 && n <= 19: // Diners
	case prefix("62") && n >= 16 && n <= 19: // UnionPay
	default:
		return false
	}
	if r.sep == 0 {
		// A bare number is a card anywhere (prose, logs, code) when its
		// issuer prefix and length fit; in code a numeric constant of
		// 17 digits or more is far more often a hash or a bit pattern.
		return r.ng == 1 && (r.literal || n >= 14 && n <= 16)
	}
	for i := 0; i < r.ng-1; i++ {
		if r.groups[i] < 4 || r.groups[i] > 6 {
			return false
		}
	}
	return true
}

// phoneLike accepts E.164 (+ and 8 to 15 digits), North American
// (NXX) NXX-XXXX / NXX-NXX-XXXX, and trunk-prefixed national numbers
// (0AA[A] XXXX XXXX).
func phoneLike(r *numRun) bool {
	dg := r.digits[:r.nd]
	if r.sep == '*' && !r.paren {
		return false
	}
	if r.plus {
		if r.nd < 8 || r.nd > 15 || dg[0] == '0' {
			return false
		}
		// A bare +digits run needs 10+ digits; grouped numbers need groups >= 2.
		if r.ng == 1 {
			return r.nd >= 10
		}
		for i := 0; i < r.ng; i++ {
			if r.groups[i] > 4 && i > 0 || r.groups[i] < 1 {
				return false
			}
		}
		return true
	}
	if r.nd == 10 && r.ng == 3 && r.groups[0] == 3 && r.groups[1] == 3 && r.groups[2] == 4 &&
		dg[0] >= '2' && dg[3] >= '2' && (r.sep == '-' || r.sep == '.' || r.paren) {
		return !(dg[0] == '5' && dg[1] == '5' && dg[2] == '5' && dg[3] == '0' && dg[4] == '1') // 555-01xx fiction range
	}
	if dg[0] == '0' && r.nd >= 10 && r.nd <= 11 && r.ng >= 3 && r.ng <= 4 && (r.sep == ' ' || r.sep == '-') &&
		dg[1] != '0' && r.groups[0] >= 3 && r.groups[0] <= 5 {
		for i := 1; i < r.ng; i++ {
			if r.groups[i] < 3 || r.groups[i] > 4 {
				return false
			}
		}
		return true
	}
	return false
}

// tryIBAN checks an IBAN starting at s (two letters, two digits, BBAN in
// optional groups of four) and returns its end, or 0.
func (d *Detector) tryIBAN(text []byte, sc *scratch, s int) int {
	j := s
	n := 0
	end := 0
	for j < len(text) && n < 34 {
		c := text[j]
		if isDigit(c) || isUpper(c) {
			n++
			j++
			if n >= 15 {
				end = j
			}
			continue
		}
		if c == ' ' && j+1 < len(text) && (isDigit(text[j+1]) || isUpper(text[j+1])) && n%4 == 0 {
			j++
			continue
		}
		break
	}
	if end == 0 {
		return 0
	}
	// The IBAN's length is fixed per country: try the longest fit first.
	for e := end; e >= s+15; e-- {
		if e < len(text) && isAlnum(text[e]) && e == end {
			continue
		}
		if text[e-1] == ' ' {
			continue
		}
		if ibanValid(text[s:e]) && (e >= len(text) || !isAlnum(text[e])) {
			if isDocExample(text[s:e]) {
				return e
			}
			d.emit(sc, RuleIBAN, s, e, 0.95)
			return e
		}
	}
	return 0
}

// publicIP reports whether s is an address to mask: public, or private
// when PrivateIPs is set. Unspecified, broadcast, multicast and
// documentation addresses are never masked.
func (d *Detector) publicIP(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		switch {
		case b[0] == 0, b[0] >= 240, // this network, reserved, broadcast
			b[0] == 192 && b[1] == 0 && b[2] == 2,     // TEST-NET-1
			b[0] == 198 && b[1] == 51 && b[2] == 100,  // TEST-NET-2
			b[0] == 203 && b[1] == 0 && b[2] == 113,   // TEST-NET-3
			b[0] == 198 && (b[1] == 18 || b[1] == 19): // benchmarking
			return false
		}
		if b[0] == 100 && b[1]&0xc0 == 64 { // carrier-grade NAT
			return d.privateIPs
		}
	} else {
		b := a.As16()
		if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { // 2001:db8::/32 documentation
			return false
		}
		if !a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			return false
		}
	}
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return d.privateIPs
	}
	return true
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (d *Detector) scanIPv6(text []byte, sc *scratch) {
	for off := 0; off < len(text); {
		k := bytes.IndexByte(text[off:], ':')
		if k < 0 {
			return
		}
		c := off + k
		off = c + 1
		// A colon with neither a hex digit nor a colon before it and
		// nothing of an address after it (`:=`, `json:"`, `case x:`)
		// spans no address: the scans below would end where they start.
		if (c == 0 || !isHex(text[c-1]) && text[c-1] != ':') &&
			(c+1 == len(text) || !isHex(text[c+1]) && text[c+1] != ':' && text[c+1] != '.') {
			continue
		}
		s := c
		for s > 0 && c-s < 40 && (isHex(text[s-1]) || text[s-1] == ':') {
			s--
		}
		if s > 0 && (isAlnum(text[s-1]) || text[s-1] == '_' || text[s-1] == '.') {
			continue
		}
		e := c + 1
		for e < len(text) && e-s < 45 && (isHex(text[e]) || text[e] == ':' || text[e] == '.') {
			e++
		}
		for e > c && (text[e-1] == '.' || text[e-1] == ':' && (e-2 < 0 || text[e-2] != ':')) {
			e--
		}
		off = max(off, e)
		if e < len(text) && (isAlnum(text[e]) || text[e] == '_') {
			continue
		}
		if bytes.Count(text[s:e], []byte{':'}) < 2 {
			continue
		}
		if !d.publicIP(string(text[s:e])) {
			continue
		}
		a, err := netip.ParseAddr(string(text[s:e]))
		if err != nil || !a.Is6() || a.Is4In6() {
			continue
		}
		if b := a.As16(); b[0]&0xe0 != 0x20 && !d.privateIPs {
			continue // outside 2000::/3 global unicast
		}
		groups := 0
		for _, g := range bytes.Split(text[s:e], []byte{':'}) {
			if len(g) > 0 {
				groups++
			}
		}
		if groups < 3 {
			continue // a prefix such as 2001:: or 2002::/16
		}
		d.emit(sc, RuleIPv6, s, e, 0.8)
	}
}
