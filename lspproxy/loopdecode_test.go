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

// TestLoopDecoderAcrossMethods: the read loop's one decoder decodes the
// params of every method it serves in whatever order they come (a
// keystroke, a completion, a status call, a broken message, an inline
// request whose context is absent after one that had it): each value is
// what json.Unmarshal makes of its own params into a fresh value, with
// nothing carried over from the message before.
func TestLoopDecoderAcrossMethods(t *testing.T) {
	change := loopDecodeSamples()[0]
	inline := `{"textDocument":{"uri":"file:///w/a.go"},"position":{"line":3,"character":5},"context":{"triggerKind":1}}`
	inlineBare := `{"textDocument":{"uri":"file:///w/b.go"},"position":{"line":0,"character":0}}`
	completion := `{"textDocument":{"uri":"file:///w/c.go"},"position":{"line":9,"character":1},"context":{"triggerKind":2}}`
	completionBare := `{"textDocument":{"uri":"file:///w/d.go"},"position":{"line":2,"character":7}}`
	status := `{"uri":"file:///w/e%20f.go"}`
	type sample struct {
		params string
		fresh  func() any
	}
	didChange := func() any { return &DidChangeTextDocumentParams{} }
	inl := func() any { return &InlineCompletionParams{} }
	cpl := func() any { return &CompletionParams{} }
	st := func() any { return &TextDocumentIdentifier{} }
	samples := []sample{
		{change, didChange}, {inline, inl}, {inlineBare, inl}, {completion, cpl}, {completionBare, cpl},
		{status, st}, {`{"uri":7}`, st}, {inline, inl}, {`{"textDocument":`, cpl}, {completionBare, cpl},
		{change, didChange}, {status + " ", st}, {inlineBare, inl}, {status, st}, {change, didChange},
	}
	var l loopDecoder
	for round := range 2 {
		for i, s := range samples {
			got, want := s.fresh(), s.fresh()
			gerr := l.decode([]byte(s.params), got)
			werr := json.Unmarshal([]byte(s.params), want)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("round %d sample %d: error %v, json.Unmarshal's %v", round, i, gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d sample %d: decoded %+v, json.Unmarshal %+v", round, i, got, want)
			}
		}
	}
}
