package redact

import (
	"strings"
	"testing"
)

// TestRedteamKnownValueEncoded: a value the vault masked is found again
// when it appears encoded as code and data write it (percent-encoded,
// \x-escaped, JSON's \u0026, an HTML entity, split by a zero-width space)
// where the detector does not recognise it; the whole encoded span is
// masked and the leak guard sees it too.
func TestRedteamKnownValueEncoded(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	v := NewVault(testKey, 16)
	mustMask(t, v, pw, []Finding{{RuleID: "generic-password", Category: Secret, Start: 0, End: len(pw)}})
	for name, enc := range map[string]string{
		"percent": "Quill%23Lantern-moss%26Brook",
		"hex":     `Quill\x23Lantern-moss\x26Brook`,
		"json":    `Quill#Lantern-moss\u0026Brook`,
		"html":    "Quill#Lantern-moss&amp;Brook",
		"zwsp":    "Quill#Lan\u200btern-moss&Brook",
		"concat":  "Quill#Lantern-\" + \"moss&Brook",
		"concat2": "Quill#\" +\n\t\"Lantern-moss&Brook",
	} {
		text := "x = greet(\"" + enc + "\")\nok := 1\n"
		fs := v.Known([]byte(text))
		at := strings.Index(text, enc)
		if len(fs) != 1 || fs[0].Start != at || fs[0].End != at+len(enc) {
			t.Errorf("%s: known findings %v, want [%d,%d)", name, spans(fs), at, at+len(enc))
			continue
		}
		m := mustMask(t, v, text, fs)
		if strings.Contains(m.Text, "Lantern") {
			t.Errorf("%s: masked text still holds the value", name)
		}
		if _, leaked := v.Leak(text); !leaked {
			t.Errorf("%s: the leak guard does not see the encoded value", name)
		}
		if _, leaked := v.Leak(m.Text); leaked {
			t.Errorf("%s: the leak guard flags the masked text", name)
		}
	}
	// Ordinary escapes near nothing known find nothing.
	if fs := v.Known([]byte("fmt.Printf(\"a\\n%s\\t&amp;\", x) // 100%25\n")); len(fs) != 0 {
		t.Errorf("known findings in ordinary text: %v", spans(fs))
	}
}

// BenchmarkKnownEscapedLines: Known over code where every line holds an
// escape (the cost of viewing known values decoded), 10,000 known values.
func BenchmarkKnownEscapedLines(b *testing.B) {
	v := NewVault(testKey, 0)
	for i := range 10000 {
		s := "known-value-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i%11) + "z"
		mustMask(b, v, s, []Finding{{RuleID: "r", Category: Secret, Start: 0, End: len(s)}})
	}
	text := []byte(strings.Repeat("\tfmt.Fprintf(w, \"%s: %d\\n\", name, n) // a line with an escape\n", 1<<20/64))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		v.Known(text)
	}
}
