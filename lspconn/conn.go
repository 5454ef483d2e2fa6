package lspconn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Call when the connection ended before the answer
// came, and by Call and Notify after Close.
var ErrClosed = errors.New("lspconn: connection closed")

// Handler receives the peer's calls and notifications on the read loop, one
// at a time, in arrival order. A call must be answered with Reply, from the
// handler or later from any goroutine. A handler must not wait for the
// answer to its own Call: answers arrive on the read loop it is blocking.
// A non-nil error ends Run, which returns that error.
type Handler func(msg *Message) error

// Options configure a connection. The zero value is usable.
type Options struct {
	// MaxFrameBytes bounds an incoming frame; larger frames are skipped
	// (reported to OnBadInput). 0 means 1 GiB.
	MaxFrameBytes int
	// IDPrefix makes outgoing call ids JSON strings (IDPrefix + counter);
	// empty gives the integers 1, 2, 3, ...
	IDPrefix string
	// CancelOnDone makes Call send $/cancelRequest for its id when its
	// context ends before the answer.
	CancelOnDone bool
	// OnBadInput is told, on the read loop, about each frame that was
	// skipped (*FrameError) or is not JSON-RPC (*ParseError); reading goes
	// on. Nil ignores them. Answering is the callback's choice.
	OnBadInput func(err error)
	// OnFrame, if set, sees every incoming frame before it is classified
	// (for transcripts and leak checks). The frame must not be modified.
	OnFrame func(frame []byte)
}

// Conn is one two-way JSON-RPC connection over Content-Length frames: there
// is no fixed client or server end. Either side may call, notify and reply.
// Run reads; Call, Notify and Reply may be used from any goroutine.
type Conn struct {
	opts   Options
	in     *FrameReader
	out    *FrameWriter
	rc, wc io.Closer // the streams, when they can be closed
	nextID atomic.Int64
	done   chan struct{} // closed when Run returns

	// pendingMu guards pending and closed: our calls waiting for an answer,
	// and whether the connection ended (no new calls are accepted).
	pendingMu sync.Mutex
	pending   map[string]chan *Message
	closed    bool

	bodies bodies // outgoing messages being built (body.go)
}

// New connects over r (incoming frames) and w (outgoing frames). Nothing is
// read until Run.
func New(r io.Reader, w io.Writer, opts Options) *Conn {
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = 1 << 30
	}
	c := &Conn{
		opts:    opts,
		in:      NewFrameReader(r, opts.MaxFrameBytes),
		out:     NewFrameWriter(w),
		done:    make(chan struct{}),
		pending: map[string]chan *Message{},
	}
	c.rc, _ = r.(io.Closer)
	c.wc, _ = w.(io.Closer)
	return c
}

// Run reads until the input ends, h returns an error or the connection is
// closed, delivering answers to waiting calls itself and everything else to
// h. It returns io.EOF when the input ended at a frame boundary, h's error,
// or the read error. When Run returns, every waiting Call fails with
// ErrClosed and new calls are refused. Run must be called once.
func (c *Conn) Run(h Handler) error {
	defer close(c.done)
	defer c.failPending()
	for {
		frame, err := c.in.Read()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				c.bad(fe)
				continue
			}
			return err
		}
		if c.opts.OnFrame != nil {
			c.opts.OnFrame(frame)
		}
		msg, perr := Parse(frame)
		if perr != nil {
			c.bad(perr)
			continue
		}
		if msg.Kind == Result || msg.Kind == ErrorResponse {
			c.deliver(msg)
			continue
		}
		if err := h(msg); err != nil {
			return err
		}
	}
}

func (c *Conn) bad(err error) {
	if c.opts.OnBadInput != nil {
		c.opts.OnBadInput(err)
	}
}

// Done is closed when Run has returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close refuses new calls, fails waiting ones and closes both streams when
// they are io.Closers (which ends a Run blocked reading a pipe or socket).
// It does not wait for Run; wait on Done for that.
func (c *Conn) Close() error {
	c.failPending()
	var errs []error
	if c.wc != nil {
		errs = append(errs, c.wc.Close())
	}
	if c.rc != nil && c.rc != c.wc {
		errs = append(errs, c.rc.Close())
	}
	return errors.Join(errs...)
}

func (c *Conn) failPending() {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	c.closed = true
	for key, ch := range c.pending {
		close(ch)
		delete(c.pending, key)
	}
}

func (c *Conn) deliver(msg *Message) {
	c.pendingMu.Lock()
	ch := c.pending[IDKey(msg.ID)]
	delete(c.pending, IDKey(msg.ID))
	c.pendingMu.Unlock()
	if ch != nil {
		ch <- msg // buffered, and removed above: never blocks
	}
}

// Call sends a request and waits for its answer, ctx's end or the
// connection's end. An error response comes back as an error wrapping the
// *Error. It must not be called from the Handler (see Handler).
func (c *Conn) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	out := c.bodies.get()
	id := c.newID()
	out.b = append(append(append(out.b, `{"jsonrpc":"2.0","id":`...), id...), `,"method":`...)
	out.b = append(strconv.AppendQuote(out.b, method), `,"params":`...)
	if err := out.appendJSON(params); err != nil {
		c.bodies.put(out)
		return nil, fmt.Errorf("lspconn: encoding %s: %w", method, err)
	}
	ch, err := c.send(method, id, out)
	c.bodies.put(out) // written (copied) or not: never looked at again
	if err != nil {
		return nil, err
	}
	defer c.forget(IDKey(id))
	select {
	case <-ctx.Done():
		if c.opts.CancelOnDone {
			_ = c.Notify("$/cancelRequest", map[string]json.RawMessage{"id": id})
		}
		return nil, fmt.Errorf("lspconn: %s: %w", method, context.Cause(ctx))
	case resp, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: %w", method, ErrClosed)
		}
		if resp.Kind == ErrorResponse {
			e := &Error{}
			if json.Unmarshal(resp.Err, e) != nil {
				e = &Error{Code: CodeInternalError, Message: "unreadable error response"}
			}
			return nil, fmt.Errorf("lspconn: %s: %w", method, e)
		}
		return json.RawMessage(resp.Result), nil
	}
}

// send registers call id as pending, then writes the call, out and its
// closing brace: the answer finds its channel however soon it comes.
func (c *Conn) send(method string, id []byte, out *body) (chan *Message, error) {
	key := IDKey(id)
	ch := make(chan *Message, 1)
	c.pendingMu.Lock()
	if c.closed {
		c.pendingMu.Unlock()
		return nil, fmt.Errorf("%s: %w", method, ErrClosed)
	}
	c.pending[key] = ch
	c.pendingMu.Unlock()
	if err := c.out.write(out.b, out.raw, "}"); err != nil {
		c.forget(key)
		return nil, fmt.Errorf("lspconn: %s: %w", method, err)
	}
	return ch, nil
}

func (c *Conn) forget(key string) {
	c.pendingMu.Lock()
	delete(c.pending, key)
	c.pendingMu.Unlock()
}

func (c *Conn) newID() []byte {
	n := c.nextID.Add(1)
	if c.opts.IDPrefix == "" {
		return strconv.AppendInt(nil, n, 10)
	}
	id := strconv.AppendQuote(nil, c.opts.IDPrefix+strconv.FormatInt(n, 10))
	return id
}

// Notify sends a notification; params encode as Reply's result does (nil is
// null, a json.RawMessage is sent as it is: a caller that encodes a large
// payload itself saves its copy through encoding/json).
func (c *Conn) Notify(method string, params any) error {
	out := c.bodies.get()
	defer c.bodies.put(out)
	out.b = strconv.AppendQuote(append(out.b, `{"jsonrpc":"2.0","method":`...), method)
	out.b = append(out.b, `,"params":`...)
	if err := out.appendJSON(params); err != nil {
		return fmt.Errorf("lspconn: encoding %s: %w", method, err)
	}
	return c.out.write(out.b, out.raw, "}")
}

// ErrEncoding wraps a result that could not be encoded; Reply then answered
// null.
var ErrEncoding = errors.New("lspconn: encoding result")

// Reply answers the call with id (nil: id null, for a request whose id could
// not be read). With err != nil the answer is WireError(err); otherwise
// result, where nil is null and a json.RawMessage is sent as it is.
func (c *Conn) Reply(id []byte, result any, err error) error {
	if id == nil {
		id = []byte("null")
	}
	out := c.bodies.get()
	defer c.bodies.put(out)
	out.b = append(append(out.b, `{"jsonrpc":"2.0","id":`...), id...)
	var encErr error
	if err != nil {
		out.b = append(out.b, `,"error":`...)
		if out.appendJSON(WireError(err)) != nil {
			out.b = append(out.b, `{"code":-32603,"message":"internal error"}`...)
		}
	} else {
		out.b = append(out.b, `,"result":`...)
		if merr := out.appendJSON(result); merr != nil {
			encErr = fmt.Errorf("%w: %v", ErrEncoding, merr)
			out.b = append(out.b, "null"...)
		}
	}
	return errors.Join(encErr, c.out.write(out.b, out.raw, "}"))
}

// WriteRaw writes body as one frame as it is: for forwarding a message
// byte for byte, and for tests of malformed input.
func (c *Conn) WriteRaw(body []byte) error { return c.out.Write(body) }
