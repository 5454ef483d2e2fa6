package lspconn

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadParse feeds arbitrary bytes to the frame reader and the message
// parser: nothing panics, no frame exceeds the limit, reading always
// progresses to the end, and every frame written by FrameWriter reads back
// unchanged after whatever garbage came before it was skipped.
func FuzzReadParse(f *testing.F) {
	for _, s := range []string{
		"Content-Length: 2\r\n\r\n{}",
		"Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}  ",
		"content-length:5\n\n[1,2]",
		"Content-Type: x\r\n\r\nContent-Length: 3\r\n\r\n{\"",
		"Content-Length: 99999999\r\n\r\n{\"id\":7",
		"\xff\xfe",
		"Content-Length: 33\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":\"\\u0041\"}",
	} {
		f.Add([]byte(s), []byte(`{"jsonrpc":"2.0","method":"m","params":[1]}`))
	}
	f.Fuzz(func(t *testing.T, garbage, body []byte) {
		const limit = 1 << 12
		fr := NewFrameReader(bytes.NewReader(garbage), limit)
		for range len(garbage) + 2 {
			frame, err := fr.Read()
			var fe *FrameError
			if errors.As(err, &fe) {
				continue
			}
			if err != nil {
				break
			}
			if len(frame) > limit {
				t.Fatalf("frame of %d bytes over limit %d", len(frame), limit)
			}
			if m, perr := Parse(frame); perr == nil {
				checkMessage(t, m)
			} else if perr.Err == nil {
				t.Fatal("ParseError without an answer")
			}
		}
		if len(body) == 0 || len(body) > limit {
			return
		}
		var wire bytes.Buffer
		w := NewFrameWriter(&wire)
		if err := w.Write(body); err != nil {
			t.Fatal(err)
		}
		got, err := NewFrameReader(&wire, limit).Read()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("round trip: %q, %v", got, err)
		}
		if _, err := NewFrameReader(&wire, limit).Read(); err != io.EOF {
			t.Fatalf("after the frame: %v", err)
		}
	})
}

func checkMessage(t *testing.T, m *Message) {
	t.Helper()
	switch m.Kind {
	case Call:
		if m.ID == nil {
			t.Fatalf("call without id: %+v", m)
		}
	case Notification:
		if m.ID != nil {
			t.Fatalf("notification with id: %+v", m)
		}
	case Result, ErrorResponse:
		if m.Method != "" {
			t.Fatalf("response with method: %+v", m)
		}
	default:
		t.Fatalf("unknown kind %d", m.Kind)
	}
}
