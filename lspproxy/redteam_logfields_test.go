package lspproxy

import (
	"strings"
	"testing"
)

// TestRedteamLogFieldsFromTheClient: strings the editor chooses freely (an
// unknown notification's method, $/setTrace's value, clientInfo's name)
// are not written to the debug log as sent: a token or a human password
// there reaches no log line, while the ordinary values still do.
func TestRedteamLogFieldsFromTheClient(t *testing.T) {
	sec := newSecrets(131)
	tok := sec.github()
	pw := "Quill#Lantern-moss&Brook"
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"processId": nil, "rootUri": "file:///work/ws", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": tok, "version": pw}})
	c.result(0)
	c.notify("initialized", map[string]any{})
	c.notify(tok, map[string]any{})
	c.notify("x/"+pw, map[string]any{})
	c.notify("$/setTrace", map[string]any{"value": tok})
	c.notify("$/setTrace", map[string]any{"value": pw})
	c.notify("$/setTrace", map[string]any{"value": "verbose"})
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{}})
	c.call(1, "veil/status", map[string]any{"uri": "file:///work/ws/a.go"}) // the notifications above are handled in order
	c.result(1)
	checkSinks(t, m, sk, tok, pw)
	logs := sk.logs.String()
	for _, want := range []string{"value=verbose", "method=workspace/didChangeWatchedFiles"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lost an ordinary value: no %q", want)
		}
	}
}

func TestLogClientName(t *testing.T) {
	for name, want := range map[string]string{
		"Neovim":               "Neovim",
		"Visual Studio Code":   "Visual Studio Code",
		"helix":                "helix",
		"":                     "other (0 bytes)",
		"AKIAABCDEFGHIJKLMNOP": "other (20 bytes)",
		"Quill#Lantern":        "other (13 bytes)",
		"vim\x00x":             "other (5 bytes)",
	} {
		if got := logClientName(name); got != want {
			t.Errorf("logClientName(%q) = %q, want %q", name, got, want)
		}
	}
}
