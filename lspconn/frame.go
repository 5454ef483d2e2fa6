package lspconn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
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

// ErrBadHeader and ErrFrameTooLarge are recoverable: the reader has skipped
// the frame and the next Read continues with the following one.
var (
	ErrBadHeader     = errors.New("malformed header")
	ErrFrameTooLarge = errors.New("frame too large")
)

// FrameReader reads Content-Length frames from r. It is not safe for
// concurrent use; one goroutine (the connection's read loop) owns it.
type FrameReader struct {
	r   *bufio.Reader
	max int
	// resync is set after a malformed header: the next read first skips
	// input up to the next "Content-Length:".
	resync bool
}

// NewFrameReader reads frames of at most maxBytes bytes from r. A larger
// frame is skipped without allocating its body.
func NewFrameReader(r io.Reader, maxBytes int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, maxHeaderLine), max: maxBytes}
}

// FrameError describes a skipped frame; it wraps ErrBadHeader or
// ErrFrameTooLarge. Head holds the first bytes of an oversized body so the
// caller can find the request id (FindID) and answer it.
type FrameError struct {
	Err    error
	Detail string
	Head   []byte
}

// Error keeps the "lspproxy:" prefix editors have always been shown.
func (e *FrameError) Error() string { return fmt.Sprintf("lspproxy: %v: %s", e.Err, e.Detail) }
func (e *FrameError) Unwrap() error { return e.Err }

// Read returns the next frame body, owned by the caller. A *FrameError means
// that frame was skipped and reading may continue; any other error (io.EOF
// at a frame boundary, io.ErrUnexpectedEOF mid-frame) ends the stream.
func (f *FrameReader) Read() ([]byte, error) {
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
			return nil, &FrameError{Err: ErrBadHeader, Detail: err.Error()}
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
			return nil, &FrameError{Err: ErrBadHeader, Detail: fmt.Sprintf("header line without ':' (%d bytes)", len(line))}
		}
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			n, err := parseLength(value)
			if err != nil {
				f.resync = true
				return nil, &FrameError{Err: ErrBadHeader, Detail: err.Error()}
			}
			length, haveLength = n, true
		}
	}
	if !haveLength {
		f.resync = true
		return nil, &FrameError{Err: ErrBadHeader, Detail: "no Content-Length header"}
	}
	if length > f.max {
		head := make([]byte, min(length, 256))
		if _, err := io.ReadFull(f.r, head); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		if _, err := io.CopyN(io.Discard, f.r, int64(length-len(head))); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, &FrameError{Err: ErrFrameTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d (lsp.max_frame_bytes)", length, f.max), Head: head}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(f.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return body, nil
}

// line reads one header line; an over-long line is a malformed header.
func (f *FrameReader) line() ([]byte, error) {
	line, err := f.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		f.resync = true
		return nil, &FrameError{Err: ErrBadHeader, Detail: "header line too long"}
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
func (f *FrameReader) skipToContentLength() error {
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

// FrameWriter writes frames; one mutex serialises every outgoing message so
// each frame is one contiguous write. It is safe for concurrent use.
type FrameWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewFrameWriter writes frames to w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// Write writes body as one frame in one call to the underlying writer. It
// copies body and keeps none of it: the caller may reuse body at once.
func (w *FrameWriter) Write(body []byte) error { return w.write(body, nil, "") }

// write writes one frame whose body is head, mid and tail in turn: an
// envelope and a raw value inside it need not be joined first. It keeps
// none of them.
func (w *FrameWriter) write(head, mid []byte, tail string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf[:0], "Content-Length: "...)
	w.buf = strconv.AppendInt(w.buf, int64(len(head)+len(mid)+len(tail)), 10)
	w.buf = append(w.buf, "\r\n\r\n"...)
	w.buf = append(append(append(w.buf, head...), mid...), tail...)
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // do not pin a large buffer
	}
	return err
}
