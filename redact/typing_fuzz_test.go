package redact

import (
	"strings"
	"testing"
)

// FuzzUnfinished: any text and position gives a span inside the text that
// touches the position's line, and no panic; veil:allow and the known
// index take any input too.
func FuzzUnfinished(f *testing.F) {
	for _, c := range typingCases {
		f.Add(c.path, c.before+c.value+c.after, len(c.before)+3)
	}
	f.Add("a.py", "s = \"\"\"\n'''`\\", 5)
	f.Add("a.go", "x := `\n\"// veil:allow\n", 9)
	f.Add(".env", "-----BEGIN PRIVATE KEY-----\nAB", 30)
	d := newTestDetector(f, Options{})
	v := NewVault(testKey, 0)
	f.Fuzz(func(t *testing.T, path, text string, at int) {
		if len(text) > 4096 {
			return
		}
		if at < 0 {
			at = -at
		}
		at %= len(text) + 1
		fd, ok := d.Unfinished(path, []byte(text), at)
		tb := []byte(text)
		if ok && (fd.Start < 0 || fd.End > len(text) || fd.Start >= fd.End || fd.Start > lineEnd(tb, at) || fd.End < lineStart(tb, at)) {
			t.Fatalf("span [%d,%d) for at %d in %d bytes", fd.Start, fd.End, at, len(text))
		}
		fs := d.ScanTyping(path, []byte(text), at)
		m, err := v.Mask(text, fs)
		if err != nil {
			t.Fatal(err)
		}
		for _, kf := range v.Known([]byte(text)) {
			if kf.Start < 0 || kf.End > len(text) || !strings.Contains(text, text[kf.Start:kf.End]) {
				t.Fatalf("known span [%d,%d)", kf.Start, kf.End)
			}
		}
		_ = m
	})
}
