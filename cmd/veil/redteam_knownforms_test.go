package main

import (
	"encoding/base64"
	"testing"
)

// TestRedteamKnownOtherForms: a value masked in one document and written
// base64-encoded or re-wrapped over a line break in another never reaches
// the model.
func TestRedteamKnownOtherForms(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	for name, text := range map[string]string{
		"b64":     "x = \"" + base64.StdEncoding.EncodeToString([]byte(pw)) + "\"\n",
		"b64auth": "h = {\"Authorization\": \"Basic " + base64.StdEncoding.EncodeToString([]byte("deploy:"+pw)) + "\"}\n",
		"nl":      "x = \"\"\"Quill#Lantern-moss\n&Brook\"\"\"\n",
		"comment": "# old one: Quill#Lan\n# tern-moss&Brook\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := rtStart(t, "", nil)
			a, b := s.uri("a.py"), s.uri("b.py")
			s.open(a, "python", "db_password = \""+pw+"\"\n\n")
			s.inline(a, 1, 0)
			s.open(b, "python", "import os\n"+text+"\ndef f():\n    \n")
			s.inline(b, 4, 4)
			sinks := s.finish()
			rtPieces(t, sinks, map[string]bool{"editor notifications": true}, pw, base64.StdEncoding.EncodeToString([]byte(pw)),
				base64.StdEncoding.EncodeToString([]byte("deploy:"+pw)), "Lantern-moss")
		})
	}
}
