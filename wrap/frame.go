package wrap

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// maxFrame bounds one LSP frame (documents and chat bodies included).
const maxFrame = 64 << 20

// frameReader reads Content-Length framed bodies.
type frameReader struct{ r *bufio.Reader }

func newFrameReader(r io.Reader) *frameReader { return &frameReader{r: bufio.NewReaderSize(r, 64<<10)} }

// Read returns the next body; io.EOF at a clean end.
func (f *frameReader) Read() ([]byte, error) {
	n := -1
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" && n < 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("wrap: reading frame header: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if n < 0 {
				continue
			}
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "content-length") {
			if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 || n > maxFrame {
				return nil, errors.New("wrap: bad or oversize Content-Length")
			}
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(f.r, body); err != nil {
		return nil, fmt.Errorf("wrap: reading frame body: %w", err)
	}
	return body, nil
}

// frameWriter writes framed bodies; safe for concurrent use.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) Write(body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	buf := make([]byte, 0, len(body)+32)
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, body...)
	_, err := f.w.Write(buf)
	return err
}

// message is one JSON-RPC message; params, result and error stay raw.
type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

func (m *message) isCall() bool     { return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" }
func (m *message) isResponse() bool { return m.Method == "" && len(m.ID) > 0 }

// idKey is a map key for an id (its raw JSON).
func idKey(id json.RawMessage) string { return string(id) }

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func encodeReply(id json.RawMessage, result any, e *rpcError) []byte {
	m := map[string]any{"jsonrpc": "2.0", "id": id}
	if e != nil {
		m["error"] = e
	} else {
		m["result"] = result
	}
	b, _ := json.Marshal(m)
	return b
}

func encodeNotification(method string, params any) []byte {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	return b
}

func encodeCall(id json.RawMessage, method string, params json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return b
}
