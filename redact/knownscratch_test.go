package redact

import (
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The leak guard's decoded views are read from a reused copy of the text:
// a long text checked before a short one leaves nothing behind that the
// short one is judged by, concurrent checks do not share a buffer, and a
// check does not allocate a copy of the text each time.
func TestLeakReusesScratch(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	v := NewVault(testKey, 16)
	mustMask(t, v, pw, []Finding{{RuleID: "generic-password", Category: Secret, Start: 0, End: len(pw)}})
	long := strings.Repeat("\tfmt.Printf(\"%s\\n\", name) // ordinary escapes\n", 200) + "u := \"Quill%23Lantern-moss%26Brook\"\n"
	clean := "x := \"a\\tb\" // 100%25\n"
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if _, leaked := v.Leak(long); !leaked {
					t.Errorf("goroutine %d round %d: the percent-encoded value was not seen", g, i)
					return
				}
				if _, leaked := v.Leak(clean); leaked {
					t.Errorf("goroutine %d round %d: a clean text after a leaking one was flagged", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()

	text := strings.Repeat("\tfmt.Printf(\"%s\\n\", name) // ordinary escapes\n", 200)
	v.Leak(text)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 50
	for range n {
		if _, leaked := v.Leak(text); leaked {
			t.Fatal("a clean text was flagged")
		}
	}
	runtime.ReadMemStats(&after)
	if per := int(after.TotalAlloc-before.TotalAlloc) / n; per >= len(text) {
		t.Errorf("Leak allocates %d bytes a call on a %d-byte text: the text is copied each time", per, len(text))
	}
}
