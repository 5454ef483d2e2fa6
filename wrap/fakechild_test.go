package wrap

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/veil-dev/veil/lspconn"
)

// TestMain lets the test binary play the wrapped server: with
// WRAP_FAKE_CHILD=1 it speaks just enough of copilot-language-server's
// client-fetch protocol for the session tests.
func TestMain(m *testing.M) {
	if os.Getenv("WRAP_FAKE_CHILD") == "1" {
		os.Exit(fakeChild())
	}
	// Every goroutine a session starts (child readers, fetches, the local
	// server, the refusing proxy) has ended when the tests do.
	goleak.VerifyTestMain(m)
}

// fakeChild reads requests from stdin and answers on stdout. Besides the
// lifecycle it knows test/* requests that make it call veil (copilot/fetch,
// workspace/configuration), report what it saw, crash, or try the network.
func fakeChild() int {
	in := lspconn.NewFrameReader(os.Stdin, 64<<20)
	out := lspconn.NewFrameWriter(os.Stdout)
	f := &fake{out: out, waiting: map[string]chan message{}, progress: map[string]*fakeStream{}}
	for {
		body, err := in.Read()
		if err != nil {
			return 1
		}
		var m message
		if json.Unmarshal(body, &m) != nil {
			continue
		}
		if code, done := f.handle(&m); done {
			return code
		}
	}
}

type fake struct {
	out  *lspconn.FrameWriter
	mu   sync.Mutex
	seen struct {
		Init     json.RawMessage   `json:"init"`
		Settings []json.RawMessage `json:"settings"`
		Opened   []string          `json:"opened"`
		Texts    []string          `json:"texts"` // of didOpen
		Closed   []string          `json:"closed"`
		Methods  []string          `json:"methods"`
		Chunks   int               `json:"chunks"` // fetch body chunks received
	}
	waiting  map[string]chan message
	progress map[string]*fakeStream
	nextID   int
}

func (f *fake) handle(m *message) (int, bool) {
	f.mu.Lock()
	f.seen.Methods = append(f.seen.Methods, m.Method)
	f.mu.Unlock()
	switch {
	case m.isResponse():
		f.mu.Lock()
		ch := f.waiting[string(m.ID)]
		f.mu.Unlock()
		if ch != nil {
			ch <- *m
		}
	case m.Method == "initialize":
		f.mu.Lock()
		f.seen.Init = m.Params
		f.mu.Unlock()
		v := os.Getenv("WRAP_FAKE_VERSION")
		f.reply(m.ID, map[string]any{"capabilities": map[string]any{}, "serverInfo": map[string]any{"name": "Fake Copilot", "version": v}})
	case m.Method == "workspace/didChangeConfiguration":
		f.mu.Lock()
		f.seen.Settings = append(f.seen.Settings, m.Params)
		f.mu.Unlock()
	case m.Method == "textDocument/didOpen":
		var p openParams
		_ = json.Unmarshal(m.Params, &p)
		f.mu.Lock()
		f.seen.Opened = append(f.seen.Opened, docURI(m.Params))
		f.seen.Texts = append(f.seen.Texts, p.TextDocument.Text)
		f.mu.Unlock()
	case m.Method == "textDocument/didClose":
		f.mu.Lock()
		f.seen.Closed = append(f.seen.Closed, docURI(m.Params))
		f.mu.Unlock()
	case m.Method == "$/progress":
		var p struct {
			Token json.RawMessage
			Value struct{ Kind, Chunk string }
		}
		_ = json.Unmarshal(m.Params, &p)
		f.mu.Lock()
		if st := f.progress[string(p.Token)]; st != nil {
			if p.Value.Kind == "report" {
				st.body += p.Value.Chunk
				f.seen.Chunks++
			} else if p.Value.Kind == "end" {
				close(st.end)
			}
		}
		f.mu.Unlock()
	case m.Method == "test/fetch":
		go f.fetch(m.ID, m.Params)
	case m.Method == "test/cancelAll":
		go func() {
			f.call("copilot/fetchDisconnectAll", map[string]any{})
			f.reply(m.ID, "ok")
		}()
	case m.Method == "test/config":
		go f.config(m.ID)
	case m.Method == "test/state", m.Method == "textDocument/inlineCompletion":
		f.mu.Lock()
		state, _ := json.Marshal(f.seen)
		f.mu.Unlock()
		f.reply(m.ID, json.RawMessage(state))
	case m.Method == "test/crash":
		return 3, true
	case m.Method == "test/net":
		resp, err := http.Get("http://example.com/")
		refused := err != nil
		if err == nil {
			refused = resp.StatusCode == http.StatusForbidden
			resp.Body.Close()
		}
		f.reply(m.ID, fmt.Sprint(refused))
	case m.Method == "shutdown":
		f.reply(m.ID, nil)
	case m.Method == "exit":
		return 0, true
	}
	return 0, false
}

type fakeStream struct {
	body string
	end  chan struct{}
}

func (f *fake) reply(id json.RawMessage, result any) { _ = f.out.Write(encodeReply(id, result, nil)) }

// call sends a request to veil and waits for its answer.
func (f *fake) call(method string, params any) message {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf(`"c%d"`, f.nextID)
	ch := make(chan message, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	raw, _ := json.Marshal(params)
	_ = f.out.Write(encodeCall(json.RawMessage(id), method, raw))
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		return message{Error: json.RawMessage(`{"code":0,"message":"fake: no answer"}`)}
	}
}

// fetch asks veil for a URL and answers test/fetch with the head and the
// body it streamed back.
func (f *fake) fetch(id, params json.RawMessage) {
	var p map[string]any
	_ = json.Unmarshal(params, &p)
	token := fmt.Sprintf("tok-%d", time.Now().UnixNano())
	st := &fakeStream{end: make(chan struct{})}
	f.mu.Lock()
	f.progress[`"`+token+`"`] = st
	f.mu.Unlock()
	p["workDoneToken"] = token
	m := f.call("copilot/fetch", p)
	if m.Error == nil {
		select {
		case <-st.end:
		case <-time.After(10 * time.Second):
		}
	}
	f.mu.Lock()
	body := st.body
	f.mu.Unlock()
	f.reply(id, map[string]any{"head": m.Result, "error": m.Error, "body": body})
}

func (f *fake) config(id json.RawMessage) {
	m := f.call("workspace/configuration", map[string]any{"items": []any{
		map[string]any{"section": "github.copilot"}, map[string]any{"section": ""}, map[string]any{"section": "http"}}})
	f.reply(id, m.Result)
}
