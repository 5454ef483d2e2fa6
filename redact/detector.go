package redact

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/coregx/ahocorasick"
)

// Options turns detectors on and off and adds what the configuration adds.
// The zero value detects everything with the built-in rules.
type Options struct {
	Extra   []RuleSpec // from config `rules`
	Disable []string   // rule ids turned off
	// NoSecrets, NoPII and NoIdentifiers switch a whole category off.
	NoSecrets, NoPII, NoIdentifiers bool
	PrivateIPs                      bool     // also mask private-range IPs
	Terms                           []string // identifiers.terms, case-insensitive, also inside longer identifiers/host names
	Patterns                        []string // identifiers.patterns (Go regexp)
	AllowRegexes                    []string // finding values matching are dropped
	AllowPaths                      []string // doublestar globs; matching paths yield no findings
}

// Detector finds secrets, PII and identifiers in text. It is immutable after
// NewDetector and safe for concurrent use.
type Detector struct {
	rules []*rule // regex rules, enabled only

	// keywords finds every keyword (in the ASCII lower case of the text);
	// actions[keyword id] says what each hit starts.
	keywords *keywordIndex
	actions  [][]action
	// triggered lists regex rules per trigger (rules without keywords).
	triggered map[string][]int32

	code       map[string]bool // enabled code detectors by rule id
	pii        piiOn
	codeSpecs  map[string]RuleSpec
	privateIPs bool

	terms    *ahocorasick.Automaton // first words of the terms
	termMax  int                    // longest first word
	termSets [][][]string           // per first word: the rest of each term's words
	patterns []*regexp.Regexp

	allowRes   []*regexp.Regexp
	allowPaths []string

	ruleCount int
	scratch   sync.Pool // *scratch
}

type actionKind uint8

const (
	actRegex actionKind = iota
	actGeneric
	actPrivateKey
	actCLI
)

type action struct {
	kind actionKind
	rule int32 // index into Detector.rules for actRegex
}

// span is a half-open byte range.
type span struct{ start, end int }

// scratch is per-scan working memory, pooled so a scan allocates little.
type scratch struct {
	chunk   [acChunk]byte // lower-cased slice of the text for the term automaton
	hits    []keywordHit  // keyword occurrences of the text being scanned
	pending []span        // per regex rule; start < 0 when none
	active  []int32
	cands   []Finding
	// resolved is where finish resolves overlaps; the caller gets a copy.
	resolved []Finding
	genEnd   int // end of the last key name the generic detector looked at
	// The last search for a PEM END line: from pemFrom up to pemSearched,
	// found at pemEnd (-1: none).
	pemFrom, pemSearched, pemEnd int
	view                         view // the decoded line being scanned (decode.go)
}

// Rule ids of the detectors written in Go rather than as YAML rules.
const (
	RuleGenericPassword  = "generic-password"
	RuleGenericSecret    = "generic-secret"
	RuleGenericToken     = "generic-token"
	RuleGenericAPIKey    = "generic-api-key"
	RuleGenericAuth      = "generic-credential"
	RulePrivateKey       = "private-key-block"
	RuleEmail            = "pii-email"
	RulePhone            = "pii-phone"
	RuleCard             = "pii-card"
	RuleIBAN             = "pii-iban"
	RuleSSN              = "pii-ssn"
	RuleIPv4             = "pii-ipv4"
	RuleIPv6             = "pii-ipv6"
	RuleTerm             = "identifier-term"
	RulePattern          = "identifier-pattern"
	RuleTypingPartial    = "typing-partial-secret"
	genericKeywordMarker = "\x00generic"
)

// genericKeywords start the generic key = value detector.
var genericKeywords = []string{
	"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
	"accesskey", "access_key", "access-key", "privatekey", "private_key", "auth", "credential",
	"pass", "pw", "pswd", "_pin", "-pin", "pincode", "pin_code", // db_pass, card_pin, pw: secretWord and shortPasswordKey decide
	"passwort", "kennwort", "trasen", "traseñ", "motdepasse", "mot_de_passe", "mdp", "senha", "wachtwoord", "losenord",
	"senord", "passord", "adgangskode", "salasana", "haslo", "ło", "heslo", "jelsz", "sifre", "şifre",
	"пароль", "密码", "密碼", "パスワード", "비밀번호", "sandi", "parol",
}

// secretKeyKeywords are the key names ending in "key" that hold secrets
// (JWT_KEY, hmacKey, session-key), from keyPrefixes.
func secretKeyKeywords() []string {
	// Joined forms only for prefixes whose first four bytes are rare in
	// code: a keyword starting like "session", "client" or "crypto" costs
	// a comparison at every such word. JWT_KEY and session-key come
	// through "_key" and "-key"; secretWord checks the word before.
	out := []string{"_key", "-key", ".key", "jwt", "hmac"}
	for _, p := range []string{"jwt", "hmac", "aes", "signing", "encryption", "decryption", "master", "webhook",
		"license", "consumer", "csrf", "cookie", "storage", "shared", "subscription", "auth"} {
		out = append(out, p+"key")
	}
	return out
}

// NewDetector compiles the built-in rules and the options. The error names
// the rule id (or the option) that is wrong.
func NewDetector(o Options) (*Detector, error) {
	builtin, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	d := &Detector{
		triggered:  map[string][]int32{},
		code:       map[string]bool{},
		codeSpecs:  map[string]RuleSpec{},
		privateIPs: o.PrivateIPs,
	}
	disabled := map[string]bool{}
	for _, id := range o.Disable {
		disabled[id] = true
	}
	on := func(c Category) bool {
		switch c {
		case Secret:
			return !o.NoSecrets
		case PII:
			return !o.NoPII
		default:
			return !o.NoIdentifiers
		}
	}
	seen := map[string]bool{}
	for _, spec := range codeRuleSpecs() {
		seen[spec.ID] = true
		d.codeSpecs[spec.ID] = spec
		if on(spec.Category) && !disabled[spec.ID] {
			d.code[spec.ID] = true
		}
	}
	for i, spec := range append(append([]RuleSpec(nil), builtin...), o.Extra...) {
		if seen[spec.ID] && spec.ID != "" {
			return nil, fmt.Errorf("redact: rule %q: duplicate id", spec.ID)
		}
		seen[spec.ID] = true
		r, err := compileRule(spec, i >= len(builtin))
		if err != nil {
			return nil, err
		}
		if i < len(builtin) {
			if err := checkSamples(spec); err != nil {
				return nil, err
			}
		}
		if !on(spec.Category) || disabled[spec.ID] {
			continue
		}
		d.rules = append(d.rules, r)
	}
	d.ruleCount = len(d.rules) + len(d.code)
	d.pii = piiOn{email: d.code[RuleEmail], phone: d.code[RulePhone], card: d.code[RuleCard], iban: d.code[RuleIBAN],
		ssn: d.code[RuleSSN], ipv4: d.code[RuleIPv4], ipv6: d.code[RuleIPv6]}
	if err := d.buildKeywords(); err != nil {
		return nil, err
	}
	if !o.NoIdentifiers {
		if err := d.buildIdentifiers(o.Terms, o.Patterns); err != nil {
			return nil, err
		}
	}
	for _, s := range o.AllowRegexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("redact: allow regex %q: %v", preview(s, 40), err)
		}
		d.allowRes = append(d.allowRes, re)
	}
	for _, g := range o.AllowPaths {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("redact: allow path %q: not a valid glob", g)
		}
		d.allowPaths = append(d.allowPaths, g)
	}
	d.scratch.New = func() any { return &scratch{pending: make([]span, len(d.rules))} }
	return d, nil
}

func (d *Detector) buildKeywords() error {
	index := map[string]int{}
	var pats []string
	add := func(kw string, a action) {
		i, ok := index[kw]
		if !ok {
			i = len(pats)
			index[kw] = i
			pats = append(pats, kw)
			d.actions = append(d.actions, nil)
		}
		d.actions[i] = append(d.actions[i], a)
	}
	for i, r := range d.rules {
		if len(r.spec.Keywords) == 0 {
			d.triggered[r.spec.Trigger] = append(d.triggered[r.spec.Trigger], int32(i))
			continue
		}
		for _, kw := range r.spec.Keywords {
			add(kw, action{kind: actRegex, rule: int32(i)})
		}
	}
	if d.anyGeneric() {
		for _, kw := range append(genericKeywords, secretKeyKeywords()...) {
			add(kw, action{kind: actGeneric})
		}
	}
	if d.code[RulePrivateKey] {
		add("-----begin", action{kind: actPrivateKey})
	}
	if d.code[RuleGenericPassword] {
		for _, kw := range cliKeywords() {
			add(kw, action{kind: actCLI})
		}
	}
	if len(pats) == 0 {
		return nil
	}
	d.keywords = newKeywordIndex(pats)
	return nil
}

func (d *Detector) anyGeneric() bool {
	return d.code[RuleGenericPassword] || d.code[RuleGenericSecret] || d.code[RuleGenericToken] ||
		d.code[RuleGenericAPIKey] || d.code[RuleGenericAuth]
}

func (d *Detector) buildIdentifiers(terms, patterns []string) error {
	var pats []string
	index := map[string]int{}
	for _, t := range terms {
		words := termWords(t)
		if len(words) == 0 {
			return fmt.Errorf("redact: identifiers.terms: empty term")
		}
		i, ok := index[words[0]]
		if !ok {
			i = len(pats)
			index[words[0]] = i
			pats = append(pats, words[0])
			d.termSets = append(d.termSets, nil)
		}
		d.termSets[i] = append(d.termSets[i], words[1:])
		d.termMax = max(d.termMax, len(words[0]))
	}
	if len(pats) > 0 && d.code[RuleTerm] {
		ac, err := ahocorasick.NewBuilder().AddStrings(pats).Build()
		if err != nil {
			return fmt.Errorf("redact: building term automaton: %w", err)
		}
		d.terms = ac
	}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("redact: identifiers.patterns %q: %v", preview(p, 40), err)
		}
		if d.code[RulePattern] {
			d.patterns = append(d.patterns, re)
		}
	}
	return nil
}

// RuleCount is the number of enabled rules, YAML and built-in code rules.
func (d *Detector) RuleCount() int { return d.ruleCount }

// Scan returns the findings in text, sorted by Start and non-overlapping:
// where candidates overlap, the more confident, then the longer, wins. A
// `veil:allow` comment suppresses the findings on its own line (see
// allowedLines); a path matching an
// allow glob yields none at all.
func (d *Detector) Scan(path string, text []byte) []Finding {
	if d.pathAllowed(path) {
		return nil
	}
	sc := d.scratch.Get().(*scratch)
	defer d.putScratch(sc)
	sc.cands = sc.cands[:0]
	d.collect(path, text, sc)
	return d.finish(path, text, sc)
}

// maxPooledFindings bounds the finding buffers a pooled scratch keeps: a
// scan of a whole large file (thousands of findings) must not leave them
// for the collector to mark on every cycle; a rescan window needs few.
const maxPooledFindings = 256

// maxPooledView and maxPooledHits bound the decoded view (bytes of decoded
// text; its position maps take 8 bytes more per byte) and the keyword
// hits a pooled scratch keeps: one scan of a huge minified line or of a
// large file must not leave its room in a pool every session shares.
const (
	maxPooledView = 16 << 10
	maxPooledHits = 4096
)

// putScratch returns sc to the pool, without buffers grown past
// maxPooledFindings, maxPooledView or maxPooledHits, and without the
// decoded text of its last view (values in clear).
func (d *Detector) putScratch(sc *scratch) {
	if cap(sc.cands) > maxPooledFindings {
		sc.cands = nil
	}
	if cap(sc.resolved) > maxPooledFindings {
		sc.resolved = nil
	}
	sc.view.reset()
	if cap(sc.view.text) > maxPooledView {
		sc.view = view{}
	}
	if cap(sc.hits) > maxPooledHits {
		sc.hits = nil
	}
	d.scratch.Put(sc)
}

// ScanRange returns the findings in window, the part of a larger text that
// starts at offset base there; the findings' offsets are offsets into the
// larger text. The caller picks the window: to rescan an edit exactly it
// covers the edit widened by Reach on each side, the anchors it touches
// (Anchors) and whole lines where a veil:allow marker is involved.
func (d *Detector) ScanRange(path string, window []byte, base int) []Finding {
	fs := d.Scan(path, window)
	for i := range fs {
		fs[i].Start += base
		fs[i].End += base
	}
	return fs
}

// Reach bounds, in bytes, how far from a finding the text that decides it
// lies (its keyword, the rule's window, token widening), for every rule but
// the long-window ones that Anchors reports. An edit cannot change a finding
// that lies farther than Reach from it, except through an anchor.
func (d *Detector) Reach() int {
	return windowBefore + maxKeywordLen + longWindow + 4*defaultWindow
}

// longWindow is the largest rule window Reach covers; rules reaching further
// (private key blocks, service-account JSON) are anchored at their keyword.
const longWindow = 2 * defaultWindow

// Anchor is a span of text whose findings depend on all of it: from the
// keyword of a long-window rule (a private key block, up to 64 KiB) to as far
// as its window reaches, or around a veil:allow marker: its line (a marker
// counts only on a line of at most maxAllowLine bytes) and the lexer's
// lookback before it (a string or block comment opened above).
type Anchor struct {
	Start, End int
}

// Anchors appends to dst the anchors in window (offsets plus base, as in
// ScanRange), in no particular order.
func (d *Detector) Anchors(window []byte, base int, dst []Anchor) []Anchor {
	marker := []byte("veil:allow")
	for off := 0; ; {
		k := bytes.Index(window[off:], marker)
		if k < 0 {
			break
		}
		at := base + off + k
		dst = append(dst, Anchor{Start: max(0, at-maxAllowLine-multiLineLookback), End: at + len(marker) + maxAllowLine})
		off += k + len(marker)
	}
	if d.keywords == nil {
		return dst
	}
	sc := d.scratch.Get().(*scratch)
	defer d.scratch.Put(sc)
	sc.hits = d.keywords.find(window, sc.hits[:0])
	for _, h := range sc.hits {
		hs, he := base+h.start, base+h.start+len(d.keywords.words[h.id])
		reach := 0
		for _, a := range d.actions[h.id] {
			switch {
			case a.kind == actPrivateKey:
				reach = max(reach, maxWindow*4+256)
			case a.kind == actRegex && d.rules[a.rule].window > longWindow:
				reach = max(reach, d.rules[a.rule].window)
			}
		}
		if reach > 0 {
			dst = append(dst, Anchor{Start: max(0, hs-windowBefore-4*defaultWindow), End: he + reach + 4*defaultWindow})
		}
	}
	return dst
}

func (d *Detector) pathAllowed(path string) bool {
	if path == "" || len(d.allowPaths) == 0 {
		return false
	}
	p := strings.ReplaceAll(path, `\`, "/")
	for _, g := range d.allowPaths {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// collect appends every candidate finding to sc.cands, those in decoded
// views of the text included.
func (d *Detector) collect(path string, text []byte, sc *scratch) {
	d.collectDepth(path, text, sc, 0)
}

// collectDepth is collect for a text that is a decoded view depth levels
// down (0: the original).
func (d *Detector) collectDepth(path string, text []byte, sc *scratch, depth int) {
	if d.keywords != nil {
		sc.genEnd = -1
		sc.pemFrom, sc.pemSearched, sc.pemEnd = 0, 0, -1
		fam := familyOf(path)
		sc.hits = d.keywords.find(text, sc.hits[:0])
		for _, h := range sc.hits {
			id, s, e := h.id, h.start, h.start+len(d.keywords.words[h.id])
			for _, a := range d.actions[id] {
				switch a.kind {
				case actRegex:
					d.hitRule(text, sc, a.rule, s, e)
				case actGeneric:
					d.genericAt(text, sc, s, e, fam)
				case actPrivateKey:
					d.privateKeyAt(text, sc, s)
				case actCLI:
					d.cliAt(text, sc, s, e)
				}
			}
		}
		d.flushAll(text, sc)
	}
	d.runTriggers(text, sc)
	d.scanPII(text, sc)
	if d.terms != nil {
		d.scanTerms(text, sc)
	}
	for _, re := range d.patterns {
		for _, m := range re.FindAllIndex(text, -1) {
			if m[1] > m[0] {
				sc.cands = append(sc.cands, Finding{RuleID: RulePattern, Category: Identifier,
					Description: "configured identifier pattern", Start: m[0], End: m[1], Confidence: 0.9})
			}
		}
	}
	if depth == 0 && envFile(path) {
		d.envMachineValues(text, sc)
	}
	if depth == 0 && pgpassFile(path) {
		d.pgpassValues(text, sc)
	}
	d.scanJoined(path, text, sc, depth)
	d.scanDecoded(path, text, sc, depth)
}

// hitRule records a keyword hit for regex rule ri: the window around it is
// merged with the rule's pending window or the pending one is run first.
func (d *Detector) hitRule(text []byte, sc *scratch, ri int32, hs, he int) {
	r := d.rules[ri]
	w := span{max(0, hs-windowBefore), min(len(text), he+r.window)}
	p := &sc.pending[ri]
	if p.end > p.start {
		if w.start <= p.end && w.end >= p.start {
			p.start, p.end = min(p.start, w.start), max(p.end, w.end)
			return
		}
		d.runRule(text, sc, r, *p)
	} else {
		sc.active = append(sc.active, ri)
	}
	*p = w
}

func (d *Detector) flushAll(text []byte, sc *scratch) {
	for _, ri := range sc.active {
		p := &sc.pending[ri]
		if p.end > p.start {
			d.runRule(text, sc, d.rules[ri], *p)
		}
		*p = span{}
	}
	sc.active = sc.active[:0]
}

// runRule runs r's regex over window w, widened to whole tokens (and to
// whole lines for a regex with ^ or $).
func (d *Detector) runRule(text []byte, sc *scratch, r *rule, w span) {
	ws, we := widenLeft(text, w.start), widenRight(text, w.end)
	if r.anchored {
		ws, we = lineStartWithin(text, w.start), lineEndWithin(text, w.end)
	}
	win := text[ws:we]
	for _, m := range r.regexp().FindAllSubmatchIndex(win, -1) {
		g := r.spec.SecretGroup
		s, e := m[2*g], m[2*g+1]
		if s < 0 || e <= s {
			continue
		}
		d.candidate(sc, r, text, ws+s, ws+e)
	}
}

// candidate checks a regex match's value (entropy, validator, doc example)
// and records it.
func (d *Detector) candidate(sc *scratch, r *rule, text []byte, s, e int) {
	v := text[s:e]
	if isDocExample(v) {
		return
	}
	if r.spec.Entropy > 0 && shannon(v) < r.spec.Entropy {
		return
	}
	conf := r.spec.Confidence
	if r.validate != nil {
		ok, floor := r.validate(v)
		if !ok {
			return
		}
		conf = max(conf, floor)
	}
	sc.cands = append(sc.cands, Finding{RuleID: r.spec.ID, Category: r.spec.Category,
		Description: r.spec.Description, Start: s, End: e, Confidence: conf})
}

// runTriggers runs the keyword-less regex rules where their trigger fires.
func (d *Detector) runTriggers(text []byte, sc *scratch) {
	for trig, ids := range d.triggered {
		switch trig {
		case triggerAlways:
			for _, ri := range ids {
				d.runRule(text, sc, d.rules[ri], span{0, len(text)})
			}
			continue
		}
		for i := 0; i < len(text); i++ {
			hit := false
			switch trig {
			case triggerAt:
				j := bytes.IndexByte(text[i:], '@')
				if j < 0 {
					i = len(text)
					continue
				}
				i += j
				hit = true
			case triggerDigits:
				if isDigit(text[i]) {
					j := i
					for j < len(text) && isDigit(text[j]) {
						j++
					}
					hit = j-i >= 8
					if !hit {
						i = j
						continue
					}
				}
			case triggerIPv4:
				hit = text[i] == '.' && i > 0 && i+1 < len(text) && isDigit(text[i-1]) && isDigit(text[i+1])
			}
			if hit {
				for _, ri := range ids {
					d.hitRule(text, sc, ri, i, i+1)
				}
				// Skip the rest of this window: its hits would merge anyway.
				i += defaultWindow / 2
			}
		}
		d.flushAll(text, sc)
	}
}

// finish drops allowed candidates (sc.cands) and resolves overlaps in
// sc.resolved; the result is a copy of exactly its length, the scan's only
// allocation when the buffers are warm, and shares nothing with sc.
func (d *Detector) finish(path string, text []byte, sc *scratch) []Finding {
	cands := sc.cands
	if len(cands) == 0 {
		return nil
	}
	allowed := allowedLines(path, text)
	kept := cands[:0]
	for _, f := range cands {
		if allowed.covers(f.Start, f.End) {
			continue
		}
		if d.valueAllowed(text[f.Start:f.End]) {
			continue
		}
		kept = append(kept, f)
	}
	sc.resolved = resolveInto(sc.resolved[:0], kept)
	if len(sc.resolved) == 0 {
		return nil
	}
	return slices.Clone(sc.resolved)
}

func (d *Detector) valueAllowed(v []byte) bool {
	for _, re := range d.allowRes {
		if re.Match(v) {
			return true
		}
	}
	return false
}

// resolveOverlaps makes candidates non-overlapping without unmasking a
// byte: where candidates overlap, the winner (secret before pii before
// identifier, then the more confident, the longer, the earlier) takes over
// the union of their spans. Dropping the loser instead would leave the part
// of it outside the winner in clear text, e.g. the rest of a token whose
// prefix is a configured identifier term. The result is sorted by Start and
// is a fresh slice; cands is reordered.
func resolveOverlaps(cands []Finding) []Finding {
	return slices.Clip(resolveInto(make([]Finding, 0, len(cands)), cands))
}

// resolveInto is resolveOverlaps writing to out (length 0; it grows to at
// most len(cands)). out must not share memory with cands.
func resolveInto(out, cands []Finding) []Finding {
	slices.SortStableFunc(cands, overlapOrder)
	for _, f := range cands { // out stays sorted by Start and non-overlapping
		i := sort.Search(len(out), func(i int) bool { return out[i].End > f.Start })
		if i == len(out) || out[i].Start >= f.End {
			out = slices.Insert(out, i, f)
			continue
		}
		// f overlaps out[i] (and maybe later ones): out[i] won; it grows
		// to cover f and swallows every later winner f reaches.
		w := &out[i]
		w.Start = min(w.Start, f.Start)
		w.End = max(w.End, f.End)
		j := i + 1
		for j < len(out) && out[j].Start < w.End {
			w.End = max(w.End, out[j].End)
			j++
		}
		out = slices.Delete(out, i+1, j)
	}
	return out
}

// overlapOrder puts the winner of an overlap first: the stronger category,
// then the more confident, the longer, the earlier.
func overlapOrder(a, b Finding) int {
	if ra, rb := categoryRank(a.Category), categoryRank(b.Category); ra != rb {
		return cmp.Compare(ra, rb)
	}
	if a.Confidence != b.Confidence {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0 // a NaN orders like an equal
	}
	if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
		return cmp.Compare(lb, la)
	}
	return cmp.Compare(a.Start, b.Start)
}

// categoryRank orders categories for overlap resolution: a secret is never
// renamed into a weaker category.
func categoryRank(c Category) int {
	switch c {
	case Secret:
		return 0
	case PII:
		return 1
	}
	return 2
}

// Preview is the only way a value is shown: its first 4 characters and
// its length, e.g. "ghp_…(len 40)". Values shorter than 8 bytes show only
// their length.
func Preview(value string) string {
	n := len(value)
	if n < 8 {
		return fmt.Sprintf("…(len %d)", n)
	}
	cut, k := n, 0
	for i := range value {
		if k == 4 {
			cut = i
			break
		}
		k++
	}
	return fmt.Sprintf("%s…(len %d)", value[:cut], n)
}

// acChunk is how much text is lower-cased at a time for the automata: small
// enough to stay in L1 cache while the automaton reads it.
const acChunk = 8192

// eachMatch calls fn for every occurrence of a pattern of ac in the ASCII
// lower-case of text, in order of end. The text is lower-cased a chunk at a
// time into buf; consecutive chunks overlap by maxLen-1 bytes and a match
// is reported once.
func eachMatch(ac *ahocorasick.Automaton, maxLen int, text []byte, buf *[acChunk]byte, fn func(id, start, end int)) {
	prevEnd := 0
	for pos := 0; pos < len(text); {
		end := min(len(text), pos+acChunk)
		chunk := buf[:end-pos]
		lowerASCII(chunk, text[pos:end])
		for _, m := range ac.FindAllOverlapping(chunk) {
			if pos+m.End > prevEnd {
				fn(m.PatternID, pos+m.Start, pos+m.End)
			}
		}
		if end == len(text) {
			return
		}
		prevEnd = end
		pos = max(pos+1, end-(maxLen-1))
	}
}

// lowerASCII writes the ASCII lower case of src to dst (same length),
// eight bytes at a time: for each byte b < 0x80, b+(0x80-'A') has its top
// bit set when b >= 'A', and b+(0x80-'Z'-1) when b > 'Z'; their difference
// marks 'A'..'Z', and 0x20 is or-ed in there.
func lowerASCII(dst, src []byte) {
	const hi = 0x8080808080808080
	i := 0
	for ; i+8 <= len(src); i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		h := x &^ hi
		a := h + 0x3f3f3f3f3f3f3f3f // 0x80-'A' per byte
		z := h + 0x2525252525252525 // 0x80-'Z'-1 per byte
		m := (a &^ z) &^ x & hi
		binary.LittleEndian.PutUint64(dst[i:], x|m>>2)
	}
	for ; i < len(src); i++ {
		c := src[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isTokenByte reports bytes that may continue a secret-like token.
func isTokenByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '=' || c == '.'
}

func lineStart(text []byte, at int) int {
	at = min(at, len(text))
	i := bytes.LastIndexByte(text[:at], '\n')
	return i + 1
}

func lineEnd(text []byte, at int) int {
	at = min(at, len(text))
	i := bytes.IndexByte(text[at:], '\n')
	if i < 0 {
		return len(text)
	}
	return at + i
}

// widenLeft moves at back to the start of the token or URL it is in (at
// most 512 bytes), so a regex never sees half a secret.
func widenLeft(text []byte, at int) int {
	limit := max(0, at-4*defaultWindow)
	for at > limit && isWidenByte(text[at-1]) {
		at--
	}
	return at
}

// widenRight moves at forward to the end of the token or URL it is in (at
// most 512 bytes).
func widenRight(text []byte, at int) int {
	limit := min(len(text), at+4*defaultWindow)
	for at < limit && isWidenByte(text[at]) {
		at++
	}
	return at
}

// isWidenByte reports bytes a window is never cut between: everything
// printable but blanks, quotes, brackets, comma and semicolon, so a URL
// or a token is seen whole.
func isWidenByte(c byte) bool {
	switch c {
	case '"', '\'', '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';':
		return false
	}
	return c > ' ' && c < 0x7f
}

// lineStartWithin returns the start of at's line, or widenLeft(at) when the
// line starts more than 1 KiB before.
func lineStartWithin(text []byte, at int) int {
	for i := at; i > 0 && at-i < 4*defaultWindow; i-- {
		if text[i-1] == '\n' {
			return i
		}
	}
	return widenLeft(text, at)
}

// lineEndWithin returns the end of at's line, or widenRight(at) when the
// line ends more than 1 KiB after.
func lineEndWithin(text []byte, at int) int {
	for i := at; i < len(text) && i-at < 4*defaultWindow; i++ {
		if text[i] == '\n' {
			return i
		}
	}
	return widenRight(text, at)
}

// candidates returns every candidate before allowlists and overlap
// resolution; the per-rule sample tests use it to see what one rule finds.
func (d *Detector) candidates(path string, text []byte) []Finding {
	sc := d.scratch.Get().(*scratch)
	defer d.putScratch(sc)
	sc.cands = sc.cands[:0]
	d.collect(path, text, sc)
	return append([]Finding(nil), sc.cands...)
}

// keywordIndex finds every occurrence of a set of lower-case keywords in
// the ASCII lower case of a text, overlapping ones included, in the order
// an Aho-Corasick automaton reports them. It replaced such an automaton for
// the rule keywords: with ~500 keywords each text byte cost a dependent
// load from a large transition table (~2.5 ns, 45% of a scan). Here a text
// position costs one bit test in a 4 KiB table indexed by the classes of
// its three bytes (a letter's class ignores case, so the text needs no
// lower-casing); only where the bit is set are the keywords whose first
// three bytes have those classes compared. Keywords of one or two bytes
// are found with bytes.IndexByte on their last byte.
type keywordIndex struct {
	words []string // by id
	class [256]uint8
	// tri has bit triKey(first three bytes) set for every keyword of three
	// bytes or more; group[key]-1 indexes groups, the ids of those
	// keywords, and fourth, the classes of their fourth bytes (all for a
	// three-byte keyword).
	tri    [1 << 15 / 64]uint64
	group  []uint16
	groups [][]int32
	fourth []uint32
	short  [][]int32 // ids of one- and two-byte keywords by last byte
	// wide holds the ids of keywords starting with a non-ASCII byte
	// (пароль, 密码): their bytes would all fall in class 0, with blanks
	// and punctuation, and make the table fire everywhere.
	wide []int32
}

// keywordHit is one keyword occurrence: text[start:start+len(words[id])].
type keywordHit struct {
	start int
	id    int32
}

// byteClasses sorts bytes into 32 classes for keywordIndex.tri: a letter
// in either case, the digits, '_', '-', '.', '/' and ':', and the rest.
func byteClasses() (t [256]uint8) {
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c - 'a' + 1
		t[c-'a'+'A'] = c - 'a' + 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 27
	}
	t['_'], t['-'], t['.'], t['/'], t[':'] = 28, 29, 30, 31, 31
	return t
}

func (k *keywordIndex) triKey(a, b, c byte) uint32 {
	return uint32(k.class[a]) | uint32(k.class[b])<<5 | uint32(k.class[c])<<10
}

func newKeywordIndex(words []string) *keywordIndex {
	k := &keywordIndex{words: words, class: byteClasses(), group: make([]uint16, 1<<15), short: make([][]int32, 256)}
	for id, w := range words {
		if w[0] >= 0x80 {
			k.wide = append(k.wide, int32(id))
			continue
		}
		if len(w) < 3 {
			k.short[w[len(w)-1]] = append(k.short[w[len(w)-1]], int32(id))
			continue
		}
		key := k.triKey(w[0], w[1], w[2])
		k.tri[key/64] |= 1 << (key % 64)
		if k.group[key] == 0 {
			k.groups = append(k.groups, nil)
			k.fourth = append(k.fourth, 0)
			k.group[key] = uint16(len(k.groups))
		}
		g := k.group[key] - 1
		k.groups[g] = append(k.groups[g], int32(id))
		if len(w) == 3 {
			k.fourth[g] = ^uint32(0)
		} else {
			k.fourth[g] |= 1 << k.class[w[3]]
		}
	}
	return k
}

// find appends to hits every keyword occurrence in text, ordered by end,
// the longer first where two end together.
func (k *keywordIndex) find(text []byte, hits []keywordHit) []keywordHit {
	from := len(hits)
	sorted := true
	if len(text) >= 3 {
		class, tri := &k.class, &k.tri
		key := uint32(class[text[0]])<<5 | uint32(class[text[1]])<<10
		lastEnd := 0
		for i, c := range text[2:] {
			key = key>>5 | uint32(class[c])<<10
			if tri[key>>6&uint32(len(tri)-1)]&(1<<(key&63)) == 0 {
				continue
			}
			g := k.group[key] - 1
			if i+3 < len(text) && k.fourth[g]&(1<<class[text[i+3]]) == 0 {
				continue
			}
			for _, id := range k.groups[g] {
				w := k.words[id]
				if !hasPrefixFold(text[i:], w) {
					continue
				}
				sorted = sorted && i+len(w) >= lastEnd
				lastEnd = i + len(w)
				hits = append(hits, keywordHit{start: i, id: id})
			}
		}
	}
	for last, ids := range k.short {
		if len(ids) == 0 {
			continue
		}
		for _, b := range caseVariants(byte(last)) {
			for off := 0; ; {
				j := bytes.IndexByte(text[off:], b)
				if j < 0 {
					break
				}
				off += j + 1 // the end of a hit
				for _, id := range ids {
					w := k.words[id]
					if start := off - len(w); start >= 0 && hasPrefixFold(text[start:], w) {
						hits = append(hits, keywordHit{start: start, id: id})
						sorted = false
					}
				}
			}
		}
	}
	if len(k.wide) > 0 {
		n := len(hits)
		hits = k.findWide(text, hits)
		sorted = sorted && len(hits) == n
	}
	if !sorted {
		h := hits[from:]
		sort.Slice(h, func(a, b int) bool {
			ea, eb := h[a].start+len(k.words[h[a].id]), h[b].start+len(k.words[h[b].id])
			if ea != eb {
				return ea < eb
			}
			return h[a].start < h[b].start
		})
	}
	return hits
}

// findWide appends the hits of the keywords starting with a non-ASCII
// byte.
func (k *keywordIndex) findWide(text []byte, hits []keywordHit) []keywordHit {
	for i := nextNonASCII(text, 0); i < len(text); i = nextNonASCII(text, i+1) {
		for _, id := range k.wide {
			if w := k.words[id]; text[i] == w[0] && hasPrefixFold(text[i:], w) {
				hits = append(hits, keywordHit{start: i, id: id})
			}
		}
	}
	return hits
}

// nextNonASCII returns the index of the first byte at or after i that is
// not ASCII (len(text) when there is none), reading ASCII text 32 and then
// 8 bytes at a time.
func nextNonASCII(text []byte, i int) int {
	const hi = 0x8080808080808080
	for ; i+32 <= len(text); i += 32 {
		b := text[i : i+32]
		if (binary.LittleEndian.Uint64(b)|binary.LittleEndian.Uint64(b[8:])|
			binary.LittleEndian.Uint64(b[16:])|binary.LittleEndian.Uint64(b[24:]))&hi != 0 {
			break
		}
	}
	for ; i+8 <= len(text); i += 8 {
		if m := binary.LittleEndian.Uint64(text[i:]) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(text) && text[i] < 0x80 {
		i++
	}
	return i
}

// caseVariants returns the bytes whose ASCII lower case is c.
func caseVariants(c byte) []byte {
	if c >= 'a' && c <= 'z' {
		return []byte{c, c - ('a' - 'A')}
	}
	return []byte{c}
}

// hasPrefixFold reports whether the ASCII lower case of text starts with w.
func hasPrefixFold(text []byte, w string) bool {
	if len(text) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		c := text[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[j] {
			return false
		}
	}
	return true
}
