package lspproxy

import (
	"errors"
	"strings"
	"testing"
)

// step is one action or expectation of a protocol test.
type step func(c *testClient)

func call(id any, method string, params any) step {
	return func(c *testClient) { c.call(id, method, params) }
}
func notify(method string, params any) step {
	return func(c *testClient) { c.notify(method, params) }
}
func raw(s string) step   { return func(c *testClient) { c.writeRaw(s) } }
func frame(s string) step { return func(c *testClient) { c.writeBody(s) } }
func initialize() step    { return func(c *testClient) { c.initialize(nil) } }
func open(uri, text string) step {
	return func(c *testClient) { c.open(uri, "go", text) }
}

func wantCode(id any, code int) step {
	return func(c *testClient) {
		c.t.Helper()
		if got := c.errCode(id); got != code {
			c.t.Fatalf("response %v: code %d, want %d", id, got, code)
		}
	}
}

// wantResult checks the value at path in the result of id.
func wantResult(id any, want any, path ...string) step {
	return func(c *testClient) {
		c.t.Helper()
		m := c.response(id)
		c.held = append(c.held, m) // later steps may look at it again
		if e, ok := m["error"]; ok {
			c.t.Fatalf("response %v: error %v", id, e)
		}
		if got := get(m["result"], path...); !equalJSON(got, want) {
			c.t.Fatalf("response %v %v = %#v, want %#v", id, path, got, want)
		}
	}
}

func wantNotification(method string, check func(t *testing.T, params any)) step {
	return func(c *testClient) {
		c.t.Helper()
		m := c.notification(method)
		if check != nil {
			check(c.t, m["params"])
		}
	}
}

func wantServeErr(want error) step {
	return func(c *testClient) {
		c.t.Helper()
		if err := c.wait(); !errors.Is(err, want) {
			c.t.Fatalf("Serve returned %v, want %v", err, want)
		}
	}
}

func equalJSON(got, want any) bool {
	switch w := want.(type) {
	case int:
		g, ok := got.(float64)
		return ok && g == float64(w)
	case nil:
		return got == nil
	}
	return got == want
}

func runSteps(t *testing.T, opts Options, steps []step) *testClient {
	t.Helper()
	if opts.Model == nil {
		opts = pipelineOptions(&fakeModel{})
	}
	c := startClient(t, opts)
	for _, s := range steps {
		s(c)
	}
	return c
}

func TestLifecycle(t *testing.T) {
	cases := map[string][]step{
		"request before initialize": {
			call(1, "textDocument/inlineCompletion", map[string]any{}),
			wantCode(1, -32002),
			call(2, "initialize", map[string]any{"capabilities": map[string]any{}}),
			wantResult(2, "utf-16", "capabilities", "positionEncoding"),
		},
		"capabilities": {
			call(1, "initialize", map[string]any{"capabilities": map[string]any{}}),
			wantResult(1, 2, "capabilities", "textDocumentSync", "change"),
		},
		"utf-8 when offered": {
			call(1, "initialize", map[string]any{"capabilities": map[string]any{
				"general": map[string]any{"positionEncodings": []string{"utf-32", "utf-8", "utf-16"}}}}),
			wantResult(1, "utf-8", "capabilities", "positionEncoding"),
		},
		"initialize twice": {
			initialize(),
			call(1, "initialize", map[string]any{"capabilities": map[string]any{}}),
			wantCode(1, -32600),
		},
		"unknown request and notification": {
			initialize(),
			notify("workspace/somethingNew", map[string]any{"x": 1}),
			call(1, "frobnicate", nil),
			wantCode(1, -32601),
			call(2, "$/unknownRequest", nil),
			wantCode(2, -32601),
		},
		"shutdown then exit": {
			initialize(),
			notify("$/setTrace", map[string]any{"value": "verbose"}),
			call(1, "shutdown", nil),
			wantResult(1, nil),
			call(2, "textDocument/completion", map[string]any{}),
			wantCode(2, -32600),
			notify("exit", nil),
			wantServeErr(nil),
		},
		"exit without shutdown": {
			initialize(),
			notify("exit", nil),
			wantServeErr(ErrExitWithoutShutdown),
		},
		"string and number ids": {
			initialize(),
			call("abc", "shutdown", nil),
			wantResult("abc", nil),
		},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) { runSteps(t, Options{}, steps) })
	}
}

func TestBadFrames(t *testing.T) {
	ok := func(id int) []step { // the server still answers afterwards
		return []step{call(id, "shutdown", nil), wantResult(id, nil)}
	}
	cases := map[string][]step{
		"missing Content-Length": {
			raw("Content-Type: application/json\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"x\"}"),
			wantNotification("window/logMessage", func(t *testing.T, p any) {
				if !strings.Contains(get(p, "message").(string), "Content-Length") {
					t.Errorf("log message %v does not name the problem", p)
				}
			}),
		},
		"invalid Content-Length": {
			raw("Content-Length: ten\r\n\r\n{}"),
			wantNotification("window/logMessage", nil),
		},
		"header line without colon": {
			raw("garbage\r\n\r\n"),
			wantNotification("window/logMessage", nil),
		},
		"invalid JSON": {
			frame(`{"jsonrpc":"2.0","id":7,"method":"initialize","params":{`),
			wantCode(7, -32700),
		},
		"invalid JSON without id": {
			frame(`not json at all`),
			wantCode(nil, -32700),
		},
		"invalid UTF-8": {
			frame("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"initialize\",\"params\":{\"x\":\"\xff\xfe\"}}"),
			wantCode(8, -32700),
		},
		"not an object": {
			frame(`[1,2]`),
			wantCode(nil, -32600),
		},
		"oversize frame": {
			frame(`{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"pad":"` + strings.Repeat("x", 1<<17) + `"}}`),
			wantCode(9, -32600),
		},
		"lowercase header and extra fields": {
			raw("content-length: 65\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" +
				`{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"x":1}}  `),
			wantResult(3, "utf-16", "capabilities", "positionEncoding"),
		},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			all := append([]step{}, steps...)
			if name != "lowercase header and extra fields" {
				all = append([]step{initialize()}, all...)
			}
			runSteps(t, Options{}, append(all, ok(100)...))
		})
	}
}

func TestWrongPositions(t *testing.T) {
	c := runSteps(t, Options{}, []step{
		initialize(),
		open("file:///work/ws/a.go", "package a\n"),
		// A change far past the end is clamped, never a crash.
		notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": "file:///work/ws/a.go", "version": 2},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": map[string]any{"line": 99, "character": 0},
					"end": map[string]any{"line": 99, "character": 5}},
				"text": "// tail\n"}}}),
		// didChange for a document that is not open.
		notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": "file:///work/ws/none.go", "version": 2},
			"contentChanges": []any{map[string]any{"text": "x"}}}),
	})
	c.noMessage("error", func(m map[string]any) bool { return m["error"] != nil })
	// A request position past the last line is InvalidParams; past the end
	// of a line it is clamped.
	c.call(1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 99, 0))
	if code := c.errCode(1); code != -32602 {
		t.Fatalf("position past the end: code %d, want -32602", code)
	}
	c.call(2, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 0, 999))
	c.result(2)
	doc := c.srv.docs.get("file:///work/ws/a.go")
	if got := doc.Text.String(); got != "package a\n// tail\n" {
		t.Fatalf("text after clamped edit = %q", got)
	}
}
