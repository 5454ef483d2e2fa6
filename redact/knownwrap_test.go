package redact

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// A break is joined only where a known value may start in the line's last
// word and run on past the line's end. The breaks this leaves out, of
// those where the filter alone lets a value start in the last word, change
// nothing: Known finds the same values across breaks, and every value in
// the view of a break left out is in the text as it is or in the view of
// a break kept (so Leak judges every text the same).
func TestWrapBreaksLeaveOutOnlyValuesThatEndBefore(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const alpha = "abcAB" // a small alphabet: values share anchors and prefixes
	droppedSome := false
	for round := range 600 {
		k := newKnownIndex()
		var vals []string
		for range 1 + r.IntN(6) {
			v := randString(r, alpha, knownMinLen+r.IntN(8))
			vals = append(vals, v)
			if r.IntN(2) == 0 { // a longer value starting the same way
				vals = append(vals, v+randString(r, alpha, 1+r.IntN(6)))
			}
		}
		for _, v := range vals {
			k.add(v, "r", Secret)
		}
		text := []byte(wrappedText(r, vals))
		loose, kept := looseBreaks(k, text), k.wrapBreaks(text)
		for _, le := range kept {
			if !slices.Contains(loose, le) {
				t.Fatalf("round %d: break at %d kept that the filter alone leaves out", round, le)
			}
		}
		// Known across breaks: the same with the breaks the filter alone lets through.
		var want []Finding
		var v view
		for _, le := range loose {
			if !wrappedView(&v, text, le, k.maxLen()) {
				continue
			}
			for _, f := range k.findings(v.text) {
				if s, e := int(v.start[f.Start]), int(v.end[f.End-1]); s < le && e > le {
					f.Start, f.End = s, e
					want = append(want, f)
				}
			}
		}
		if got := k.knownWrapped(text, nil); fmt.Sprint(spans(got)) != fmt.Sprint(spans(want)) {
			t.Fatalf("round %d: across breaks %v, the filter alone finds %v in %q", round, spans(got), spans(want), text)
		}
		// Leak: whatever a view left out holds is seen elsewhere.
		seen := map[string]bool{}
		scanKnown(k, text, func(_, _ int, kv *knownValue) bool { seen[kv.value] = true; return true })
		for _, le := range kept {
			if wrappedView(&v, text, le, k.maxLen()) {
				scanKnown(k, v.text, func(_, _ int, kv *knownValue) bool { seen[kv.value] = true; return true })
			}
		}
		for _, le := range loose {
			if slices.Contains(kept, le) || !wrappedView(&v, text, le, k.maxLen()) {
				continue
			}
			droppedSome = true
			scanKnown(k, v.text, func(_, _ int, kv *knownValue) bool {
				if !seen[kv.value] {
					t.Fatalf("round %d: the view at the break left out at %d holds %q, seen nowhere else in %q", round, le, kv.value, text)
				}
				return true
			})
		}
	}
	if !droppedSome {
		t.Fatal("no break was left out: the test does not exercise the tighter check")
	}
}

// wrappedText is lines of words over vals' alphabet, with values whole at
// a line's end, cut over a break (under a comment marker or an indent),
// or only begun.
func wrappedText(r *rand.Rand, vals []string) string {
	var b strings.Builder
	for range 3 + r.IntN(8) {
		marker := []string{"", "// ", "\t", "# "}[r.IntN(4)]
		b.WriteString(marker + randString(r, "xyz", 1+r.IntN(4)) + " ")
		v := vals[r.IntN(len(vals))]
		switch r.IntN(4) {
		case 0: // whole, ending the line
			b.WriteString(v)
		case 1: // cut over the break
			cut := 1 + r.IntN(len(v)-1)
			b.WriteString(v[:cut] + "\n" + marker + v[cut:])
		case 2: // only its start
			b.WriteString(v[:knownMinLen+r.IntN(len(v)-knownMinLen+1)])
		default:
			b.WriteString(randString(r, "abcAB", 2+r.IntN(8)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// looseBreaks is wrapBreaks as it was: a break wherever six bytes of the
// last word pass the filter (or, in its last five bytes, the filter on
// them joined with the next line's first word) and the next line
// continues it.
func looseBreaks(k *knownIndex, text []byte) []int {
	var ends []int
	ls := 0
	for nl := strings.IndexByte(string(text), '\n'); nl >= 0 && nl+1 < len(text); {
		le := nl
		if le > ls && text[le-1] == '\r' {
			le--
		}
		if ws := lastWord(text, le, k.longest); ws < le && looseCross(k, text, ls, ws, le, nl) {
			ends = append(ends, le)
		}
		next := strings.IndexByte(string(text[nl+1:]), '\n')
		if next < 0 {
			break
		}
		ls, nl = nl+1, nl+1+next
	}
	return ends
}

func looseCross(k *knownIndex, text []byte, ls, ws, le, nl int) bool {
	j := ws
	for ; j+knownMinLen <= le; j++ {
		if k.mayStart(anchor(text, j)) {
			return continuation(text, ls, nl) >= 0
		}
	}
	cs := continuation(text, ls, nl)
	if cs < 0 {
		return false
	}
	var buf [2 * knownMinLen]byte
	n := copy(buf[:], text[j:le])
	n += copy(buf[n:], wordAt(text, cs))
	for o := 0; o+knownMinLen <= n && o < le-j; o++ {
		if k.mayStart(anchor(buf[:n], o)) {
			return true
		}
	}
	return false
}
