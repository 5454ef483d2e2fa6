package localmodel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestCompleteFIMModes(t *testing.T) {
	req := FIMRequest{
		Prefix:    "func add(a, b int) int {\n\treturn ",
		Suffix:    "\n}\n",
		Path:      "calc/add.go",
		Language:  "go",
		Neighbors: []Snippet{{Path: "calc/sub.go", Text: "func sub(a, b int) int {\n\treturn a - b\n}"}},
		Trigger:   Automatic,
	}
	body := "// Path: calc/sub.go\nfunc sub(a, b int) int {\n\treturn a - b\n}\n\n" +
		"// Path: calc/add.go\nfunc add(a, b int) int {\n\treturn "
	tests := []struct {
		mode       string
		prompt     string
		suffix     any // nil: the field is absent
		stopPrefix []any
	}{
		{FIMSuffix, body, "\n}\n", nil},
		{FIMQwen, "<|fim_prefix|>" + body + "<|fim_suffix|>\n}\n<|fim_middle|>", nil, []any{"<|endoftext|>", "<|fim_prefix|>"}},
		{FIMStarCoder, "<fim_prefix>" + body + "<fim_suffix>\n}\n<fim_middle>", nil, []any{"<|endoftext|>", "<fim_prefix>"}},
		{FIMCodeLlama, "<PRE> " + body + " <SUF>\n}\n <MID>", nil, []any{"<EOT>", "<PRE>"}},
		{FIMDeepSeek, "<｜fim▁begin｜>" + body + "<｜fim▁hole｜>\n}\n<｜fim▁end｜>", nil, []any{"<｜fim▁begin｜>", "<｜fim▁hole｜>"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			f := newFakeServer(t)
			f.Completions = streamCompletion("a +", " b\n}", "\n")
			cfg := f.cfg()
			cfg.FIM = tt.mode
			c := newTestClient(t, cfg, nil)
			got, err := c.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != "a + b" || got.Model != testModel {
				t.Errorf("Complete = %+v, want text %q from %q", got, "a + b", testModel)
			}
			b := f.lastBody("/v1/completions")
			if b["prompt"] != tt.prompt {
				t.Errorf("prompt =\n%q\nwant\n%q", b["prompt"], tt.prompt)
			}
			if b["suffix"] != tt.suffix {
				t.Errorf("suffix = %q, want %v", b["suffix"], tt.suffix)
			}
			stops, _ := b["stop"].([]any)
			if tt.stopPrefix == nil && b["stop"] != nil {
				t.Errorf("stop = %v, want none", b["stop"])
			}
			if tt.stopPrefix != nil && (len(stops) < len(tt.stopPrefix) || !reflect.DeepEqual(stops[:len(tt.stopPrefix)], tt.stopPrefix)) {
				t.Errorf("stop = %v, want it to start with %v", stops, tt.stopPrefix)
			}
			if b["model"] != testModel || b["stream"] != true || b["max_tokens"] != 128.0 {
				t.Errorf("model, stream, max_tokens = %v, %v, %v; want %s, true, 128", b["model"], b["stream"], b["max_tokens"], testModel)
			}
			if temp, _ := b["temperature"].(float64); temp < 0.19 || temp > 0.21 {
				t.Errorf("temperature = %v, want 0.2", b["temperature"])
			}
		})
	}
}

func TestCompleteHeadersFollowLanguage(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = streamCompletion("pass")
	c := newTestClient(t, f.cfg(), nil)
	_, err := c.Complete(context.Background(), FIMRequest{
		Prefix: "def f():\n    ", Path: "app/main.py", Language: "python",
		Neighbors: []Snippet{{Path: "app/util.py", Text: "X = 1\n"}}, MaxTokens: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := f.lastBody("/v1/completions")
	want := "# Path: app/util.py\nX = 1\n\n# Path: app/main.py\ndef f():\n    "
	if b["prompt"] != want || b["max_tokens"] != 16.0 {
		t.Errorf("prompt %q max_tokens %v, want %q and 16", b["prompt"], b["max_tokens"], want)
	}
}

// The client hangs up once the line is complete instead of waiting for the
// rest of the stream.
func TestCompleteStopsAtBoundaryEarly(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(completionChunk(testModel, "x := 1\ny := 2", ""))
		<-r.Context().Done() // never finishes by itself
	}
	cfg := f.cfg()
	cfg.FirstTokenTimeout = 2 * time.Second
	cfg.Timeout = 2 * time.Second
	c := newTestClient(t, cfg, nil)
	start := time.Now()
	got, err := c.Complete(context.Background(), FIMRequest{Prefix: "func f() {\n\t", Suffix: "\n}\n", Trigger: Automatic})
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "x := 1" {
		t.Errorf("Complete = %q, want %q", got.Text, "x := 1")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Complete took %s: it waited for the stream instead of hanging up at the line end", d)
	}
}

func TestCompleteInvokedBlockAndRepeat(t *testing.T) {
	f := newFakeServer(t)
	// The model writes the body and repeats the closing brace that already
	// follows the cursor, then starts another function.
	f.Completions = streamCompletion("\n\tif b == 0 {\n\t\treturn 0\n\t}\n", "\treturn a / b\n}\n\nfunc mod(")
	c := newTestClient(t, f.cfg(), nil)
	got, err := c.Complete(context.Background(), FIMRequest{
		Prefix: "func div(a, b int) int {", Suffix: "\n}\n", Trigger: Invoked,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "\n\tif b == 0 {\n\t\treturn 0\n\t}\n\treturn a / b"
	if got.Text != want {
		t.Errorf("Complete = %q, want %q", got.Text, want)
	}
}

func TestCompleteWhitespaceOnlyIsEmpty(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = streamCompletion("   ", "\t")
	c := newTestClient(t, f.cfg(), nil)
	got, err := c.Complete(context.Background(), FIMRequest{Prefix: "x := ", Trigger: Automatic})
	if err != nil || got.Text != "" {
		t.Errorf("Complete = %q, %v; want \"\", nil", got.Text, err)
	}
}

func TestChatStreams(t *testing.T) {
	f := newFakeServer(t)
	f.Chat = streamChat(testModel, "Hel", "lo, ", "SECRET_1.")
	c := newTestClient(t, f.cfg(), nil)
	var chunks []string
	onChunk := func(s string) error { chunks = append(chunks, s); return nil }
	req := ChatRequest{SessionID: "s", Message: "what is SECRET_1?", References: []Snippet{{Path: "a.go", Text: "k := SECRET_1"}}}
	got, err := c.Chat(context.Background(), req, onChunk)
	if err != nil {
		t.Fatal(err)
	}
	if got != "Hello, SECRET_1." || !reflect.DeepEqual(chunks, []string{"Hel", "lo, ", "SECRET_1."}) {
		t.Errorf("Chat = %q, chunks %q", got, chunks)
	}
	b := f.lastBody("/v1/chat/completions")
	msgs := b["messages"].([]any)
	if len(msgs) != 2 || role(msgs[0]) != "system" || role(msgs[1]) != "user" || b["stream"] != true {
		t.Fatalf("messages = %v, stream %v; want system + user, streamed", msgs, b["stream"])
	}
	wantUser := "Referenced files:\n\nPath: a.go\n```\nk := SECRET_1\n```\n\nwhat is SECRET_1?"
	if content(msgs[1]) != wantUser {
		t.Errorf("user message = %q, want %q", content(msgs[1]), wantUser)
	}

	// The second turn of the session carries the first.
	f.update(func(f *fakeServer) { f.Chat = streamChat(testModel, "ok") })
	if _, err := c.Chat(context.Background(), ChatRequest{SessionID: "s", Message: "and then?"}, nil); err != nil {
		t.Fatal(err)
	}
	msgs = f.lastBody("/v1/chat/completions")["messages"].([]any)
	var roles []string
	for _, m := range msgs {
		roles = append(roles, role(m))
	}
	if !reflect.DeepEqual(roles, []string{"system", "user", "assistant", "user"}) || content(msgs[2]) != "Hello, SECRET_1." {
		t.Errorf("second turn roles = %v, assistant %q", roles, content(msgs[2]))
	}
	// Another session starts clean.
	if _, err := c.Chat(context.Background(), ChatRequest{SessionID: "other", Message: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.lastBody("/v1/chat/completions")["messages"].([]any)); n != 2 {
		t.Errorf("new session sent %d messages, want 2", n)
	}
}

func role(m any) string    { return m.(map[string]any)["role"].(string) }
func content(m any) string { return m.(map[string]any)["content"].(string) }

func TestChatChunkErrorAborts(t *testing.T) {
	f := newFakeServer(t)
	f.Chat = streamChat(testModel, "a", "b", "c")
	c := newTestClient(t, f.cfg(), nil)
	stop := errors.New("editor gone")
	n := 0
	_, err := c.Chat(context.Background(), ChatRequest{SessionID: "s", Message: "hi"}, func(string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d chunks, want %v after 1", err, n, stop)
	}
	if h := c.sessions.Turns("s"); len(h) != 0 {
		t.Errorf("a failed turn entered the history: %d turns", len(h))
	}
}

// Cancelling mid-stream returns at once and leaves no goroutine behind.
func TestChatCancelMidStream(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeServer(t)
	serverDone := make(chan struct{})
	f.Chat = func(w http.ResponseWriter, r *http.Request) {
		defer close(serverDone)
		s := startSSE(w)
		s.data(chatChunk(testModel, "first", ""))
		<-r.Context().Done()
	}
	c := newTestClient(t, f.cfg(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	_, err := c.Chat(ctx, ChatRequest{Message: "hi"}, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel took %s", d)
	}
	select {
	case <-serverDone:
	case <-time.After(2 * time.Second):
		t.Fatal("the server never saw the request end")
	}
	c.Close()
	f.Close()
}

func TestCompleteCancelMidStream(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeServer(t)
	started := make(chan struct{})
	f.Completions = func(w http.ResponseWriter, r *http.Request) {
		s := startSSE(w)
		s.data(completionChunk(testModel, "partial", ""))
		close(started)
		<-r.Context().Done()
	}
	c := newTestClient(t, f.cfg(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.Complete(ctx, FIMRequest{Prefix: "x", Trigger: Automatic})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	c.Close()
	f.Close()
}

func TestErrors(t *testing.T) {
	// Every failure, deadlines included, leaves no goroutine behind once
	// the client and server are closed.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const prompt = "func handler() {\n\tsecretish := TOKEN_SECRET_1\n"
	key := "sk-test-" + strings.Repeat("k3y", 10) // generated, not a real key
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		timeout    time.Duration
		firstToken time.Duration
		kind       error
		status     int
		message    string // exact Error(), with %s for the endpoint
	}{{
		name: "500 with an OpenAI error body",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":{"message":"CUDA out of memory","type":"server_error"}}`)
		},
		kind: ErrHTTP, status: 500, message: "local model at %s answered HTTP 500: CUDA out of memory",
	}, {
		name: "404 with an Ollama error body",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":"model \"test-coder:1b\" not found, try pulling it first"}`)
		},
		kind: ErrHTTP, status: 404, message: `local model at %s answered HTTP 404: model "test-coder:1b" not found, try pulling it first`,
	}, {
		name: "503 with an empty body",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(503)
		},
		kind: ErrHTTP, status: 503, message: "local model at %s answered HTTP 503: Service Unavailable",
	}, {
		name: "an error that echoes the prompt is withheld",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":{"message":"prompt too long: %s"}}`, strings.ReplaceAll(prompt, "\n", `\n`))
		},
		kind: ErrHTTP, status: 400, message: "local model at %s answered HTTP 400: (server message withheld: it quotes the request)",
	}, {
		name: "a server that rejects the suffix field gets a hint",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"object":"error","message":"suffix is not currently supported","type":"BadRequestError","code":400}`)
		},
		kind: ErrHTTP, status: 400,
		message: "local model at %s answered HTTP 400: suffix is not currently supported (this server wants the FIM template in the prompt: set model.fim to the model family, e.g. qwen)",
	}, {
		name: "an error that quotes the key is withheld",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, key)
		},
		kind: ErrHTTP, status: 401, message: "local model at %s answered HTTP 401: (server message withheld: it quotes the request)",
	}, {
		name:       "hang before the first token",
		handler:    func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		timeout:    2 * time.Second,
		firstToken: 100 * time.Millisecond,
		kind:       ErrTimeout, message: "local model timed out at %s: no first token within 100ms (model.first_token_timeout)",
	}, {
		name: "trickle past the overall deadline",
		handler: func(w http.ResponseWriter, r *http.Request) {
			s := startSSE(w)
			for {
				s.data(completionChunk(testModel, "x", ""))
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		},
		timeout:    600 * time.Millisecond,
		firstToken: 500 * time.Millisecond,
		kind:       ErrTimeout, message: "local model timed out at %s: no complete answer within 600ms (model.timeout)",
	}, {
		name: "malformed JSON in an event",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			startSSE(w).raw("data: {\"choices\": [\n\n")
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: invalid JSON",
	}, {
		name: "a stream of junk that just ends",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			startSSE(w).raw("hello\nthis is not SSE\n")
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: the stream ended before the model finished",
	}, {
		name: "keep-alive flood",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.raw(strings.Repeat(": keep-alive\n", 400))
			s.data(completionChunk(testModel, "late", "stop"))
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: too many lines without data (keep-alive flood)",
	}, {
		name: "error event mid-stream",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			s := startSSE(w)
			s.data(completionChunk(testModel, "fmt.Pr", ""))
			s.raw(`data: {"error":{"message":"slot unavailable","type":"server_error"}}` + "\n\n")
		},
		kind: ErrStreamError, message: "local model reported an error mid-stream at %s: slot unavailable",
	}, {
		name: "redirect elsewhere is not followed",
		handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/v1/completions", http.StatusTemporaryRedirect)
		},
		kind: ErrHTTP, status: 307, message: "local model at %s answered HTTP 307: a redirect, which veil does not follow: the model endpoint is exactly model.endpoint",
	}, {
		name: "a relative redirect is not followed either",
		handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/v2/completions", http.StatusFound)
		},
		kind: ErrHTTP, status: 302, message: "local model at %s answered HTTP 302: a redirect, which veil does not follow: the model endpoint is exactly model.endpoint",
	}, {
		name: "a redirect status without a Location is an answer, not a stream",
		handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusSeeOther)
		},
		kind: ErrMalformedStream, message: "local model sent a malformed response at %s: the stream ended before the model finished",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.Completions = tt.handler
			cfg := f.cfg()
			if tt.timeout > 0 {
				cfg.Timeout, cfg.FirstTokenTimeout = tt.timeout, tt.firstToken
			}
			cfg.APIKeyEnv = "VEIL_TEST_MODEL_KEY"
			c := newTestClient(t, cfg, func(name string) string {
				if name == "VEIL_TEST_MODEL_KEY" {
					return key
				}
				return ""
			})
			start := time.Now()
			_, err := c.Complete(context.Background(), FIMRequest{Prefix: prompt, Trigger: Automatic})
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want kind %v", err, tt.kind)
			}
			if e.Status != tt.status {
				t.Errorf("Status = %d, want %d", e.Status, tt.status)
			}
			if want := fmt.Sprintf(tt.message, f.endpoint()); err.Error() != want {
				t.Errorf("Error() =\n%s\nwant\n%s", err, want)
			}
			if containsAny(err.Error(), "TOKEN_SECRET_1", "secretish", key[:12]) {
				t.Errorf("error carries request text or the key (key %s)", preview(key))
			}
			if tt.timeout > 0 && time.Since(start) > tt.timeout+time.Second {
				t.Errorf("took %s, deadline %s", time.Since(start), tt.timeout)
			}
			if got := f.firstAuth(); got != "Bearer "+key {
				t.Errorf("Authorization header = %s, want the key from the environment", preview(got))
			}
		})
	}
}

func TestChatErrors(t *testing.T) {
	f := newFakeServer(t)
	f.Chat = func(w http.ResponseWriter, _ *http.Request) {
		s := startSSE(w)
		s.data(chatChunk(testModel, "par", ""))
		s.raw(`data: {"error":{"message":"context window exceeded"}}` + "\n\n")
	}
	c := newTestClient(t, f.cfg(), nil)
	var chunks []string
	_, err := c.Chat(context.Background(), ChatRequest{SessionID: "s", Message: "hi"}, func(s string) error { chunks = append(chunks, s); return nil })
	if !errors.Is(err, ErrStreamError) || !strings.HasSuffix(err.Error(), ": context window exceeded") {
		t.Fatalf("err = %v, want ErrStreamError with the server's message", err)
	}
	if len(c.sessions.Turns("s")) != 0 {
		t.Error("a failed turn entered the history")
	}
}

func TestEndpointDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	cfg := DefaultConfig()
	cfg.Endpoint, cfg.Name = endpoint, testModel
	c := newTestClient(t, cfg, nil)
	want := "local model unreachable at " + endpoint + ": connection refused"
	_, err = c.Complete(context.Background(), FIMRequest{Prefix: "x"})
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Errorf("Complete err = %v, want %q", err, want)
	}
	_, err = c.Chat(context.Background(), ChatRequest{Message: "x"}, nil)
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Errorf("Chat err = %v, want %q", err, want)
	}
	err = Probe(context.Background(), c)
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Errorf("Probe err = %v, want %q", err, want)
	}
}

func TestEndpointUserInfoNotShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig()
	cfg.Endpoint, cfg.Name = "http://user:hunter2hunter2@"+addr+"/v1", testModel
	c := newTestClient(t, cfg, nil)
	_, err = c.Complete(context.Background(), FIMRequest{Prefix: "x"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want an error without the password", err)
	}
}

// A completed stream leaves its connection for the next request.
func TestCompleteReusesConnection(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = streamCompletion("a", "b", "c")
	c := newTestClient(t, f.cfg(), nil)
	for range 50 {
		if _, err := c.Complete(context.Background(), FIMRequest{Prefix: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Conns(); n != 1 {
		t.Errorf("50 completions opened %d connections, want 1", n)
	}
}

// A server that finishes but holds the response open does not hold up the
// answer, in completions or chat.
func TestFinishedWithoutDone(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = func(w http.ResponseWriter, r *http.Request) {
		startSSE(w).data(completionChunk(testModel, "done()", "stop"))
		<-r.Context().Done()
	}
	f.Chat = func(w http.ResponseWriter, r *http.Request) {
		startSSE(w).data(chatChunk(testModel, "all said", "stop"))
		<-r.Context().Done()
	}
	cfg := f.cfg()
	cfg.Timeout, cfg.FirstTokenTimeout = 3*time.Second, 3*time.Second
	c := newTestClient(t, cfg, nil)
	start := time.Now()
	got, err := c.Complete(context.Background(), FIMRequest{Prefix: "x.", Trigger: Invoked})
	if err != nil || got.Text != "done()" {
		t.Errorf("Complete = %q, %v", got.Text, err)
	}
	reply, err := c.Chat(context.Background(), ChatRequest{Message: "x"}, nil)
	if err != nil || reply != "all said" {
		t.Errorf("Chat = %q, %v", reply, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s: waited for a [DONE] that never came", d)
	}
}

// In chat, model.timeout bounds each wait for the next chunk, so a long
// reply streams past it; a stall or an endless reply still ends.
func TestChatDeadlines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	trickle := func(n int, every time.Duration, thenStall bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s := startSSE(w)
			for i := 0; n < 0 || i < n; i++ {
				finish := ""
				if i == n-1 && !thenStall {
					finish = "stop"
				}
				s.data(chatChunk(testModel, "w ", finish))
				select {
				case <-r.Context().Done():
					return
				case <-time.After(every):
				}
			}
			if thenStall {
				<-r.Context().Done()
				return
			}
			s.done()
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		cap     time.Duration // 0: model.timeout × 10
		want    string        // "" = success
	}{
		{"a reply longer than model.timeout", trickle(8, 60*time.Millisecond, false), 300 * time.Millisecond, 0, ""},
		{"a stall after the first chunk", trickle(1, 0, true), 500 * time.Millisecond, 0, "local model timed out at %s: no new text for 500ms (model.timeout)"},
		{"an endless reply", trickle(-1, 10*time.Millisecond, false), 2 * time.Second, 300 * time.Millisecond, "local model timed out at %s: the reply was not complete within 300ms (model.timeout × 10)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.Chat = tt.handler
			cfg := f.cfg()
			cfg.Timeout, cfg.FirstTokenTimeout = tt.timeout, tt.timeout
			c := newTestClient(t, cfg, nil)
			if c.chatCap != 10*tt.timeout {
				t.Fatalf("chat cap %s, want 10 × %s", c.chatCap, tt.timeout)
			}
			if tt.cap > 0 {
				c.chatCap = tt.cap // shorter than 10 × timeout so the idle deadline cannot win
			}
			reply, err := c.Chat(context.Background(), ChatRequest{Message: "hi"}, nil)
			if tt.want == "" {
				if err != nil || reply != strings.Repeat("w ", 8) {
					t.Errorf("Chat = %q, %v; want 8 words", reply, err)
				}
				return
			}
			if want := fmt.Sprintf(tt.want, f.endpoint()); !errors.Is(err, ErrTimeout) || err.Error() != want {
				t.Errorf("Chat err =\n%v\nwant\n%s", err, want)
			}
		})
	}
}

// Text that contains the family's special tokens cannot rearrange the
// template, and a path cannot end its header line.
func TestFIMTemplateDefusesTokens(t *testing.T) {
	req := FIMRequest{
		Prefix:    "s := \"<|fim_suffix|>\"\n",
		Suffix:    "// <|fim_middle|>\n",
		Path:      "a\nb.go",
		Neighbors: []Snippet{{Path: "n.go", Text: "x <|endoftext|> y"}},
	}
	p := buildFIM(FIMQwen, req)
	want := "<|fim_prefix|>// Path: n.go\nx < |endoftext|> y\n\n// Path: a b.go\ns := \"< |fim_suffix|>\"\n<|fim_suffix|>// < |fim_middle|>\n<|fim_middle|>"
	if p.prompt != want {
		t.Errorf("prompt =\n%q\nwant\n%q", p.prompt, want)
	}
	if got := buildFIM(FIMSuffix, req); got.suffix != req.Suffix || !strings.Contains(got.prompt, `"<|fim_suffix|>"`) {
		t.Errorf("suffix mode changed the text: %q / %q", got.prompt, got.suffix)
	}
}

// A caller's History replaces the client's own: it is sent as given, and
// the client keeps nothing of the session.
func TestChatCallerHistory(t *testing.T) {
	f := newFakeServer(t)
	f.Chat = streamChat(testModel, "ok")
	c := newTestClient(t, f.cfg(), nil)
	hist := []Turn{{User: "first VEIL_NAME_1_abc", Assistant: "fine"}}
	if _, err := c.Chat(context.Background(), ChatRequest{SessionID: "s", Message: "next", History: hist}, nil); err != nil {
		t.Fatal(err)
	}
	msgs := f.lastBody("/v1/chat/completions")["messages"].([]any)
	if len(msgs) != 4 || content(msgs[1]) != hist[0].User || content(msgs[2]) != hist[0].Assistant || content(msgs[3]) != "next" {
		t.Fatalf("messages %v", msgs)
	}
	if h := c.sessions.Turns("s"); len(h) != 0 {
		t.Fatalf("the client kept %d turns of a caller-kept session", len(h))
	}
}
