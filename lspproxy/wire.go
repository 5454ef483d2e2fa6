package lspproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unicode/utf8"

	"go.lsp.dev/jsonrpc2"
)

// The wire: LSP base-protocol frames ("Content-Length: N\r\n\r\n" + N bytes of
// JSON). veil reads frames with its own small framer rather than
// jsonrpc2.NewHeaderStream because it needs three things that stream does not
// offer: a configurable frame limit that discards an oversized body without
// allocating it, resynchronising after a malformed header instead of ending
// the connection, and owned frames (the header stream lends its buffer until
// the next read, and veil hands frames to request goroutines). Frames are
// classified with jsonrpc2.ScanMessageView, which validates the envelope
// without reflection and leaves params as raw bytes.

const maxHeaderLine = 4096

// errBadHeader and errFrameTooLarge are recoverable: the reader has skipped
// the frame and the next Read continues with the following one.
var (
	errBadHeader     = errors.New("malformed header")
	errFrameTooLarge = errors.New("frame too large")
)

// frameReader reads Content-Length frames from r.
type frameReader struct {
	r   *bufio.Reader
	max int
	// resync is set after a malformed header: the next read first skips
	// input up to the next "Content-Length:".
	resync bool
}

func newFrameReader(r io.Reader, maxBytes int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, maxHeaderLine), max: maxBytes}
}

// frameError describes a skipped frame. head holds the first bytes of an
// oversized body so the caller can find the request id and answer it.
type frameError struct {
	err    error
	detail string
	head   []byte
}

func (e *frameError) Error() string { return fmt.Sprintf("lspproxy: %v: %s", e.err, e.detail) }
func (e *frameError) Unwrap() error { return e.err }

// Read returns the next frame body, owned by the caller. A *frameError means
// that frame was skipped and reading may continue; any other error (io.EOF
// at a frame boundary, io.ErrUnexpectedEOF mid-frame) ends the stream.
func (f *frameReader) Read() ([]byte, error) {
	length, haveLength := -1, false
	if f.resync {
		if err := f.skipToContentLength(); err != nil {
			return nil, err
		}
		f.resync = false
		line, err := f.line()
		if err != nil {
			return nil, err
		}
		n, err := parseLength(line)
		if err != nil {
			f.resync = true
			return nil, &frameError{err: errBadHeader, detail: err.Error()}
		}
		length, haveLength = n, true
	}
	for first := !haveLength; ; first = false {
		line, err := f.line()
		if err != nil {
			if err == io.EOF && !first {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			f.resync = true
			return nil, &frameError{err: errBadHeader, detail: fmt.Sprintf("header line without ':' (%d bytes)", len(line))}
		}
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			n, err := parseLength(value)
			if err != nil {
				f.resync = true
				return nil, &frameError{err: errBadHeader, detail: err.Error()}
			}
			length, haveLength = n, true
		}
	}
	if !haveLength {
		f.resync = true
		return nil, &frameError{err: errBadHeader, detail: "no Content-Length header"}
	}
	if length > f.max {
		head := make([]byte, min(length, 256))
		if _, err := io.ReadFull(f.r, head); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		if _, err := io.CopyN(io.Discard, f.r, int64(length-len(head))); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, &frameError{err: errFrameTooLarge, detail: fmt.Sprintf("%d bytes, limit %d (lsp.max_frame_bytes)", length, f.max), head: head}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(f.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return body, nil
}

// line reads one header line; an over-long line is a malformed header.
func (f *frameReader) line() ([]byte, error) {
	line, err := f.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		f.resync = true
		return nil, &frameError{err: errBadHeader, detail: "header line too long"}
	}
	if err == io.EOF && len(line) > 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return line, err
}

func parseLength(v []byte) (int, error) {
	v = bytes.TrimSpace(v)
	n, err := strconv.Atoi(string(v))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid Content-Length %.20q", v)
	}
	return n, nil
}

// skipToContentLength discards input up to and including the next
// "Content-Length:" (any case).
func (f *frameReader) skipToContentLength() error {
	const want = "content-length:"
	matched := 0
	for matched < len(want) {
		c, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return err
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch {
		case c == want[matched]:
			matched++
		case c == want[0]:
			matched = 1
		default:
			matched = 0
		}
	}
	return nil
}

// frameWriter writes frames; one mutex serialises every outgoing message so
// each frame is one contiguous write.
type frameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (w *frameWriter) Write(body []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf[:0], "Content-Length: "...)
	w.buf = strconv.AppendInt(w.buf, int64(len(body)), 10)
	w.buf = append(w.buf, "\r\n\r\n"...)
	w.buf = append(w.buf, body...)
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not pin a large buffer
	}
	return err
}

// message is one classified incoming frame. id, method and params alias the
// frame, which the message owns.
type message struct {
	kind   jsonrpc2.MessageViewKind
	id     []byte // raw JSON id, nil for notifications
	method string
	params []byte
	result []byte
	err    []byte
}

func (m *message) isCall() bool { return m.kind == jsonrpc2.MessageViewCall }

// parseMessage classifies an owned frame. The error is an *rpcError to send
// back (with id when one could be read).
func parseMessage(frame []byte) (*message, *rpcError) {
	if !utf8.Valid(frame) {
		return nil, &rpcError{Code: int64(jsonrpc2.ParseError), Message: "message is not valid UTF-8", id: findID(frame)}
	}
	v, err := jsonrpc2.ScanMessageView(frame)
	if err != nil {
		code := int64(jsonrpc2.ParseError)
		var jerr *jsonrpc2.Error
		if errors.As(err, &jerr) {
			code = int64(jerr.Code)
		}
		return nil, &rpcError{Code: code, Message: err.Error(), id: findID(frame)}
	}
	m := &message{kind: v.Kind, params: v.Params, result: v.Result, err: v.ErrorRaw}
	if v.ID.IsValid() {
		m.id = v.IDRaw
	}
	if v.Kind == jsonrpc2.MessageViewCall || v.Kind == jsonrpc2.MessageViewNotification {
		method, ok := v.MethodString()
		if !ok {
			return nil, &rpcError{Code: int64(jsonrpc2.InvalidRequest), Message: "method is not a string", id: m.id}
		}
		m.method = method
	}
	return m, nil
}

// findID digs a numeric or simple string id out of a frame that did not
// parse, so the sender of a broken request still gets an answer instead of
// waiting forever. It returns nil when there is none.
func findID(frame []byte) []byte {
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
