package redact

import "testing"

// TestRedteamShortPasswordKeys: a password after a short form of the word
// (pw, passwd, pass, pword, pswd) as a prose key in a comment or a chat line
// is masked in finished text, and while it is typed it is masked at every
// step where the same value after "password" is; the same short words in
// ordinary prose stay visible.
func TestRedteamShortPasswordKeys(t *testing.T) {
	d := newTestDetector(t, Options{})
	const pw = "Quill#Lantern-moss&Brook"
	for _, tc := range []struct{ path, before, long string }{
		{"a.py", "# pw: ", "# password: "},
		{"a.py", "# passwd: ", "# password: "},
		{"a.go", "// pass: ", "// password: "},
		{"a.go", "\t// pword: ", "\t// password: "},
		{"notes.txt", "pswd: ", "password: "},
		{"chat", "the pw is ", "the password is "},
		{"a.sh", "# PW: ", "# PASSWORD: "},
	} {
		text := tc.before + pw + "\n"
		fs := d.Scan(tc.path, []byte(text))
		if !covered(fs, len(tc.before), len(tc.before)+len(pw)) {
			t.Errorf("%s %q: finished value not masked: %v", tc.path, tc.before, spans(fs))
		}
		for i := 1; i <= len(pw); i++ {
			long := d.ScanTyping(tc.path, []byte(tc.long+pw[:i]+"\n"), len(tc.long)+i)
			if !covered(long, len(tc.long), len(tc.long)+i) {
				continue
			}
			at := len(tc.before) + i
			if fs := d.ScanTyping(tc.path, []byte(tc.before+pw[:i]+"\n"), at); !covered(fs, len(tc.before), at) {
				t.Errorf("%s %q: typed %d characters, not masked: %v", tc.path, tc.before, i, spans(fs))
				break
			}
		}
	}
	for _, tc := range []struct{ path, text string }{
		{"a.go", "// pass: the value through to the caller\n"},
		{"a.go", "// pass: nil when unknown\n"},
		{"a.py", "# pw: see the vault entry\n"},
		{"notes.txt", "first pass: collect the names\n"},
		{"a.go", "// second pass: resolve types\n"},
		{"a.go", "// pass is the 2nd stage\n"},
		{"a.py", "pass  # pw: nothing\n"},
		{"a.go", "// pw: pointer to the writer\n"},
		{"notes.txt", "pass: true\n"},
		{"out.txt", "--- PASS: TestParseConfig (0.00s)\n"},
		{"a.go", "//	    --- PASS: very/nested/s/u/b/t/e/s/t\n"},
	} {
		for _, f := range d.Scan(tc.path, []byte(tc.text)) {
			t.Errorf("%s %q: false positive %s", tc.path, tc.text, spans([]Finding{f}))
		}
	}
}
