package localmodel

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// referenceBestWindow is the straightforward window choice bestWindow must
// agree with: for every candidate start, cut the window with headLines and
// build its identifier set from scratch.
func referenceBestWindow(s string, n int, query map[string]bool) string {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && i+1 < len(s) {
			starts = append(starts, i+1)
		}
	}
	best, bestScore := headLines(s, n), -1.0
	for k := 0; k < len(starts); {
		w := headLines(s[starts[k]:], n)
		if w == "" {
			k++
			continue
		}
		set := words(w)
		inter := 0
		for w := range set {
			if query[w] {
				inter++
			}
		}
		sc := 0.0
		if len(set) > 0 && len(query) > 0 {
			sc = float64(inter) / float64(len(set)+len(query)-inter)
		}
		if sc > bestScore {
			best, bestScore = w, sc
		}
		lines := strings.Count(w, "\n")
		if starts[k]+len(w) >= len(s) {
			break
		}
		k += max(1, lines/2)
	}
	return best
}

// randomText is text of random lines made of a small vocabulary (so
// windows share identifiers and tie), one-byte words that do not count,
// multi-byte runes, CRLF, blank lines and lines longer than most windows.
func randomText(r *rand.Rand) string {
	vocab := []string{"a", "x", "_", "id", "ab", "x1", "foo", "bar", "foo_bar", "Baz", "qux9", "é", "😀", "ñame", "__"}
	seps := []string{" ", ".", "(", ")", ", ", "\t", "é", "😀"}
	ends := []string{"\n", "\n", "\n", "\r\n", "\n\n"}
	var b strings.Builder
	for range r.IntN(40) {
		words := r.IntN(12)
		if r.IntN(10) == 0 {
			words = 40 + r.IntN(60) // a long line
		}
		for j := range words {
			if j > 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
		b.WriteString(ends[r.IntN(len(ends))])
	}
	if r.IntN(3) == 0 {
		b.WriteString(vocab[r.IntN(len(vocab))]) // no newline at the end
	}
	return b.String()
}

// TestBestWindowMatchesReference compares the incremental window choice with
// referenceBestWindow on random texts, budgets and queries, one scorer
// reused across texts the way pickNeighbors reuses it.
func TestBestWindowMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for q := range 200 {
		qt := randomText(r)
		if q%10 == 0 {
			qt = ""
		}
		query := words(qt)
		var ws windowScorer
		ws.reset(queryWords(qt, nil), 0)
		for range 25 {
			s := randomText(r)
			n := 1 + r.IntN(len(s)+8)
			if r.IntN(2) == 0 {
				n = 1 + r.IntN(40) // short windows: many candidates and cut lines
			}
			want := referenceBestWindow(s, n, query)
			got := ws.bestWindow(IndexWords(s), n)
			if got != want {
				t.Fatalf("text %q, n %d, query %v:\nbestWindow = %q\nreference  = %q", s, n, query, got, want)
			}
			if len(got) > n {
				t.Fatalf("window of %d bytes, budget %d", len(got), n)
			}
		}
	}
}

// TestBestWindowEdges: texts without a newline, a newline as last byte,
// and a first rune longer than the budget.
func TestBestWindowEdges(t *testing.T) {
	query := map[string]bool{"foo": true, "bar": true}
	for _, tc := range []struct {
		s string
		n int
	}{
		{"", 1}, {"\n", 1}, {"\n\n\n", 1}, {"foo", 2}, {"foo bar\n", 7}, {"x\nfoo bar\n", 8},
		{"😀foo\nbar\n", 2}, {"abc\n😀😀\nfoo\n", 5}, {"foobar\nfoo\nbar\n", 4}, {"aa\nbb\ncc\nfoo\nbar", 8},
	} {
		want := referenceBestWindow(tc.s, tc.n, query)
		var ws windowScorer
		ws.reset(queryWords("bar foo foo", nil), 0)
		if got := ws.bestWindow(IndexWords(tc.s), tc.n); got != want {
			t.Errorf("bestWindow(%q, %d) = %q, reference %q", tc.s, tc.n, got, want)
		}
	}
}

// TestWordIndexReused: one index read by many queries (a neighbour document
// scored by every request) picks what a fresh index picks.
func TestWordIndexReused(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	for range 50 {
		s := randomText(r)
		ix := IndexWords(s)
		for range 10 {
			qt := randomText(r)
			query := words(qt)
			n := 1 + r.IntN(len(s)+8)
			var ws windowScorer
			ws.reset(queryWords(qt, nil), 0)
			if got, want := ws.bestWindow(ix, n), referenceBestWindow(s, n, query); got != want {
				t.Fatalf("reused index: %q, reference %q", got, want)
			}
		}
	}
}

// queryWords is the set words builds, sorted, each identifier once.
func TestQueryWords(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 23))
	for range 200 {
		s := randomText(r)
		set := words(s)
		got := queryWords(s, nil)
		if len(got) != len(set) || !slices.IsSorted(got) {
			t.Fatalf("queryWords(%q) = %q, want the %d words of %v sorted", s, got, len(set), set)
		}
		for _, w := range got {
			if !set[w] {
				t.Fatalf("queryWords(%q) holds %q, not a word of it", s, w)
			}
		}
	}
}
