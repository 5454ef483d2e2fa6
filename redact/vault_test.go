package redact

import (
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

var tokenRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func mustMask(t testing.TB, v *Vault, text string, fs []Finding) Masked {
	t.Helper()
	m, err := v.Mask(text, fs)
	if err != nil {
		t.Fatalf("Mask: %v", err)
	}
	return m
}

func TestMaskRestore(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Zephyrine"}})
	v := NewVault(testKey, 100)
	gh := genGitHubToken(t, "ghp_")
	text := fmt.Sprintf("package x\n\n// mail bob.smith@corp-mail.io\nvar tok = %q\nvar again = %q\ntype ZephyrineBillingClient struct{}\nvar zephyrineHost = \"api.zephyrine.io\"\n", gh, gh)
	fs := d.Scan("x.go", []byte(text))
	m := mustMask(t, v, text, fs)
	if strings.Contains(m.Text, gh[4:]) || strings.Contains(m.Text, "bob.smith") || strings.Contains(strings.ToLower(m.Text), "zephyrine") {
		t.Fatalf("masked text still holds a value:\n%s", m.Text)
	}
	// Same value, same token.
	if m.Spans[1].Token != m.Spans[2].Token {
		t.Errorf("same value got tokens %s and %s", m.Spans[1].Token, m.Spans[2].Token)
	}
	for _, s := range m.Spans {
		if !tokenRE.MatchString(s.Token) {
			t.Errorf("token %q has characters outside [A-Za-z0-9_]", s.Token)
		}
	}
	if !strings.Contains(m.Text, "BillingClient struct") || !strings.Contains(m.Text, "veil_name_") {
		t.Errorf("identifier term not masked in place:\n%s", m.Text)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "x.go", m.Text, 0); err != nil {
		t.Errorf("masked Go does not parse: %v\n%s", err, m.Text)
	}
	back, probs := v.Restore(m.Text)
	if back != text || len(probs) != 0 {
		t.Fatalf("restore mismatch (problems %v)", probs)
	}
	// A second Mask in the same session reuses the tokens.
	m2 := mustMask(t, v, text, fs)
	if m2.Text != m.Text {
		t.Error("second mask of the same text differs")
	}
}

func TestRestoreProblems(t *testing.T) {
	v := NewVault(testKey, 10)
	text := "key = SECRETVALUE123"
	m := mustMask(t, v, text, []Finding{{RuleID: "generic-secret", Category: Secret, Start: 6, End: len(text)}})
	tok := m.Spans[0].Token
	last := byte('z')
	if tok[len(tok)-1] == 'z' {
		last = 'y'
	}
	altered := tok[:len(tok)-1] + string(last)
	invented := formatToken(testKey, "SECRET", 999, false) // valid check, never issued
	out, probs := v.Restore("a " + altered + " b " + invented + " c " + tok)
	if !strings.HasSuffix(out, " c SECRETVALUE123") {
		t.Errorf("known token not restored: %q", out)
	}
	if !strings.Contains(out, altered) || !strings.Contains(out, invented) {
		t.Errorf("unknown tokens were changed: %q", out)
	}
	if len(probs) != 2 || probs[0].Reason != reasonAltered || probs[1].Reason != reasonUnknown || probs[0].Offset != 2 {
		t.Fatalf("problems = %+v", probs)
	}
}

func TestTokensNeverCollide(t *testing.T) {
	v := NewVault(testKey, 10)
	first := formatToken(testKey, "SECRET", 1, false)
	text := first + " = hunter22hunter"
	m := mustMask(t, v, text, []Finding{{RuleID: "generic-secret", Category: Secret, Start: len(first) + 3, End: len(text)}})
	if m.Spans[0].Token == first {
		t.Fatal("issued a token already present in the text")
	}
	back, _ := v.Restore(m.Text)
	if back != text {
		t.Fatalf("round trip failed")
	}
}

func TestVaultBoundedAndPrintsNoValues(t *testing.T) {
	v := NewVault(testKey, 3)
	var toks []string
	for i := range 5 {
		val := fmt.Sprintf("value-%d-secretish", i)
		m := mustMask(t, v, val, []Finding{{RuleID: "x", Category: Secret, Start: 0, End: len(val)}})
		toks = append(toks, m.Spans[0].Token)
	}
	if v.Len() != 3 {
		t.Fatalf("Len = %d, want 3", v.Len())
	}
	if _, probs := v.Restore(toks[0]); len(probs) != 1 || probs[0].Reason != reasonUnknown {
		t.Fatalf("evicted token: problems %+v", probs)
	}
	if out, probs := v.Restore(toks[4]); out != "value-4-secretish" || len(probs) != 0 {
		t.Fatal("newest token not restored")
	}
	for _, s := range []string{v.String(), fmt.Sprintf("%v %+v %#v %s", v, v, v, v), v.GoString()} {
		if strings.Contains(s, "secretish") {
			t.Fatalf("vault printed a value: %s", s)
		}
	}
	// One Mask call never evicts what it just issued.
	text := "aaaaaa1 bbbbbb2 cccccc3 dddddd4 eeeeee5"
	var fs []Finding
	for i := 0; i < len(text); i += 8 {
		fs = append(fs, Finding{RuleID: "x", Category: Secret, Start: i, End: i + 7})
	}
	m := mustMask(t, v, text, fs)
	if back, probs := v.Restore(m.Text); back != text || len(probs) != 0 {
		t.Fatalf("mask larger than the vault: restore %q problems %v", back, probs)
	}
}

func TestVaultConcurrent(t *testing.T) {
	v := NewVault(testKey, 50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				val := fmt.Sprintf("secret-%d-%d", g%2, i%60)
				text := "x=" + val
				m, err := v.Mask(text, []Finding{{RuleID: "x", Category: Secret, Start: 2, End: len(text)}})
				if err != nil {
					t.Error(err)
					return
				}
				back, _ := v.Restore(m.Text)
				_ = back // may be evicted by another goroutine; the race detector is the check here
			}
		}()
	}
	wg.Wait()
}

func TestPositionMapping(t *testing.T) {
	v := NewVault(testKey, 10)
	text := "ab SECRET1xyz cd SECRET2 ef"
	fs := []Finding{{RuleID: "x", Category: Secret, Start: 3, End: 13}, {RuleID: "x", Category: Secret, Start: 17, End: 24}}
	m := mustMask(t, v, text, fs)
	inside := func(o int) bool { return o > 3 && o < 13 || o > 17 && o < 24 }
	for o := 0; o <= len(text); o++ {
		mo := m.ToMasked(o)
		if inside(o) {
			if got := m.ToOriginal(mo); got != 3 && got != 17 {
				t.Errorf("offset %d inside a value maps back to %d", o, got)
			}
			continue
		}
		if back := m.ToOriginal(mo); back != o {
			t.Errorf("ToOriginal(ToMasked(%d)) = %d", o, back)
		}
		if o < len(text) && !inside(o) && o != 3 && o != 17 && text[o] != m.Text[mo] {
			t.Errorf("offset %d maps to a different byte", o)
		}
	}
}

func TestStreamRestorer(t *testing.T) {
	v := NewVault(testKey, 100)
	r := testRand(t)
	var vals []string
	var text strings.Builder
	for i := range 20 {
		val := randString(r, base62Digits, 20)
		vals = append(vals, val)
		fmt.Fprintf(&text, "line %d: %s VEIL_ veil VEIL_X_1_ ", i, val)
	}
	orig := text.String()
	var fs []Finding
	for _, val := range vals {
		i := strings.Index(orig, val)
		fs = append(fs, Finding{RuleID: "generic-token", Category: Secret, Start: i, End: i + len(val)})
	}
	m := mustMask(t, v, orig, fs)
	want, _ := v.Restore(m.Text)
	if want != orig {
		t.Fatal("Restore did not round-trip")
	}
	for trial := range 300 {
		s := v.NewStream()
		var out strings.Builder
		rest := m.Text
		for len(rest) > 0 {
			n := 1 + r.IntN(min(len(rest), 1+trial%40))
			got := s.Write(rest[:n])
			out.WriteString(got)
			rest = rest[n:]
			if len(s.pending) > maxTokenLen {
				t.Fatalf("held back %d bytes", len(s.pending))
			}
		}
		out.WriteString(s.Flush())
		if out.String() != orig {
			t.Fatalf("trial %d: stream output differs", trial)
		}
	}
}

func TestRestoreJSON(t *testing.T) {
	v := NewVault(testKey, 10)
	val := "p\"a\\ss\nword"
	text := "x " + val
	m := mustMask(t, v, text, []Finding{{RuleID: "generic-password", Category: Secret, Start: 2, End: len(text)}})
	tok := m.Spans[0].Token
	out, probs := v.RestoreJSON(`{"code":"pw := ` + tok + `", "raw": 1}`)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("restored JSON invalid: %v", err)
	}
	if got["code"] != "pw := "+val {
		t.Fatal("value not restored inside the JSON string")
	}
}

// TestMaskedFilesParse masks secrets in Go, Python, JSON and YAML files and
// checks each still parses.
func TestMaskedFilesParse(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"acmecorp"}})
	v := NewVault(testKey, 100)
	gh := genGitHubToken(t, "ghp_")
	card := genCard(t, "4", 16)
	files := map[string]string{
		"a.go":   "package a\n\nconst dbPassword = \"hunter22!x\"\nvar token = `" + gh + "`\nvar AcmecorpClient = struct{ Mail string }{Mail: \"jane.doe@mailbox.org\"}\n",
		"a.py":   "import os\nPASSWORD = 'hunter22!x'\ntoken = \"" + gh + "\"\ncard = \"" + card + "\"\ndef acmecorp_client():\n    return {\"api_key\": \"" + gh + "\"}\n",
		"a.json": `{"password": "hunter22!x", "token": "` + gh + `", "owner": "jane.doe@mailbox.org", "acmecorpId": 7}`,
		"a.yaml": "db:\n  password: hunter22!x\n  token: " + gh + "\nowner: jane.doe@mailbox.org\nacmecorp_host: build.acmecorp.net\n",
	}
	for name, src := range files {
		fs := d.Scan(name, []byte(src))
		if len(fs) < 3 {
			t.Errorf("%s: only %d findings", name, len(fs))
		}
		m := mustMask(t, v, src, fs)
		for _, leak := range []string{"hunter22", gh[4:], "jane.doe", card, "acmecorp"} {
			if strings.Contains(strings.ToLower(m.Text), strings.ToLower(leak)) {
				t.Errorf("%s: masked text still holds %s", name, Preview(leak))
			}
		}
		var err error
		switch filepath.Ext(name) {
		case ".go":
			_, err = parser.ParseFile(token.NewFileSet(), name, m.Text, 0)
		case ".json":
			var x any
			err = json.Unmarshal([]byte(m.Text), &x)
		case ".yaml":
			var x any
			err = yaml.Unmarshal([]byte(m.Text), &x)
		case ".py":
			err = pythonParses(t, m.Text)
		}
		if err != nil {
			t.Errorf("%s: masked file does not parse: %v\n%s", name, err, m.Text)
		}
		if back, _ := v.Restore(m.Text); back != src {
			t.Errorf("%s: restore differs", name)
		}
	}
}

func pythonParses(t *testing.T, src string) error {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found; skipping the Python parse check")
		return nil
	}
	f := filepath.Join(t.TempDir(), "m.py")
	if err := os.WriteFile(f, []byte(src), 0o600); err != nil {
		return err
	}
	out, err := exec.Command(py, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", f).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// fuzzFindings is what d finds in s plus one arbitrary span [a, b) of it
// (taken modulo its length), which overlaps whatever it overlaps.
func fuzzFindings(d *Detector, s string, a, b uint8) []Finding {
	fs := d.Scan("f.txt", []byte(s))
	if s == "" {
		return fs
	}
	st, en := int(a)%len(s), int(b)%len(s)
	if st > en {
		st, en = en, st
	}
	if en > st {
		fs = append(fs, Finding{RuleID: "fuzz", Category: Secret, Start: st, End: en})
	}
	return fs
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("password = \"hunter22!x\" mail a.b@c-d.io", uint8(3), uint8(9))
	f.Add("VEIL_SECRET_1_abc veil_ VEIL_", uint8(0), uint8(5))
	f.Add("", uint8(0), uint8(0))
	d := newTestDetector(f, Options{Terms: []string{"zeph"}})
	f.Fuzz(func(t *testing.T, s string, a, b uint8) {
		v := NewVault(testKey, 1000)
		fs := fuzzFindings(d, s, a, b)
		m, err := v.Mask(s, fs)
		if err != nil {
			t.Fatal(err)
		}
		back, _ := v.Restore(m.Text)
		if back != s {
			t.Fatalf("Restore(Mask(x)) != x")
		}
		st := v.NewStream()
		var out strings.Builder
		r := rand.New(rand.NewPCG(uint64(a), uint64(b)))
		rest := m.Text
		for len(rest) > 0 {
			n := 1 + r.IntN(len(rest))
			out.WriteString(st.Write(rest[:n]))
			rest = rest[n:]
		}
		out.WriteString(st.Flush())
		if out.String() != s {
			t.Fatalf("streamed restore differs")
		}
		for o := 0; o <= len(s); o++ {
			inside := false
			for _, sp := range m.Spans {
				if o > sp.Start && o < sp.End {
					inside = true
				}
			}
			if !inside && m.ToOriginal(m.ToMasked(o)) != o {
				t.Fatalf("position %d does not map back", o)
			}
		}
	})
}

// FuzzStreamEqualsRestore: for any model output (with real, altered and
// partial tokens mixed in), streaming under any chunking gives exactly
// Restore's output and problems.
func FuzzStreamEqualsRestore(f *testing.F) {
	v := NewVault(testKey, 100)
	m, err := v.Mask("aa hunter22x bb jane@mail.io", []Finding{
		{RuleID: "generic-password", Category: Secret, Start: 3, End: 12},
		{RuleID: "pii-email", Category: PII, Start: 16, End: 28}})
	if err != nil {
		f.Fatal(err)
	}
	t1, t2 := m.Spans[0].Token, m.Spans[1].Token
	f.Add("x "+t1+" y "+t2+"z", uint64(1))
	f.Add(t1[:len(t1)-1]+"q VEIL_VEIL_"+t2+" veil_ VEIL", uint64(2))
	f.Add("VEIL_PASSWORD_1_", uint64(3))
	f.Fuzz(func(t *testing.T, s string, seed uint64) {
		want, wantProbs := v.Restore(s)
		r := rand.New(rand.NewPCG(seed, seed))
		st := v.NewStream()
		var out strings.Builder
		rest := s
		for len(rest) > 0 {
			n := 1 + r.IntN(len(rest))
			out.WriteString(st.Write(rest[:n]))
			rest = rest[n:]
		}
		out.WriteString(st.Flush())
		if out.String() != want {
			t.Fatalf("stream %q != restore %q", out.String(), want)
		}
		if fmt.Sprint(st.Problems()) != fmt.Sprint(wantProbs) {
			t.Fatalf("stream problems %v != %v", st.Problems(), wantProbs)
		}
	})
}

// BenchmarkMaskRestore masks a 64 KiB Go file with 100 findings and
// restores it.
func BenchmarkMaskRestore(b *testing.B) {
	d := newTestDetector(b, Options{})
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		fmt.Fprintf(&sb, "\tclient%d := New(%q) // owner ops%d@mailbox.org\n", sb.Len(), genGitHubTokenRand(r, "ghp_"), sb.Len()%50)
	}
	text := sb.String()
	fs := d.Scan("a.go", []byte(text))
	v := NewVault(testKey, 10000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m, err := v.Mask(text, fs)
		if err != nil {
			b.Fatal(err)
		}
		if back, _ := v.Restore(m.Text); len(back) != len(text) {
			b.Fatal("restore")
		}
	}
	b.ReportMetric(float64(len(fs)), "findings")
}

// TestOriginalRange: a masked range maps back rounding outward: any part of
// a token in it brings the whole value; ranges outside tokens map exactly.
func TestOriginalRange(t *testing.T) {
	v := NewVault(testKey, 10)
	text := "ab SECRET1xyz cd SECRET2 ef"
	fs := []Finding{{RuleID: "x", Category: Secret, Start: 3, End: 13}, {RuleID: "x", Category: Secret, Start: 17, End: 24}}
	m := mustMask(t, v, text, fs)
	tok1 := m.Spans[0]
	for ms := 0; ms <= len(m.Text); ms++ {
		for me := ms; me <= len(m.Text); me++ {
			os, oe := m.OriginalRange(ms, me)
			if os > oe || os < 0 || oe > len(text) {
				t.Fatalf("OriginalRange(%d, %d) = %d, %d", ms, me, os, oe)
			}
			for _, sp := range m.Spans { // a range touching a token's inside covers its value
				if ms < sp.MaskEnd && me > sp.MaskStart && (ms > sp.MaskStart || me < sp.MaskEnd) && (os > sp.Start || oe < sp.End) {
					t.Fatalf("OriginalRange(%d, %d) = %d, %d cuts the value at %d..%d", ms, me, os, oe, sp.Start, sp.End)
				}
			}
		}
	}
	if os, oe := m.OriginalRange(tok1.MaskStart+2, tok1.MaskEnd-1); os != 3 || oe != 13 {
		t.Errorf("inside the first token: %d, %d; want the whole value 3, 13", os, oe)
	}
	if os, oe := m.OriginalRange(0, 2); os != 0 || oe != 2 {
		t.Errorf("before any token: %d, %d", os, oe)
	}
	if os, oe := m.OriginalRange(len(m.Text)-2, len(m.Text)); os != len(text)-2 || oe != len(text) {
		t.Errorf("after the tokens: %d, %d", os, oe)
	}
}
