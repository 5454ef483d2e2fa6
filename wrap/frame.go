package wrap

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/veil-dev/veil/lspconn"
)

// maxFrame bounds one LSP frame (documents and chat bodies included).
const maxFrame = 64 << 20

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

// readMessages reads r's frames and hands each message to handle until r
// ends or handle returns true (then it returns nil); otherwise it returns
// the read error, io.EOF included. A bad frame or one that is not JSON is
// logged as coming from `from` (its size only) and skipped.
func (s *Session) readMessages(r io.Reader, from string, handle func(m *message, body []byte) (stop bool)) error {
	fr := lspconn.NewFrameReader(r, maxFrame)
	for {
		body, err := fr.Read()
		var fe *lspconn.FrameError
		if errors.As(err, &fe) {
			s.log.Warn("wrap: bad frame from "+from+", skipped", "err", fe.Err.Error())
			continue
		}
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			s.log.Warn("wrap: unreadable frame from "+from+", dropped", "bytes", len(body))
			continue
		}
		if handle(&m, body) {
			return nil
		}
	}
}

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
