package editors

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/lspconn"
)

// lspClient checks that a command line from a snippet starts a working
// server: an lsptest client on the process's pipes (or a TCP connection),
// with the process's stderr kept for failure messages.
type lspClient struct {
	*lsptest.Client
	cmd    *exec.Cmd
	in     io.Closer
	stderr *bytes.Buffer
}

// rpcMessage is a response: a result or an error.
type rpcMessage struct {
	Result json.RawMessage
	Error  *lspconn.Error
}

// startLSP starts cmd and connects a client to its stdio; cleanup closes
// stdin, waits for the output to end (killing the process after 5 s) and
// reaps it.
func startLSP(t *testing.T, cmd *exec.Cmd) *lspClient {
	t.Helper()
	in, err := cmd.StdinPipe()
	must(t, err)
	out, err := cmd.StdoutPipe()
	must(t, err)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	must(t, cmd.Start())
	c := &lspClient{Client: lsptest.NewClient(t, out, in), cmd: cmd, in: in, stderr: stderr}
	t.Cleanup(func() {
		in.Close()
		timer := time.AfterFunc(5*time.Second, func() { _ = cmd.Process.Kill() })
		<-c.Done()
		_ = cmd.Wait()
		timer.Stop()
	})
	return c
}

// dialLSP runs a session over an established connection (veil lsp --listen);
// cleanup closes it.
func dialLSP(t *testing.T, conn io.ReadWriteCloser, stderr *bytes.Buffer) *lspClient {
	t.Helper()
	return &lspClient{Client: lsptest.NewClient(t, conn, conn), in: conn, stderr: stderr}
}

func (c *lspClient) notify(t *testing.T, method string, params any) {
	t.Helper()
	if err := c.Notify(method, params); err != nil {
		t.Fatalf("writing to server: %v (stderr: %s)", err, c.stderr)
	}
}

// call sends a request and waits for its response; server requests are
// answered with null, notifications kept.
func (c *lspClient) call(t *testing.T, method string, params any) rpcMessage {
	t.Helper()
	res, err := c.Call(method, params)
	var rpcErr *lspconn.Error
	switch {
	case errors.As(err, &rpcErr):
		return rpcMessage{Error: rpcErr}
	case err != nil:
		t.Fatalf("%s: %v; stderr:\n%s", method, err, c.stderr)
	}
	return rpcMessage{Result: res}
}

// shutdown sends shutdown and exit and checks the server ends the session:
// a process exits 0, a TCP session closes the connection.
func (c *lspClient) shutdown(t *testing.T) {
	t.Helper()
	if r := c.call(t, "shutdown", nil); r.Error != nil {
		t.Errorf("shutdown: %s", r.Error)
	}
	c.notify(t, "exit", nil)
	if c.cmd != nil {
		c.in.Close()
	}
	errc := make(chan error, 1)
	go func() {
		<-c.Done()
		if c.cmd == nil {
			errc <- nil
			return
		}
		errc <- c.cmd.Wait()
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("server exit: %v; stderr:\n%s", err, c.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("server did not end the session after shutdown/exit")
	}
}
