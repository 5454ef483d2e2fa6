package redact

import (
	"bytes"
	"strings"
	"testing"
)

// TestFoldHelpers: containsFold and lowerString answer as the calls they
// replace, on ASCII and non-ASCII input (İ and K change length or case
// under Unicode lowering).
func TestFoldHelpers(t *testing.T) {
	words := []string{"", "a", "Key", "encryptionKey", "ENCRYPTIONKEY1024", "xXencryptionkeYx", "İstanbulKey",
		"KELVIN", "\u212aelvin", "ΣΊΣΥΦΟΣ", "pässwörd", "PÄSSWÖRD", strings.Repeat("AbC", 30), "\xff\xfeKEY"}
	for _, v := range words {
		if got, want := lowerString([]byte(v)), strings.ToLower(v); got != want {
			t.Errorf("lowerString(%q) = %q, want %q", v, got, want)
		}
		for _, w := range words {
			want := bytes.Contains(bytes.ToLower([]byte(v)), bytes.ToLower([]byte(w)))
			if got := containsFold([]byte(v), []byte(w)); got != want {
				t.Errorf("containsFold(%q, %q) = %v, want %v", v, w, got, want)
			}
		}
	}
}

func TestFoldHelpersAllocs(t *testing.T) {
	v, w := []byte("encryptionKey1024SomethingElse"), []byte("EncryptionKEY")
	if n := testing.AllocsPerRun(100, func() { containsFold(v, w) }); n != 0 {
		t.Errorf("containsFold: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = lowerString(v) }); n > 1 {
		t.Errorf("lowerString: %v allocs, want at most 1", n)
	}
}
