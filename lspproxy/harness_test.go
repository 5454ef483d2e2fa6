package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/lspconn"
)

// testClient is an in-memory LSP client connected to a Server through pipes.
// Everything the server writes is decoded and queued; expectations pop from
// the queue in order, keeping messages they skip for later expectations.
type testClient struct {
	t      *testing.T
	srv    *Server
	toSrv  *io.PipeWriter
	msgs   chan map[string]any
	held   []map[string]any
	done   chan error
	served error
}

const testTimeout = 10 * time.Second

func startClient(t *testing.T, opts Options) *testClient {
	t.Helper()
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &testClient{t: t, srv: srv, toSrv: inW, msgs: make(chan map[string]any, 1024), done: make(chan error, 1)}
	go func() {
		err := srv.Serve(context.Background(), inR, outW)
		outW.Close()
		c.done <- err
	}()
	go func() {
		fr := lspconn.NewFrameReader(outR, 1<<30)
		defer close(c.msgs)
		for {
			frame, err := fr.Read()
			if err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(frame, &m); err != nil {
				t.Errorf("server wrote invalid JSON: %v", err)
				return
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-c.done:
		case <-time.After(testTimeout):
			t.Errorf("Serve did not return after the client closed")
		}
		for range c.msgs { // drain so the writer is not stuck
		}
	})
	return c
}

// writeRaw writes bytes as they are (for malformed frames).
func (c *testClient) writeRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.toSrv, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *testClient) writeBody(body string) {
	c.writeRaw("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func (c *testClient) call(id any, method string, params any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	c.writeBody(string(b))
}

func (c *testClient) notify(method string, params any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	c.writeBody(string(b))
}

// next returns the first queued message that match accepts.
func (c *testClient) next(what string, match func(map[string]any) bool) map[string]any {
	c.t.Helper()
	for i, m := range c.held {
		if match(m) {
			c.held = append(c.held[:i:i], c.held[i+1:]...)
			return m
		}
	}
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("stream ended waiting for %s", what)
			}
			if match(m) {
				return m
			}
			c.held = append(c.held, m)
		case <-timer.C:
			c.t.Fatalf("timed out waiting for %s; held: %s", what, brief(c.held))
		}
	}
}

func brief(ms []map[string]any) string {
	var parts []string
	for _, m := range ms {
		b, _ := json.Marshal(m)
		parts = append(parts, string(b[:min(len(b), 200)]))
	}
	return strings.Join(parts, "\n")
}

// response waits for the response to id.
func (c *testClient) response(id any) map[string]any {
	c.t.Helper()
	want := fmt.Sprint(id)
	return c.next("response "+want, func(m map[string]any) bool {
		_, isReq := m["method"]
		return !isReq && fmt.Sprint(m["id"]) == want
	})
}

// notification waits for a notification of method.
func (c *testClient) notification(method string) map[string]any {
	c.t.Helper()
	return c.next("notification "+method, func(m map[string]any) bool {
		_, hasID := m["id"]
		return m["method"] == method && !hasID
	})
}

// noMessage asserts nothing matching arrived yet after a round trip: it
// sends a request that must be answered and checks what came before.
func (c *testClient) noMessage(what string, match func(map[string]any) bool) {
	c.t.Helper()
	c.call("barrier", "veil/barrier", nil) // any answer will do
	c.response("barrier")
	for _, m := range c.held {
		if match(m) {
			c.t.Fatalf("unexpected %s: %s", what, brief([]map[string]any{m}))
		}
	}
}

// result returns the response's result or fails on an error response.
func (c *testClient) result(id any) any {
	c.t.Helper()
	m := c.response(id)
	if e, ok := m["error"]; ok {
		c.t.Fatalf("response %v: error %v", id, e)
	}
	return m["result"]
}

// errCode returns the response's error code, failing if it succeeded.
func (c *testClient) errCode(id any) int {
	c.t.Helper()
	m := c.response(id)
	e, ok := m["error"].(map[string]any)
	if !ok {
		c.t.Fatalf("response %v: want an error, got %v", id, m["result"])
	}
	return int(e["code"].(float64))
}

// initialize runs the handshake with the given client capabilities.
func (c *testClient) initialize(caps map[string]any) map[string]any {
	c.t.Helper()
	if caps == nil {
		caps = map[string]any{}
	}
	c.call(0, "initialize", map[string]any{"processId": nil, "rootUri": "file:///work/ws", "capabilities": caps})
	r := c.result(0).(map[string]any)
	c.notify("initialized", map[string]any{})
	return r
}

// startWithUserFile starts a session on opts that reads its user
// configuration from userFile (and nothing from the environment) and
// initializes it with root as its workspace; initialized is not sent.
func startWithUserFile(t *testing.T, opts Options, userFile, root string) *testClient {
	t.Helper()
	opts.Load = &config.LoadOptions{UserFile: userFile, Getenv: func(string) string { return "" }}
	c := startClient(t, opts)
	c.call(0, "initialize", map[string]any{"rootUri": "file://" + root, "capabilities": map[string]any{}})
	c.result(0)
	return c
}

// writeFile writes text to path (mode 0600) or fails the test.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (c *testClient) open(uri, lang, text string) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": lang, "version": 1, "text": text}})
}

// wait returns what Serve returned.
func (c *testClient) wait() error {
	c.t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(testTimeout):
		c.t.Fatalf("Serve did not return")
		return nil
	}
}

// get walks a decoded JSON value: get(v, "a", "0", "b").
func get(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
