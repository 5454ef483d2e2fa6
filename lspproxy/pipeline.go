package lspproxy

import (
	"errors"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/veil-dev/veil/config"
)

// Options configure a session.
type Options struct {
	// Config is the configuration at start, defaults filled in. Required.
	Config *config.Config
	// Version is reported in serverInfo.
	Version string
	// Logger receives the session's logs; never stdout. nil discards.
	Logger *slog.Logger
}

func (o *Options) validate() error {
	if o.Config == nil {
		return errors.New("lspproxy: Options.Config is nil")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// settings is the compiled runtime form of a config; swapped whole on
// reload so a request sees one consistent set.
type settings struct {
	cfg *config.Config
}

// pipeline holds what AI requests need: the compiled settings.
type pipeline struct {
	s    *Server
	cur  atomic.Pointer[settings]
	opts Options
}

func newPipeline(s *Server, opts Options) (*pipeline, error) {
	p := &pipeline{s: s, opts: opts}
	st := &settings{cfg: opts.Config}
	if st.cfg.LSP.MaxFrameBytes <= 0 {
		cp := *st.cfg
		cp.LSP.MaxFrameBytes = 64 << 20
		st.cfg = &cp
	}
	p.cur.Store(st)
	return p, nil
}

func (p *pipeline) settings() *settings { return p.cur.Load() }

func (p *pipeline) scanner() func() scanRangeFunc {
	return func() scanRangeFunc { return nil }
}

func (p *pipeline) workspaceRoots([]string) {}
func (p *pipeline) reload()                 {}
func (p *pipeline) close()                  {}

func aiMethods() map[string]method { return nil }

func (s *Server) documentChanged(*Document) {}
func (s *Server) documentClosed(string)     {}
