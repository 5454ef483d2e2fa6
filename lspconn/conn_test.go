package lspconn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair is two connections joined by pipes, each with its read loop running;
// cleanup closes both and waits for the loops.
type pair struct {
	a, b         *Conn
	aErr, bErr   chan error
	aSeen, bSeen chan *Message
}

func newPair(t *testing.T, ao, bo Options, ah, bh func(c *Conn, m *Message) error) *pair {
	t.Helper()
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	p := &pair{a: New(ar, aw, ao), b: New(br, bw, bo), aErr: make(chan error, 1), bErr: make(chan error, 1)}
	go func() { p.aErr <- p.a.Run(func(m *Message) error { return ah(p.a, m) }) }()
	go func() { p.bErr <- p.b.Run(func(m *Message) error { return bh(p.b, m) }) }()
	t.Cleanup(func() {
		p.a.Close()
		p.b.Close()
		<-p.a.Done()
		<-p.b.Done()
	})
	return p
}

// echo answers every call with its params and records notifications.
func echo(notes chan<- string) func(c *Conn, m *Message) error {
	return func(c *Conn, m *Message) error {
		if m.IsCall() {
			return c.Reply(m.ID, json.RawMessage(m.Params), nil)
		}
		if notes != nil {
			notes <- m.Method + " " + string(m.Params)
		}
		return nil
	}
}

func TestCallsBothDirections(t *testing.T) {
	notes := make(chan string, 4)
	p := newPair(t, Options{}, Options{IDPrefix: "srv-"}, echo(nil), echo(notes))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 3 {
		got, err := p.a.Call(ctx, "ping", map[string]int{"n": i})
		if err != nil || string(got) != `{"n":`+strconv.Itoa(i)+`}` {
			t.Fatalf("a→b call %d: %s, %v", i, got, err)
		}
		got, err = p.b.Call(ctx, "pong", []int{i})
		if err != nil || string(got) != "["+strconv.Itoa(i)+"]" {
			t.Fatalf("b→a call %d: %s, %v", i, got, err)
		}
	}
	if err := p.a.Notify("note", "x"); err != nil {
		t.Fatal(err)
	}
	if n := <-notes; n != `note "x"` {
		t.Fatalf("notification = %q", n)
	}
}

func TestIDsAndErrorResponses(t *testing.T) {
	var ids []string
	h := func(c *Conn, m *Message) error {
		ids = append(ids, string(m.ID))
		return c.Reply(m.ID, nil, &Error{Code: CodeInvalidParams, Message: "no"})
	}
	p := newPair(t, Options{IDPrefix: "veil-"}, Options{}, echo(nil), h)
	for range 2 {
		_, err := p.a.Call(context.Background(), "x", nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidParams {
			t.Fatalf("error response: %v", err)
		}
	}
	if strings.Join(ids, ",") != `"veil-1","veil-2"` {
		t.Fatalf("ids = %v", ids)
	}
}

func TestCancelSendsCancelRequest(t *testing.T) {
	notes := make(chan string, 4)
	held := make(chan []byte, 1)
	h := func(c *Conn, m *Message) error {
		if m.Method == "x" {
			return c.Reply(m.ID, json.RawMessage(m.Params), nil)
		}
		if m.IsCall() {
			held <- m.ID // answered late, by the test
			return nil
		}
		notes <- m.Method + " " + string(m.Params)
		return nil
	}
	p := newPair(t, Options{CancelOnDone: true}, Options{}, echo(nil), h)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := p.a.Call(ctx, "slow", nil); errc <- err }()
	id := <-held
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	if n := <-notes; n != `$/cancelRequest {"id":`+string(id)+`}` {
		t.Fatalf("after cancel: %q", n)
	}
	// A late answer to the abandoned id is dropped, not delivered elsewhere.
	if err := p.b.Reply(id, "late", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := p.a.Call(context.Background(), "x", 1); err != nil || string(got) != "1" {
		t.Fatalf("next call = %s, %v; want its own answer", got, err)
	}
}

func TestPeerEndFailsPendingCalls(t *testing.T) {
	held := make(chan struct{}, 1)
	h := func(c *Conn, m *Message) error { held <- struct{}{}; return nil }
	p := newPair(t, Options{}, Options{}, echo(nil), h)
	errc := make(chan error, 1)
	go func() { _, err := p.a.Call(context.Background(), "wait", nil); errc <- err }()
	<-held
	p.b.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call after peer closed: %v", err)
	}
	if err := <-p.aErr; !errors.Is(err, io.EOF) {
		t.Fatalf("Run after peer closed: %v", err)
	}
	if _, err := p.a.Call(context.Background(), "again", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after end: %v", err)
	}
}

func TestHandlerErrorEndsRun(t *testing.T) {
	stop := errors.New("stop")
	h := func(c *Conn, m *Message) error {
		if m.Method == "exit" {
			return stop
		}
		return nil
	}
	p := newPair(t, Options{}, Options{}, echo(nil), h)
	p.a.Notify("exit", nil)
	if err := <-p.bErr; !errors.Is(err, stop) {
		t.Fatalf("Run = %v", err)
	}
}

func TestBadInputReportedAndSkipped(t *testing.T) {
	var bad []error
	var out bytes.Buffer
	in := "Content-Length: 5\r\n\r\n{bad}" +
		"Content-Length: 99\r\n\r\n" + strings.Repeat("z", 99) +
		"Content-Length: 40\r\n\r\n" + `{"jsonrpc":"2.0","id":3,"method":"ok"}  `
	c := New(strings.NewReader(in), &out, Options{MaxFrameBytes: 64, OnBadInput: func(err error) { bad = append(bad, err) }})
	var methods []string
	err := c.Run(func(m *Message) error { methods = append(methods, m.Method); return nil })
	if !errors.Is(err, io.EOF) {
		t.Fatalf("Run = %v", err)
	}
	var pe *ParseError
	var fe *FrameError
	if len(bad) != 2 || !errors.As(bad[0], &pe) || !errors.As(bad[1], &fe) || !errors.Is(fe, ErrFrameTooLarge) {
		t.Fatalf("bad input = %v", bad)
	}
	if strings.Join(methods, ",") != "ok" {
		t.Fatalf("methods = %v", methods)
	}
}

func TestReplyShapes(t *testing.T) {
	var out bytes.Buffer
	c := New(strings.NewReader(""), &out, Options{})
	c.Reply(nil, nil, errors.New("plain"))
	c.Reply([]byte(`"a"`), json.RawMessage(`{"k":1}`), nil)
	if err := c.Reply([]byte(`7`), func() {}, nil); !errors.Is(err, ErrEncoding) {
		t.Errorf("unencodable result: %v", err)
	}
	want := `Content-Length: 69` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":null,"error":{"code":-32803,"message":"plain"}}` +
		`Content-Length: 43` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":"a","result":{"k":1}}` +
		`Content-Length: 38` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":7,"result":null}`
	if out.String() != want {
		t.Fatalf("wire:\n%s\nwant:\n%s", out.String(), want)
	}
}

// Notify's params: a value is encoded, a json.RawMessage sent as it is
// (its spacing kept: it is not re-encoded), nil is null.
func TestNotifyShapes(t *testing.T) {
	var out bytes.Buffer
	c := New(strings.NewReader(""), &out, Options{})
	for _, p := range []any{map[string]int{"k": 1}, json.RawMessage(`{"k": 1}`), nil} {
		if err := c.Notify("m", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Notify("m", func() {}); err == nil {
		t.Error("an unencodable params was sent")
	}
	want := `Content-Length: 47` + "\r\n\r\n" + `{"jsonrpc":"2.0","method":"m","params":{"k":1}}` +
		`Content-Length: 48` + "\r\n\r\n" + `{"jsonrpc":"2.0","method":"m","params":{"k": 1}}` +
		`Content-Length: 44` + "\r\n\r\n" + `{"jsonrpc":"2.0","method":"m","params":null}`
	if out.String() != want {
		t.Fatalf("wire:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestRunEvents: posted work runs on the loop between messages (never
// concurrently with the handler), a handler may post, and when the handler
// ends the loop the reader is closed and its goroutine waited for.
func TestRunEvents(t *testing.T) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	a, b := New(ar, aw, Options{}), New(br, bw, Options{})
	go b.Run(func(*Message) error { return nil })
	defer b.Close()
	ev := NewEvents()
	var log []string // touched only on a's loop
	inHandler := false
	stop := errors.New("stop")
	done := make(chan error, 1)
	go func() {
		done <- a.RunEvents(func(m *Message) error {
			inHandler = true
			defer func() { inHandler = false }()
			log = append(log, m.Method)
			switch m.Method {
			case "post":
				ev.Post(func() { log = append(log, "posted by handler") })
			case "exit":
				return stop
			}
			return nil
		}, ev)
	}()
	ev.Post(func() {
		if inHandler {
			t.Error("event ran inside the handler")
		}
		log = append(log, "event")
	})
	b.Notify("post", nil)
	b.Notify("after", nil)
	b.Notify("exit", nil)
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("RunEvents = %v", err)
	}
	got := strings.Join(log, ",")
	rest := strings.Replace(got, "event,", "", 1)
	if rest == got || rest != "post,posted by handler,after,exit" {
		t.Fatalf("order = %s; want the event once, and posted work before the next message", got)
	}
	if _, err := ar.Read(make([]byte, 1)); err == nil {
		t.Error("the reader was not closed")
	}
}
