package lspproxy

import (
	"bytes"
	"encoding/json"
)

// loopDecoder decodes, with one json.Decoder, the params of the frequent
// messages the read loop decodes itself: didChange, veil/status and the
// two completion methods (inline and classic), whose params are decoded
// there before their work goes to a goroutine of its own. json.Unmarshal
// makes its decoding state afresh each time.
// Only the read loop uses it. What it decodes is the same as
// json.Unmarshal's: anything but exactly one value in params, and every
// error, goes to json.Unmarshal itself. Decoded values share nothing with
// the decoder (encoding/json copies strings and raw messages).
type loopDecoder struct {
	src bytes.Reader
	dec *json.Decoder
	fed int64 // bytes given to dec since it was made
}

// maxLoopDecode bounds the params loopDecoder reads: its decoder keeps a
// buffer as large as the largest (a pasted file goes to json.Unmarshal).
const maxLoopDecode = 64 << 10

func (l *loopDecoder) decode(params []byte, v any) error {
	if len(params) == 0 || len(params) > maxLoopDecode {
		return json.Unmarshal(params, v)
	}
	if l.dec == nil {
		l.src.Reset(nil)
		l.dec, l.fed = json.NewDecoder(&l.src), 0
	}
	l.src.Reset(params)
	l.fed += int64(len(params))
	if l.dec.Decode(v) == nil && l.dec.InputOffset() == l.fed {
		return nil
	}
	l.dec = nil // an error or more than one value: start afresh
	return json.Unmarshal(params, v)
}
