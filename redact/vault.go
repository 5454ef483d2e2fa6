package redact

import (
	"bytes"
	"cmp"
	"container/list"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Vault maps masked values to tokens and back for one session. It lives in
// memory only, holds at most maxEntries values (the least recently used is
// evicted first), and is safe for concurrent use. Its String, GoString and
// Format methods print counts, never values.
type Vault struct {
	key        []byte
	maxEntries int
	known      *knownIndex // every value ever masked, kept past eviction

	// mu guards everything below.
	mu      sync.Mutex
	byValue map[string]*list.Element
	byToken map[string]*list.Element
	lru     *list.List // of *vaultEntry, front = most recently used
	next    uint64     // last counter issued; never reused
	gen     uint64     // Mask call generation, protects entries in use from eviction
}

type vaultEntry struct {
	value string
	token string
	gen   uint64
}

// NewVault returns an empty vault. key must be random per session (the
// caller reads it from crypto/rand); maxEntries <= 0 means 10,000.
func NewVault(key []byte, maxEntries int) *Vault {
	if maxEntries <= 0 {
		maxEntries = 10000
	}
	return &Vault{
		key:        append([]byte(nil), key...),
		maxEntries: maxEntries,
		known:      newKnownIndex(),
		byValue:    map[string]*list.Element{},
		byToken:    map[string]*list.Element{},
		lru:        list.New(),
	}
}

// Len is the number of values held.
func (v *Vault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lru.Len()
}

func (v *Vault) String() string   { return fmt.Sprintf("redact.Vault{entries: %d}", v.Len()) }
func (v *Vault) GoString() string { return v.String() }

// Format prints the same as String for every verb, so %v, %+v and %#v
// never reach the values.
func (v *Vault) Format(f fmt.State, verb rune) { fmt.Fprint(f, v.String()) }

// Span is one masked value: where it was in the original text, where its
// token is in the masked text, and what it was.
type Span struct {
	Start, End         int // in the original text
	MaskStart, MaskEnd int // in the masked text
	Token              string
	RuleID             string
	Category           Category
}

// Masked is a masked text and the spans that map it to the original.
type Masked struct {
	Text  string
	Spans []Span // sorted, non-overlapping

	redacted Text // Text, marked as the vault's output (see Redacted)
}

// Mask replaces every finding's span in text with its token. The same
// value always gets the same token while the vault holds it; a new token is
// never one that already occurs in text. Overlapping findings are merged.
// The error reports a finding outside text (its rule id and span, never
// the value).
func (v *Vault) Mask(text string, findings []Finding) (Masked, error) {
	return mask(v, text, 0, findings)
}

// MaskBytes is Mask of a text held as bytes, without a string copy of the
// whole text first. The vault keeps copies of the values, never text.
func (v *Vault) MaskBytes(text []byte, findings []Finding) (Masked, error) {
	return mask(v, text, 0, findings)
}

// MaskWindow is MaskBytes of the part of a larger text that starts at
// offset base: the findings' offsets are in the larger text, the Masked
// result's in the part (as MaskBytes with every finding moved back by
// base, without a moved copy of the findings).
func (v *Vault) MaskWindow(text []byte, base int, findings []Finding) (Masked, error) {
	return mask(v, text, base, findings)
}

// Scratch is reusable room for masked text that is needed only while one
// request is put together (MaskDraft): the text, its spans and its values
// are written over by the next MaskDraft into the same Scratch. Its zero
// value is ready. A Scratch is not safe for concurrent use.
type Scratch struct {
	text   []byte
	spans  []Span
	values []string
}

// Draft is a masked text held in a Scratch, valid until that Scratch is
// used again. Nothing in it may be kept past that: Text copies out the
// part a request is made of.
type Draft struct{ sc *Scratch }

// MaskDraft is MaskWindow into sc: the masked text, its spans and the
// findings' values go to sc's reused room instead of new memory.
func (v *Vault) MaskDraft(sc *Scratch, text []byte, base int, findings []Finding) (Draft, error) {
	sc.text, sc.spans, sc.values = sc.text[:0], sc.spans[:0], sc.values[:0]
	spans, err := maskTo(v, &maskSink{buf: &sc.text}, sc.spans, &sc.values, text, base, findings)
	if err != nil {
		return Draft{}, err
	}
	sc.spans = spans
	return Draft{sc}, nil
}

// Reset empties sc and drops the values it refers to, so a Scratch kept
// for reuse keeps no value alive.
func (sc *Scratch) Reset() {
	clear(sc.values[:cap(sc.values)])
	sc.text, sc.spans, sc.values = sc.text[:0], sc.spans[:0], sc.values[:0]
}

// Len is the masked text's length in bytes.
func (d Draft) Len() int { return len(d.sc.text) }

// Bytes is the masked text, to read in place: it must not be changed,
// and not kept past the Draft.
func (d Draft) Bytes() []byte { return d.sc.text }

// Text is a copy of the masked text's bytes [i, j) as a Text, which the
// Draft's Scratch does not share.
func (d Draft) Text(i, j int) Text { return Text{string(d.sc.text[i:j])} }

// ToMasked is Masked.ToMasked.
func (d Draft) ToMasked(orig int) int { return Masked{Spans: d.sc.spans}.ToMasked(orig) }

// Values is the value of each finding masked, in the findings' order by
// Start: the vault's own copy where a finding was masked alone.
func (d Draft) Values() []string { return d.sc.values }

// mask is Mask over either form of text, each finding moved back by base.
func mask[T string | []byte](v *Vault, text T, base int, findings []Finding) (Masked, error) {
	var b strings.Builder
	k := maskSink{sb: &b}
	spans, err := maskTo(v, &k, nil, nil, text, base, findings)
	if err != nil {
		return Masked{}, err
	}
	out := b.String()
	return Masked{Text: out, Spans: spans, redacted: Text{out}}, nil
}

// maskTo writes text masked to k and appends its spans to spans (nil:
// made to size). With values set it also appends each finding's value: the
// vault's own copy when the finding is masked alone, a copy when it was
// merged with others.
func maskTo[T string | []byte](v *Vault, k *maskSink, spans []Span, values *[]string, text T, base int, findings []Finding) ([]Span, error) {
	fs := findings
	if !slices.IsSortedFunc(fs, byStart) { // sorted already: nothing to copy
		fs = slices.Clone(findings)
		slices.SortStableFunc(fs, byStart)
	}
	runs, end := 0, 0
	for i, f := range fs {
		s, e := f.Start-base, f.End-base
		if s < 0 || e > len(text) || s >= e {
			return nil, fmt.Errorf("redact: masking: finding %s span [%d,%d) outside text of %d bytes", f.RuleID, s, e, len(text))
		}
		if i == 0 || s >= end {
			runs++
		}
		end = max(end, e)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	k.grow(len(text))
	if cap(spans)-len(spans) < runs { // make, not slices.Grow: one allocation also under -race
		spans = append(make([]Span, 0, len(spans)+runs), spans...)
	}
	occurs := func(tok string) bool { return contains(text, tok) }
	prev := 0
	for i := 0; i < len(fs); {
		// A run of overlapping findings is masked as its first one,
		// stretched to the run's end.
		f, first := fs[i], i
		s, e := f.Start-base, f.End-base
		for i++; i < len(fs) && fs[i].Start-base < e; i++ {
			e = max(e, fs[i].End-base)
		}
		sinkWrite(k, text[prev:s])
		tok, value := tokenFor(v, occurs, text[s:e], f)
		if knownWorthy(f, e-s) {
			v.known.add(value, f.RuleID, f.Category)
		}
		ms := k.len()
		sinkWrite(k, tok)
		spans = append(spans, Span{Start: s, End: e, MaskStart: ms, MaskEnd: k.len(),
			Token: tok, RuleID: f.RuleID, Category: f.Category})
		if values != nil {
			*values = appendValues(*values, value, text, base, fs[first:i])
		}
		prev = e
	}
	sinkWrite(k, text[prev:])
	v.evict()
	return spans, nil
}

// appendValues appends the value of each finding of run (one run of
// overlapping findings, masked as value) to dst.
func appendValues[T string | []byte](dst []string, value string, text T, base int, run []Finding) []string {
	if len(run) == 1 {
		return append(dst, value)
	}
	for _, f := range run {
		dst = append(dst, string(text[f.Start-base:f.End-base]))
	}
	return dst
}

// maskSink receives mask's output: a Builder (Mask's string) or a reused
// byte slice (MaskDraft's).
type maskSink struct {
	sb  *strings.Builder
	buf *[]byte
}

func (k *maskSink) grow(n int) {
	if k.sb != nil {
		k.sb.Grow(n)
		return
	}
	*k.buf = slices.Grow(*k.buf, n)
}

func (k *maskSink) len() int {
	if k.sb != nil {
		return k.sb.Len()
	}
	return len(*k.buf)
}

// sinkWrite appends s to k.
func sinkWrite[T string | []byte](k *maskSink, s T) {
	if k.sb != nil {
		writeTo(k.sb, s)
		return
	}
	*k.buf = append(*k.buf, s...)
}

func byStart(a, b Finding) int { return cmp.Compare(a.Start, b.Start) }

// writeTo appends s to b.
func writeTo[T string | []byte](b *strings.Builder, s T) {
	switch s := any(s).(type) {
	case string:
		b.WriteString(s)
	case []byte:
		b.Write(s)
	}
}

// contains reports whether sub is in text.
func contains[T string | []byte](text T, sub string) bool {
	switch t := any(text).(type) {
	case string:
		return strings.Contains(t, sub)
	case []byte:
		return bytes.Contains(t, []byte(sub))
	}
	return false
}

// knownWorthy: a value masked only because it was being typed in a
// config file, or because of its shape, is not a secret for the rest of
// the session (it would mask "localhost" or "Content-Type" everywhere);
// nor is a short prefix of a value being typed (the first word of a
// passphrase). Longer prefixes are: a finished value the detector misses
// is then still masked up to its last few bytes.
func knownWorthy(f Finding, n int) bool {
	return f.RuleID != RuleTypingPartial || f.Confidence >= typingKnownConf && n >= typingKnownMinLen
}

// typingKnownMinLen is the shortest typed prefix that becomes a known
// value.
const typingKnownMinLen = 10

// Known returns a finding for every place in text that holds a value this
// vault has masked (6 bytes or longer, except values masked only while
// typed for their shape or in a config file), sorted by Start, overlapping
// occurrences joined. Each finding carries the rule that first masked the
// value, so masking it again gives the same token while the vault holds
// it. Values stay known after the vault evicts their tokens. Encoded forms
// count too (percent, escapes, entities, invisible characters inside; see
// knownviews.go): the finding covers the encoded span.
func (v *Vault) Known(text []byte) []Finding { return v.known.findingsAll(nil, text) }

// AppendKnown appends Known(text) to dst and returns the extended slice: a
// caller that reuses dst finds the known values without allocating. The
// findings appended are joined with each other, never with dst's own.
func (v *Vault) AppendKnown(dst []Finding, text []byte) []Finding {
	return v.known.findingsAll(dst, text)
}

// Leak reports whether text still holds a value this vault has masked, with
// a masked preview of the first one (never the value): the leak guard's
// check of every outgoing part against every known value.
func (v *Vault) Leak(text string) (preview string, leaked bool) {
	val, ok := v.known.firstAll(text)
	if !ok {
		return "", false
	}
	return Preview(val), true
}

// KnownMaxLen is the longest known value's length (0: none): how far
// beyond a span a known value crossing its edge can reach.
func (v *Vault) KnownMaxLen() int { return v.known.maxLen() }

// KnownVersion changes whenever a value becomes known (it never
// repeats), so a text masked at one version holds no value known later
// while the version is the same.
func (v *Vault) KnownVersion() uint64 { return v.known.version() }

// KnownLen is the number of known values.
func (v *Vault) KnownLen() int { return v.known.len() }

// tokenFor returns the token of the value seg holds, issuing one if
// needed (never one that occurs in the text being masked), and the vault's
// copy of the value (seg is copied only when it is new). v.mu is held.
func tokenFor[T string | []byte](v *Vault, occurs func(tok string) bool, seg T, f Finding) (tok, value string) {
	if el, ok := v.byValue[string(seg)]; ok {
		e := el.Value.(*vaultEntry)
		e.gen = v.gen
		v.lru.MoveToFront(el)
		return e.token, e.value
	}
	value = string(seg)
	label := tokenLabel(f)
	lower := f.Category == Identifier && value[0] >= 'a' && value[0] <= 'z'
	for {
		v.next++
		tok = formatToken(v.key, label, v.next, lower)
		if !occurs(tok) {
			break
		}
	}
	e := &vaultEntry{value: value, token: tok, gen: v.gen}
	el := v.lru.PushFront(e)
	v.byValue[value] = el
	v.byToken[tok] = el
	return tok, value
}

// evict drops least recently used entries beyond maxEntries, but never one
// used by the current Mask call. v.mu is held.
func (v *Vault) evict() {
	for v.lru.Len() > v.maxEntries {
		el := v.lru.Back()
		e := el.Value.(*vaultEntry)
		if e.gen == v.gen {
			return
		}
		v.lru.Remove(el)
		delete(v.byValue, e.value)
		delete(v.byToken, e.token)
	}
}

// lookup returns the value for tok. It takes v.mu.
func (v *Vault) lookup(tok string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	el, ok := v.byToken[tok]
	if !ok {
		return "", false
	}
	v.lru.MoveToFront(el)
	return el.Value.(*vaultEntry).value, true
}

// ToMasked maps an offset in the original text to the masked text. An
// offset inside a masked value maps to the start of its token.
func (m Masked) ToMasked(orig int) int {
	i := sort.Search(len(m.Spans), func(i int) bool { return m.Spans[i].End > orig })
	// Spans before i end at or before orig.
	delta := 0
	if i > 0 {
		s := m.Spans[i-1]
		delta = s.MaskEnd - s.End
	}
	if i < len(m.Spans) && m.Spans[i].Start < orig {
		return m.Spans[i].MaskStart
	}
	return orig + delta
}

// OriginalRange maps a span of the masked text to the original text,
// rounding outward: a start inside a token maps to the start of the value it
// stands for and an end inside a token to the end of that value, so a range
// that touches part of a token covers the whole value (an edit or a
// diagnostic never cuts one in two).
func (m Masked) OriginalRange(start, end int) (int, int) {
	os := m.ToOriginal(start)
	i := sort.Search(len(m.Spans), func(i int) bool { return m.Spans[i].MaskEnd > end })
	if i < len(m.Spans) && m.Spans[i].MaskStart < end {
		return os, max(os, m.Spans[i].End)
	}
	return os, max(os, m.ToOriginal(end))
}

// ToOriginal maps an offset in the masked text to the original text. An
// offset inside a token maps to the start of the value it stands for.
func (m Masked) ToOriginal(masked int) int {
	i := sort.Search(len(m.Spans), func(i int) bool { return m.Spans[i].MaskEnd > masked })
	delta := 0
	if i > 0 {
		s := m.Spans[i-1]
		delta = s.End - s.MaskEnd
	}
	if i < len(m.Spans) && m.Spans[i].MaskStart < masked {
		return m.Spans[i].Start
	}
	return masked + delta
}
