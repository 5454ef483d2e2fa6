package lspconn

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// Framing cost: veil's frameReader against go.lsp.dev/jsonrpc2's header
// stream reading the same frames (the reason veil keeps its own framer is
// behaviour, not speed: see wire.go).

func framedInput(n int) []byte {
	body := `{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///work/ws/a.go","version":2},"contentChanges":[{"range":{"start":{"line":3,"character":4},"end":{"line":3,"character":4}},"text":"` + strings.Repeat("x", 700) + `"}]}}`
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	return b.Bytes()
}

type nopCloser struct{ io.Reader }

func (nopCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopCloser) Close() error                { return nil }

func BenchmarkFrameRead(b *testing.B) {
	input := framedInput(1000)
	b.Run("veil", func(b *testing.B) {
		b.SetBytes(int64(len(input) / 1000))
		for i := 0; i < b.N; i += 1000 {
			fr := NewFrameReader(bytes.NewReader(input), 1<<20)
			for j := 0; j < 1000; j++ {
				body, err := fr.Read()
				if err != nil {
					b.Fatal(err)
				}
				if _, rerr := Parse(body); rerr != nil {
					b.Fatal(rerr)
				}
			}
		}
	})
	b.Run("jsonrpc2", func(b *testing.B) {
		b.SetBytes(int64(len(input) / 1000))
		for i := 0; i < b.N; i += 1000 {
			s := jsonrpc2.NewHeaderStream(nopCloser{bytes.NewReader(input)})
			rf := s.(interface {
				ReadFrame(context.Context) ([]byte, int64, error)
			})
			for j := 0; j < 1000; j++ {
				body, _, err := rf.ReadFrame(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				own := append([]byte(nil), body...) // veil hands frames to goroutines
				if _, err := jsonrpc2.ScanMessageView(own); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// TestFrameReaderResync: after a malformed header the reader skips to the
// next Content-Length and keeps going.
func TestFrameReaderResync(t *testing.T) {
	in := "Content-Type: x\r\n\r\n{\"junk\":1}" +
		"Content-Length: 2\r\n\r\n{}" +
		"Content-Length: 99999\r\n\r\n" + strings.Repeat("y", 99999) +
		"Content-Length: 3\r\n\r\n[1]"
	fr := NewFrameReader(strings.NewReader(in), 1000)
	var got []string
	for {
		body, err := fr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, "err")
			continue
		}
		got = append(got, string(body))
	}
	if want := "err,{},err,[1]"; strings.Join(got, ",") != want {
		t.Fatalf("frames = %v, want %s", got, want)
	}
}
