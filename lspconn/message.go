package lspconn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"go.lsp.dev/jsonrpc2"
)

// Kind says what a message is.
type Kind int

const (
	// Call is a request: it has an id and a method and wants a response.
	Call Kind = iota + 1
	// Notification has a method and no id.
	Notification
	// Result is a successful response.
	Result
	// ErrorResponse is a response carrying an error.
	ErrorResponse
)

// Message is one classified incoming frame. ID, Params, Result and Err alias
// the frame, which the message owns, so a Message may be handed to another
// goroutine as it is.
type Message struct {
	Kind   Kind
	ID     []byte // raw JSON id; nil for notifications
	Method string // calls and notifications
	Params []byte // raw JSON params; nil when absent
	Result []byte // raw JSON result of a Result
	Err    []byte // raw JSON error object of an ErrorResponse
}

// IsCall reports whether the message is a request that wants a response.
func (m *Message) IsCall() bool { return m.Kind == Call }

// ParseError is a frame that is not a JSON-RPC message. Err is the answer
// to send back; ID is the request id when one could be dug out of the
// frame (nil otherwise: answer with id null).
type ParseError struct {
	Err   *Error
	ID    []byte
	Bytes int // the frame's length, for logs (the frame itself may hold secrets)
}

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// Parse classifies an owned frame without reflection (params stay raw
// bytes): jsonrpc2.ScanMessageView validates the envelope.
func Parse(frame []byte) (*Message, *ParseError) {
	if !utf8.Valid(frame) {
		return nil, &ParseError{Err: &Error{Code: CodeParseError, Message: "message is not valid UTF-8"}, ID: FindID(frame), Bytes: len(frame)}
	}
	v, err := jsonrpc2.ScanMessageView(frame)
	if err != nil {
		code := CodeParseError
		var jerr *jsonrpc2.Error
		if errors.As(err, &jerr) {
			code = int64(jerr.Code)
		}
		return nil, &ParseError{Err: &Error{Code: code, Message: err.Error()}, ID: FindID(frame), Bytes: len(frame)}
	}
	m := &Message{Params: v.Params, Result: v.Result, Err: v.ErrorRaw}
	switch v.Kind {
	case jsonrpc2.MessageViewCall:
		m.Kind = Call
	case jsonrpc2.MessageViewNotification:
		m.Kind = Notification
	case jsonrpc2.MessageViewResponseResult:
		m.Kind = Result
	default:
		m.Kind = ErrorResponse
	}
	if v.ID.IsValid() {
		m.ID = v.IDRaw
	}
	if m.Kind == Call || m.Kind == Notification {
		method, ok := v.MethodString()
		if !ok {
			return nil, &ParseError{Err: &Error{Code: CodeInvalidRequest, Message: "method is not a string"}, ID: m.ID, Bytes: len(frame)}
		}
		m.Method = method
	}
	return m, nil
}

// FindID digs a numeric or simple string id out of a frame that did not
// parse, so the sender of a broken request still gets an answer instead of
// waiting forever. It returns nil when there is none; the result is owned.
func FindID(frame []byte) []byte {
	i := bytes.Index(frame, []byte(`"id"`))
	if i < 0 {
		return nil
	}
	rest := bytes.TrimLeft(frame[i+4:], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	switch {
	case len(rest) > 0 && rest[0] == '"':
		end := bytes.IndexAny(rest[1:], `"\`)
		if end < 0 || rest[1+end] != '"' {
			return nil
		}
		return append([]byte(nil), rest[:end+2]...)
	default:
		end := 0
		for end < len(rest) && (rest[end] == '-' || rest[end] >= '0' && rest[end] <= '9') {
			end++
		}
		if end == 0 || end > 18 {
			return nil
		}
		return append([]byte(nil), rest[:end]...)
	}
}

// IDKey canonicalises a raw JSON id so 7 and "7" differ but spacing does
// not; use it to key maps by request id. The ids editors send (small
// integers, plain strings) are keyed without decoding; anything else goes
// through json.Unmarshal.
func IDKey(raw []byte) string {
	if k, ok := plainIDKey(raw); ok {
		return k
	}
	return decodedIDKey(raw)
}

// decodedIDKey is IDKey by decoding raw: the reference plainIDKey agrees with.
func decodedIDKey(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch v := v.(type) {
	case string:
		return "s:" + v
	case float64:
		return "n:" + strconv.FormatFloat(v, 'f', -1, 64)
	}
	return string(raw)
}

// plainIDKey is IDKey for an integer of at most 15 digits (exact in a
// float64) or a string with no escapes, control bytes or invalid UTF-8:
// the forms whose canonical key can be read off the bytes.
func plainIDKey(raw []byte) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		in := raw[1 : n-1]
		for _, c := range in {
			if c < 0x20 || c == '"' || c == '\\' {
				return "", false
			}
		}
		if !utf8.Valid(in) {
			return "", false
		}
		return "s:" + string(in), true
	}
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && len(digits) > 1 {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return "n:" + string(raw), true
}

// Error is a JSON-RPC error: what a response carries instead of a result.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("jsonrpc2 error %d: %s", e.Code, e.Message) }

// JSON-RPC and LSP error codes.
const (
	CodeParseError           int64 = -32700
	CodeInvalidRequest       int64 = -32600
	CodeMethodNotFound       int64 = -32601
	CodeInvalidParams        int64 = -32602
	CodeInternalError        int64 = -32603
	CodeServerNotInitialized int64 = -32002
	CodeRequestCancelled     int64 = -32800
	CodeRequestFailed        int64 = -32803
)

// WireError picks the answer for err: an *Error (anywhere in the chain)
// keeps its own code, anything else is RequestFailed with the error's text,
// so callers must not put document text in errors.
func WireError(err error) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	return &Error{Code: CodeRequestFailed, Message: err.Error()}
}
