package redact

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A value masked once is found again anywhere: in another file, 20 KB
// away, on a line where the detector sees nothing, after the vault evicted
// its token.
func TestKnownValuesFoundEverywhere(t *testing.T) {
	d := newTestDetector(t, Options{})
	v := NewVault(testKey, 2)
	// Typed in one file under a secret-like name (the detector may or may
	// not recognise it; the typing finding masks it).
	first := "db_password = \"" + humanPassword
	m := mustMask(t, v, first, d.ScanTyping("a.py", []byte(first), len(first)))
	if strings.Contains(m.Text, humanPassword) {
		t.Fatalf("typed value not masked: %v", m.Spans)
	}
	// Evict its token by masking more values than the vault holds.
	for i := range 5 {
		gh := genGitHubToken(t, "ghp_")
		mustMask(t, v, gh, []Finding{{RuleID: "github-pat", Category: Secret, Start: 0, End: len(gh)}})
		_ = i
	}
	if v.Len() > 3 {
		t.Fatalf("vault holds %d entries, want eviction", v.Len())
	}
	far := "package b\n\n" + strings.Repeat("// filler line of ordinary code\n", 700) + "x := greet(\"" + humanPassword + "\")\n"
	if len(far) < 20<<10 {
		t.Fatalf("text only %d bytes", len(far))
	}
	if fs := d.Scan("b.go", []byte(far)); len(fs) != 0 {
		t.Fatalf("the detector already finds it; the test needs a value it misses: %v", spans(fs))
	}
	fs := v.Known([]byte(far))
	at := strings.Index(far, humanPassword)
	if len(fs) != 1 || fs[0].Start != at || fs[0].End != at+len(humanPassword) {
		t.Fatalf("known findings %v, want [%d,%d)", spans(fs), at, at+len(humanPassword))
	}
	m2 := mustMask(t, v, far, fs)
	if strings.Contains(m2.Text, humanPassword) {
		t.Fatal("known value not masked in the other file")
	}
	if p, leaked := v.Leak(far); !leaked || strings.Contains(p, humanPassword) || !strings.HasPrefix(p, humanPassword[:4]) {
		t.Fatalf("Leak = %q, %v; want a preview", p, leaked)
	}
	if _, leaked := v.Leak(m2.Text); leaked {
		t.Fatal("masked text reported as a leak")
	}
}

// Values masked only for their shape or in a config file while typed, and
// short typed prefixes, are not secrets for the session; short values are
// not found again.
func TestKnownValuesSkipWeakAndShort(t *testing.T) {
	v := NewVault(testKey, 0)
	text := "host: localhost\nContent-Type\npin=4711\npw=\"correct h\n"
	mustMask(t, v, text, []Finding{
		{RuleID: RuleTypingPartial, Category: Secret, Start: 6, End: 15, Confidence: confConfig},
		{RuleID: RuleTypingPartial, Category: Secret, Start: 16, End: 28, Confidence: confShaped},
		{RuleID: "generic-password", Category: Secret, Start: 33, End: 37, Confidence: 0.9},
		{RuleID: RuleTypingPartial, Category: Secret, Start: 42, End: 51, Confidence: confOwned}, // a short typed prefix
	})
	if n := v.KnownLen(); n != 0 {
		t.Fatalf("known values: %d, want 0", n)
	}
	if fs := v.Known([]byte(text)); len(fs) != 0 {
		t.Fatalf("found %v", spans(fs))
	}
}

// Overlapping known values are masked as one span, so no part of either
// stays visible; the longest value wins at one position.
func TestKnownValuesOverlap(t *testing.T) {
	v := NewVault(testKey, 0)
	for _, s := range []string{"abcdefgh", "efghijkl", "abcdefghXYZ1"} {
		mustMask(t, v, s, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(s)}})
	}
	text := "-- abcdefghijkl -- abcdefghXYZ1 --"
	fs := v.Known([]byte(text))
	if len(fs) != 2 || text[fs[0].Start:fs[0].End] != "abcdefghijkl" || text[fs[1].Start:fs[1].End] != "abcdefghXYZ1" {
		t.Fatalf("got %v", spans(fs))
	}
}

func TestKnownValuesConcurrent(t *testing.T) {
	v := NewVault(testKey, 0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				val := fmt.Sprintf("value-%d-%04d-xyz", g, i)
				mustMask(t, v, val, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(val)}})
				if fs := v.Known([]byte("x " + val + " y")); len(fs) != 1 {
					t.Errorf("own value not known: %v", spans(fs))
					return
				}
			}
		}()
	}
	wg.Wait()
	if v.KnownLen() != 800 {
		t.Fatalf("known %d, want 800", v.KnownLen())
	}
}

func TestKnownIndexDropsOlderHalfWhenFull(t *testing.T) {
	k := newKnownIndex()
	big := strings.Repeat("z", 1<<20)
	for i := range knownMaxBytes>>20 + 2 {
		k.add(fmt.Sprintf("%04d", i)+big, "r", Secret)
	}
	if k.bytes > knownMaxBytes || k.len() == 0 {
		t.Fatalf("index holds %d bytes in %d values", k.bytes, k.len())
	}
	last := fmt.Sprintf("%04d", knownMaxBytes>>20+1) + big
	if _, ok := firstKnown(k, last); !ok {
		t.Fatal("newest value dropped")
	}
}

// BenchmarkKnown scans text against 10,000 known values.
func BenchmarkKnown(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	v := NewVault(testKey, 0)
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for range 10000 {
		s := randString(r, alpha, 12+r.IntN(30))
		mustMask(b, v, s, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(s)}})
	}
	src := []byte(strings.Repeat("func f(a, b int) int { return a + b } // ordinary code here\n", 20000))
	for _, size := range []int{8 << 10, 1 << 20} {
		text := src[:size]
		b.Run(fmt.Sprintf("scan-%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				v.Known(text)
			}
		})
	}
	// A session's worth of values: the sparse scan.
	few := NewVault(testKey, 0)
	for range 150 {
		s := "AKIA" + randString(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		mustMask(b, few, s, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(s)}})
	}
	b.Run("scan-8KB-150-values", func(b *testing.B) {
		b.SetBytes(8 << 10)
		for b.Loop() {
			few.Known(src[:8<<10])
		}
	})
	b.Run("add", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			v.known.add(fmt.Sprintf("added-value-%09d", i), "r", Secret)
		}
	})
}

func TestKnownMaxLen(t *testing.T) {
	v := NewVault(testKey, 0)
	if v.KnownMaxLen() != 0 {
		t.Fatal("empty vault has a longest value")
	}
	for _, s := range []string{"abcdefgh", "abcdefghijklmnop"} {
		mustMask(t, v, s, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(s)}})
	}
	if v.KnownMaxLen() != 16 {
		t.Fatalf("KnownMaxLen = %d, want 16", v.KnownMaxLen())
	}
	before := v.KnownVersion()
	mustMask(t, v, "abcdefgh", []Finding{{RuleID: "r", Category: Secret, Start: 0, End: 8}})
	if v.KnownVersion() != before {
		t.Fatal("a value known already changed the version")
	}
	mustMask(t, v, "qrstuvwxyz", []Finding{{RuleID: "r", Category: Secret, Start: 0, End: 10}})
	if v.KnownVersion() == before {
		t.Fatal("a new known value left the version as it was")
	}
}

// The coarse filter read on every byte is the fine filter folded: a bit
// is set in it exactly when one of the fine bits it stands for is, after
// values are added and after the older half is dropped, so it never turns
// away a window the fine filter lets through; and the pair tables hold
// every value's first pairs and count them.
func TestKnownCoarseFilterFoldsFine(t *testing.T) {
	k := newKnownIndex()
	r := rand.New(rand.NewPCG(3, 4))
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	check := func(when string) {
		t.Helper()
		var want [1 << coarseBits / 64]uint64
		for bit := range uint64(1 << filterBits) {
			if k.filter[bit/64]&(1<<(bit%64)) != 0 {
				c := bit >> (filterBits - coarseBits)
				want[c/64] |= 1 << (c % 64)
			}
		}
		if want != *k.coarse {
			t.Fatalf("%s: the coarse filter is not the fine one folded", when)
		}
		for _, kv := range k.values {
			if !k.mayStart(anchor(kv.value, 0)) {
				t.Fatalf("%s: a known value's anchor is filtered out", when)
			}
			for o := range pairStride {
				if !k.mayPair(kv.value[o], kv.value[o+1]) || !k.mayPairIn([]byte{kv.value[o]}) {
					t.Fatalf("%s: a known value's pair at %d is not in the pair tables", when, o)
				}
			}
		}
		set := 0
		for _, w := range k.pairs {
			set += bits.OnesCount64(w)
		}
		if set != k.pairsSet {
			t.Fatalf("%s: %d pairs set, counted %d", when, set, k.pairsSet)
		}
	}
	for range 3000 {
		k.add(randString(r, alpha, 12+r.IntN(20)), "r", Secret)
	}
	check("after adding")
	k.mu.Lock()
	k.dropOlderHalf()
	k.mu.Unlock()
	check("after dropping the older half")
}

// AppendKnown leaves dst's findings as they were and appends exactly what
// Known finds, plain and in decoded views, even where dst's last finding
// overlaps the first one appended.
func TestAppendKnownKeepsDst(t *testing.T) {
	v := NewVault(testKey, 0)
	const pw = "Quill#Lantern-moss&Brook"
	mustMask(t, v, pw, []Finding{{RuleID: "generic-password", Category: Secret, Start: 0, End: len(pw)}})
	text := []byte("a := \"" + pw + "\"\nu := \"Quill%23Lantern-moss%26Brook\"\n")
	own := Finding{RuleID: "own", Category: Secret, Start: 0, End: 8} // overlaps the first value
	for _, room := range []int{1, 16} {
		dst := append(make([]Finding, 0, room), own)
		got := v.AppendKnown(dst, text)
		want := v.Known(text)
		if len(want) != 2 {
			t.Fatalf("Known found %v, want the plain and the percent-encoded value", spans(want))
		}
		if len(got) != 1+len(want) || got[0] != own {
			t.Fatalf("room %d: AppendKnown gave %v after the caller's finding, want %v", room, spans(got), spans(want))
		}
		for i := range want {
			if got[1+i] != want[i] {
				t.Errorf("room %d: finding %d is %v, Known's is %v", room, i, spans(got[1+i:2+i]), spans(want[i:i+1]))
			}
		}
	}
}

// The sparse scan (every fourth byte in the pair table) reports exactly
// what reading every byte reports, in the same order: values sharing
// their first bytes, overlapping, at the text's very start and end, in
// texts shorter than a value; and it is the scan used while few pairs are
// set.
func TestKnownSparseScanMatchesEveryByte(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const alpha = "abAB_-" // a small alphabet: values share anchors and recur
	for round := range 400 {
		k := newKnownIndex()
		var vals []string
		for range 1 + r.IntN(20) {
			v := randString(r, alpha, knownMinLen+r.IntN(6))
			k.add(v, "r", Secret)
			vals = append(vals, v)
		}
		var b strings.Builder
		for b.Len() < r.IntN(120) {
			if r.IntN(3) == 0 {
				b.WriteString(vals[r.IntN(len(vals))])
			} else {
				b.WriteString(randString(r, alpha, 1+r.IntN(5)))
			}
		}
		text := []byte(b.String())
		type hit struct{ s, e int }
		collect := func() (out []hit) {
			scanKnown(k, text, func(s, e int, kv *knownValue) bool {
				out = append(out, hit{s, e})
				return true
			})
			return out
		}
		if k.pairsSet > pairsSparse {
			t.Fatalf("round %d: %d values set %d pairs: the sparse scan is not used", round, len(vals), k.pairsSet)
		}
		sparse := collect()
		k.pairsSet = pairsSparse + 1 // every byte
		every := collect()
		if fmt.Sprint(sparse) != fmt.Sprint(every) {
			t.Fatalf("round %d: sparse scan found %v, every byte %v in %q", round, sparse, every, text)
		}
	}
}

// FuzzKnownSparseScan: for any values and text, the sparse scan reports
// what reading every byte reports, in the same order.
func FuzzKnownSparseScan(f *testing.F) {
	f.Add("abcdefgh|abcdefghij|xyzxyz", "..abcdefghij..xyzxyzxyz abcdefg")
	f.Add("AKIAABCDEFGH234567QR", "k := \"AKIAABCDEFGH234567QR\"")
	f.Fuzz(func(t *testing.T, vals, text string) {
		k := newKnownIndex()
		for _, v := range strings.Split(vals, "|") {
			k.add(v, "r", Secret)
		}
		if k.pairsSet > pairsSparse {
			t.Skip("dense: the sparse scan is not used")
		}
		collect := func() (out []int) {
			scanKnown(k, text, func(s, e int, _ *knownValue) bool {
				out = append(out, s, e)
				return true
			})
			return out
		}
		sparse := collect()
		k.pairsSet = pairsSparse + 1
		if every := collect(); !slices.Equal(sparse, every) {
			t.Fatalf("sparse scan %v, every byte %v", sparse, every)
		}
	})
}
