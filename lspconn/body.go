package lspconn

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"
)

// maxPooledBody bounds the bodies kept for reuse: a large answer (a
// completion list, diagnostics of a big file) is not pinned in memory.
const maxPooledBody = 64 << 10

// body is an outgoing message being built: Call, Notify and Reply append
// the envelope and encode params or result straight into it, the
// FrameWriter copies it into its frame, and it goes back to its pool. It
// never leaves the call that took it, so reusing it cannot change a message
// already sent or one still being written.
type body struct {
	b []byte
	// raw, when set, is a json.RawMessage that follows b in the message:
	// the frame writer copies it straight into the frame (a large
	// diagnostics list is not copied twice).
	raw []byte
	enc *json.Encoder // appends to b (see Write)
}

// Write appends p: body is the writer its encoder encodes into.
func (o *body) Write(p []byte) (int, error) {
	o.b = append(o.b, p...)
	return len(p), nil
}

// errEmptyRaw is an empty or blank (not nil) json.RawMessage: no JSON
// value, which json.Marshal refuses too.
var errEmptyRaw = errors.New("empty json.RawMessage")

// appendJSON appends v as json.Marshal encodes it, with nil as null, or
// sets raw to a json.RawMessage (sent as it is: the caller vouches that it
// is one JSON value), so v must be the message's last value. On an error
// nothing is appended.
func (o *body) appendJSON(v any) error {
	switch r := v.(type) {
	case nil:
		o.b = append(o.b, "null"...)
		return nil
	case json.RawMessage:
		if r == nil {
			o.b = append(o.b, "null"...)
		} else if len(bytes.TrimSpace(r)) == 0 {
			return errEmptyRaw
		}
		o.raw = r
		return nil
	}
	if err := o.enc.Encode(v); err != nil {
		return err // Encode writes nothing when encoding fails
	}
	o.b = o.b[:len(o.b)-1] // the newline Encode ends every value with
	return nil
}

// bodies is a pool of message bodies, owned by one Conn.
type bodies struct{ pool sync.Pool }

func (p *bodies) get() *body {
	if o, ok := p.pool.Get().(*body); ok {
		return o
	}
	o := &body{b: make([]byte, 0, 512)}
	o.enc = json.NewEncoder(o)
	return o
}

// put returns o for reuse unless it grew large.
func (p *bodies) put(o *body) {
	if cap(o.b) > maxPooledBody {
		return
	}
	o.b, o.raw = o.b[:0], nil
	p.pool.Put(o)
}
