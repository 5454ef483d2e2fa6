package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/veil-dev/veil/lspconn"
)

// Client is an in-process LSP client wired to a Server through pipes: the
// same wire, the same code path an editor drives. `veil demo` uses it.
type Client struct {
	conn     *lspconn.Conn
	served   chan error // Serve's result
	readDone chan error // the client's read loop's result

	onNotify func(method string, params json.RawMessage)
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
		conn:     lspconn.New(outR, inW, lspconn.Options{CancelOnDone: true}),
		served:   make(chan error, 1),
		readDone: make(chan error, 1),
		onNotify: onNotify,
	}
	go func() {
		err := srv.Serve(context.Background(), inR, outW)
		outW.Close()
		inR.Close()
		c.served <- err
	}()
	go func() { c.readDone <- c.conn.Run(c.handle) }()
	return c, nil
}

func (c *Client) handle(msg *lspconn.Message) error {
	if msg.IsCall() {
		_ = c.conn.Reply(msg.ID, nil, nil)
		return nil
	}
	if c.onNotify != nil {
		c.onNotify(msg.Method, json.RawMessage(msg.Params))
	}
	return nil
}

// Call sends a request and waits for its result. A response error comes
// back as an error wrapping the *lspconn.Error.
func (c *Client) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	res, err := c.conn.Call(ctx, method, params)
	if err != nil {
		return nil, fmt.Errorf("lspproxy: client: %w", err)
	}
	return res, nil
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) error {
	if err := c.conn.Notify(method, params); err != nil {
		return fmt.Errorf("lspproxy: client: %w", err)
	}
	return nil
}

// Close shuts the session down (shutdown, exit) and waits for it and the
// client's read loop to end.
func (c *Client) Close(ctx context.Context) error {
	_, err := c.Call(ctx, "shutdown", nil)
	if nerr := c.Notify("exit", nil); err == nil {
		err = nerr
	}
	serveErr := <-c.served
	c.conn.Close()
	<-c.readDone
	if err != nil {
		return err
	}
	return serveErr
}
