package redact

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/coregx/ahocorasick"
)

// acHits is the reference keywordIndex.find replaced: an Aho-Corasick
// automaton over the ASCII lower case of text, every overlapping match in
// the automaton's order.
func acHits(ac *ahocorasick.Automaton, text []byte) []keywordHit {
	low := make([]byte, len(text))
	lowerASCII(low, text)
	var out []keywordHit
	for _, m := range ac.FindAllOverlapping(low) {
		out = append(out, keywordHit{start: m.Start, id: int32(m.PatternID)})
	}
	return out
}

// indexWords are the built-in keywords plus the awkward shapes a config
// rule may add: one and two bytes, non-letters in the first three bytes,
// spaces, non-ASCII, keywords that are prefixes and suffixes of others.
func indexWords(t testing.TB) ([]string, *ahocorasick.Automaton) {
	t.Helper()
	d := newTestDetector(t, Options{})
	words := slices.Clone(d.keywords.words)
	for _, w := range []string{"q", "~", "x9", "q~", "_a", "é", "éa", "a é", "1//0", "[[x", "tok", "token_", "en_", "ken"} {
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(words).Build()
	if err != nil {
		t.Fatal(err)
	}
	return words, ac
}

func TestKeywordIndexMatchesAhoCorasick(t *testing.T) {
	words, ac := indexWords(t)
	k := newKeywordIndex(words)
	rng := rand.New(rand.NewPCG(1, 2))
	// Random text built from keyword pieces in random case, so hits are
	// dense, overlap and end together.
	alphabet := []byte("aAkKeEnNtToOqQ~_-./: 19xX\n\"é[")
	for n := range 2000 {
		var b []byte
		for len(b) < n%300 {
			if rng.IntN(3) == 0 {
				w := []byte(words[rng.IntN(len(words))])
				for i := range w {
					if rng.IntN(2) == 0 && w[i] >= 'a' && w[i] <= 'z' {
						w[i] -= 'a' - 'A'
					}
				}
				b = append(b, w...)
			} else {
				b = append(b, alphabet[rng.IntN(len(alphabet))])
			}
		}
		got, want := k.find(b, nil), acHits(ac, b)
		if !slices.Equal(got, want) {
			t.Fatalf("text %q:\n got  %v\n want %v", b, got, want)
		}
	}
}

// The real corpus: the same hits as the automaton on GOROOT sources.
func TestKeywordIndexGoroot(t *testing.T) {
	_, files := goSources(t, 8<<20)
	words, ac := indexWords(t)
	k := newKeywordIndex(words)
	text := bytes.Join(files, []byte("\n"))
	got, want := k.find(text, nil), acHits(ac, text)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("%d hits, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []keywordHit) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// BenchmarkKeywordIndex is the keyword pass alone over ~1 MB of Go source.
func BenchmarkKeywordIndex(b *testing.B) {
	_, files := goSources(b, 1<<20)
	d := newTestDetector(b, Options{})
	mix := bytes.Join(files, []byte("\n"))
	b.SetBytes(int64(len(mix)))
	var hits []keywordHit
	for b.Loop() {
		hits = d.keywords.find(mix, hits[:0])
	}
}

// nextNonASCII agrees with a byte-by-byte search from every start, for a
// non-ASCII byte at every place in and around its 32- and 8-byte steps.
func TestNextNonASCII(t *testing.T) {
	for n := range 80 {
		for at := -1; at < n; at++ {
			text := bytes.Repeat([]byte("a"), n)
			if at >= 0 {
				text[at] = 0xc3
			}
			for i := 0; i <= n; i++ {
				want := i
				for want < n && text[want] < 0x80 {
					want++
				}
				if got := nextNonASCII(text, i); got != want {
					t.Fatalf("len %d, non-ASCII at %d, from %d: got %d, want %d", n, at, i, got, want)
				}
			}
		}
	}
}
