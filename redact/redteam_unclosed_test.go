package redact

import "testing"

// TestRedteamUnclosedValueFinished: a value under a secret-named key whose
// string has no closing quote on its line (typed and left, or opened that
// way) is found by the finished-text scan, not only while it is typed: a
// document opened like that, or one whose typing place was long left
// behind, must not go out with it in clear.
func TestRedteamUnclosedValueFinished(t *testing.T) {
	d := newTestDetector(t, Options{})
	const pw = "Quill#Lantern-moss&Brook"
	for _, tc := range []struct{ path, before string }{
		{"a.py", "db_password = \""},
		{"a.py", "DB_PASSWORD = '"},
		{"a.go", "var dbPassword = \""},
		{"a.js", "const apiSecret = '"},
		{"a.rb", "config[\"password\"] = \""},
		{"c.yaml", "password: \""},
	} {
		text := "x\n" + tc.before + pw + "\ny = 1\n"
		at := len("x\n" + tc.before)
		fs := d.Scan(tc.path, []byte(text))
		if !covered(fs, at, at+len(pw)) {
			t.Errorf("%s %q: unclosed value not found: %v", tc.path, tc.before, spans(fs))
		}
	}
	for _, tc := range []struct{ path, text string }{
		{"a.py", "description = \"the value of the field\n"},
		{"a.go", "var password = \"\n"},
		{"a.js", "const token = `\nabc\n`\n"},
		{"a.go", "env = append(env, \"PWD=\"+pwd)\n"},
	} {
		if fs := d.Scan(tc.path, []byte(tc.text)); len(fs) != 0 {
			t.Errorf("%s %q: findings %v", tc.path, tc.text, spans(fs))
		}
	}
}
