package lspconn

import (
	"errors"
	"sync"
)

// Events is a queue of work to run on a connection's loop, between
// messages, in the order posted: config reloads, a child server's messages,
// anything that must not race with the handler. Post never blocks, so the
// handler itself may post.
type Events struct {
	// mu guards queue.
	mu    sync.Mutex
	queue []func()
	wake  chan struct{} // holds a token while queue is non-empty
}

// NewEvents returns an empty queue.
func NewEvents() *Events { return &Events{wake: make(chan struct{}, 1)} }

// Post queues fn to run on the loop. After the loop ended, fn never runs.
func (e *Events) Post(fn func()) {
	e.mu.Lock()
	e.queue = append(e.queue, fn)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// run runs everything queued so far.
func (e *Events) run() {
	e.mu.Lock()
	q := e.queue
	e.queue = nil
	e.mu.Unlock()
	for _, fn := range q {
		fn()
	}
}

// errLoopEnded stops the reading goroutine when the loop has returned.
var errLoopEnded = errors.New("lspconn: loop ended")

// RunEvents is Run with a second input: the functions posted to ev run on
// the same loop as h, never concurrently with it; whatever is queued runs
// before the loop takes its next message. Frames are read on a goroutine that
// RunEvents owns: when the loop ends for any reason but the end of the
// input (h returned an error), RunEvents closes the reader (when it is an
// io.Closer) so that goroutine ends, and waits for it. It returns what Run
// would.
func (c *Conn) RunEvents(h Handler, ev *Events) error {
	msgs := make(chan *Message, 16)
	loopDone := make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		readDone <- c.Run(func(m *Message) error {
			select {
			case msgs <- m:
				return nil
			case <-loopDone:
				return errLoopEnded
			}
		})
		close(msgs)
	}()
	err := c.loop(h, ev, msgs)
	close(loopDone)
	if err != nil { // h ended the loop: stop the reader
		if c.rc != nil {
			c.rc.Close()
		}
		for range msgs {
		}
		<-readDone
		return err
	}
	return <-readDone
}

// loop runs events and messages until msgs closes (nil) or h fails.
func (c *Conn) loop(h Handler, ev *Events, msgs <-chan *Message) error {
	for {
		select {
		case <-ev.wake:
			ev.run()
			continue
		default:
		}
		select {
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			if err := h(m); err != nil {
				return err
			}
		case <-ev.wake:
			ev.run()
		}
	}
}
