package lspconn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// marshalSamples are values whose encoding appendJSON must give exactly as
// json.Marshal does: HTML characters escaped, map keys sorted, Marshaler
// output compacted, invalid UTF-8 replaced.
func marshalSamples() []any {
	type row struct {
		URI   string `json:"uri"`
		Count int    `json:"count,omitempty"`
		Tags  []string
	}
	return []any{
		map[string]any{"route": "local", "findings": 3, "uri": "file:///a%20b/<x>&y.go"},
		row{URI: "file:///c.go", Tags: []string{"é😀", "a\u2028b", "\x00"}},
		&row{Count: 7},
		[]int{1, 2, 3},
		"plain \"quoted\" \xff",
		json.Number("12.5"),
		rawMarshaler(`{ "spaced" : [ 1, 2 ] }`),
		strings.Repeat("long ", 30000), // grows the body past the pool's bound
	}
}

type rawMarshaler string

func (r rawMarshaler) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestAppendJSONMatchesMarshal: one reused body encodes every sample as
// json.Marshal does, and an unencodable value appends nothing.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	var p bodies
	for i, v := range marshalSamples() {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out := p.get()
		out.b = append(out.b, "prefix:"...)
		if err := out.appendJSON(v); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if got := out.b[len("prefix:"):]; !bytes.Equal(got, want) {
			t.Fatalf("sample %d: appendJSON %.60q, json.Marshal %.60q", i, got, want)
		}
		if err := out.appendJSON(make(chan int)); err == nil || len(out.b) != len("prefix:")+len(want) {
			t.Fatalf("sample %d: an unencodable value gave %v and %d bytes", i, err, len(out.b))
		}
		p.put(out)
	}
}

// TestRepliesFromManyGoroutines: bodies are reused between messages, so
// answers written at once from many goroutines (as request goroutines
// reply), small and large, must each reach the peer whole and unmixed, and
// calls made meanwhile must get their own answers.
func TestRepliesFromManyGoroutines(t *testing.T) {
	pr, pw := io.Pipe()
	c := New(strings.NewReader(""), pw, Options{})
	const n = 200
	payload := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 1+(i*7919)%(3*maxPooledBody/2)) }
	got := make(chan map[string]string, 1)
	go func() { // reads until the writer closes, whatever arrives
		seen := map[string]string{}
		r := NewFrameReader(pr, 1<<30)
		for {
			frame, err := r.Read()
			var fe *FrameError
			if errors.As(err, &fe) {
				seen["bad frame"] = fe.Detail
				continue
			} else if err != nil {
				break
			}
			var m struct {
				ID     json.RawMessage
				Result struct{ Text string }
			}
			if json.Unmarshal(frame, &m) != nil {
				seen["bad json"] = fmt.Sprint(len(frame), " bytes")
				continue
			}
			seen[string(m.ID)] = m.Result.Text
		}
		got <- seen
	}()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := []byte(fmt.Sprint(i))
			var result any = struct{ Text string }{payload(i)}
			if i%2 == 0 { // a raw result goes into the frame as it is
				raw := json.RawMessage(`{"Text":"` + payload(i) + `"}`)
				result = raw
				defer clear(raw) // the caller may reuse it once Reply returns
			}
			if err := c.Reply(id, result, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	pw.Close()
	seen := <-got
	if len(seen) != n {
		t.Fatalf("the peer read %d distinct answers, want %d", len(seen), n)
	}
	for i := range n {
		if seen[fmt.Sprint(i)] != payload(i) {
			t.Fatalf("answer %d arrived changed (%d bytes, want %d)", i, len(seen[fmt.Sprint(i)]), len(payload(i)))
		}
	}
}

// TestCallBodyReleasedBeforeAnswer: a call's body goes back to the pool as
// soon as it is written; messages sent while the call waits (from the same
// pool) must not change what the peer already received.
func TestCallBodyReleasedBeforeAnswer(t *testing.T) {
	held := make(chan *Message, 1)
	notes := make(chan string, 8)
	h := func(c *Conn, m *Message) error {
		if m.IsCall() {
			held <- m
			return nil
		}
		notes <- string(m.Params)
		return nil
	}
	p := newPair(t, Options{}, Options{}, echo(nil), h)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := make(chan string, 1)
	go func() {
		b, err := p.a.Call(ctx, "slow", map[string]string{"q": "first question"})
		res <- fmt.Sprintf("%s %v", b, err)
	}()
	call := <-held
	for i := range 4 {
		if err := p.a.Notify("note", strings.Repeat("z", 10+i)); err != nil {
			t.Fatal(err)
		}
		<-notes
	}
	if string(call.Params) != `{"q":"first question"}` {
		t.Fatalf("the held call's params became %q", call.Params)
	}
	if err := p.b.Reply(call.ID, json.RawMessage(call.Params), nil); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r != `{"q":"first question"} <nil>` {
		t.Fatalf("call answer %q", r)
	}
	if err := p.a.Notify("x", make(chan int)); err == nil {
		t.Fatalf("unencodable notification: %v", err)
	}
}

// BenchmarkReply is one small answer encoded and framed.
func BenchmarkReply(b *testing.B) {
	c := New(strings.NewReader(""), io.Discard, Options{})
	id := []byte("12")
	result := map[string]any{"uri": "file:///work/ws/a.go", "route": "local", "reason": "local: no rule matched", "findings": 3}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Reply(id, result, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNotifyRaw sends a large pre-encoded notification (a big file's
// diagnostics): its bytes are copied into the frame once.
func BenchmarkNotifyRaw(b *testing.B) {
	c := New(strings.NewReader(""), io.Discard, Options{})
	params := json.RawMessage(`{"uri":"file:///w/big.go","diagnostics":[` + strings.Repeat(`{"range":{}},`, 40000) + `{}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Notify("textDocument/publishDiagnostics", params); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmptyRawMessageIsAnError: a json.RawMessage goes into the frame as it
// is, so an empty one (not nil, which is null) would leave a frame that is
// not JSON ("params":}) and the peer waiting; so would a blank one. It is an encoding error, as
// json.Marshal makes it: Reply answers null, Notify and Call send nothing.
func TestEmptyRawMessageIsAnError(t *testing.T) {
	var out bytes.Buffer
	c := New(strings.NewReader(""), &out, Options{})
	if err := c.Reply([]byte("3"), json.RawMessage{}, nil); !errors.Is(err, ErrEncoding) {
		t.Fatalf("Reply with an empty raw result: %v, want ErrEncoding", err)
	}
	if err := c.Notify("n", json.RawMessage(" \r\n")); err == nil {
		t.Fatal("Notify with blank raw params: no error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Call(ctx, "m", json.RawMessage{}); err == nil {
		t.Fatal("Call with empty raw params: no error")
	}
	fr := NewFrameReader(&out, 1<<20)
	var frames []string
	for {
		body, err := fr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(body) {
			t.Fatalf("a frame that is not JSON went out: %q", body)
		}
		frames = append(frames, string(body))
	}
	if want := []string{`{"jsonrpc":"2.0","id":3,"result":null}`}; !slices.Equal(frames, want) {
		t.Fatalf("frames %q, want %q", frames, want)
	}
}

// TestLargeMessagesAreNotPinned: a huge answer (a big file's diagnostics,
// a long chat reply) must not stay in memory after it is written: neither
// its body nor the frame writer's buffer keeps more than its bound, and
// the frame is still written whole.
func TestLargeMessagesAreNotPinned(t *testing.T) {
	var out bytes.Buffer
	c := New(strings.NewReader(""), &out, Options{})
	huge := strings.Repeat("v", 2<<20)
	if err := c.Notify("big", map[string]string{"text": huge}); err != nil {
		t.Fatal(err)
	}
	if cap(c.out.buf) > 1<<20 {
		t.Fatalf("the frame writer kept a %d-byte buffer after a 2 MiB frame", cap(c.out.buf))
	}
	if err := c.Notify("big", json.RawMessage(`"`+huge+`"`)); err != nil {
		t.Fatal(err)
	}
	if cap(c.out.buf) > 1<<20 {
		t.Fatalf("the frame writer kept a %d-byte buffer after a 2 MiB raw frame", cap(c.out.buf))
	}
	o := c.bodies.get()
	o.b = append(o.b, huge...)
	c.bodies.put(o)
	if o := c.bodies.get(); cap(o.b) > maxPooledBody {
		t.Fatalf("the pool handed out a %d-byte body, bound %d", cap(o.b), maxPooledBody)
	}
	fr := NewFrameReader(&out, 4<<20)
	for range 2 {
		body, err := fr.Read()
		if err != nil || !json.Valid(body) || !strings.Contains(string(body), huge) {
			t.Fatalf("a large frame did not arrive whole: %d bytes, %v", len(body), err)
		}
	}
}
