package main

import (
	"strings"
	"testing"
)

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

// TestRedteamUnclosedValueLeftBehind: a password typed into an unclosed
// string under a secret-named key, then left while the user edits twelve
// other places (more than the typing places veil keeps), and a file opened
// with such a line: no 10-character piece of it reaches any sink when the
// file is the current document, a neighbour or a chat reference.
func TestRedteamUnclosedValueLeftBehind(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	s := rtStart(t, "", nil)
	a, b, c := s.uri("a.py"), s.uri("b.py"), s.uri("c.go")
	head := "db_password = \""
	s.open(a, "python", "import os\n\n"+head+"\n"+strings.Repeat("\n", 20))
	s.open(b, "python", "import os\n\ndef f():\n    \n")
	s.typeAll(a, 2, len(head), pw, 1, "")
	for i := 0; i < 12; i++ {
		s.insert(a, 4+i, 0, "y = 1")
	}
	s.open(c, "go", "package c\n\nvar apiSecret = \""+pw+"\n\nfunc f() {\n\t\n}\n")
	s.inline(a, 18, 0)
	s.inline(b, 3, 4)
	s.inline(c, 5, 1)
	s.call("veil/chat", map[string]any{"message": "look", "references": []any{map[string]any{"uri": a}, map[string]any{"uri": c}}})
	sinks := s.finish()
	if s.srv.Hits("/v1/completions") < 3 || s.srv.Hits("/v1/chat/completions") < 1 {
		t.Fatalf("the model got %d completions and %d chats", s.srv.Hits("/v1/completions"), s.srv.Hits("/v1/chat/completions"))
	}
	rtPieces(t, sinks, map[string]bool{"editor notifications": true}, pw)
}
