package lspconn

import "testing"

func TestIDKeyMatchesDecoding(t *testing.T) {
	ids := []string{
		`0`, `7`, `-0`, `-7`, `42`, `999999999999999`, `1234567890123456789`, `007`, `-`, `1.0`, `1e3`, ` 7`,
		`"7"`, `""`, `"abc"`, `"a\"b"`, `"\u0041"`, "\"tab\there\"", "\"\xff\"", `"é😀"`, `"a"b"`, `null`, `true`, `{}`, `"`, ``,
	}
	for _, id := range ids {
		if got, want := IDKey([]byte(id)), decodedIDKey([]byte(id)); got != want {
			t.Errorf("IDKey(%q) = %q, decoding gives %q", id, got, want)
		}
	}
	if IDKey([]byte(`7`)) == IDKey([]byte(`"7"`)) {
		t.Error(`7 and "7" share a key`)
	}
}

func FuzzIDKeyMatchesDecoding(f *testing.F) {
	for _, s := range []string{`7`, `"7"`, `-0`, `"a\"b"`, `1e3`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, want := IDKey(raw), decodedIDKey(raw); got != want {
			t.Errorf("IDKey(%q) = %q, decoding gives %q", raw, got, want)
		}
	})
}
