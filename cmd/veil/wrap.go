package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"go.lsp.dev/uri"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/egress"
	"github.com/veil-dev/veil/lspproxy"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/wrap"
)

// wrapDeps are what a wrap session is built from.
type wrapDeps struct {
	cur   atomic.Pointer[boundary] // replaced whole when the config changes
	vault *redact.Vault
	root  string // the workspace root policy sees: the directory veil runs in
	audit *audit.Log
}

// boundary is what the config decides at the child's network: the detector
// and the policy, compiled together.
type boundary struct {
	det *redact.Detector
	pol *policy.Policy
}

// apply compiles c and puts it in force; on error the old one stays.
func (d *wrapDeps) apply(c config.Config) error {
	det, err := redact.NewDetector(c.DetectorOptions())
	if err != nil {
		return err
	}
	pol, err := policy.Compile(c.Policy)
	if err != nil {
		return err
	}
	d.cur.Store(&boundary{det: det, pol: pol})
	return nil
}

// watch reloads the boundary when the user's or the workspace's config
// file changes (the workspace is the directory veil runs in). The watcher
// stops with ctx; nil when the config cannot be watched (the start config
// stays in force).
func (d *wrapDeps) watch(ctx context.Context, load config.LoadOptions, logger *slog.Logger) *config.Watcher {
	load.WorkspaceRoots = []string{d.root}
	w, err := config.Watch(ctx, load, func(l *config.Loaded) {
		if err := d.apply(l.Config); err != nil {
			logger.Warn("wrap: config reload refused; the previous one stays", "error", err.Error())
			return
		}
		logger.Info("wrap: config reloaded at the boundary")
	}, func(err error) { logger.Warn("wrap: config reload", "error", err.Error()) }, logger)
	if err != nil {
		logger.Warn("wrap: config not watched", "error", err.Error())
		return nil
	}
	if err := d.apply(w.Current().Config); err != nil {
		logger.Warn("wrap: workspace config refused", "error", err.Error())
	}
	return w
}

// serveWrap runs `veil lsp --wrap -- <command>`: the editor's session is
// forwarded to the child, whose only network is veil's egress gate.
func serveWrap(e *env, c config.Config, load config.LoadOptions, logger *slog.Logger, command []string) int {
	if len(command) == 0 {
		command = c.Upstream.Command
	}
	if len(command) == 0 {
		fmt.Fprintln(e.stderr, "veil lsp --wrap: name the server to wrap after --, e.g. veil lsp --wrap -- copilot-language-server --stdio, or set upstream.command")
		return exitError
	}
	deps, err := openDeps(c, e.getenv, logger)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil lsp --wrap: %v\n", err)
		return exitError
	}
	defer deps.close()
	d, err := openWrapDeps(c, deps.audit)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil lsp --wrap: %v\n", err)
		return exitError
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if w := d.watch(ctx, load, logger); w != nil {
		defer w.Close()
	}
	// Documents routed local or block are served by veil's own server.
	local := func(ctx context.Context, r io.Reader, w io.Writer) error {
		srv, err := lspproxy.New(lspproxy.Options{Config: &c, Load: &load, Model: deps.model,
			Audit: deps.audit, Version: version, Logger: logger.With("server", "local")})
		if err != nil {
			return err
		}
		return srv.Serve(ctx, r, w)
	}
	sid := randomID()
	gate := egress.New(egress.Options{
		Detector: func() *redact.Detector { return d.cur.Load().det },
		Vault:    d.vault,
		Blocked:  d.blocked,
		Record:   d.record(sid, logger),
		Session:  sid,
	})
	sess, err := wrap.New(wrap.Options{
		Command: command, Env: os.Environ(), Gate: gate, Route: d.route, AllowVersion: c.Upstream.AllowVersion,
		Mask: d.mask, Version: version, Logger: logger.With("session", sid), Local: local,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "veil lsp --wrap: %v\n", err)
		return exitError
	}
	switch err := sess.Serve(context.Background(), e.stdin, e.stdout); {
	case err == nil:
		return exitOK
	case errors.Is(err, wrap.ErrNoShutdown):
		logger.Info("exit without shutdown")
		return exitFindings
	default:
		logger.Error("wrap", "error", err.Error())
		fmt.Fprintf(e.stderr, "veil lsp --wrap: %v\n", err)
		return exitError
	}
}

func openWrapDeps(c config.Config, auditLog *audit.Log) (*wrapDeps, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cwd, _ := os.Getwd()
	d := &wrapDeps{vault: redact.NewVault(key, 0), root: filepath.ToSlash(cwd), audit: auditLog}
	if err := d.apply(c); err != nil {
		return nil, err
	}
	return d, nil
}

// route decides a document's route in wrap mode.
func (d *wrapDeps) route(kind policy.Kind, u, languageID, text string) policy.Decision {
	b := d.cur.Load()
	p := docPath(u)
	req := policy.Request{Kind: kind, Path: p, WorkspaceRoot: d.root, LanguageID: languageID, Wrapped: true}
	if text != "" {
		req.Findings = b.det.Scan(scanPath(p, d.root), []byte(text))
	}
	return b.pol.Decide(req)
}

// blocked says whether a file's content may not leave (the egress gate
// asks for chat attachments and agent tool results).
func (d *wrapDeps) blocked(p string) (string, bool) {
	if strings.HasPrefix(p, "file:") {
		p = docPath(p)
	} else if !filepath.IsAbs(p) {
		p = filepath.Join(d.root, p)
	}
	dec := d.cur.Load().pol.Decide(policy.Request{Kind: policy.Chat, Path: filepath.ToSlash(p), WorkspaceRoot: d.root, Wrapped: true})
	return dec.Reason, dec.Route != policy.Upstream
}

// mask masks text for the log: what the detector finds and every value
// the session has masked before.
func (d *wrapDeps) mask(s string) string {
	fs := append(d.cur.Load().det.Scan("", []byte(s)), d.vault.Known([]byte(s))...)
	if len(fs) == 0 {
		return s
	}
	m, err := d.vault.Mask(s, fs)
	if err != nil {
		return fmt.Sprintf("[%d bytes withheld]", len(s))
	}
	return m.Text
}

// record writes one audit record per upstream request.
func (d *wrapDeps) record(sid string, logger *slog.Logger) func(audit.Record) {
	return func(r audit.Record) {
		logger.Debug("upstream", "kind", r.Kind, "host", r.Host, "outcome", r.Outcome, "latency_ms", r.LatencyMS)
		if d.audit == nil {
			return
		}
		r.Session = sid
		if err := d.audit.Write(r); err != nil {
			logger.Error("audit", "error", err.Error())
		}
	}
}

// docPath is the slash path of a file: URI ("" for other schemes).
func docPath(u string) string {
	parsed, err := uri.Parse(u)
	if err != nil || !parsed.IsFile() {
		return ""
	}
	return uri.FsPathFor(parsed, uri.PlatformPOSIX, true)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
