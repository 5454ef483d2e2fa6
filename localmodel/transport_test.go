package localmodel

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// writeCounter counts the writes to a connection.
type writeCounter struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A completion request of the default size leaves in one write, headers and
// body together, from the connection's write buffer. A body larger than the
// buffer would be copied through a buffer allocated per request
// (net.TCPConn.ReadFrom) and written in several pieces.
func TestRequestLeavesInOneWrite(t *testing.T) {
	f := newFakeServer(t)
	f.Completions = streamCompletion("x")
	c := newTestClient(t, f.cfg(), nil)
	writes := new(atomic.Int64)
	transport, ok := c.httpc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", c.httpc.Transport)
	}
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{conn, writes}, nil
	}
	req := defaultBenchRequest()
	if body := len(req.Prefix) + len(req.Suffix); body < 7<<10 {
		t.Fatalf("the request holds %d bytes of context, want a default-size one", body)
	}
	for i := range 3 {
		writes.Store(0)
		if _, err := c.Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if n := writes.Load(); n != 1 {
			t.Errorf("request %d went out in %d writes, want 1", i, n)
		}
	}
}
