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
			sinks := rtKnownElsewhere(t, pw, text).finish()
			rtPieces(t, sinks, map[string]bool{"editor notifications": true}, pw, base64.StdEncoding.EncodeToString([]byte(pw)),
				base64.StdEncoding.EncodeToString([]byte("deploy:"+pw)), "Lantern-moss")
		})
	}
}
