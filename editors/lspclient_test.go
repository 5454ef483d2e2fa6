package editors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lspClient is the smallest client the config tests need to check that a
// command line from a snippet starts a working server: Content-Length
// frames, sequential calls, server requests answered with null.
type lspClient struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	nextID int
	frames chan frameOrErr
	done   chan struct{} // closed when the reader goroutine ends
	// Notifications the server sent while the test waited for responses.
	notes []rpcMessage
	// received holds every frame read, to check a secret never came back.
	received bytes.Buffer
}

type frameOrErr struct {
	b   []byte
	err error
}

type rpcMessage struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) String() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

// startLSP starts cmd and reads its stdout frames on a goroutine that ends
// when the process's stdout closes; cleanup kills the process and waits.
func startLSP(t *testing.T, cmd *exec.Cmd) *lspClient {
	t.Helper()
	in, err := cmd.StdinPipe()
	must(t, err)
	out, err := cmd.StdoutPipe()
	must(t, err)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	must(t, cmd.Start())
	c := newLSPClient(t, in, out, stderr)
	c.cmd = cmd
	t.Cleanup(func() {
		in.Close()
		timer := time.AfterFunc(5*time.Second, func() { _ = cmd.Process.Kill() })
		c.wait()
		_ = cmd.Wait()
		timer.Stop()
	})
	return c
}

// dialLSP runs a session over an established connection (veil lsp --listen);
// cleanup closes it.
func dialLSP(t *testing.T, conn io.ReadWriteCloser, stderr *bytes.Buffer) *lspClient {
	t.Helper()
	c := newLSPClient(t, conn, conn, stderr)
	t.Cleanup(func() {
		conn.Close()
		c.wait()
	})
	return c
}

func newLSPClient(t *testing.T, in io.WriteCloser, out io.Reader, stderr *bytes.Buffer) *lspClient {
	c := &lspClient{in: in, out: bufio.NewReader(out), stderr: stderr, frames: make(chan frameOrErr, 16), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.frames)
		for {
			b, err := readFrame(c.out)
			c.frames <- frameOrErr{b, err}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// wait drains the frames until the reader goroutine has ended.
func (c *lspClient) wait() {
	for range c.frames {
	}
	<-c.done
}

func readFrame(r *bufio.Reader) ([]byte, error) {
	length := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			length, err = strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return nil, fmt.Errorf("frame without Content-Length")
	}
	b := make([]byte, length)
	_, err := io.ReadFull(r, b)
	return b, err
}

func (c *lspClient) write(t *testing.T, msg map[string]any) {
	t.Helper()
	msg["jsonrpc"] = "2.0"
	b, err := json.Marshal(msg)
	must(t, err)
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		t.Fatalf("writing to server: %v (stderr: %s)", err, c.stderr)
	}
}

func (c *lspClient) notify(t *testing.T, method string, params any) {
	t.Helper()
	c.write(t, map[string]any{"method": method, "params": params})
}

// call sends a request and waits for its response, answering server
// requests with null and keeping notifications in c.notes.
func (c *lspClient) call(t *testing.T, method string, params any) rpcMessage {
	t.Helper()
	c.nextID++
	id := c.nextID
	c.write(t, map[string]any{"id": id, "method": method, "params": params})
	timeout := time.After(20 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok || f.err != nil {
				t.Fatalf("%s: server closed (%v); stderr:\n%s", method, f.err, c.stderr)
			}
			c.received.Write(f.b)
			var m rpcMessage
			if err := json.Unmarshal(f.b, &m); err != nil {
				t.Fatalf("%s: bad frame (%d bytes): %v", method, len(f.b), err)
			}
			switch {
			case m.Method != "" && m.ID != nil:
				c.write(t, map[string]any{"id": m.ID, "result": nil})
			case m.Method != "":
				c.notes = append(c.notes, m)
			case string(m.ID) == strconv.Itoa(id):
				return m
			}
		case <-timeout:
			t.Fatalf("%s: no response in 20s; stderr:\n%s", method, c.stderr)
		}
	}
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
		c.wait()
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
