package redact

import (
	"testing"
)

// TestRedteamTypingMarkupAndLongStrings: a password typed one character at
// a time as XML element text after a secret-named tag, or into a Lua long
// string under a secret-named variable, is masked from its first character
// at every step; prose typed the same way stays visible, and closed values
// or block comments are not typing findings.
func TestRedteamTypingMarkupAndLongStrings(t *testing.T) {
	d := newTestDetector(t, Options{})
	const pw = "Quill#Lantern-moss&Brook"
	for _, tc := range []struct{ path, before, after string }{
		{"app.xml", "<config>\n  <password>", ""},
		{"app.xml", "  <apiToken kind=\"x\">", ""},
		{"app.xml", "  <db_password>", "</db_password>"},
		{"a.lua", "local token = [[", ""},
		{"a.lua", "local secret = [==[", ""},
		{"a.lua", "local password = [[", "]]"},
	} {
		for i := 1; i <= len(pw); i++ {
			text := tc.before + pw[:i] + tc.after + "\n"
			at := len(tc.before) + i
			fs := d.ScanTyping(tc.path, []byte(text), at)
			if !covered(fs, len(tc.before), at) {
				t.Errorf("%s %q: typed %d characters, not masked: %v", tc.path, tc.before, i, spans(fs))
				break
			}
		}
	}
	for _, tc := range []struct{ path, text string }{
		{"page.html", "<p>connecting to the server"},
		{"app.xml", "<description>the value of the"},
		{"a.lua", "print([[hello there my friend"},
		{"a.lua", "--[[ Quill#Lantern-moss&Brook"},
		{"a.lua", "local token = [[abc]] .. x"},
	} {
		for _, f := range d.ScanTyping(tc.path, []byte(tc.text+"\n"), len(tc.text)) {
			if f.RuleID == RuleTypingPartial {
				t.Errorf("%s %q: typing finding %v", tc.path, tc.text, spans([]Finding{f}))
			}
		}
	}
}
