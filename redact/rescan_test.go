package redact

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// rescanWindow returns ~2 KB of ordinary Go code holding two secrets (an
// AWS access key id and a GitHub token), as lspproxy rescans it around an
// edit.
func rescanWindow(tb testing.TB) []byte {
	tb.Helper()
	sec := lsptest.NewSecrets(11)
	var sb strings.Builder
	for i := 0; sb.Len() < 2000; i++ {
		switch i {
		case 9:
			sb.WriteString("\tawsKey := \"" + sec.AWSAccessKeyID() + "\" // rotate quarterly\n")
		case 21:
			sb.WriteString("\tghToken := \"" + sec.GitHubPAT() + "\"\n")
		default:
			sb.WriteString("\tresult = append(result, fmt.Sprintf(\"%d: %s\", i, name)) // one line\n")
		}
	}
	return []byte(sb.String())
}

// BenchmarkScanRange rescans a ~2 KB window of Go code with two findings,
// the work of one keystroke: the result should be its only allocation.
func BenchmarkScanRange(b *testing.B) {
	d := newTestDetector(b, Options{})
	win := rescanWindow(b)
	if n := len(d.ScanRange("main.go", win, 1000)); n != 2 {
		b.Fatalf("%d findings, want 2", n)
	}
	b.SetBytes(int64(len(win)))
	b.ReportAllocs()
	for b.Loop() {
		d.ScanRange("main.go", win, 1000)
	}
}

// resolveOverlapsSortSlice is resolveOverlaps as it was before it worked in
// the scan's scratch (sort.SliceStable, a fresh slice grown by append): the
// reference for TestResolveIntoDifferential.
func resolveOverlapsSortSlice(cands []Finding) []Finding {
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if ra, rb := categoryRank(a.Category), categoryRank(b.Category); ra != rb {
			return ra < rb
		}
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return la > lb
		}
		return a.Start < b.Start
	})
	var out []Finding
	for _, f := range cands {
		i := sort.Search(len(out), func(i int) bool { return out[i].End > f.Start })
		if i == len(out) || out[i].Start >= f.End {
			out = append(out, Finding{})
			copy(out[i+1:], out[i:])
			out[i] = f
			continue
		}
		w := &out[i]
		w.Start = min(w.Start, f.Start)
		w.End = max(w.End, f.End)
		j := i + 1
		for j < len(out) && out[j].Start < w.End {
			w.End = max(w.End, out[j].End)
			j++
		}
		out = append(out[:i+1], out[j:]...)
	}
	return out
}

// TestResolveIntoDifferential: resolving in a reused buffer gives what the
// old resolveOverlaps gave, for random candidate sets with ties.
func TestResolveIntoDifferential(t *testing.T) {
	r := testRand(t)
	cats := []Category{Secret, PII, Identifier}
	confs := []float64{0.5, 0.8, 0.8, 0.9, 0.99}
	var buf []Finding
	for n := range 3000 {
		cands := make([]Finding, r.IntN(40))
		for i := range cands {
			s := r.IntN(300)
			cands[i] = Finding{RuleID: fmt.Sprint("r", i), Category: cats[r.IntN(3)], Confidence: confs[r.IntN(len(confs))],
				Start: s, End: s + 1 + r.IntN(30)}
		}
		want := resolveOverlapsSortSlice(slices.Clone(cands))
		buf = resolveInto(buf[:0], slices.Clone(cands))
		if !slices.Equal(buf, want) {
			t.Fatalf("case %d: resolveInto\n%v\nwant\n%v", n, buf, want)
		}
		if got := resolveOverlaps(slices.Clone(cands)); !slices.Equal(got, want) {
			t.Fatalf("case %d: resolveOverlaps\n%v\nwant\n%v", n, got, want)
		}
	}
}

// TestScanResultsOwnTheirMemory: the scratch a scan resolves in is reused
// by the next scan; results handed out earlier stay intact.
func TestScanResultsOwnTheirMemory(t *testing.T) {
	d := newTestDetector(t, Options{})
	sec := lsptest.NewSecrets(5)
	a := []byte("aws := \"" + sec.AWSAccessKeyID() + "\"\ngh := \"" + sec.GitHubPAT() + "\"\n")
	b := []byte("// contact ops.team@orchard-mail.net\nnpm := \"" + sec.NPMToken() + "\"\n" + string(rescanWindow(t)))
	first := d.Scan("a.go", a)
	kept := slices.Clone(first)
	if len(first) != 2 {
		t.Fatalf("first scan: %d findings, want 2", len(first))
	}
	for range 3 {
		second := d.ScanRange("b.go", b, 7)
		if len(second) < 3 {
			t.Fatalf("second scan: %d findings, want at least 3", len(second))
		}
		if &second[0] == &first[0] {
			t.Fatal("two scans returned the same backing array")
		}
	}
	if !slices.Equal(first, kept) {
		t.Fatalf("first result changed by later scans:\n%v\nwas\n%v", first, kept)
	}
}

// TestPooledFindingsBounded: a scan of a large file does not leave its
// finding buffers in the pool, nor do the scans of its decoded views.
func TestPooledFindingsBounded(t *testing.T) {
	d := newTestDetector(t, Options{})
	src := lsptest.GoSource(256<<10, false, 9)
	sec := lsptest.NewSecrets(9)
	var keys strings.Builder
	for range 1000 {
		keys.WriteString(sec.AWSAccessKeyID() + "\n")
	}
	blob := base64.StdEncoding.EncodeToString([]byte(keys.String()))
	for _, text := range []string{src, "data := \"" + blob + "\"\n"} {
		if n := len(d.candidates("big.go", []byte(text))); n <= maxPooledFindings {
			t.Fatalf("%d candidates: the test needs more than %d", n, maxPooledFindings)
		}
		d.Scan("big.go", []byte(text))
		var held []*scratch // every scratch in the pool
		for range 4 {
			sc := d.scratch.Get().(*scratch)
			held = append(held, sc)
			if cap(sc.cands) > maxPooledFindings || cap(sc.resolved) > maxPooledFindings {
				t.Fatalf("pooled scratch keeps %d candidates and %d resolved", cap(sc.cands), cap(sc.resolved))
			}
		}
		for _, sc := range held {
			d.scratch.Put(sc)
		}
	}
}
