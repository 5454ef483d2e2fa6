package localmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// benchServer answers every POST with the same short completion stream, the
// way a fast local server would, and counts TCP connections.
func benchServer(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var events [][]byte
	for i, p := range []string{"a + b", " // sum", " of both"} {
		finish := ""
		if i == 2 {
			finish = "stop"
		}
		j, _ := json.Marshal(completionChunk(testModel, p, finish))
		events = append(events, []byte("data: "+string(j)+"\n\n"))
	}
	events = append(events, []byte("data: [DONE]\n\n"))
	conns := new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		// One flush per event: a chunked stream, as real servers send.
		for _, e := range events {
			w.Write(e)
			w.(http.Flusher).Flush()
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	b.Cleanup(srv.Close)
	return srv, conns
}

func benchRequest() FIMRequest {
	var prefix strings.Builder
	for i := range 40 {
		prefix.WriteString("\tvalue" + string(rune('a'+i%26)) + " := compute(input, " + strings.Repeat("x", i%7) + ")\n")
	}
	prefix.WriteString("\treturn ")
	return FIMRequest{
		Prefix: prefix.String(), Suffix: "\n}\n", Path: "calc/sum.go", Language: "go",
		Neighbors: []Snippet{{Path: "calc/util.go", Text: strings.Repeat("func helper() int { return 1 }\n", 30)}},
		Trigger:   Automatic,
	}
}

// benchRequests are the requests the client benchmarks send: a small one
// and one the size lspproxy sends with the default settings.
func benchRequests() []struct {
	name string
	req  FIMRequest
} {
	return []struct {
		name string
		req  FIMRequest
	}{{"small", benchRequest()}, {"default", defaultBenchRequest()}}
}

// defaultBenchRequest is a completion request as lspproxy builds it with
// the default settings (lsp.context_bytes 8192, lsp.neighbor_bytes 4096,
// lsp.neighbor_files 3, neighbours masked up to their first 8 KiB): about
// 6 KiB of prefix, 2 KiB of suffix and three neighbour windows.
func defaultBenchRequest() FIMRequest {
	doc := neighbourSource(1, 16<<10)
	var nbs []Snippet
	for i := range 3 {
		t := neighbourSource(uint64(i+2), 8<<10)
		nbs = append(nbs, Snippet{Path: fmt.Sprintf("calc/n%d.go", i), Text: t, Index: IndexWords(t)})
	}
	prefix, suffix, snips := BuildContext(doc, len(doc)/2, 8192, nbs, 4096)
	return FIMRequest{Prefix: prefix, Suffix: suffix, Path: "calc/sum.go", Language: "go", Neighbors: snips, Trigger: Automatic}
}

// BenchmarkClientOverhead measures what Complete adds over the server's own
// response time on loopback: each iteration times a plain net/http POST of
// the same JSON body (read to the end) and a Complete call against the same
// server, and reports both and their difference.
func BenchmarkClientOverhead(b *testing.B) {
	for _, r := range benchRequests() {
		b.Run(r.name, func(b *testing.B) { benchClientOverhead(b, r.req) })
	}
}

func benchClientOverhead(b *testing.B, req FIMRequest) {
	srv, conns := benchServer(b)
	cfg := DefaultConfig()
	cfg.Endpoint, cfg.Name = srv.URL+"/v1", testModel
	m, err := New(cfg, func(string) string { return "" }, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := m.(*client)
	defer c.Close()
	p := buildFIM(FIMSuffix, req)
	raw, _ := json.Marshal(openai.CompletionRequest{Model: testModel, Prompt: p.prompt, Suffix: p.suffix, MaxTokens: 128, Temperature: 0.2, Stream: true})
	plain := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	defer plain.CloseIdleConnections()
	ctx := context.Background()

	var rawTotal, clientTotal time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		resp, err := plain.Post(srv.URL+"/v1/completions", "application/json", bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t1 := time.Now()
		got, err := c.Complete(ctx, req)
		if err != nil || got.Text != "a + b // sum of both" {
			b.Fatalf("Complete = %q, %v", got.Text, err)
		}
		t2 := time.Now()
		rawTotal += t1.Sub(t0)
		clientTotal += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(rawTotal.Microseconds())/n, "raw-µs/op")
	b.ReportMetric(float64(clientTotal.Microseconds())/n, "client-µs/op")
	b.ReportMetric(float64((clientTotal-rawTotal).Microseconds())/n, "overhead-µs/op")
	b.ReportMetric(float64(conns.Load())/n, "conns/op")
}

// cannedTransport answers every request in memory with the same stream.
type cannedTransport struct{ body []byte }

func (d cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, req.Body)
	req.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(d.body)),
		Request:    req,
	}, nil
}

// BenchmarkClientCPU is the client's own work per completion with the
// network taken out: building the prompt, encoding the request, parsing the
// stream, shaping the suggestion.
func BenchmarkClientCPU(b *testing.B) {
	for _, r := range benchRequests() {
		b.Run(r.name, func(b *testing.B) { benchClientCPU(b, r.req) })
	}
}

func benchClientCPU(b *testing.B, req FIMRequest) {
	var body bytes.Buffer
	for i, p := range []string{"a + b", " // sum", " of both"} {
		finish := ""
		if i == 2 {
			finish = "stop"
		}
		j, _ := json.Marshal(completionChunk(testModel, p, finish))
		body.WriteString("data: " + string(j) + "\n\n")
	}
	body.WriteString("data: [DONE]\n\n")
	cfg := DefaultConfig()
	cfg.Endpoint, cfg.Name = "http://127.0.0.1:9/v1", testModel
	m, err := New(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := m.(*client)
	c.httpc.Transport = cannedTransport{body.Bytes()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.Complete(ctx, req)
		if err != nil || got.Text != "a + b // sum of both" {
			b.Fatalf("Complete = %q, %v", got.Text, err)
		}
	}
}

// BenchmarkBuildFIM lays out the prompt of a default-size request in the
// server's suffix mode and in a family's template mode.
func BenchmarkBuildFIM(b *testing.B) {
	req := defaultBenchRequest()
	for _, mode := range []string{FIMSuffix, FIMQwen} {
		b.Run("mode="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p := buildFIM(mode, req); len(p.prompt) < len(req.Prefix) {
					b.Fatalf("prompt of %d bytes", len(p.prompt))
				}
			}
		})
	}
}

// neighbourSource is deterministic Go-like text of about n bytes with a
// varied vocabulary, the kind of neighbour document BuildContext scores.
func neighbourSource(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	nouns := []string{"invoice", "order", "user", "account", "ledger", "client", "token", "record", "batch", "entry", "total", "price"}
	verbs := []string{"parse", "load", "store", "check", "build", "apply", "merge", "find", "count", "send"}
	var b strings.Builder
	for b.Len() < n {
		v, o := verbs[r.IntN(len(verbs))], nouns[r.IntN(len(nouns))]
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "func %s%s%d(raw []byte) (%s, error) {\n", v, strings.ToUpper(o[:1])+o[1:], r.IntN(50), o)
		case 1:
			b.WriteString("}\n\n")
		case 2:
			fmt.Fprintf(&b, "\t// %s the %s before the %s\n", v, o, nouns[r.IntN(len(nouns))])
		default:
			fmt.Fprintf(&b, "\t%s%d, err := %s(ctx, %s.%s)\n", o, r.IntN(20), v, nouns[r.IntN(len(nouns))], strings.ToUpper(o[:1])+o[1:])
		}
	}
	return b.String()
}

// BenchmarkBuildContextNeighbors is the neighbour choice of one completion
// as lspproxy makes it with the default settings: three neighbours of size
// bytes (lspproxy masks at most the first 8 KiB of each) and a 4 KiB
// neighbour budget. With index=true the neighbours carry their WordIndex,
// built once per neighbour snapshot as lspproxy does; with index=false
// BuildContext indexes them on every call.
func BenchmarkBuildContextNeighbors(b *testing.B) {
	doc := neighbourSource(1, 16<<10)
	for _, size := range []int{8 << 10, 64 << 10} {
		for _, indexed := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%dKiB/index=%t", size>>10, indexed), func(b *testing.B) {
				var nbs []Snippet
				for i := range 3 {
					t := neighbourSource(uint64(i+2), size)
					nbs = append(nbs, Snippet{Path: fmt.Sprintf("n%d.go", i), Text: t})
					if indexed {
						nbs[i].Index = IndexWords(t)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					_, _, snips := BuildContext(doc, len(doc)/2, 8192, nbs, 4096)
					if len(snips) != 3 {
						b.Fatalf("%d snippets", len(snips))
					}
				}
			})
		}
	}
}
