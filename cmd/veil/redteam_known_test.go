package main

import (
	"testing"
)

// TestRedteamKnownValueEncodedThroughBinary: a password masked in one file
// shows up in another encoded as code writes it (percent-encoded,
// \x-escaped, JSON's \u0026, an HTML entity, split by a zero-width space or
// over a + concatenation) where no rule recognises it. No 10-character
// piece of it reaches the model, the log file, stderr or the audit file.
func TestRedteamKnownValueEncodedThroughBinary(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	for name, line := range map[string]string{
		"percent": "x = greet(\"Quill%23Lantern-moss%26Brook\")\n",
		"hex":     "x = greet(\"Quill\\x23Lantern-moss\\x26Brook\")\n",
		"json":    "x = json.loads('{\"k\": \"Quill#Lantern-moss\\u0026Brook\"}')\n",
		"html":    "x = '<p title=\"Quill#Lantern-moss&amp;Brook\"></p>'\n",
		"zwsp":    "x = greet(\"Quill#Lantern\u200b-moss&Brook\")\n",
		"concat":  "x = greet(\"Quill#Lantern-\" +\n    \"moss&Brook\")\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := rtKnownElsewhere(t, pw, line)
			s.call("veil/chat", map[string]any{"message": "what does this do? " + line})
			sinks := s.finish()
			if s.srv.Hits("/v1/completions") < 2 || s.srv.Hits("/v1/chat/completions") < 1 {
				t.Fatalf("the model got %d completions and %d chats, want 2 and 1",
					s.srv.Hits("/v1/completions"), s.srv.Hits("/v1/chat/completions"))
			}
			rtPieces(t, sinks, map[string]bool{"editor notifications": true}, pw)
		})
	}
}

// rtKnownElsewhere starts a session where pw is masked in a.py (an inline
// completion there makes it known) and then text is completed in b.py.
func rtKnownElsewhere(t *testing.T, pw, text string) *rtSession {
	t.Helper()
	s := rtStart(t, "", nil)
	a, b := s.uri("a.py"), s.uri("b.py")
	s.open(a, "python", "db_password = \""+pw+"\"\n\n")
	s.inline(a, 1, 0)
	s.open(b, "python", "import os\n"+text+"\ndef f():\n    \n")
	s.inline(b, 4, 4)
	return s
}
