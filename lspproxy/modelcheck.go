package lspproxy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/veil-dev/veil/localmodel"
)

// probeRetry is how long a failed model check is remembered, so a broken
// endpoint is not hammered.
const probeRetry = 10 * time.Second

// probeTimeout bounds one model check.
const probeTimeout = 5 * time.Second

// modelCheck checks the model once per session (model.pin, the model being
// served) before the first AI request. The check runs in its own goroutine,
// detached from the requests waiting for it: each waiter gives up when its
// own context ends, and a request cancelled while the check runs neither
// aborts it nor leaves a failure behind for the next one.
type modelCheck struct {
	// mu guards the fields below.
	mu      sync.Mutex
	ok      bool
	err     error
	at      time.Time
	running chan struct{} // non-nil while a check runs; closed when it ends
	closed  bool
	cancel  context.CancelFunc // ends a running check (close)
	wg      sync.WaitGroup     // the running check
}

// ready returns nil once the model passed the check, the remembered failure
// within probeRetry of it, or context.Cause(ctx) when ctx ends first.
func (p *pipeline) ready(ctx context.Context) error {
	c := &p.probe
	c.mu.Lock()
	switch {
	case c.ok:
		c.mu.Unlock()
		return nil
	case c.err != nil && time.Since(c.at) < probeRetry:
		err := c.err
		c.mu.Unlock()
		return err
	case c.closed:
		c.mu.Unlock()
		return fmt.Errorf("model check: %w", errCauseSession)
	}
	if c.running == nil {
		c.start(p.opts.Model)
	}
	done := c.running
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-done:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok {
		return nil
	}
	return c.err
}

// start runs one check; c.mu is held.
func (c *modelCheck) start(m localmodel.Model) {
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	c.running, c.cancel = done, cancel
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		err := localmodel.Probe(ctx, m)
		c.mu.Lock()
		c.at, c.running, c.cancel = time.Now(), nil, nil
		if err != nil {
			c.err = fmt.Errorf("model check failed: %w", err)
		} else {
			c.ok, c.err = true, nil
		}
		c.mu.Unlock()
		close(done)
	}()
}

// close ends a running check and waits for its goroutine.
func (c *modelCheck) close() {
	c.mu.Lock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
}
