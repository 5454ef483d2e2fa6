package redact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestShapesCorpus scans files shaped like real configuration and code
// from public repositories (testdata/shapes). Each ⟦kind⟧ marker is
// replaced with a generated value: every one must be masked, and nothing
// else in the file may be reported as a secret (references, placeholders,
// variable names and prose around them are the false-positive samples).
func TestShapesCorpus(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	marker := regexp.MustCompile(`⟦([a-z0-9]+)(?::([a-z]+))?⟧`)
	names, err := filepath.Glob(filepath.Join("testdata", "shapes", "*"))
	if err != nil || len(names) < 10 {
		t.Fatalf("shapes corpus: %v (%d files)", err, len(names))
	}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var planted []string
		text := marker.ReplaceAllStringFunc(string(raw), func(m string) string {
			sub := marker.FindStringSubmatch(m)
			v := shapeValue(r, sub[1], sub[2])
			planted = append(planted, v)
			return v
		})
		base := filepath.Base(name)
		fs := d.Scan(base, []byte(text))
		claimed := make([]bool, len(fs))
		off := 0
		for _, v := range planted {
			s := off + strings.Index(text[off:], v)
			off = s + len(v)
			hit := false
			for i, f := range fs {
				if f.Category == Secret && f.Start <= s && f.End >= s+len(v) {
					hit, claimed[i] = true, true
				}
			}
			if !hit {
				line := 1 + strings.Count(text[:s], "\n")
				t.Errorf("%s:%d: planted %s not masked", base, line, Preview(v))
			}
		}
		for i, f := range fs {
			if !claimed[i] && f.Category == Secret {
				line := 1 + strings.Count(text[:f.Start], "\n")
				t.Errorf("%s:%d: false positive %s on %s", base, line, f.RuleID, Preview(text[f.Start:f.End]))
			}
		}
		maskedParses(t, base, text, fs)
	}
}

// maskedParses masks text and checks that JSON, YAML and Python files
// still parse and that restoring gives the text back.
func maskedParses(t *testing.T, name, text string, fs []Finding) {
	t.Helper()
	v := NewVault(testKey, 100)
	m := mustMask(t, v, text, fs)
	var err error
	switch filepath.Ext(name) {
	case ".json":
		var x any
		err = json.Unmarshal([]byte(m.Text), &x)
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(strings.NewReader(m.Text))
		for err == nil {
			var x any
			err = dec.Decode(&x)
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
	case ".py":
		err = pythonParses(t, m.Text)
	}
	if err != nil {
		t.Errorf("%s: masked file does not parse: %v", name, err)
	}
	if back, _ := v.Restore(m.Text); back != text {
		t.Errorf("%s: restore differs", name)
	}
}

// shapeValue generates the value for a marker: pw (a human password),
// key (a machine-made key), tok (a token piece); an encoding wraps it:
// b64json, b64url, b64docker (base64 of JSON, of a URL, of a
// .dockerconfigjson).
func shapeValue(r *rand.Rand, kind, inner string) string {
	plain := func(k string) string {
		switch k {
		case "pw":
			return randString(r, pwAlphabet, 10) + randString(r, "0123456789", 2) + randString(r, "!#%+", 1)
		case "key":
			return "k" + randString(r, base62Digits, 30) + "Q9"
		default:
			return "t" + randString(r, base62Digits, 22) + "7"
		}
	}
	enc := base64.StdEncoding.EncodeToString
	switch kind {
	case "b64json":
		return enc([]byte(`{"api_token": "` + plain(inner) + plain(inner) + `"}`))
	case "b64url":
		return enc([]byte("postgres://app:" + plain(inner) + "@db.internal:5432/app"))
	case "b64docker":
		pw := plain(inner)
		return enc([]byte(`{"auths":{"registry.internal":{"username":"bot","password":"` + pw + `","auth":"` + enc([]byte("bot:"+pw)) + `"}}}`))
	}
	return plain(kind)
}
