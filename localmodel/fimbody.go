package localmodel

import (
	"context"
	"encoding/json"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// The body of a streamed /v1/completions request is written by hand into a
// pooled buffer, the prompt's pieces escaped straight into it: the prompt
// never exists as one string, and nothing of the body is left for the
// garbage collector. Its bytes are those encoding/json writes for the
// request go-openai's CompletionRequest made (same fields, order, omissions
// and escaping), which a test checks against the library.

// bodyTemplate holds the parts of a completion body that are the same for
// every request of one client, encoded once.
type bodyTemplate struct {
	head  []byte // {"model":"…","prompt":"
	stops []byte // ,"stop":[…] in template modes, else empty
	tail  []byte // ,"temperature":…}
}

func newBodyTemplate(model string, stops []string, temperature float32) (bodyTemplate, error) {
	name, err := json.Marshal(model)
	if err != nil {
		return bodyTemplate{}, err
	}
	temp, err := json.Marshal(temperature)
	if err != nil {
		return bodyTemplate{}, err
	}
	t := bodyTemplate{
		head: append(append([]byte(`{"model":`), name...), `,"prompt":"`...),
		tail: append(append([]byte(`,"temperature":`), temp...), '}'),
	}
	if len(stops) > 0 {
		s, err := json.Marshal(stops)
		if err != nil {
			return bodyTemplate{}, err
		}
		t.stops = append([]byte(`,"stop":`), s...)
	}
	return t, nil
}

// appendCompletionBody appends the JSON body of req to dst and returns it
// with the number of prompt and suffix bytes it carries (before escaping).
func (c *client) appendCompletionBody(dst []byte, req FIMRequest) (body []byte, sent int) {
	var pp promptPieces
	suffix, _ := layoutFIM(c.fim, req, &pp)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = c.maxTokens
	}
	dst = append(dst, c.body.head...)
	pp.each(func(s string) {
		dst = appendJSONText(dst, s)
		sent += len(s)
	})
	dst = append(dst, `","max_tokens":`...)
	dst = strconv.AppendInt(dst, int64(maxTokens), 10)
	dst = append(dst, c.body.stops...)
	dst = append(dst, `,"stream":true`...)
	if suffix != "" {
		dst = append(dst, `,"suffix":"`...)
		dst = appendJSONText(dst, suffix)
		dst = append(dst, '"')
		sent += len(suffix)
	}
	return append(dst, c.body.tail...), sent
}

// appendJSONText appends s to dst as the inside of a JSON string, escaped
// the way encoding/json.Marshal escapes: '"' and '\\' with a backslash;
// \b \f \n \r \t by name; other control bytes and the HTML-sensitive < > &
// as \u00XX; each byte of invalid UTF-8 as \ufffd; U+2028 and U+2029 as
// \u2028 and \u2029; everything else as it is.
func appendJSONText(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, `\b`...)
			case '\f':
				dst = append(dst, `\f`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}

// Request bodies kept for reuse: a new buffer starts at bodyStartSize, and
// one that grew past maxPooledBody is left to the garbage collector rather
// than held for the next request.
const (
	bodyStartSize = 16 << 10
	maxPooledBody = 1 << 20
)

// bodyBuf is one pooled request body. net/http may still be writing a
// request when Do has returned (a server may answer before it has read the
// whole body, and a cancelled call returns at once), so the body is not
// simply given back when the call ends. Each attempt to send it holds a
// reference from the moment it has a connection (httptrace GotConn) until
// its write is over (WroteRequest), as does the call that built it; the
// bytes go back to the pool only when the last one lets go. An attempt that
// got a connection but never wrote leaves its reference held, and the
// buffer to the garbage collector: never handed out while in use. (net/http
// traces GotConn once for every connection an attempt obtains and
// WroteRequest once for every request it writes, HTTP/1 and HTTP/2 alike.)
type bodyBuf struct {
	b     []byte
	refs  atomic.Int32
	pool  *sync.Pool
	trace httptrace.ClientTrace // copied into each request's context
}

// newBodyPool is a client's pool of request bodies.
func newBodyPool() *sync.Pool {
	p := new(sync.Pool)
	p.New = func() any {
		bb := &bodyBuf{b: make([]byte, 0, bodyStartSize), pool: p}
		bb.trace = httptrace.ClientTrace{
			GotConn:      func(httptrace.GotConnInfo) { bb.refs.Add(1) },
			WroteRequest: func(httptrace.WroteRequestInfo) { bb.release() },
		}
		return bb
	}
	return p
}

// getBody takes a body from pool, held once by the caller.
func getBody(pool *sync.Pool) *bodyBuf {
	bb := pool.Get().(*bodyBuf)
	bb.refs.Store(1)
	return bb
}

// sending returns ctx for a request that sends the body: the body's
// references follow the transport's attempts to write it.
func (bb *bodyBuf) sending(ctx context.Context) context.Context {
	t := bb.trace // WithClientTrace may compose into the trace it is given
	return httptrace.WithClientTrace(ctx, &t)
}

// release drops one reference; the last returns the body to its pool.
func (bb *bodyBuf) release() {
	if bb.refs.Add(-1) != 0 {
		return
	}
	if cap(bb.b) > maxPooledBody {
		return
	}
	clear(bb.b) // redacted text, but still nothing to keep around
	bb.b = bb.b[:0]
	bb.pool.Put(bb)
}
