package lsptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/lspconn"
)

// Timeout bounds every wait of a Client.
const Timeout = 20 * time.Second

// Client is an LSP client over any reader/writer (a process's pipes, a TCP
// connection, an in-process pipe to a Server), built on lspconn.Conn. Its
// read loop runs until the server's output ends; requests from the server
// are answered by Answer (null by default), off the read loop;
// notifications are kept in order. The test's cleanup closes the
// connection and waits for the loop and the answers.
type Client struct {
	t    testing.TB
	conn *lspconn.Conn
	done chan struct{}
	err  error // Run's result, set before done closes

	replies sync.WaitGroup // answers being written

	// mu guards notes, received and answer.
	mu       sync.Mutex
	notes    []Notification
	received bytes.Buffer
	answer   func(method string, params json.RawMessage) (any, error)
	changed  chan struct{} // closed and replaced when a notification arrives
}

// Notification is one notification the server sent.
type Notification struct {
	Method string
	Params json.RawMessage
}

// NewClient starts a client that reads the server's output from r and
// writes its messages to w.
func NewClient(t testing.TB, r io.Reader, w io.Writer) *Client {
	t.Helper()
	c := &Client{t: t, done: make(chan struct{}), changed: make(chan struct{})}
	c.conn = lspconn.New(r, w, lspconn.Options{CancelOnDone: true, OnFrame: c.record})
	go func() {
		c.err = c.conn.Run(c.handle)
		close(c.done)
	}()
	t.Cleanup(func() {
		c.conn.Close()
		select {
		case <-c.done:
		case <-time.After(Timeout):
			t.Errorf("lsptest: the client's read loop did not end after Close")
		}
		answered := make(chan struct{})
		go func() { c.replies.Wait(); close(answered) }()
		select {
		case <-answered:
		case <-time.After(Timeout):
			t.Errorf("lsptest: an answer was still being written after Close")
		}
	})
	return c
}

func (c *Client) record(frame []byte) {
	c.mu.Lock()
	c.received.Write(frame)
	c.received.WriteByte('\n')
	c.mu.Unlock()
}

// handle keeps a notification, or answers a call off the read loop, as
// editors do: a reply written from the read loop on unbuffered pipes would
// deadlock against a server that writes more before it reads.
func (c *Client) handle(msg *lspconn.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg.IsCall() {
		var result any
		var err error
		if c.answer != nil {
			result, err = c.answer(msg.Method, json.RawMessage(msg.Params))
		}
		c.replies.Add(1)
		go func() {
			defer c.replies.Done()
			_ = c.conn.Reply(msg.ID, result, err)
		}()
		return nil
	}
	c.notes = append(c.notes, Notification{Method: msg.Method, Params: json.RawMessage(msg.Params)})
	close(c.changed)
	c.changed = make(chan struct{})
	return nil
}

// Answer sets how requests from the server are answered (nil: null). It
// runs on the read loop and must not call the server.
func (c *Client) Answer(f func(method string, params json.RawMessage) (any, error)) {
	c.mu.Lock()
	c.answer = f
	c.mu.Unlock()
}

// Call sends a request and waits up to Timeout for its result. An error
// response is returned as an error wrapping *lspconn.Error.
func (c *Client) Call(method string, params any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	return c.conn.Call(ctx, method, params)
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error { return c.conn.Notify(method, params) }

// WriteRaw writes body as one frame as it is (malformed input for tests).
func (c *Client) WriteRaw(body []byte) error { return c.conn.WriteRaw(body) }

// Notifications returns the notifications received so far, in order.
func (c *Client) Notifications() []Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Notification(nil), c.notes...)
}

// WaitNotification waits up to Timeout for a notification of method
// (received earlier or later) and returns the first one; ok is false on
// timeout or when the stream ended.
func (c *Client) WaitNotification(method string) (n Notification, ok bool) {
	deadline := time.After(Timeout)
	for {
		c.mu.Lock()
		for _, n := range c.notes {
			if n.Method == method {
				c.mu.Unlock()
				return n, true
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-c.done:
			return Notification{}, false
		case <-deadline:
			return Notification{}, false
		}
	}
}

// Received is every frame read so far, one per line: what a leak check
// searches.
func (c *Client) Received() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received.String()
}

// Done is closed when the server's output ended (or Close was called).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is the read loop's result (io.EOF when the server closed its output
// cleanly); valid after Done.
func (c *Client) Err() error {
	<-c.done
	return c.err
}
