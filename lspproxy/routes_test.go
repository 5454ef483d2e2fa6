package lspproxy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestRouteTableRows: every row dispatches somehow (and not as both a call
// and an async call), names what wrap mode does, appears once, and owns its
// capability; command ids are unique and only executeCommand carries them.
func TestRouteTableRows(t *testing.T) {
	seenMethod, seenCap, seenCmd := map[string]bool{}, map[string]string{}, map[string]bool{}
	for _, r := range routeTable() {
		if seenMethod[r.method] {
			t.Errorf("%s: two rows", r.method)
		}
		seenMethod[r.method] = true
		if r.call == nil && r.async == nil && r.notify == nil || r.call != nil && r.async != nil {
			t.Errorf("%s: kind %q: want exactly one of call/async, and/or notify", r.method, r.kind())
		}
		if r.wrap < wrapHandle || r.wrap > wrapBlock {
			t.Errorf("%s: wrap action %v", r.method, r.wrap)
		}
		if r.capability != "" {
			if other, dup := seenCap[r.capability]; dup {
				t.Errorf("capability %s contributed by %s and %s", r.capability, other, r.method)
			}
			seenCap[r.capability] = r.method
		}
		if len(r.commands) > 0 && r.method != "workspace/executeCommand" {
			t.Errorf("%s carries commands", r.method)
		}
		for _, c := range r.commands {
			if seenCmd[c.id] || c.run == nil || c.wrap < wrapHandle || c.wrap > wrapBlock {
				t.Errorf("command %s: duplicate, no handler or no wrap action", c.id)
			}
			seenCmd[c.id] = true
		}
	}
	for _, must := range []string{"initialize", "shutdown", "exit", "$/cancelRequest", "textDocument/didOpen", "workspace/executeCommand"} {
		if !seenMethod[must] {
			t.Errorf("no row for %s", must)
		}
	}
}

// TestCapabilitiesFromRoutes: initialize advertises exactly what the rows
// contribute, and the command list is the command table in order; the
// github.copilot.* commands only to Copilot plugins.
func TestCapabilitiesFromRoutes(t *testing.T) {
	caps := newRoutes().capabilities("utf-16", true)
	b, _ := json.Marshal(caps)
	want := `{"codeActionProvider":{"codeActionKinds":["quickfix","refactor"]},"completionProvider":{"resolveProvider":false},` +
		`"executeCommandProvider":{"commands":["veil.chat","veil.explain","veil.allow","github.copilot.didAcceptCompletionItem","github.copilot.didAcceptPanelCompletionItem"]},` +
		`"inlineCompletionProvider":{},"positionEncoding":"utf-16","textDocumentSync":{"change":2,"openClose":true},` +
		`"workspace":{"workspaceFolders":{"changeNotifications":true,"supported":true}}}`
	if string(b) != want {
		t.Fatalf("capabilities:\n%s\nwant\n%s", b, want)
	}
	var ids, plain []string
	for _, c := range commandTable() {
		ids = append(ids, c.id)
		if !c.copilot {
			plain = append(plain, c.id)
		}
	}
	if got := get(caps, "executeCommandProvider", "commands"); !slices.Equal(got.([]string), ids) {
		t.Errorf("commands %v, want %v", got, ids)
	}
	got := get(newRoutes().capabilities("utf-16", false), "executeCommandProvider", "commands").([]string)
	if !slices.Equal(got, plain) || slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, "github.copilot.") }) {
		t.Errorf("a client that is not a Copilot plugin is offered %v, want %v", got, plain)
	}
}

// TestEveryRouteDispatches: each row's method reaches its handler: calls
// are not MethodNotFound, notifications do not end the session.
func TestEveryRouteDispatches(t *testing.T) {
	m := &fakeModel{}
	c := startClient(t, pipelineOptions(m))
	c.initialize(nil)
	id := 1
	for _, r := range routeTable() {
		if r.method == "exit" || r.method == "shutdown" || r.method == "initialize" {
			continue
		}
		if r.call != nil || r.async != nil {
			c.call(id, r.method, map[string]any{})
			resp := c.response(id)
			switch get(resp, "error", "code") {
			case float64(-32601):
				t.Errorf("%s: MethodNotFound", r.method)
			case float64(-32603):
				t.Errorf("%s: internal error (a handler panicked)", r.method)
			}
			id++
		}
	}
	c.call("s", "shutdown", nil)
	c.result("s")
}
