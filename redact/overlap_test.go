package redact

import (
	"strings"
	"testing"
)

// A configured identifier term inside a secret must not shrink the secret's
// mask to the term: the rest of the secret would reach the model.
func TestOverlapNeverUnmasks(t *testing.T) {
	random := randString(testRand(t), base62Digits, 32)
	d, err := NewDetector(Options{
		Extra: []RuleSpec{{
			ID: "acme-service-token", Category: Secret, Keywords: []string{"acme_tok_"},
			Regex:         `acme_tok_[A-Za-z0-9]{32}`,
			TruePositives: []string{"acme_tok_" + strings.Repeat("Ab1", 10) + "xy"}, FalsePositives: []string{"acme_tok_x"},
		}},
		Terms: []string{"acme", "northwind"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ text, secret string }{
		{`x := "acme_tok_` + random + `"`, random},
		{`owner = "dana.ops@northwind-corp.com"`, "dana.ops@"},
	}
	for _, c := range cases {
		fs := d.Scan("a.go", []byte(c.text))
		m, err := NewVault(make([]byte, 32), 100).Mask(c.text, fs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Text, c.secret) {
			t.Errorf("masked text still holds %s: %d findings", Preview(c.secret), len(fs))
		}
		for i := 1; i < len(fs); i++ {
			if fs[i].Start < fs[i-1].End {
				t.Errorf("findings overlap: %v %v", fs[i-1], fs[i])
			}
		}
	}
}
