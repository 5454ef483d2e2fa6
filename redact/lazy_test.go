package redact

import (
	"regexp"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// BenchmarkNewDetector measures building the default detector and how much
// of the heap it keeps alive (live-KB: what the collector marks on every
// cycle for as long as the detector is in use).
func BenchmarkNewDetector(b *testing.B) {
	b.ReportAllocs()
	var d *Detector
	for b.Loop() {
		d = newTestDetector(b, Options{})
	}
	b.StopTimer()
	d = nil
	b.ReportMetric(float64(liveBytes(func() any { return newTestDetector(b, Options{}) }))/1024, "live-KB")
	_ = d
}

// liveBytes returns how many heap bytes the value made by mk keeps alive.
func liveBytes(mk func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := mk()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// compiledRules returns the ids of d's regex rules compiled so far. Call it
// only when no scan runs.
func compiledRules(d *Detector) []string {
	var ids []string
	for _, r := range d.rules {
		if r.re != nil {
			ids = append(ids, r.spec.ID)
		}
	}
	return ids
}

// forgetCompiled puts every built-in rule of d back to its state right
// after NewDetector: not compiled. Only while no scan runs.
func forgetCompiled(d *Detector, builtin map[string]bool) {
	for _, r := range d.rules {
		if builtin[r.spec.ID] {
			r.compileOnce, r.re = sync.Once{}, nil
		}
	}
}

// TestBuiltinRegexpsCompile: every built-in regex compiles and has the
// groups compileRule counted, so the lazy compile in rule.regexp cannot
// fail at a first scan.
func TestBuiltinRegexpsCompile(t *testing.T) {
	specs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	d := newTestDetector(t, Options{})
	byID := map[string]*rule{}
	for _, r := range d.rules {
		byID[r.spec.ID] = r
	}
	for _, spec := range specs {
		re, err := regexp.Compile(spec.Regex)
		if err != nil {
			t.Errorf("rule %q: %v", spec.ID, err)
			continue
		}
		if spec.SecretGroup > re.NumSubexp() {
			t.Errorf("rule %q: secret_group %d of %d", spec.ID, spec.SecretGroup, re.NumSubexp())
		}
		r := byID[spec.ID]
		if r == nil {
			t.Errorf("rule %q not in the default detector", spec.ID)
			continue
		}
		if got := r.regexp().String(); got != spec.Regex {
			t.Errorf("rule %q compiled %q, want its own regex", spec.ID, preview(got, 40))
		}
	}
}

// TestNewDetectorCompilesNoBuiltinRegex: building a detector compiles no
// built-in regex; rules from configuration are compiled at once.
func TestNewDetectorCompilesNoBuiltinRegex(t *testing.T) {
	extra := RuleSpec{ID: "x-eager", Category: Secret, Keywords: []string{"xe_"}, Regex: `xe_[a-z]{8}`}
	d := newTestDetector(t, Options{Extra: []RuleSpec{extra}})
	if got := compiledRules(d); len(got) != 1 || got[0] != "x-eager" {
		t.Fatalf("compiled after NewDetector: %v, want only x-eager", got)
	}
	gh := genGitHubToken(t, "ghp_")
	src := "package main\n\nfunc main() {\n\ttoken := \"" + gh + "\"\n\tfmt.Println(token)\n}\n"
	if !foundBy(d.Scan("main.go", []byte(src)), "github-pat-classic") {
		t.Fatalf("%s not found by github-pat-classic", Preview(gh))
	}
	got := compiledRules(d)
	if !slices.Contains(got, "github-pat-classic") {
		t.Fatalf("compiled %v, want github-pat-classic among them", got)
	}
	if len(got) > 20 {
		t.Fatalf("one small file compiled %d rules: %v", len(got), got)
	}
}

// TestRuleSamplesFirstScan: every true positive of every built-in rule is
// found by a scan that compiles the rule (no rule compiled before it), the
// state of a detector nobody has used yet.
func TestRuleSamplesFirstScan(t *testing.T) {
	specs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	builtin := map[string]bool{}
	for _, s := range specs {
		builtin[s.ID] = true
	}
	d := newTestDetector(t, Options{})
	for _, spec := range specs {
		for i, tp := range spec.TruePositives {
			forgetCompiled(d, builtin)
			if !foundBy(d.candidates("sample.txt", []byte(tp)), spec.ID) {
				t.Errorf("rule %q tp[%d] %s: not found by a first scan", spec.ID, i, Preview(tp))
			}
		}
	}
}

// TestFirstScansConcurrent: scans that race to compile the same rules on a
// fresh detector all find what a warmed detector finds (run with -race).
func TestFirstScansConcurrent(t *testing.T) {
	sec := lsptest.NewSecrets(3)
	src := []byte(lsptest.GoSource(8<<10, false, 3) + "\nnpm := \"" + sec.NPMToken() + "\"\n" +
		"gho := \"" + sec.GitHubToken("gho_") + "\"\n")
	want := newTestDetector(t, Options{}).Scan("main.go", src)
	if len(want) < 3 {
		t.Fatalf("warm scan found %d, want the source's secrets", len(want))
	}
	d := newTestDetector(t, Options{})
	got := make([][]Finding, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = d.Scan("main.go", src) })
	}
	wg.Wait()
	for i, g := range got {
		if !slices.Equal(g, want) {
			t.Errorf("scan %d found %d findings, want the warm detector's %d", i, len(g), len(want))
		}
	}
}

// TestRegexErrorText: a broken rule regex is reported with the very error
// regexp.Compile gives, for built-in-style and configured rules alike.
func TestRegexErrorText(t *testing.T) {
	for _, expr := range []string{"(", "a**", "[z-a]", `\8`, "x{1001}", `(?P<>a)`, "\xff"} {
		_, cerr := regexp.Compile(expr)
		if cerr == nil {
			t.Fatalf("%q compiles", expr)
		}
		want := `redact: rule "x-bad": regex does not compile: ` + cerr.Error()
		spec := RuleSpec{ID: "x-bad", Category: Secret, Keywords: []string{"xb_"}, Regex: expr}
		for _, eager := range []bool{false, true} {
			if _, err := compileRule(spec, eager); err == nil || err.Error() != want {
				t.Errorf("eager=%v: error %v, want %s", eager, err, want)
			}
		}
	}
}
