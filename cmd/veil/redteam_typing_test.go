package main

import "testing"

// TestRedteamTypingMarkupAndLuaThroughBinary: a password typed one key at
// a time as XML element text (<password>…) or into a Lua long string
// (token = [[…) reaches the model, the logs and the audit file in no
// 10-character piece, through inline completion and the Copilot dialect.
func TestRedteamTypingMarkupAndLuaThroughBinary(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	for _, c := range []struct{ file, lang, before string }{
		{"app.xml", "xml", "<password>"},
		{"a.lua", "lua", "local token = [["},
	} {
		for _, kind := range []string{"inline", "getCompletions"} {
			t.Run(c.file+"/"+kind, func(t *testing.T) {
				s := rtStart(t, "", nil)
				u := s.uri(c.file)
				s.open(u, c.lang, "x\n\n"+c.before+"\n")
				s.typeAll(u, 2, len(c.before), pw, 1, kind)
				sinks := s.finish()
				if s.srv.Hits("/v1/completions") < len(pw) {
					t.Fatalf("the model got %d completions, want %d", s.srv.Hits("/v1/completions"), len(pw))
				}
				rtPieces(t, sinks, map[string]bool{"editor notifications": true}, pw)
			})
		}
	}
}
