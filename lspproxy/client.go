package lspproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// Client is an in-process LSP client wired to a Server through pipes: the
// same wire, the same code path an editor drives. `veil demo` uses it.
type Client struct {
	out    *frameWriter
	toSrv  io.Closer
	done   chan error // Serve's result
	readWG sync.WaitGroup

	onNotify func(method string, params json.RawMessage)

	// mu guards pending and nextID.
	mu      sync.Mutex
	pending map[string]chan *message
	nextID  int64
}

// NewClient starts a session with opts and connects a client to it.
// onNotify receives every server notification, in order, on the client's
// read goroutine; it must not call Call. Server requests
// (workspace/applyEdit) are answered with null.
func NewClient(opts Options, onNotify func(method string, params json.RawMessage)) (*Client, error) {
	srv, err := New(opts)
	if err != nil {
		return nil, err
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &Client{
		out: &frameWriter{w: inW}, toSrv: inW, done: make(chan error, 1),
		onNotify: onNotify, pending: map[string]chan *message{},
	}
	go func() {
		err := srv.Serve(context.Background(), inR, outW)
		outW.Close()
		inR.Close()
		c.done <- err
	}()
	c.readWG.Add(1)
	go c.read(outR)
	return c, nil
}

func (c *Client) read(r io.Reader) {
	defer c.readWG.Done()
	fr := newFrameReader(r, 1<<30)
	for {
		frame, err := fr.Read()
		if err != nil {
			var fe *frameError
			if errors.As(err, &fe) {
				continue
			}
			c.mu.Lock()
			for _, ch := range c.pending {
				close(ch)
			}
			c.pending = map[string]chan *message{}
			c.mu.Unlock()
			return
		}
		msg, rerr := parseMessage(frame)
		if rerr != nil {
			continue
		}
		switch {
		case msg.isCall():
			c.write(append(append([]byte(`{"jsonrpc":"2.0","id":`), msg.id...), `,"result":null}`...))
		case msg.method != "":
			if c.onNotify != nil {
				c.onNotify(msg.method, json.RawMessage(msg.params))
			}
		default:
			c.mu.Lock()
			ch := c.pending[idKey(msg.id)]
			delete(c.pending, idKey(msg.id))
			c.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
		}
	}
}

func (c *Client) write(frame []byte) error { return c.out.Write(frame) }

// Call sends a request and waits for its result. A response error comes
// back as an error naming the code.
func (c *Client) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("lspproxy: client: encoding %s: %w", method, err)
	}
	c.mu.Lock()
	c.nextID++
	id := strconv.FormatInt(c.nextID, 10)
	ch := make(chan *message, 1)
	c.pending[idKey([]byte(id))] = ch
	c.mu.Unlock()
	buf := []byte(`{"jsonrpc":"2.0","id":` + id + `,"method":`)
	buf = strconv.AppendQuote(buf, method)
	buf = append(append(append(buf, `,"params":`...), b...), '}')
	if err := c.write(buf); err != nil {
		return nil, fmt.Errorf("lspproxy: client: %s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		_ = c.Notify("$/cancelRequest", map[string]any{"id": c.nextIDValue(id)})
		return nil, ctx.Err()
	case resp, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("lspproxy: client: %s: connection closed", method)
		}
		if len(resp.err) > 0 {
			var e rpcError
			_ = json.Unmarshal(resp.err, &e)
			return nil, fmt.Errorf("lspproxy: client: %s: %w", method, &e)
		}
		return json.RawMessage(resp.result), nil
	}
}

func (c *Client) nextIDValue(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("lspproxy: client: encoding %s: %w", method, err)
	}
	buf := []byte(`{"jsonrpc":"2.0","method":`)
	buf = strconv.AppendQuote(buf, method)
	buf = append(append(append(buf, `,"params":`...), b...), '}')
	return c.write(buf)
}

// Close shuts the session down (shutdown, exit) and waits for it to end.
func (c *Client) Close(ctx context.Context) error {
	_, err := c.Call(ctx, "shutdown", nil)
	if nerr := c.Notify("exit", nil); err == nil {
		err = nerr
	}
	serveErr := <-c.done
	c.toSrv.Close()
	c.readWG.Wait()
	if err != nil {
		return err
	}
	return serveErr
}
