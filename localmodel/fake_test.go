package localmodel

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
)

const testModel = "test-coder:1b"

// fakeServer is lsptest's OpenAI-compatible server with the models this
// package's tests expect and no completion or chat answer until a test sets
// one.
type fakeServer struct {
	*lsptest.ModelServer
}

func newFakeServer(t *testing.T) *fakeServer {
	m := lsptest.NewModelServer(t, []string{testModel, "other:7b"}, "", "")
	m.Completions, m.Chat = nil, nil
	return &fakeServer{m}
}

func (f *fakeServer) lastBody(path string) map[string]any {
	f.T().Helper()
	b := f.Bodies(path)
	if len(b) == 0 {
		f.T().Fatalf("no request to %s", path)
	}
	return b[len(b)-1]
}

func (f *fakeServer) hitCount(path string) int { return f.Hits(path) }

// update changes handlers once requests may have been served.
func (f *fakeServer) update(change func(f *fakeServer)) {
	f.Update(func(*lsptest.ModelServer) { change(f) })
}

func (f *fakeServer) firstAuth() string {
	r := f.Requests()
	if len(r) == 0 {
		return ""
	}
	return r[0].Auth
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
