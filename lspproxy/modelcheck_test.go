package lspproxy

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
)

// TestModelCheckHonoursEachCaller: a request cancelled while the model
// check runs returns at once with its own cause, the check goes on, and the
// next request is served by its result instead of a remembered failure.
func TestModelCheckHonoursEachCaller(t *testing.T) {
	release := make(chan struct{})
	srv := lsptest.NewModelServer(t, []string{"m"}, "x", "")
	srv.Models = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		lsptest.WriteModels(w, "m")
	}
	mc := localmodel.DefaultConfig()
	mc.Endpoint, mc.Name, mc.Pin = srv.URL+"/v1", "m", []string{"m"}
	model, err := localmodel.New(mc, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.(interface{ Close() error }).Close()
	opts := pipelineOptions(nil)
	opts.Model = model
	if err := opts.validate(); err != nil {
		t.Fatal(err)
	}
	p, err := newPipeline(&recordingEditor{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()

	cause := errors.New("the user typed on")
	ctx, cancel := context.WithCancelCause(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.ready(ctx) }()
	for srv.Hits("/v1/models") == 0 { // the check is running
		time.Sleep(time.Millisecond)
	}
	cancel(cause)
	if err := <-errc; !errors.Is(err, cause) {
		t.Fatalf("cancelled caller: %v, want its own cause", err)
	}
	close(release)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := p.ready(ctx2); err != nil {
		t.Fatalf("next caller: %v, want the check's success", err)
	}
	if n := srv.Hits("/v1/models"); n != 1 {
		t.Errorf("%d model checks, want 1", n)
	}
}
