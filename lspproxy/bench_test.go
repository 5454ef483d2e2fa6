package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/localmodel"
)

// Benchmarks through the real wire: an in-process Client over pipes.
//
//	go test ./lspproxy -run XXX -bench . -benchtime 3s

// zeroModel answers at once, so a benchmark measures veil alone.
type zeroModel struct{}

func (zeroModel) ID() string { return "zero" }
func (zeroModel) Complete(context.Context, localmodel.FIMRequest) (localmodel.Completion, error) {
	return localmodel.Completion{Text: "return nil", Model: "zero"}, nil
}
func (zeroModel) Chat(context.Context, localmodel.ChatRequest, func(string) error) (string, error) {
	return "", nil
}

func benchClient(b *testing.B, diagnostics bool) *Client {
	b.Helper()
	cfg := pipelineConfig()
	cfg.LSP.Diagnostics = diagnostics
	cfg.LSP.MaxFrameBytes = 16 << 20
	c, err := NewClient(Options{Config: cfg, RedactOptions: testRedactOptions, Model: zeroModel{}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	if _, err := c.Call(context.Background(), "initialize", map[string]any{
		"rootUri": "file:///work/ws", "capabilities": map[string]any{}}); err != nil {
		b.Fatal(err)
	}
	return c
}

func openDoc(b *testing.B, c *Client, uri, text string) {
	b.Helper()
	if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "go", "version": 1, "text": text}}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHandledRequest is the cost of one small request answered by
// veil: client encode, frame, server read, parse, dispatch, policy, reply,
// client read.
func BenchmarkHandledRequest(b *testing.B) {
	c := benchClient(b, true)
	ctx := context.Background()
	params := map[string]any{"uri": "file:///work/ws/a.go"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Call(ctx, "veil/status", params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDidChangeWire1MB types one character into a 1 MB document
// through the wire (with diagnostics on) and waits for it with a request.
func BenchmarkDidChangeWire1MB(b *testing.B) {
	for _, diags := range []bool{false, true} {
		b.Run(fmt.Sprintf("diagnostics=%v", diags), func(b *testing.B) {
			c := benchClient(b, diags)
			text, _ := sampleSource(newSecrets(11), 1<<20)
			uri := "file:///work/ws/big.go"
			openDoc(b, c, uri, text)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := map[string]any{"line": 9000, "character": 3 + i%20}
				if err := c.Notify("textDocument/didChange", map[string]any{
					"textDocument":   map[string]any{"uri": uri, "version": i + 2},
					"contentChanges": []any{map[string]any{"range": map[string]any{"start": p, "end": p}, "text": "x"}},
				}); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Call(ctx, "veil/status", map[string]any{"uri": "file:///work/ws/none.go"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInlineCompletionOverhead is what veil adds to an inline
// completion, the model excluded: a 20 KB document with secrets, three
// neighbours, policy, window scan, masking, context, restore, positions,
// and the round trip over the wire. It reports p50 and p99 per request.
func BenchmarkInlineCompletionOverhead(b *testing.B) {
	for _, neighbours := range []int{0, 3} {
		b.Run(fmt.Sprintf("neighbours=%d", neighbours), func(b *testing.B) { benchInline(b, neighbours) })
	}
}

func benchInline(b *testing.B, neighbours int) {
	c := benchClient(b, true)
	sec := newSecrets(12)
	text, _ := sampleSource(sec, 20<<10)
	uri := "file:///work/ws/main.go"
	openDoc(b, c, uri, text)
	for i := 0; i < neighbours; i++ {
		n, _ := sampleSource(sec, 8<<10)
		openDoc(b, c, fmt.Sprintf("file:///work/ws/n%d.go", i), n)
	}
	lines := strings.Count(text, "\n")
	ctx := context.Background()
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		line := (i * 37) % lines
		start := time.Now()
		res, err := c.Call(ctx, "textDocument/inlineCompletion", map[string]any{
			"textDocument": map[string]any{"uri": uri},
			"position":     map[string]any{"line": line, "character": 1},
			"context":      map[string]any{"triggerKind": 2},
		})
		durs = append(durs, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			var l InlineCompletionList
			if err := json.Unmarshal(res, &l); err != nil || len(l.Items) != 1 {
				b.Fatalf("no completion: %s", res)
			}
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds()), "p99-µs")
}
