package localmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// hardText holds everything JSON escaping has to get right: quotes,
// backslashes, every kind of control byte, the HTML-sensitive < > &, U+2028
// and U+2029, DEL, a valid U+FFFD, multi-byte runes, and invalid UTF-8 (a
// stray continuation byte, a truncated sequence, 0xff, an overlong form).
const hardText = "say \"hi\" \\ back\\\\slash \x00\x01\x07\b\f\n\r\t\x1b\x1f\x7f <b>&amp;</b> \u2028 \u2029 \ufffd é 中 😀 \x80 \xe2\x82 \xff \xc0\xaf end"

// hardRequest puts hardText in every field that reaches the body, and ends
// the prefix and a neighbour inside a UTF-8 sequence.
func hardRequest() FIMRequest {
	return FIMRequest{
		Prefix:    "func f() {\n\ts := \"" + hardText + "\xe2\x82",
		Suffix:    "\x82\xac\"\n}\n" + hardText,
		Path:      "dir/" + hardText + ".go",
		Language:  "go",
		Neighbors: []Snippet{{Path: "a<b>.go", Text: hardText + "\xf0\x9f"}, {Path: "\n", Text: "<|fim_prefix|> <fim_middle> " + hardText}},
		Trigger:   Automatic,
		MaxTokens: 77,
	}
}

// libraryBody is the body go-openai sent for req before the completion call
// became veil's own: its CompletionRequest encoded by encoding/json.
func libraryBody(t testing.TB, c *client, req FIMRequest) []byte {
	t.Helper()
	p := buildFIM(c.fim, req)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = c.maxTokens
	}
	b, err := json.Marshal(openai.CompletionRequest{Model: c.name, Prompt: p.prompt, Suffix: p.suffix, Stop: p.stops,
		MaxTokens: maxTokens, Temperature: c.temperature, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captured is one request as the server received it.
type captured struct {
	body   []byte
	header http.Header
	path   string
}

// captureServer answers every request with a short completion stream and
// keeps what it received.
func captureServer(t *testing.T) (*httptest.Server, func() []captured) {
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{b, r.Header.Clone(), r.URL.Path})
		mu.Unlock()
		streamCompletion("ok")(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// The completion request on the wire is byte for byte the one go-openai
// sent, headers included, in both FIM modes, with and without a key.
func TestCompletionRequestMatchesGoOpenAI(t *testing.T) {
	key := "sk-test-" + strings.Repeat("Q7x", 12) // generated, not a real key
	for _, mode := range []string{FIMSuffix, FIMQwen, FIMDeepSeek, FIMCodeLlama} {
		for _, withKey := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/key=%t", mode, withKey), func(t *testing.T) {
				srv, got := captureServer(t)
				cfg := DefaultConfig()
				cfg.Endpoint, cfg.Name, cfg.FIM, cfg.Temperature = srv.URL+"/v1/", "coder \"q\" <7b>", mode, 0
				getenv := func(string) string { return "" }
				if withKey {
					cfg.APIKeyEnv = "VEIL_TEST_KEY"
					getenv = func(string) string { return key }
				}
				c := newTestClient(t, cfg, getenv)
				req := hardRequest()
				if _, err := c.Complete(context.Background(), req); err != nil {
					t.Fatal(err)
				}
				// What go-openai sends for the same request, as Complete used to call it.
				oc := openai.DefaultConfig(getenv(""))
				oc.BaseURL = cfg.Endpoint
				p := buildFIM(mode, req)
				stream, err := openai.NewClientWithConfig(oc).CreateCompletionStream(context.Background(), openai.CompletionRequest{
					Model: c.name, Prompt: p.prompt, Suffix: p.suffix, Stop: p.stops, MaxTokens: req.MaxTokens, Temperature: c.temperature, Stream: true})
				if err != nil {
					t.Fatal(err)
				}
				stream.Close()
				reqs := got()
				if len(reqs) != 2 {
					t.Fatalf("%d requests, want 2", len(reqs))
				}
				ours, lib := reqs[0], reqs[1]
				if !bytes.Equal(ours.body, lib.body) {
					t.Errorf("body differs from go-openai's at byte %d:\n ours %q\n lib  %q", firstDiff(ours.body, lib.body), ours.body, lib.body)
				}
				if want := libraryBody(t, c, req); !bytes.Equal(ours.body, want) {
					t.Errorf("body differs from encoding/json's at byte %d", firstDiff(ours.body, want))
				}
				if ours.path != lib.path || ours.path != "/v1/completions" {
					t.Errorf("path %q, go-openai's %q", ours.path, lib.path)
				}
				if !reflect.DeepEqual(ours.header, lib.header) {
					t.Errorf("headers differ:\n ours %v\n lib  %v", maskAuth(ours.header), maskAuth(lib.header))
				}
				if auth := ours.header.Get("Authorization"); (auth != "") != withKey || (withKey && auth != "Bearer "+key) {
					t.Errorf("Authorization %s, want it exactly when a key is set", preview(auth))
				}
			})
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// maskAuth is h with the Authorization value previewed, for failure output.
func maskAuth(h http.Header) http.Header {
	h = h.Clone()
	if a := h.Get("Authorization"); a != "" {
		h.Set("Authorization", preview(a))
	}
	return h
}

// Any text escapes as encoding/json escapes it, piece by piece or whole.
func FuzzCompletionBody(f *testing.F) {
	f.Add("x := ", "\n}", "a.go", "b.go", "func b() {}", false)
	f.Add(hardText+"\xe2", "\x82\xac"+hardText, hardText, "\n\r", "<|fim_middle|>\xf0", true)
	f.Add("\u2028\u2029<>&\"\\", "\x00\x1f\x7f", "", "", "", true)
	f.Fuzz(func(t *testing.T, prefix, suffix, path, npath, ntext string, template bool) {
		cfg := DefaultConfig()
		cfg.Endpoint, cfg.Name = "http://127.0.0.1:9/v1", "m"
		if template {
			cfg.FIM = FIMQwen
		}
		c := newTestClient(t, cfg, nil)
		req := FIMRequest{Prefix: prefix, Suffix: suffix, Path: path, Language: "python", Neighbors: []Snippet{{Path: npath, Text: ntext}}}
		got, sent := c.appendCompletionBody(nil, req)
		if want := libraryBody(t, c, req); !bytes.Equal(got, want) {
			t.Fatalf("body differs from encoding/json's at byte %d", firstDiff(got, want))
		}
		if p := buildFIM(c.fim, req); sent != len(p.prompt)+len(p.suffix) {
			t.Errorf("sent %d bytes, the prompt and suffix hold %d", sent, len(p.prompt)+len(p.suffix))
		}
	})
}

// go-openai refuses OpenAI chat model names on /v1/completions before
// sending anything; the completion call still does.
func TestCompleteRefusesChatModelName(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = streamCompletion("x")
	cfg := f.cfg()
	cfg.Name = openai.GPT4o
	c := newTestClient(t, cfg, nil)
	_, err := c.Complete(context.Background(), FIMRequest{Prefix: "x"})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `model.name "gpt-4o" is an OpenAI chat model name`) {
		t.Errorf("err = %v, want ErrConfig naming the model", err)
	}
	if n := f.hitCount("/v1/completions"); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	if refusedForCompletions(testModel) {
		t.Errorf("%s refused", testModel)
	}
}

// Stream shapes the pooled reader must read as go-openai read them.
func TestCompleteStreamShapes(t *testing.T) {
	long := strings.Repeat("abcdefgh", 2<<10) // 16 KiB, 4× the reader's buffer
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		kind    error
		message string // exact Error(), %s for the endpoint
	}{{
		name: "an event longer than the read buffer",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.raw(`data: {"id":"` + long + `","choices":[{"text":"a long line"}]}` + "\n\n")
			s.data(completionChunk(testModel, " read whole", "stop"))
			s.done()
		},
		want: "a long line read whole",
	}, {
		name: "fields left out of a later event are not carried over from an earlier one",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.raw(`data: {"model":"` + testModel + `","choices":[{"index":1,"text":"second choice","finish_reason":null}]}` + "\n\n")
			s.raw(`data: {"choices":[{"text":"first"}]}` + "\n\n")
			s.raw(`data: {"choices":[{"text":" choice","finish_reason":"stop"}]}` + "\n\n")
			s.done()
		},
		want: "first choice",
	}, {
		name: "comments, event names and CRLF lines",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.raw(": ping\r\nevent: completion\r\ndata:{\"choices\":[{\"text\":\"a\"}]}\r\n\r\n")
			s.raw("data: \t{\"choices\":[{\"text\":\"b\",\"finish_reason\":\"length\"}]}\r\n\r\ndata: [DONE]\r\n\r\n")
		},
		want: "ab",
	}, {
		name: "an event line over 1 MiB",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			startSSE(w).raw("data: " + strings.Repeat("x", 1<<20) + "\n\n")
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: reading the stream: an event line longer than 1 MiB",
	}, {
		name: "a JSON error body with status 200",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			startSSE(w).raw("{\n  \"error\": {\"message\": \"model is loading\", \"type\": \"unavailable\"}\n}\n")
		},
		kind: ErrStreamError, message: "local model reported an error mid-stream at %s: model is loading",
	}, {
		name: "an error event after comments",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.raw(": keep-alive\n\n")
			s.raw(`data: {"error":{"message":"slot unavailable"}}` + "\n\n")
		},
		kind: ErrStreamError, message: "local model reported an error mid-stream at %s: slot unavailable",
	}, {
		name: "an error event without a message",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			startSSE(w).raw(`data: {"error":"bad"}` + "\n\n")
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: invalid JSON",
	}, {
		name: "300 keep-alive lines between events are allowed",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.data(completionChunk(testModel, "a", ""))
			s.raw(strings.Repeat(":\n", emptyLineLimit-1)) // plus the blank line ending the event
			s.data(completionChunk(testModel, "b", "stop"))
			s.done()
		},
		want: "ab",
	}, {
		name: "301 are a flood",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.data(completionChunk(testModel, "a", ""))
			s.raw(strings.Repeat(":\n", emptyLineLimit))
			s.data(completionChunk(testModel, "b", "stop"))
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: too many lines without data (keep-alive flood)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.Completions = tt.handler
			c := newTestClient(t, f.cfg(), nil)
			// Twice: the second call reads with the reader the first returned.
			for range 2 {
				got, err := c.Complete(context.Background(), FIMRequest{Prefix: "x = ", Trigger: Invoked})
				if tt.kind == nil {
					if err != nil || got.Text != tt.want {
						t.Fatalf("Complete = %s, %v; want %s", preview(got.Text), err, preview(tt.want))
					}
					continue
				}
				if !errors.Is(err, tt.kind) || err.Error() != fmt.Sprintf(tt.message, f.endpoint()) {
					t.Fatalf("err = %v, want %q", err, fmt.Sprintf(tt.message, f.endpoint()))
				}
			}
		})
	}
}

// Concurrent completions each send their own body, also when the server
// answers before it has read the body and the transport is still writing it
// when the call returns (socket buffers are shrunk so that a large body
// cannot sit in the kernel): a pooled body is never handed to the next call
// while the transport reads it. Run with -race.
func TestCompleteConcurrentPooledBodies(t *testing.T) {
	var mu sync.Mutex
	prompts := map[string]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 100<<10 {
			w.WriteHeader(http.StatusRequestEntityTooLarge) // the body unread
			return
		}
		var body struct{ Prompt string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		prompts[body.Prompt] = true
		mu.Unlock()
		streamCompletion("ok")(w, r)
	}))
	srv.Config.ConnState = func(conn net.Conn, s http.ConnState) {
		if tc, ok := conn.(*net.TCPConn); ok && s == http.StateNew {
			tc.SetReadBuffer(4 << 10)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.Endpoint, cfg.Name = srv.URL+"/v1", testModel
	c := newTestClient(t, cfg, nil)
	transport := c.httpc.Transport.(*http.Transport)
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetWriteBuffer(4 << 10)
		}
		return conn, err
	}
	const goroutines, each = 4, 30
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				prefix := fmt.Sprintf("// goroutine %d request %d\n", g, i)
				if i%3 == 2 {
					prefix += strings.Repeat("y", 400<<10) // answered early with 413
				}
				_, err := c.Complete(context.Background(), FIMRequest{Prefix: prefix, Trigger: Invoked})
				if len(prefix) > 100<<10 {
					if !errors.Is(err, ErrHTTP) && !errors.Is(err, ErrUnreachable) {
						t.Errorf("large request: err = %v, want HTTP 413 or a reset", err)
					}
					continue
				}
				if err != nil {
					t.Errorf("Complete: %v", err)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for g := range goroutines {
		for i := range each {
			if p := fmt.Sprintf("// goroutine %d request %d\n", g, i); i%3 != 2 && !prompts[p] {
				t.Errorf("the server never received request %d of goroutine %d intact", i, g)
			}
		}
	}
}
