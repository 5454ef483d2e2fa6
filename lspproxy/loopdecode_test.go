package lspproxy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// loopDecodeSamples are didChange params of every shape, in an order that
// would show state carried from one decode to the next: a ranged change
// then a full one, whitespace and garbage after the value, broken JSON,
// escapes, a params too large for the decoder, then a plain one again.
func loopDecodeSamples() []string {
	ranged := `{"textDocument":{"uri":"file:///w/a.go","version":7},"contentChanges":[{"range":{"start":{"line":3,"character":4},"end":{"line":3,"character":4}},"rangeLength":0,"text":"x"}]}`
	return []string{
		ranged,
		`{"textDocument":{"uri":"file:///w/a.go","version":8},"contentChanges":[{"text":"whole\ntext"}]}`,
		ranged + "  \n",
		ranged + ` {"textDocument":{"uri":"file:///w/b.go"}}`,
		ranged,
		`{"textDocument":{"uri":"file:///w/a.go","version":9},"contentChanges":[{"text":"a\u00e9\ud83d\ude00\"q\"`,
		`{"textDocument":{"uri":"file:///w/a.go","version":"nine"},"contentChanges":[]}`,
		`{"textDocument":{"uri":"file:///w/a.go","version":10},"contentChanges":[{"text":"a\u00e9\ud83d\ude00\"q\""}]}`,
		`{"textDocument":{"uri":"file:///w/a.go","version":11},"contentChanges":[{"text":"` + strings.Repeat("z", maxLoopDecode) + `"}]}`,
		`[1,2]`,
		`null`,
		ranged,
	}
}

// TestLoopDecoderAsUnmarshal: decoding the samples in turn with one
// loopDecoder gives what json.Unmarshal gives for each, errors included.
func TestLoopDecoderAsUnmarshal(t *testing.T) {
	var l loopDecoder
	for i, params := range loopDecodeSamples() {
		var got, want DidChangeTextDocumentParams
		gerr := l.decode([]byte(params), &got)
		werr := json.Unmarshal([]byte(params), &want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("sample %d: error %v, json.Unmarshal's %v", i, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("sample %d: decoded %+v, json.Unmarshal %+v", i, got, want)
		}
	}
}

// TestLoopDecoderAllocatesLess: a keystroke's didChange decodes with fewer
// allocations than through json.Unmarshal once the decoder is warm.
func TestLoopDecoderAllocatesLess(t *testing.T) {
	params := []byte(loopDecodeSamples()[0])
	var l loopDecoder
	loop := testing.AllocsPerRun(200, func() {
		var p DidChangeTextDocumentParams
		if err := l.decode(params, &p); err != nil {
			t.Fatal(err)
		}
	})
	plain := testing.AllocsPerRun(200, func() {
		var p DidChangeTextDocumentParams
		if err := json.Unmarshal(params, &p); err != nil {
			t.Fatal(err)
		}
	})
	if loop >= plain {
		t.Fatalf("loopDecoder %v allocations, json.Unmarshal %v", loop, plain)
	}
}

// BenchmarkDecodeDidChange: one keystroke's didChange params decoded.
func BenchmarkDecodeDidChange(b *testing.B) {
	params := []byte(loopDecodeSamples()[0])
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p DidChangeTextDocumentParams
			if err := json.Unmarshal(params, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loopDecoder", func(b *testing.B) {
		var l loopDecoder
		b.ReportAllocs()
		for b.Loop() {
			var p DidChangeTextDocumentParams
			if err := l.decode(params, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
