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
	det   *redact.Detector
	vault *redact.Vault
	pol   *policy.Policy
	root  string // the workspace root policy sees: the directory veil runs in
	audit *audit.Log
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
		Detector: func() *redact.Detector { return d.det },
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
	det, err := redact.NewDetector(c.DetectorOptions())
	if err != nil {
		return nil, err
	}
	pol, err := policy.Compile(c.Policy)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cwd, _ := os.Getwd()
	return &wrapDeps{det: det, vault: redact.NewVault(key, 0), pol: pol, root: filepath.ToSlash(cwd), audit: auditLog}, nil
}

// route decides a document's route in wrap mode.
func (d *wrapDeps) route(kind policy.Kind, u, languageID, text string) policy.Decision {
	p := docPath(u)
	req := policy.Request{Kind: kind, Path: p, WorkspaceRoot: d.root, LanguageID: languageID, Wrapped: true}
	if text != "" {
		req.Findings = d.det.Scan(scanPath(p, d.root), []byte(text))
	}
	return d.pol.Decide(req)
}

// blocked says whether a file's content may not leave (the egress gate
// asks for chat attachments and agent tool results).
func (d *wrapDeps) blocked(p string) (string, bool) {
	if strings.HasPrefix(p, "file:") {
		p = docPath(p)
	} else if !filepath.IsAbs(p) {
		p = filepath.Join(d.root, p)
	}
	dec := d.pol.Decide(policy.Request{Kind: policy.Chat, Path: filepath.ToSlash(p), WorkspaceRoot: d.root, Wrapped: true})
	return dec.Reason, dec.Route != policy.Upstream
}

// mask masks text for the log.
func (d *wrapDeps) mask(s string) string {
	fs := d.det.Scan("", []byte(s))
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
