package localmodel

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
)

const testModel = "test-coder:1b"

// fakeServer is an OpenAI-compatible server for tests: it records every
// request body and answers with the handlers a test sets.
type fakeServer struct {
	*httptest.Server
	t *testing.T

	mu     sync.Mutex
	bodies map[string][]map[string]any // path → decoded JSON bodies
	auth   []string                    // Authorization headers seen
	hits   map[string]int
	conns  atomic.Int64 // TCP connections accepted

	completions http.HandlerFunc
	chat        http.HandlerFunc
	models      http.HandlerFunc
	tags        http.HandlerFunc
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, bodies: map[string][]map[string]any{}, hits: map[string]int{}}
	f.models = func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"object":"list","data":[{"id":%q,"object":"model"},{"id":"other:7b","object":"model"}]}`, testModel)
	}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.Method == http.MethodPost {
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			f.t.Errorf("%s: request body is not JSON: %v", r.URL.Path, err)
		}
		f.bodies[r.URL.Path] = append(f.bodies[r.URL.Path], body)
	}
	h := map[string]http.HandlerFunc{
		"/v1/completions":      f.completions,
		"/v1/chat/completions": f.chat,
		"/v1/models":           f.models,
		"/api/tags":            f.tags,
	}[r.URL.Path]
	f.mu.Unlock()
	if h == nil {
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	h(w, r)
}

func (f *fakeServer) lastBody(path string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bodies[path]
	if len(b) == 0 {
		f.t.Fatalf("no request to %s", path)
	}
	return b[len(b)-1]
}

func (f *fakeServer) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// update changes handlers once requests may have been served.
func (f *fakeServer) update(change func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeServer) firstAuth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auth) == 0 {
		return ""
	}
	return f.auth[0]
}

func (f *fakeServer) endpoint() string { return f.URL + "/v1" }

// cfg is a config for this server with generous deadlines.
func (f *fakeServer) cfg() config.Model {
	c := DefaultConfig()
	c.Endpoint = f.endpoint()
	c.Name = testModel
	c.Timeout = 5 * time.Second
	c.FirstTokenTimeout = 5 * time.Second
	return c
}

// client builds a client for c and closes it when the test ends.
func newTestClient(t *testing.T, c config.Model, getenv func(string) string) *client {
	t.Helper()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	m, err := New(c, getenv, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cl := m.(*client)
	t.Cleanup(func() { cl.Close() })
	return cl
}

// sseWriter writes server-sent events and flushes each.
type sseWriter struct {
	w http.ResponseWriter
}

func startSSE(w http.ResponseWriter) sseWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	return sseWriter{w}
}

func (s sseWriter) raw(text string) {
	io.WriteString(s.w, text)
	s.w.(http.Flusher).Flush()
}

func (s sseWriter) data(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	s.raw("data: " + string(b) + "\n\n")
}

func (s sseWriter) done() { s.raw("data: [DONE]\n\n") }

func completionChunk(model, text, finish string) map[string]any {
	ch := map[string]any{"index": 0, "text": text, "finish_reason": nil}
	if finish != "" {
		ch["finish_reason"] = finish
	}
	return map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": model, "choices": []any{ch}}
}

func chatChunk(model, content, finish string) map[string]any {
	ch := map[string]any{"index": 0, "delta": map[string]any{"content": content}, "finish_reason": nil}
	if finish != "" {
		ch["finish_reason"] = finish
	}
	return map[string]any{"id": "chat-1", "object": "chat.completion.chunk", "created": 1, "model": model, "choices": []any{ch}}
}

// streamCompletion answers /v1/completions with pieces, the last one
// carrying finish_reason "stop", then [DONE].
func streamCompletion(pieces ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s := startSSE(w)
		for i, p := range pieces {
			finish := ""
			if i == len(pieces)-1 {
				finish = "stop"
			}
			s.data(completionChunk(testModel, p, finish))
		}
		s.done()
	}
}

func streamChat(model string, pieces ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s := startSSE(w)
		s.data(map[string]any{"id": "chat-1", "object": "chat.completion.chunk", "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant"}}}})
		for i, p := range pieces {
			finish := ""
			if i == len(pieces)-1 {
				finish = "stop"
			}
			s.data(chatChunk(model, p, finish))
		}
		s.done()
	}
}

// preview is the masked form test failures may print.
func preview(s string) string {
	if len(s) <= 4 {
		return fmt.Sprintf("(%d bytes)", len(s))
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:4], len(s))
}

func containsAny(s string, parts ...string) bool {
	for _, p := range parts {
		if p != "" && strings.Contains(s, p) {
			return true
		}
	}
	return false
}
