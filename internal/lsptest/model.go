package lsptest

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
)

// ModelServer is a fake OpenAI-compatible server (GET /v1/models, POST
// /v1/completions and /v1/chat/completions, Ollama's GET /api/tags). It
// records every request and answers with its handler fields, which a test
// sets before the first request; a nil handler answers 404. It stops when
// the test ends.
type ModelServer struct {
	*httptest.Server
	t testing.TB

	// The handlers; defaults from NewModelServer.
	Models, Completions, Chat, Tags http.HandlerFunc

	mu       sync.Mutex
	requests []Request
	conns    atomic.Int64 // TCP connections accepted
}

// Request is one request the server received.
type Request struct {
	Method, Path, Auth string
	Body               []byte
}

// NewModelServer starts a server listing models (the first is the one
// completions name) whose completions stream completion and whose chat
// streams chat.
func NewModelServer(t testing.TB, models []string, completion, chat string) *ModelServer {
	t.Helper()
	m := &ModelServer{t: t}
	m.Models = func(w http.ResponseWriter, _ *http.Request) { WriteModels(w, models...) }
	m.Completions = func(w http.ResponseWriter, _ *http.Request) { StreamCompletion(w, completion) }
	m.Chat = func(w http.ResponseWriter, _ *http.Request) { StreamChat(w, chat) }
	m.Server = httptest.NewUnstartedServer(http.HandlerFunc(m.serve))
	m.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			m.conns.Add(1)
		}
	}
	m.Start()
	t.Cleanup(m.Close)
	return m
}

func (m *ModelServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method == http.MethodPost && !json.Valid(body) {
		m.t.Errorf("%s: request body is not JSON (%d bytes)", r.URL.Path, len(body))
	}
	m.mu.Lock()
	m.requests = append(m.requests, Request{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	h := map[string]http.HandlerFunc{
		"/v1/completions":      m.Completions,
		"/v1/chat/completions": m.Chat,
		"/v1/models":           m.Models,
		"/api/tags":            m.Tags,
	}[r.URL.Path]
	m.mu.Unlock()
	if h == nil {
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	h(w, r)
}

// Update changes the handlers once requests may be in flight.
func (m *ModelServer) Update(change func(m *ModelServer)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	change(m)
}

// Requests returns what the server received so far, in order.
func (m *ModelServer) Requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Request(nil), m.requests...)
}

// Bodies returns the decoded JSON bodies posted to path.
func (m *ModelServer) Bodies(path string) []map[string]any {
	m.t.Helper()
	var out []map[string]any
	for _, r := range m.Requests() {
		if r.Path != path || r.Method != http.MethodPost {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			m.t.Errorf("%s: request body is not JSON: %v", path, err)
		}
		out = append(out, body)
	}
	return out
}

// Received is what a leak check searches: every request's method, path
// and raw body, and every JSON string in the body decoded (so an escaped
// value cannot hide), NUL-separated.
func (m *ModelServer) Received() string {
	var b strings.Builder
	for _, r := range m.Requests() {
		b.WriteString(r.Method + " " + r.Path + " " + string(r.Body) + "\x00")
		var v any
		if json.Unmarshal(r.Body, &v) == nil {
			collectStrings(&b, v)
		}
	}
	return b.String()
}

func collectStrings(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(v + "\x00")
	case []any:
		for _, x := range v {
			collectStrings(b, x)
		}
	case map[string]any:
		for _, x := range v {
			collectStrings(b, x)
		}
	}
}

// Hits counts the requests to path.
func (m *ModelServer) Hits(path string) int {
	n := 0
	for _, r := range m.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// T is the test the server belongs to.
func (m *ModelServer) T() testing.TB { return m.t }

// Conns counts the TCP connections the server accepted.
func (m *ModelServer) Conns() int64 { return m.conns.Load() }

// WriteModels answers GET /v1/models with the ids.
func WriteModels(w http.ResponseWriter, ids ...string) {
	data := make([]map[string]string, len(ids))
	for i, id := range ids {
		data[i] = map[string]string{"id": id, "object": "model"}
	}
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// StreamCompletion streams a /v1/completions answer as server-sent events,
// one chunk per text, then [DONE].
func StreamCompletion(w http.ResponseWriter, texts ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for i, text := range texts {
		choice := map[string]any{"index": 0, "text": text}
		if i == len(texts)-1 {
			choice["finish_reason"] = "stop"
		}
		writeEvent(w, map[string]any{"id": "c", "object": "text_completion", "model": "fake", "choices": []any{choice}})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// StreamChat streams a /v1/chat/completions answer, one delta per text.
func StreamChat(w http.ResponseWriter, texts ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for i, text := range texts {
		choice := map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": text}}
		if i == len(texts)-1 {
			choice["finish_reason"] = "stop"
		}
		writeEvent(w, map[string]any{"id": "c", "object": "chat.completion.chunk", "model": "fake", "choices": []any{choice}})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func writeEvent(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", b)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
