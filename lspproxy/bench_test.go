package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
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
	return initializedClient(b, Options{Config: cfg, RedactOptions: testRedactOptions, Model: zeroModel{}})
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

// BenchmarkInlineWireLike is BenchmarkInlineCompletionOverhead on the
// documents of cmd/veil's BenchmarkWireInline: a 10 KB main document with a
// finding every four lines, three 10 KB neighbours, the cursor on the
// middle line for every request.
func BenchmarkInlineWireLike(b *testing.B) {
	c := benchClient(b, true)
	text := lsptest.GoSource(10<<10, false, 10)
	openDoc(b, c, "file:///work/ws/main.go", text)
	for i := range 3 {
		openDoc(b, c, fmt.Sprintf("file:///work/ws/util%d.go", i+1), lsptest.GoSource(10<<10, false, uint64(11+i)))
	}
	params := map[string]any{
		"textDocument": map[string]any{"uri": "file:///work/ws/main.go"},
		"position":     map[string]any{"line": strings.Count(text[:len(text)/2], "\n"), "character": 1},
		"context":      map[string]any{"triggerKind": 2},
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.Call(ctx, "textDocument/inlineCompletion", params)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 && !strings.Contains(string(res), "return nil") {
			b.Fatalf("no completion: %s", res)
		}
	}
}

// BenchmarkPrompt is the prompt alone (window, known values, policy,
// masking, neighbours, context, leak guard) on the documents of
// BenchmarkInlineWireLike, without the wire, the model or the audit.
func BenchmarkPrompt(b *testing.B) {
	for _, neighbours := range []int{0, 3} {
		b.Run(fmt.Sprintf("neighbours=%d", neighbours), func(b *testing.B) {
			s, err := New(Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: zeroModel{}})
			if err != nil {
				b.Fatal(err)
			}
			s.ctx = context.Background()
			text := lsptest.GoSource(10<<10, false, 10)
			main := s.docs.open(TextDocumentItem{URI: "file:///work/ws/main.go", LanguageID: "go", Version: 1, Text: text})
			for i := range neighbours {
				s.docs.open(TextDocumentItem{URI: fmt.Sprintf("file:///work/ws/util%d.go", i+1), LanguageID: "go", Version: 1,
					Text: lsptest.GoSource(10<<10, false, uint64(11+i))})
			}
			st := s.ai.settings()
			pos := Position{Line: uint32(strings.Count(text[:len(text)/2], "\n")), Character: 1}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				r, err := s.newFIMRequest([]byte("1"), "inline", main.URI, pos, localmodel.Automatic)
				if err != nil || r == nil {
					b.Fatalf("request: %v", err)
				}
				room := s.ai.promptRoom()
				pr, err := s.ai.prompt(st, r, room)
				if err != nil || pr.decision.Route != policy.Local || pr.skip != "" || pr.fim.Prefix == "" {
					b.Fatalf("prompt: %v, route %s, skip %q", err, pr.decision.Route, pr.skip)
				}
				if len(pr.fim.Neighbors) != neighbours {
					b.Fatalf("%d neighbours in the prompt, want %d", len(pr.fim.Neighbors), neighbours)
				}
				s.ai.putPromptRoom(room)
			}
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time this process used so far (user and system,
// every thread: the garbage collector's work included), which a machine
// busy with other processes inflates less than the wall-clock ns/op.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// BenchmarkPublishDiagnostics10MB is what publishing a 10 MB document's
// diagnostics costs once its findings changed: every finding's range from
// its stored offsets, and the notification's JSON.
func BenchmarkPublishDiagnostics10MB(b *testing.B) {
	text, _ := sampleSource(newSecrets(9), 10<<20)
	docs := newDocuments(testScanner(testDetector(b)), nil)
	doc := docs.open(TextDocumentItem{URI: "file:///work/ws/big.go", Version: 1, Text: text})
	s := &Server{enc: UTF16}
	b.ReportMetric(float64(doc.FindingCount()), "findings")
	b.ReportAllocs()
	for b.Loop() {
		if _, n := s.diagnosticsJSON(doc, policy.Decision{Route: policy.Local}, "", nil); n != doc.FindingCount() {
			b.Fatalf("%d diagnostics for %d findings", n, doc.FindingCount())
		}
	}
}
