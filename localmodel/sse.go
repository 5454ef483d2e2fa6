package localmodel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	openai "github.com/sashabaranov/go-openai"
)

// The /v1/completions event stream is read the way go-openai's stream reader
// reads it, with buffers that are reused from one completion to the next:
// lines are read in place from a pooled bufio.Reader, each "data:" line is
// decoded into a small reused struct, and the errors are the library's own
// types and sentinels, so classify words them as it always has.

// emptyLineLimit is how many lines without data may come before the next
// data line: go-openai's default EmptyMessagesLimit, past which it gives
// ErrTooManyEmptyStreamMessages (the keep-alive flood).
const emptyLineLimit = 300

// Bounds on what a stream may make the client hold.
const (
	maxEventLine = 1 << 20  // one line of the stream
	maxErrorText = 64 << 10 // the non-data lines kept in case they are a JSON error body
)

var errLineTooLong = errors.New("an event line longer than 1 MiB")

// streamChunk is the part of a completion stream event that veil reads.
type streamChunk struct {
	Model   string           `json:"model"`
	Choices []streamChoice   `json:"choices"`
	Error   *openai.APIError `json:"error"`
}

type streamChoice struct {
	Text         string `json:"text"`
	Index        int    `json:"index"`
	FinishReason string `json:"finish_reason"`
}

// eventStream reads one response. It is pooled: get it with openStream,
// and Close returns it.
type eventStream struct {
	r       *bufio.Reader
	body    io.ReadCloser
	pool    *sync.Pool
	done    bool   // [DONE] was read
	long    []byte // a line longer than r's buffer, assembled
	errText []byte // non-data lines, trimmed, that may be a JSON error body
	chunk   streamChunk
}

// newStreamPool is a client's pool of stream readers.
func newStreamPool() *sync.Pool {
	p := new(sync.Pool)
	p.New = func() any { return &eventStream{r: bufio.NewReader(nil), pool: p} }
	return p
}

// openStream starts reading resp's body with a reader from pool.
func openStream(pool *sync.Pool, resp *http.Response) *eventStream {
	s := pool.Get().(*eventStream)
	s.r.Reset(resp.Body)
	s.body = resp.Body
	return s
}

// next returns the next event's chunk, io.EOF after "data: [DONE]" or at
// the end of the body, or the error the stream ended with: a JSON error body
// sent instead of events (*openai.APIError), an error event
// (*openai.APIError), ErrTooManyEmptyStreamMessages, a JSON error in an
// event, or the read error. The chunk is valid until the next call.
func (s *eventStream) next() (*streamChunk, error) {
	if s.done {
		return nil, io.EOF
	}
	empty := 0
	for {
		line, err := s.readLine()
		if err != nil {
			if apiErr := s.errorBody(); apiErr != nil {
				return nil, apiErr
			}
			return nil, err
		}
		line = bytes.TrimSpace(line)
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			s.keepErrorText(line)
			if empty++; empty > emptyLineLimit {
				return nil, openai.ErrTooManyEmptyStreamMessages
			}
			continue
		}
		data = bytes.TrimLeft(data, " \t\r\n\f")
		if string(data) == "[DONE]" {
			s.done = true
			return nil, io.EOF
		}
		return s.decode(data)
	}
}

// decode fills the reused chunk from one event's JSON.
func (s *eventStream) decode(data []byte) (*streamChunk, error) {
	choices := s.chunk.Choices[:cap(s.chunk.Choices)]
	clear(choices) // encoding/json decodes into reused elements without zeroing them
	s.chunk = streamChunk{Choices: choices[:0]}
	if err := json.Unmarshal(data, &s.chunk); err != nil {
		return nil, err
	}
	if s.chunk.Error != nil {
		return nil, s.chunk.Error
	}
	return &s.chunk, nil
}

// readLine returns the next line, '\n' included, valid until the next read.
// A last line without '\n' comes with io.EOF and is not used, as go-openai
// does not use it.
func (s *eventStream) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	s.long = append(s.long[:0], line...)
	for {
		line, err = s.r.ReadSlice('\n')
		if len(s.long)+len(line) > maxEventLine {
			return nil, errLineTooLong
		}
		s.long = append(s.long, line...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return s.long, err
		}
	}
}

// keepErrorText keeps a non-data line in case the lines form a JSON error
// body (a server that answers 200 with {"error":{…}} and no events). Empty
// lines and SSE comments (":…") cannot be part of one.
func (s *eventStream) keepErrorText(line []byte) {
	if len(line) == 0 || line[0] == ':' || len(s.errText)+len(line) > maxErrorText {
		return
	}
	s.errText = append(s.errText, line...)
}

// errorBody returns the server's error when the kept lines are a JSON error
// body, else nil.
func (s *eventStream) errorBody() *openai.APIError {
	if len(s.errText) == 0 {
		return nil
	}
	var resp openai.ErrorResponse
	if json.Unmarshal(s.errText, &resp) != nil {
		return nil
	}
	return resp.Error
}

// Close reads what is left of the body, up to drainLimit, so the connection
// can be reused, closes it and returns the stream to its pool. Whether the
// rest may be waited for is the caller's call (see call.closeStream).
func (s *eventStream) Close() error {
	io.CopyN(io.Discard, s.body, drainLimit)
	err := s.body.Close()
	s.r.Reset(nil)
	s.body, s.done = nil, false
	s.long, s.errText = s.long[:0], s.errText[:0]
	if cap(s.long) > maxPooledBody {
		s.long = nil
	}
	clear(s.chunk.Choices[:cap(s.chunk.Choices)])
	s.chunk = streamChunk{Choices: s.chunk.Choices[:0]}
	s.pool.Put(s)
	return err
}
