package lspproxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// The leak guard's one-pass filter finds a value exactly when
// strings.Contains does, for values sharing their first bytes (within a
// group and across groups), values at a part's very end, parts shorter
// than a value, values of 4 bytes and empty groups.
func TestValueFilterMatchesContains(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const alpha = "ab_AK" // a small alphabet: values share heads and recur
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	for round := range 3000 {
		groups := make([][]string, r.IntN(4))
		var all []string
		for g := range groups {
			for range r.IntN(8) {
				groups[g] = append(groups[g], word(4+r.IntN(5)))
			}
			groups[g] = checkedValues(groups[g])
			all = append(all, groups[g]...)
		}
		part := word(r.IntN(40))
		if r.IntN(3) == 0 && len(all) > 0 { // plant one at the end
			part += all[r.IntN(len(all))]
		}
		var vf valueFilter
		for _, g := range groups {
			vf.add(g)
		}
		want := slices.ContainsFunc(all, func(v string) bool { return strings.Contains(part, v) })
		if got := vf.anyIn(part, groups); got != want {
			t.Fatalf("round %d: anyIn(%q, %q) = %v, strings.Contains says %v", round, part, groups, got, want)
		}
	}
}

// checkedValues returns values already sorted, unique and 4 bytes or more
// as they are, and makes any other list so without changing it.
func TestCheckedValues(t *testing.T) {
	done := []string{"abcd", "abce", "zzzzz"}
	if got := checkedValues(done); &got[0] != &done[0] || len(got) != 3 {
		t.Errorf("checked values copied again: %q", got)
	}
	raw := []string{"zzzzz", "abc", "abcd", "zzzzz", "abce"}
	before := slices.Clone(raw)
	if got := checkedValues(raw); !slices.Equal(got, done) {
		t.Errorf("checkedValues(%q) = %q, want %q", before, got, done)
	}
	if !slices.Equal(raw, before) {
		t.Errorf("checkedValues changed its argument: %q", raw)
	}
}

// findingsWindowIn gives the window, base and findings findingsWindow
// does, with the margin around it materialised into the caller's buffer
// (clamped to the document) and the findings written over the caller's
// (the last window's), and allocates nothing once both have room.
func TestFindingsWindowInMatches(t *testing.T) {
	det := testDetector(t)
	text := lsptest.GoSource(6<<10, false, 3)
	doc := newDocument(Document{URI: "file:///work/ws/w.go"}, []byte(text), scanner{det: det, path: func(p string) string { return p }})
	var buf []byte
	var gotFs []redact.Finding
	for _, c := range [][3]int{{0, 600, 40}, {1000, 3000, 64}, {2500, len(text), 100}, {0, len(text), 0}, {3000, 3000, 8}} {
		start, end, margin := c[0], c[1], c[2]
		want, wantFs := findingsWindow(doc, start, end)
		var got textWindow
		got, gotFs = findingsWindowIn(doc, start, end, margin, &buf, gotFs)
		if got.base != want.base || string(got.text) != string(want.text) || fmt.Sprint(gotFs) != fmt.Sprint(wantFs) {
			t.Fatalf("[%d,%d): window at %d of %d bytes with %v, want at %d of %d bytes with %v",
				start, end, got.base, len(got.text), spans(gotFs), want.base, len(want.text), spans(wantFs))
		}
		lo, hi := max(0, got.base-margin), min(len(text), got.end()+margin)
		if got.aroundBase != lo || string(got.around) != text[lo:hi] {
			t.Fatalf("[%d,%d) margin %d: around is [%d,%d), want [%d,%d)", start, end, margin,
				got.aroundBase, got.aroundBase+len(got.around), lo, hi)
		}
	}
	if n := testing.AllocsPerRun(20, func() { findingsWindowIn(doc, 1000, 4000, 64, &buf, nil) }); n > 1 {
		t.Errorf("findingsWindowIn allocates %v times with a reused buffer, want 1 (the findings)", n)
	}
	_, gotFs = findingsWindowIn(doc, 0, len(text), 64, &buf, gotFs)
	if n := testing.AllocsPerRun(20, func() { findingsWindowIn(doc, 1000, 4000, 64, &buf, gotFs) }); n > 0 {
		t.Errorf("findingsWindowIn allocates %v times with a reused buffer and findings, want none", n)
	}
}

// withKnown finds the same known values, and cuts the window the same
// way, whether it reads them in the margin findingsWindowIn materialised
// or copies the text around the window itself.
func TestWithKnownReadsMarginOnce(t *testing.T) {
	sec := newSecrets(31)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.ai
	key := "Orchard-" + sec.github()[4:20] // no rule finds it; made known below
	if _, err := p.vault.Mask(key, []redact.Finding{{RuleID: "identifier", Category: redact.Secret, Start: 0, End: len(key)}}); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("x := 1 // filler line\n", 40) + "k := \"" + key + "\"\n" + strings.Repeat("y := 2\n", 40)
	doc := s.docs.open(TextDocumentItem{URI: "file:///work/ws/k.go", LanguageID: "go", Version: 1, Text: text})
	at := strings.Index(text, key)
	margin := min(knownMargin, p.vault.KnownMaxLen())
	for _, c := range [][2]int{{0, len(text)}, {at + 3, len(text)}, {0, at + 5}, {at - 10, at + len(key) + 10}} {
		var buf []byte
		viaMargin, fsMargin := findingsWindowIn(doc, c[0], c[1], margin, &buf, nil)
		viaCopy, fsCopy := findingsWindow(doc, c[0], c[1])
		w1, got, err1 := p.withKnown(doc, viaMargin, fsMargin, -1)
		w2, want, err2 := p.withKnown(doc, viaCopy, fsCopy, -1)
		if (err1 == nil) != (err2 == nil) || w1.base != w2.base || string(w1.text) != string(w2.text) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("[%d,%d): via the margin %d+%d bytes %v (%v), via a copy %d+%d bytes %v (%v)", c[0], c[1],
				w1.base, len(w1.text), spans(got), err1, w2.base, len(w2.text), spans(want), err2)
		}
		if c[0] == 0 && c[1] == len(text) && !slices.ContainsFunc(got, func(f redact.Finding) bool { return f.Start == at }) {
			t.Fatalf("the known value in the window was not found: %v", spans(got))
		}
	}
}

// The prompt reads its window, and a neighbour's start, from reused
// buffers; nothing it returns or caches refers to them: the next requests
// overwriting them change no part of the prompt, the values the leak guard
// looked for or the cached neighbour.
func TestPromptKeepsNoWindowBytes(t *testing.T) {
	for attempt := range 10 { // the pool may drop a buffer (always, now and then, under the race detector)
		if promptSurvivesScribble(t) {
			return
		}
		t.Logf("attempt %d: no buffer came back from the pool", attempt)
	}
	t.Fatal("the reused buffers never came back from the pool")
}

// promptSurvivesScribble builds a prompt with one neighbour, overwrites
// every buffer the pool gives back and checks the prompt and the cached
// neighbour are unchanged; false: the pool gave no buffer back.
func promptSurvivesScribble(t *testing.T) bool {
	t.Helper()
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	s.ctx = context.Background()
	text := lsptest.GoSource(6<<10, false, 4)
	s.docs.open(TextDocumentItem{URI: "file:///work/ws/util.go", LanguageID: "go", Version: 1, Text: lsptest.GoSource(6<<10, false, 5)})
	doc := s.docs.open(TextDocumentItem{URI: "file:///work/ws/main.go", LanguageID: "go", Version: 1, Text: text})
	r, err := s.newFIMRequest([]byte("1"), "inline", doc.URI, doc.Text.OffsetPosition(len(text)/2, UTF16), localmodel.Automatic)
	if err != nil || r == nil {
		t.Fatalf("request: %v", err)
	}
	pr, err := s.ai.prompt(s.ai.settings(), r, new(promptRoom))
	if err != nil || len(pr.values) == 0 || len(pr.fim.Neighbors) != 1 {
		t.Fatalf("prompt: %v, %d values, %d neighbours", err, len(pr.values), len(pr.fim.Neighbors))
	}
	prefix, suffix, nb := strings.Clone(pr.fim.Prefix), strings.Clone(pr.fim.Suffix), strings.Clone(pr.fim.Neighbors[0].Text)
	values := slices.Clone(pr.values)
	for i := range values {
		values[i] = strings.Clone(values[i])
	}
	s.ai.nbMu.Lock()
	cached := s.ai.nbCache["file:///work/ws/util.go"]
	s.ai.nbMu.Unlock()
	snip := strings.Clone(cached.snip.text.String())
	scribbled := 0
	for range 4 { // every buffer the pool gives back
		bp := s.ai.textBuf()
		defer s.ai.putTextBuf(bp)
		b := (*bp)[:cap(*bp)]
		for i := range b {
			b[i] = '#'
		}
		scribbled += len(b)
	}
	if scribbled == 0 {
		return false
	}
	if pr.fim.Prefix != prefix || pr.fim.Suffix != suffix || pr.fim.Neighbors[0].Text != nb || !slices.Equal(pr.values, values) {
		t.Fatal("overwriting the reused buffers changed the prompt: it refers to them")
	}
	if cached.snip.text.String() != snip {
		t.Fatal("overwriting the reused buffers changed the cached neighbour")
	}
	return true
}

// leakCheck refuses exactly the prompts, naming exactly the value, that
// reading every part for every value of the window and the neighbours
// together (leakGuard on the prefix, suffix and path, then each
// neighbour part in turn) does.
func TestLeakCheckNamesTheSameValue(t *testing.T) {
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 10))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "xyK_"[r.IntN(4)]
		}
		return string(b)
	}
	pick := func(vs []string) string {
		if len(vs) == 0 || r.IntN(2) == 0 {
			return word(r.IntN(12))
		}
		return word(r.IntN(3)) + vs[r.IntN(len(vs))] + word(r.IntN(3))
	}
	refused := 0
	for round := range 1500 {
		pr := &prompt{}
		for range r.IntN(5) {
			pr.values = append(pr.values, word(3+r.IntN(5)))
		}
		all := slices.Clone(pr.values)
		for range r.IntN(3) {
			var vs []string
			for range r.IntN(4) {
				vs = append(vs, word(3+r.IntN(5)))
			}
			all = append(all, vs...)
			pr.nbValues = append(pr.nbValues, checkValues(vs))
		}
		pr.fim = localmodel.FIMRequest{Prefix: pick(all), Suffix: pick(all), Path: pick(all)}
		for range len(pr.nbValues) {
			pr.fim.Neighbors = append(pr.fim.Neighbors, localmodel.Snippet{Path: pick(all), Text: pick(all)})
		}
		want := legacyLeakGuard(pr, checkedValues(all))
		got := s.ai.leakCheck(pr)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: leakCheck says %v, reading every value in every part says %v", round, got, want)
		}
		if got != nil {
			refused++
		}
	}
	if refused < 100 {
		t.Fatalf("only %d of the prompts held a value: the test does not exercise refusals", refused)
	}
}

// legacyLeakGuard is the value check leakCheck made before it read each
// part once: every value looked for in every part in turn.
func legacyLeakGuard(pr *prompt, values []string) error {
	parts := []string{pr.fim.Prefix, pr.fim.Suffix, pr.fim.Path}
	if err := leakGuard("prompt", values, parts); err != nil {
		return err
	}
	for _, n := range pr.fim.Neighbors {
		for _, part := range []string{n.Text, n.Path} {
			for _, v := range values {
				if strings.Contains(part, v) {
					return fmt.Errorf("lspproxy: leak guard: a masked value (%s) is still in the prompt", redact.Preview(v))
				}
			}
		}
	}
	return nil
}

// sortByStart leaves findings in exactly the order slices.SortFunc by
// Start does, equal Starts included, for lengths that take every path of
// the sort (insertion, partitions, the ninther, more than the index
// buffer holds).
func TestSortByStartIsSortFunc(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for round := range 3000 {
		n := r.IntN(70)
		if round%100 == 0 {
			n = 200 + r.IntN(200)
		}
		fs := make([]redact.Finding, n)
		for i := range fs {
			start := r.IntN(1 + n/3) // many equal Starts
			if round%3 == 0 {
				start = i / 2 // nearly sorted runs
			}
			fs[i] = redact.Finding{RuleID: fmt.Sprint(i), Start: start, End: start + 1 + r.IntN(9)}
		}
		want := slices.Clone(fs)
		slices.SortFunc(want, func(a, b redact.Finding) int { return a.Start - b.Start })
		sortByStart(fs)
		if !slices.Equal(fs, want) {
			t.Fatalf("round %d (%d findings): the order differs from slices.SortFunc's", round, n)
		}
	}
	fs := make([]redact.Finding, 200)
	for i := range fs {
		fs[i] = redact.Finding{Start: (i * 7919) % 97}
	}
	if n := testing.AllocsPerRun(10, func() { sortByStart(fs) }); n != 0 {
		t.Errorf("sortByStart allocates %v times", n)
	}
}

// A document name found to hold nothing to mask is taken as it is only
// under the same settings while no value became known: a value made known
// later, or a name that holds a finding, is masked every time.
func TestMaskNameMemoStaysStrict(t *testing.T) {
	sec := newSecrets(41)
	s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
	if err != nil {
		t.Fatal(err)
	}
	p := s.ai
	st := p.settings()
	later := "Orchard" + sec.pick(base62, 10) // no rule finds it; made known below
	name := "src/" + later + "/main.go"
	for range 2 {
		if m, err := p.maskName(st, name); err != nil || m.String() != name {
			t.Fatalf("a clean name was masked (%d bytes) or failed: %v", len(m.String()), err)
		}
	}
	if _, ok := p.leakMemo.cleanName(name, st, p.vault.KnownVersion()); !ok {
		t.Fatal("the clean name was not remembered: it is scanned on every request")
	}
	if _, err := p.vault.Mask(later, []redact.Finding{{RuleID: "identifier", Category: redact.Secret, Start: 0, End: len(later)}}); err != nil {
		t.Fatal(err)
	}
	m, err := p.maskName(st, name)
	if err != nil || strings.Contains(m.String(), later) {
		t.Fatalf("a value made known after the name was found clean is still in it (%v)", err)
	}
	withCodename := "src/Zephyrine/main.go" // the configured term
	for range 2 {
		if m, err := p.maskName(st, withCodename); err != nil || strings.Contains(m.String(), "Zephyrine") {
			t.Fatalf("a name holding a term passed unmasked (%v)", err)
		}
	}
	if _, err := p.maskName(st, "README.md"); err != nil {
		t.Fatal(err)
	}
	other := *st
	if _, ok := p.leakMemo.cleanName("README.md", &other, p.vault.KnownVersion()); ok {
		t.Fatal("a verdict made under one settings was found for another")
	}
	if _, ok := p.leakMemo.cleanName("README.md", st, p.vault.KnownVersion()); !ok {
		t.Fatal("README.md was not remembered")
	}
}
