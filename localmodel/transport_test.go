package localmodel

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
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

// An endpoint with a user name and password (post sends it through the
// HTTP client, which turns it into basic authentication) gets its
// credentials on the completion, and a redirect from it is refused like any
// other: the redirect's target is never asked, and the error names neither
// the password nor the target's credentials.
func TestCompletionEndpointCredentials(t *testing.T) {
	const user, pass = "veil", "s3cr3t-Passw0rd-for-test"
	target := newFakeServer(t)
	target.Completions = streamCompletion("elsewhere")
	f := newFakeServer(t)
	f.Completions = streamCompletion("done()")
	cfg := f.cfg()
	cfg.Endpoint = "http://" + user + ":" + pass + "@" + strings.TrimPrefix(f.URL, "http://") + "/v1"
	c := newTestClient(t, cfg, nil)
	if _, err := c.Complete(context.Background(), FIMRequest{Prefix: "x"}); err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	if got := f.firstAuth(); got != want {
		t.Fatalf("the completion carried Authorization %q, want basic authentication", redactPreview(got))
	}
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		f.update(func(f *fakeServer) {
			f.Completions = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://"+user+":"+pass+"@"+strings.TrimPrefix(target.URL, "http://")+"/v1/completions", code)
			}
		})
		_, err := c.Complete(context.Background(), FIMRequest{Prefix: "x"})
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrHTTP || e.Status != code {
			t.Fatalf("redirect %d: err %v, want the redirect refused", code, err)
		}
		if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), target.URL[len("http://"):]) {
			t.Fatalf("redirect %d: the error names the password or the redirect's target", code)
		}
	}
	if n := target.hitCount("/v1/completions"); n != 0 {
		t.Fatalf("the redirect's target was asked %d times", n)
	}
}

// redactPreview shows the first 4 bytes of s and its length.
func redactPreview(s string) string {
	if len(s) <= 4 {
		return s
	}
	return fmt.Sprintf("%s…(len %d)", s[:4], len(s))
}
