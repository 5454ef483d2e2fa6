package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/lspproxy"
)

func runLSP(e *env, args []string) int {
	fs := newFlagSet("lsp", "", e)
	cfgFile := fs.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	listen := fs.String("listen", "", "serve LSP over TCP on this loopback address (127.0.0.1:PORT) instead of stdio")
	fs.Bool("stdio", true, "serve on stdin/stdout (the default; Copilot plugins pass it)")
	wrapMode := fs.Bool("wrap", false, "wrap mode: run the AI language server named after -- (or upstream.command) as veil's child, with veil as its only network")
	modelFlags(fs)
	var lf logFlags
	lf.register(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "veil lsp: "+format+"\n", a...)
		return exitError
	}
	load := config.LoadOptions{UserFile: *cfgFile, Getenv: e.getenv, Environ: os.Environ(), Flags: fs}
	loaded, err := config.Load(load)
	if err != nil {
		return fail("%v", err)
	}
	logger, closeLog, err := sessionLogger(&lf, fs, loaded.Config, e.stderr)
	if err != nil {
		return fail("%v", err)
	}
	defer closeLog()
	// Absolute paths (a home directory, a codename folder) never reach the log.
	logger = slog.New(lspproxy.PathMaskingHandler(logger.Handler()))
	for _, w := range loaded.Warnings {
		logger.Warn("config", "warning", w.Error())
	}
	if *wrapMode {
		if *listen != "" {
			return fail("--wrap serves stdio only (the child is one session)")
		}
		return serveWrap(e, loaded.Config, load, logger, fs.Args())
	}
	deps, err := openDeps(loaded.Config, e.getenv, logger)
	if err != nil {
		return fail("%v", err)
	}
	defer deps.close()
	opts := lspproxy.Options{
		Config:    &loaded.Config,
		Load:      &load,
		Detectors: lspproxy.NewDetectors(), // compiled once, shared by every session
		TextMeter: memoryMeter(e.getenv),
		Model:     deps.model,
		Audit:     deps.audit,
		Version:   version,
		Logger:    logger,
	}
	if *listen != "" {
		return serveTCP(e, *listen, opts)
	}
	srv, err := lspproxy.New(opts)
	if err != nil {
		return fail("%v", err)
	}
	switch err := srv.Serve(context.Background(), pollableStdin(e.stdin), e.stdout); {
	case err == nil:
		return exitOK
	case errors.Is(err, lspproxy.ErrExitWithoutShutdown):
		logger.Info("exit without shutdown")
		return exitFindings
	default:
		logger.Error("serve", "error", err)
		return exitError
	}
}

// modelFlags are the model flags lsp and demo share; they set model.* keys.
func modelFlags(fs *pflag.FlagSet) {
	fs.String("endpoint", "", "OpenAI-compatible model server, e.g. http://127.0.0.1:11434/v1 (model.endpoint)")
	fs.String("model", "", "model name on that server (model.name)")
	_ = config.BindFlag(fs, "endpoint", "model.endpoint")
	_ = config.BindFlag(fs, "model", "model.name")
}

// sessionLogger opens the log named by the flags or, when they were not
// given, by the config's log section.
func sessionLogger(lf *logFlags, fs *pflag.FlagSet, c config.Config, stderr io.Writer) (*slog.Logger, func() error, error) {
	if !fs.Changed("log-file") {
		lf.file = c.Log.File
	}
	if !fs.Changed("log-level") && c.Log.Level != "" {
		lf.level = c.Log.Level
	}
	return lf.open(stderr)
}

// deps are what a session needs beyond config: the model and the audit log.
type deps struct {
	model localmodel.Model
	audit *audit.Log
}

// procsFor is the GOMAXPROCS a veil process runs with, 0 for the runtime's
// default: 1 for veil lsp unless GOMAXPROCS is set. The language server
// waits on its editor and its model and works in short bursts; with one
// processor per core, every hand-off between its goroutines (read loop,
// request, HTTP transport, writer) woke another OS thread, which on a busy
// 2-core machine (the editor, the model server and the build beside it)
// waited for a core: over the wire, added inline p99 was 2.1–2.6 ms with 0
// neighbours and 2.9–3.4 ms with 3, against 1.3–1.6 and 2.1–2.6 ms on one
// processor; keystrokes at 10 MB 2.0 ms against 0.9 ms (go test -bench
// 'WireInline|WireKeystroke' ./cmd/veil/, same machine, alternating runs).
func procsFor(args []string, getenv func(string) string) int {
	if !isLSP(args) || getenv("GOMAXPROCS") != "" {
		return 0
	}
	return 1
}

// gcPercentFor is the GOGC a veil process runs with, 0 for the runtime's
// default: 200 for veil lsp unless GOGC is set. With the built-in rules
// compiled on first use, the language server's live heap is about 1 MB
// besides the open text, so at the default of 100 the heap's goal sat at
// the runtime's 4 MB floor and a collection ran every ~250 keystrokes or
// ~70 inline completions; on one processor each cycle that overlaps a
// request is its tail. At 200 the floor is 8 MB: veil's cycles over 1,000
// keystrokes at 10 KB went from 8 to 2, at 1 MB from 15 to 7, and over 1,000
// inline completions with 3 neighbours from 14 to 5, for 3.5–4 MB more
// resident memory, which stays within issue 13's budget of twice the text
// plus 25 MB (go test -run '^$' -bench 'WireKeystroke/(10KB|1MB$)|WireInline/neighbours=3'
// -benchtime 1000x ./cmd/veil/ with GODEBUG=gctrace=1 and VEIL_BENCH_STDERR=1,
// counting "1 P" lines; rss-MB and budget-MB from the same run). Where much
// is open, the soft memory limit (memoryLimit) binds before this goal does.
func gcPercentFor(args []string, getenv func(string) string) int {
	if !isLSP(args) || getenv("GOGC") != "" {
		return 0
	}
	return 200
}

func isLSP(args []string) bool { return len(args) > 0 && args[0] == "lsp" }

// memoryMeter keeps the runtime's soft memory limit at memoryLimit of the
// open document text. GOMEMLIMIT, when set, wins.
func memoryMeter(getenv func(string) string) *lspproxy.TextMeter {
	if getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return lspproxy.NewTextMeter(func(total int64) { debug.SetMemoryLimit(memoryLimit(total)) })
}

// memoryLimit is the soft memory limit for text bytes of open documents:
// twice the text plus 16 MiB (the live heap is about 1.5 times the text plus
// about 1 MB), so where much is open the collector's headroom follows the
// text instead of doubling the heap, and with the binary's own pages
// resident memory stays under twice the text plus 25 MB. While little is
// open, up to 2 MiB more, fading by a quarter of the text: at 1 MB open this
// limit, not GOGC, sets the pace, and the extra room takes veil's cycles
// over 1,000 keystrokes from 11 to 7-8 for 0.5-1 MB more resident memory; at
// 10 MB a flat 2 MiB more took resident memory to 44 of the 45 MB budget
// (go test -run '^$' -bench 'WireKeystroke/(1MB|10MB)$' -benchtime 1000x
// ./cmd/veil/ with GODEBUG=gctrace=1 and VEIL_BENCH_STDERR=1).
func memoryLimit(text int64) int64 {
	return 2*text + 16<<20 + max(0, 2<<20-text/4)
}

func openDeps(c config.Config, getenv func(string) string, logger *slog.Logger) (*deps, error) {
	m, err := localmodel.New(c.Model, getenv, logger)
	if err != nil {
		return nil, err
	}
	d := &deps{model: m}
	if c.Audit.Enabled {
		var key []byte
		if c.Audit.HashPaths {
			key, err = audit.LoadKey(auditKeyPath(getenv))
			if err != nil {
				d.close()
				return nil, err
			}
		}
		if d.audit, err = audit.Open(c.Audit, key); err != nil {
			d.close()
			return nil, err
		}
	}
	return d, nil
}

func (d *deps) close() {
	if c, ok := d.model.(io.Closer); ok {
		_ = c.Close()
	}
	if d.audit != nil {
		_ = d.audit.Close()
	}
}

// auditKeyPath is where the path-hash key lives: with the user config, apart
// from the audit log.
func auditKeyPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	_ = os.MkdirAll(filepath.Join(dir, "veil"), 0o700)
	return filepath.Join(dir, "veil", "audit-path.key")
}

// serveTCP serves each connection as its own session until SIGINT/SIGTERM.
// Only loopback addresses are accepted: the stream carries source code.
func serveTCP(e *env, addr string, opts lspproxy.Options) int {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(e.stderr, "veil lsp: --listen %q: want a loopback address such as 127.0.0.1:7777\n", addr)
		return exitError
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil lsp: %v\n", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts.Logger.Info("listening", "addr", ln.Addr().String())
	fmt.Fprintf(e.stderr, "veil lsp: listening on %s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	for {
		conn, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[conn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, conn)
				mu.Unlock()
				conn.Close()
			}()
			srv, err := lspproxy.New(opts)
			if err != nil {
				opts.Logger.Error("session", "error", err)
				return
			}
			err = srv.Serve(ctx, conn, conn)
			opts.Logger.Info("session ended", "remote", conn.RemoteAddr().String(), "result", fmt.Sprint(err))
		}()
	}
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return exitOK
}
