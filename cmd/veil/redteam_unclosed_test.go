package main

import (
	"strings"
	"testing"
)

// TestRedteamUnclosedPlainName: a password-like value in a string left
// unclosed under a name that says nothing (value = "...) never reaches the
// model, in the document itself, as a neighbour or a chat reference: not
// once eight other places were edited since it was typed, not when the
// document is opened that way, and not when a whole-document change brings
// it in.
func TestRedteamUnclosedPlainName(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	const head = "value = \""
	requests := func(s *rtSession, a, b string) {
		s.inline(a, 18, 0)
		s.inline(b, 3, 4)
		s.call("veil/chat", map[string]any{"message": "look", "references": []any{map[string]any{"uri": a}}})
	}
	t.Run("evicted", func(t *testing.T) {
		s := rtStart(t, "", nil)
		a, b := s.uri("a.py"), s.uri("b.py")
		s.open(a, "python", "import os\n\n"+head+"\n"+strings.Repeat("\n", 20))
		s.open(b, "python", "import os\n\ndef f():\n    \n")
		s.typeAll(a, 2, len(head), pw, 1, "")
		for i := 0; i < 12; i++ {
			s.insert(a, 4+i, 0, "y = 1")
		}
		requests(s, a, b)
		rtPieces(t, s.finish(), map[string]bool{"editor notifications": true}, pw)
	})
	t.Run("opened", func(t *testing.T) {
		s := rtStart(t, "", nil)
		a, b := s.uri("a.py"), s.uri("b.py")
		s.open(a, "python", "import os\n\n"+head+pw+"\n"+strings.Repeat("\n", 20))
		s.open(b, "python", "import os\n\ndef f():\n    \n")
		requests(s, a, b)
		rtPieces(t, s.finish(), map[string]bool{"editor notifications": true}, pw)
	})
	t.Run("fullsync", func(t *testing.T) {
		s := rtStart(t, "", nil)
		a, b := s.uri("a.py"), s.uri("b.py")
		s.open(a, "python", "import os\n\n\n"+strings.Repeat("\n", 20))
		s.open(b, "python", "import os\n\ndef f():\n    \n")
		s.version++
		s.p.Notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": a, "version": s.version},
			"contentChanges": []any{map[string]any{"text": "import os\n\n" + head + pw + "\n" + strings.Repeat("\n", 20)}}})
		for i := 0; i < 12; i++ {
			s.insert(a, 4+i, 0, "y = 1")
		}
		requests(s, a, b)
		rtPieces(t, s.finish(), map[string]bool{"editor notifications": true}, pw)
	})
}
