package redact

import (
	"strings"
	"testing"
)

func newTestDetector(t testing.TB, o Options) *Detector {
	t.Helper()
	d, err := NewDetector(o)
	if err != nil {
		t.Fatalf("NewDetector: %v", err)
	}
	return d
}

func foundBy(fs []Finding, id string) bool {
	for _, f := range fs {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

// TestRuleSamples runs every YAML rule's own samples: each tp is found by
// that rule id, no fp is. It covers every file in redact/rules.
func TestRuleSamples(t *testing.T) {
	specs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Fatal("no builtin rules")
	}
	d := newTestDetector(t, Options{})
	for _, spec := range specs {
		t.Run(spec.ID, func(t *testing.T) {
			if len(spec.TruePositives) == 0 {
				t.Fatal("rule has no tp samples")
			}
			for i, tp := range spec.TruePositives {
				if !foundBy(d.candidates("sample.txt", []byte(tp)), spec.ID) {
					t.Errorf("tp[%d] %s not found by %s", i, Preview(tp), spec.ID)
				}
				if len(d.Scan("sample.txt", []byte(tp))) == 0 {
					t.Errorf("tp[%d] %s: Scan reports nothing", i, Preview(tp))
				}
			}
			for i, fp := range spec.FalsePositives {
				if foundBy(d.candidates("sample.txt", []byte(fp)), spec.ID) {
					t.Errorf("fp[%d] %s found by %s", i, Preview(fp), spec.ID)
				}
			}
		})
	}
}

func TestRuleValidation(t *testing.T) {
	good := RuleSpec{ID: "x-test", Category: Secret, Keywords: []string{"xt_"}, Regex: `xt_[a-z]{8}`,
		TruePositives: []string{"xt_abcdefgh"}}
	cases := []struct {
		name string
		mod  func(*RuleSpec)
		want string
	}{
		{"no id", func(r *RuleSpec) { r.ID = "" }, "missing id"},
		{"category", func(r *RuleSpec) { r.Category = "weird" }, `"x-test": unknown category`},
		{"regex", func(r *RuleSpec) { r.Regex = "(" }, `"x-test": regex does not compile`},
		{"keyword case", func(r *RuleSpec) { r.Keywords = []string{"XT_"} }, `"x-test": keyword "XT_" is not lower-case`},
		{"no keywords", func(r *RuleSpec) { r.Keywords = nil }, `"x-test": no keywords and no trigger`},
		{"trigger", func(r *RuleSpec) { r.Keywords = nil; r.Trigger = "sometimes" }, `"x-test": unknown trigger`},
		{"validator", func(r *RuleSpec) { r.Validator = "crc64" }, `"x-test": unknown validator "crc64"`},
		{"group", func(r *RuleSpec) { r.SecretGroup = 2 }, `"x-test": secret_group 2`},
		{"duplicate", func(r *RuleSpec) { r.ID = RuleEmail }, `"pii-email": duplicate id`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := good
			c.mod(&r)
			_, err := NewDetector(Options{Extra: []RuleSpec{r}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	d := newTestDetector(t, Options{Extra: []RuleSpec{good}})
	if !foundBy(d.Scan("", []byte("v = xt_abcdefgh")), "x-test") {
		t.Fatal("extra rule not applied")
	}
	d = newTestDetector(t, Options{Extra: []RuleSpec{good}, Disable: []string{"x-test"}})
	if foundBy(d.Scan("", []byte("v = xt_abcdefgh")), "x-test") {
		t.Fatal("disabled rule applied")
	}
}

func TestValidators(t *testing.T) {
	gh := genGitHubToken(t, "ghp_")
	if !base62CRCValid([]byte(gh)) {
		t.Errorf("generated GitHub token %s fails its checksum", Preview(gh))
	}
	bad := gh[:len(gh)-1] + string(rotate(gh[len(gh)-1]))
	if base62CRCValid([]byte(bad)) {
		t.Error("altered GitHub token passes")
	}
	card := genCard(t, "4", 16)
	if !luhnValid([]byte(card)) {
		t.Error("generated card fails Luhn")
	}
	if luhnValid([]byte(card[:15] + string(rotateDigit(card[15])))) {
		t.Error("altered card passes Luhn")
	}
	iban := genIBAN(t, "DE", "123456781234567890")
	if !ibanValid([]byte(iban)) {
		t.Errorf("generated IBAN fails mod-97")
	}
	if ibanValid([]byte(iban[:4] + "9" + iban[5:])) {
		t.Error("altered IBAN passes")
	}
	for _, s := range []string{"000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000"} {
		if ssnValid([]byte(s)) {
			t.Errorf("ssn %s passes", s)
		}
	}
	if !ssnValid([]byte("234-56-7890")) {
		t.Error("valid ssn rejected")
	}
	if !jwtValid([]byte(genJWT())) || jwtValid([]byte("abc.def.ghi")) {
		t.Error("jwt validator wrong")
	}
	if !awsExample([]byte("AKIAIOSFODNN7EXAMPLE")) || awsExample([]byte("AKIA2345672345672345")) {
		t.Error("aws example validator wrong")
	}
}

func rotate(c byte) byte {
	i := strings.IndexByte(base62Digits, c)
	return base62Digits[(i+1)%62]
}

func rotateDigit(c byte) byte { return '0' + (c-'0'+1)%10 }
