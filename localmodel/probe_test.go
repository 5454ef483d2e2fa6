package localmodel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

var (
	digestA = strings.Repeat("0123456789abcdef", 4)
	digestB = strings.Repeat("fedcba9876543210", 4)
)

func serveTags(digest string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"models":[{"name":"other:7b","model":"other:7b","digest":%q},{"name":%q,"model":%q,"size":1,"digest":%q}]}`,
			digestB, testModel, testModel, digest)
	}
}

func TestProbe(t *testing.T) {
	tests := []struct {
		name    string
		pins    []string
		modelID string
		tags    http.HandlerFunc
		wantErr string // "" for success; else the exact message, %s = endpoint
	}{
		{name: "served, no pins", modelID: testModel},
		{name: "served and pinned by name", modelID: testModel, pins: []string{testModel}},
		{name: "digest matches (12-digit prefix)", modelID: testModel, pins: []string{testModel + "@sha256:" + digestA[:12]}, tags: serveTags(digestA)},
		{name: "digest matches (full)", modelID: testModel, pins: []string{testModel + "@sha256:" + digestA}, tags: serveTags(digestA)},
		{
			name: "not served", modelID: "absent:1b",
			wantErr: `model refused: model "absent:1b" is not served at %s (it serves: test-coder:1b, other:7b)`,
		},
		{
			name: "digest differs", modelID: testModel, pins: []string{testModel + "@sha256:" + digestB}, tags: serveTags(digestA),
			wantErr: `model refused: model "test-coder:1b" has digest sha256:0123456789ab, model.pin requires sha256:fedcba987654`,
		},
		{
			name: "digest cannot be checked", modelID: testModel, pins: []string{testModel + "@sha256:" + digestA},
			wantErr: `model refused: cannot verify the digest model.pin requires for "test-coder:1b": /api/tags answered HTTP 404 (is this Ollama?)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.Tags = tt.tags
			cfg := f.cfg()
			cfg.Name, cfg.Pin = tt.modelID, tt.pins
			c := newTestClient(t, cfg, nil)
			err := Probe(context.Background(), c)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Probe = %v, want nil", err)
				}
				return
			}
			want := tt.wantErr
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, f.endpoint())
			}
			if !errors.Is(err, ErrModelRefused) || err.Error() != want {
				t.Errorf("Probe =\n%v\nwant\n%s", err, want)
			}
		})
	}
}

func TestProbeBuiltin(t *testing.T) {
	m, err := New(DefaultConfig(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Probe(context.Background(), m); err != nil {
		t.Errorf("Probe(builtin) = %v", err)
	}
}

// With a digest pin, requests are verified first even if nobody called Probe,
// and a mismatch means nothing is sent.
func TestDigestPinCheckedBeforeRequests(t *testing.T) {
	f := newFakeServer(t)
	f.Tags = serveTags(digestB)
	f.Completions = streamCompletion("x")
	cfg := f.cfg()
	cfg.Pin = []string{testModel + "@sha256:" + digestA}
	c := newTestClient(t, cfg, nil)
	_, err := c.Complete(context.Background(), FIMRequest{Prefix: "a"})
	if !errors.Is(err, ErrModelRefused) {
		t.Fatalf("Complete err = %v, want ErrModelRefused", err)
	}
	_, err = c.Chat(context.Background(), ChatRequest{Message: "a"}, nil)
	if !errors.Is(err, ErrModelRefused) {
		t.Fatalf("Chat err = %v, want ErrModelRefused", err)
	}
	if n := f.hitCount("/v1/completions") + f.hitCount("/v1/chat/completions"); n != 0 {
		t.Errorf("%d requests reached an unverified model", n)
	}

	// Once the digest matches, the check runs once and requests go through.
	f.update(func(f *fakeServer) { f.Tags = serveTags(digestA) })
	for range 3 {
		if _, err := c.Complete(context.Background(), FIMRequest{Prefix: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.hitCount("/api/tags"); n != 3 {
		t.Errorf("/api/tags hit %d times, want 3 (2 refusals, 1 pass)", n)
	}
}

// With pins set, an answer from another model is refused and discarded.
func TestAnswerFromOtherModelRefused(t *testing.T) {
	f := newFakeServer(t)
	f.Chat = streamChat("impostor:70b", "hello")
	f.Completions = func(w http.ResponseWriter, _ *http.Request) {
		s := startSSE(w)
		s.data(completionChunk("impostor:70b", "x", "stop"))
		s.done()
	}
	cfg := f.cfg()
	cfg.Pin = []string{testModel}
	c := newTestClient(t, cfg, nil)
	called := false
	_, err := c.Chat(context.Background(), ChatRequest{Message: "hi"}, func(string) error { called = true; return nil })
	want := fmt.Sprintf(`model refused: asked for %q, the server answered with "impostor:70b", which model.pin does not allow; the answer was discarded`, testModel)
	if !errors.Is(err, ErrModelRefused) || err.Error() != want {
		t.Errorf("Chat err =\n%v\nwant\n%s", err, want)
	}
	if called {
		t.Error("text from the refused model reached onChunk")
	}
	if _, err := c.Complete(context.Background(), FIMRequest{Prefix: "a"}); !errors.Is(err, ErrModelRefused) {
		t.Errorf("Complete err = %v, want ErrModelRefused", err)
	}
}
