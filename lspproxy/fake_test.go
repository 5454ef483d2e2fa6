package lspproxy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
)

// fakeModel records every request and answers from function fields. By
// default a completion echoes the last vault token of the prefix (so the
// test sees restore at work) and chat streams a fixed reply.
type fakeModel struct {
	mu    sync.Mutex
	fims  []localmodel.FIMRequest
	chats []localmodel.ChatRequest

	complete func(ctx context.Context, req localmodel.FIMRequest) (string, error)
	chat     func(ctx context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error)
	started  chan struct{} // if set, receives once per call when it starts
}

func (m *fakeModel) ID() string { return "fake" }

func (m *fakeModel) Complete(ctx context.Context, req localmodel.FIMRequest) (localmodel.Completion, error) {
	m.mu.Lock()
	m.fims = append(m.fims, req)
	m.mu.Unlock()
	if m.started != nil {
		m.started <- struct{}{}
	}
	if m.complete != nil {
		text, err := m.complete(ctx, req)
		return localmodel.Completion{Text: text, Model: "fake"}, err
	}
	text := "done()"
	if toks := tokenPattern.FindAllString(req.Prefix, -1); len(toks) > 0 {
		text = "use(" + toks[len(toks)-1] + ")"
	}
	return localmodel.Completion{Text: text, Model: "fake"}, nil
}

func (m *fakeModel) Chat(ctx context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
	m.mu.Lock()
	m.chats = append(m.chats, req)
	m.mu.Unlock()
	if m.chat != nil {
		return m.chat(ctx, req, onChunk)
	}
	return "", fmt.Errorf("fake: no chat")
}

// seen is everything the model received, for leak checks.
func (m *fakeModel) seen() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, r := range m.fims {
		b.WriteString(r.Prefix + "\x00" + r.Suffix + "\x00" + r.Path + "\x00")
		for _, n := range r.Neighbors {
			b.WriteString(n.Path + "\x00" + n.Text + "\x00")
		}
	}
	for _, r := range m.chats {
		b.WriteString(r.Message + "\x00")
		for _, n := range r.References {
			b.WriteString(n.Path + "\x00" + n.Text + "\x00")
		}
		for _, h := range r.History {
			b.WriteString(h.User + "\x00" + h.Assistant + "\x00")
		}
	}
	return b.String()
}

func (m *fakeModel) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.fims) + len(m.chats)
}

// testRedactOptions is what cmd/veil uses.
var testRedactOptions = config.Config.DetectorOptions

func pipelineConfig() *config.Config {
	c := config.Defaults()
	c.Audit.Enabled = false
	c.LSP.MaxFrameBytes = 1 << 16
	c.Identifiers.Terms = []string{"Zephyrine"}
	return &c
}

// auditedConfig is pipelineConfig with an audit log in a temporary
// directory, and that log opened (closed when the test ends).
func auditedConfig(t *testing.T) (*config.Config, *audit.Log) {
	t.Helper()
	cfg := pipelineConfig()
	cfg.Audit.Enabled = true
	cfg.Audit.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(cfg.Audit, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	return cfg, log
}

// initializedClient is an in-process session with opts that has answered
// initialize for file:///work/ws; it closes when the test ends.
func initializedClient(tb testing.TB, opts Options) *Client {
	tb.Helper()
	c, err := NewClient(opts, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close(context.Background()) })
	if _, err := c.Call(context.Background(), "initialize", map[string]any{
		"rootUri": "file:///work/ws", "capabilities": map[string]any{}}); err != nil {
		tb.Fatal(err)
	}
	return c
}

func pipelineOptions(m *fakeModel) Options {
	return Options{Config: pipelineConfig(), RedactOptions: testRedactOptions, Model: m}
}

// secrets adapts lsptest's generator to the short names these tests use;
// the same seed gives the same values as before the generator moved.
type secrets struct{ *lsptest.Secrets }

func newSecrets(seed uint64) *secrets { return &secrets{lsptest.NewSecrets(seed)} }

func (s *secrets) pick(alphabet string, n int) string { return s.Pick(alphabet, n) }

// aws is an access key id: AKIA + 16 of [A-Z2-7].
func (s *secrets) aws() string { return s.AWSAccessKeyID() }

const base62 = lsptest.Base62

// github is a classic PAT with its CRC-32 checksum.
func (s *secrets) github() string { return s.GitHubPAT() }
