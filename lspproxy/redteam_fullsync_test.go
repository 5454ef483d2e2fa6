package lspproxy

import (
	"testing"
)

// TestRedteamFullSyncTypingSite: a client that sends every change as the
// whole document (a content change without a range, which LSP allows in
// incremental mode too) types a password into an unclosed string in one
// file while completions are asked in another and the file is attached to
// chat. The typing place is found by comparing the texts, so the half-typed
// value stays masked in the neighbour and the reference.
func TestRedteamFullSyncTypingSite(t *testing.T) {
	const pw = "Quill#Lantern-moss&Brook"
	m := &fakeModel{}
	opts, sk := redteamOptions(t, m)
	c := startClient(t, opts)
	c.initialize(nil)
	a, b := "file:///work/ws/a.py", "file:///work/ws/b.py"
	head, tail := "import os\n\nvalue = \"", "\n\ndef g():\n    return 1\n"
	c.open(a, "python", head+tail)
	c.open(b, "python", "import os\n\ndef f():\n    \n")
	id := 1
	for i := 1; i <= len(pw); i++ {
		c.notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": a, "version": i + 1},
			"contentChanges": []any{map[string]any{"text": head + pw[:i] + tail}}})
		c.call(id, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": b},
			"position": map[string]any{"line": 3, "character": 4}, "context": map[string]any{"triggerKind": 2}})
		c.response(id)
		c.call(id+1, "veil/chat", map[string]any{"message": "what does a.py do?", "references": []any{map[string]any{"uri": a}}})
		c.response(id + 1)
		id += 2
	}
	m.mu.Lock()
	n := len(m.chats)
	m.mu.Unlock()
	if n != len(pw) {
		t.Fatalf("the model got %d chats, want %d", n, len(pw))
	}
	checkSinks(t, m, sk, pw, pw[len(pw)-12:])
}

func TestFullSyncTypedSite(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		want     int
	}{
		{"abc", "abXc", 3},
		{"abc", "abc", -1},
		{"", "x", 1},
		{"aaaa", "aaaaa", 5},
		{"abcdef", "abef", 2},
		{"x = \"Qu\"\n", "x = \"Qui\"\n", 8},
	} {
		sites := replacedSites(nil, []byte(tc.old), []byte(tc.new))
		got := -1
		if len(sites) > 0 {
			got = sites[len(sites)-1]
		}
		if got != tc.want {
			t.Errorf("%q -> %q: newest site %d, want %d", tc.old, tc.new, got, tc.want)
		}
	}
}
