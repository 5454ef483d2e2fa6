package lspproxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/chatlog"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// Options configure a session.
type Options struct {
	// Config is the configuration at start, defaults filled in. Required.
	Config *config.Config
	// Load, when set, makes the session reload its configuration with the
	// workspace roots the client names at initialize, watch the files, and
	// reload on workspace/didChangeConfiguration and folder changes.
	Load *config.LoadOptions
	// RedactOptions turns a config into detector options; nil means
	// config.Config.DetectorOptions, what every veil command uses.
	RedactOptions func(config.Config) redact.Options
	// Detectors compiles and shares detectors; nil gives the session a
	// cache of its own. One per process lets sessions share them.
	Detectors *Detectors
	// TextMeter, when set, counts the session's open text (shared by the
	// sessions of a process).
	TextMeter *TextMeter
	// Model answers completions and chat; it only ever sees redacted text.
	// Required. The session probes it (model.pin) before the first request.
	Model localmodel.Model
	// Audit, when set, receives one record per AI request.
	Audit *audit.Log
	// SessionID names the session in audit records; "" picks a random one.
	SessionID string
	// Version is reported in serverInfo.
	Version string
	// Logger receives the session's logs; never stdout. nil discards.
	Logger *slog.Logger
}

func (o *Options) validate() error {
	switch {
	case o.Config == nil:
		return errors.New("lspproxy: Options.Config is nil")
	case o.Model == nil:
		return errors.New("lspproxy: Options.Model is nil")
	}
	if o.RedactOptions == nil {
		o.RedactOptions = config.Config.DetectorOptions
	}
	if o.Detectors == nil {
		o.Detectors = NewDetectors()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SessionID == "" {
		o.SessionID = randomHex(8)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// settings is the compiled runtime form of one config; swapped whole on
// reload so a request sees one consistent set.
type settings struct {
	cfg    *config.Config
	det    *detectorFuture
	policy *policy.Policy
	// ruleAlias names each rule id a workspace file added by index in
	// logs and audit records (config.Loaded.WorkspaceRuleIDs).
	ruleAlias map[string]string
}

// detector is the settings' detector. Settings are only used once their
// detector compiled: the session's first is awaited before any message but
// initialize (awaitDetector), and a reload waits for its own before it is
// swapped in (apply).
func (st *settings) detector() *redact.Detector {
	det, _ := st.det.wait()
	return det
}

// compileSettings compiles cfg; its detector comes from dets, compiled in
// the background when it is not cached.
func compileSettings(cfg config.Config, ro func(config.Config) redact.Options, dets *Detectors) (*settings, error) {
	if cfg.LSP.MaxFrameBytes <= 0 {
		cfg.LSP.MaxFrameBytes = 16 << 20
	}
	if cfg.LSP.ContextBytes <= 0 {
		cfg.LSP.ContextBytes = 8192
	}
	if cfg.LSP.LatencyBudget <= 0 {
		cfg.LSP.LatencyBudget = 2 * time.Second
	}
	pol, err := policy.Compile(cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("lspproxy: compiling policy: %w", err)
	}
	return &settings{cfg: &cfg, det: dets.get(ro(cfg)), policy: pol}, nil
}

// awaitDetector blocks until the session's first detector is compiled; a
// detector that does not compile ends the session (Serve returns the
// error), as a configuration that does not compile ends veil at start.
func (p *pipeline) awaitDetector() error {
	if _, err := p.startDet.wait(); err != nil {
		return fmt.Errorf("lspproxy: compiling detection rules: %w", err)
	}
	return nil
}

// vaultMaxEntries bounds the session vault (distinct masked values).
const vaultMaxEntries = 1 << 16

// pipeline holds what AI requests need: compiled settings, the session's
// one vault, the model and the audit log.
type pipeline struct {
	// s is the session the pipeline serves, seen only through the
	// workspace and notifier interfaces (seams.go).
	s      session
	logger *slog.Logger
	opts   Options
	cur    atomic.Pointer[settings]
	// startDet is the detector of the configuration at start, compiled
	// in the background; nothing but initialize runs before it is ready.
	startDet *detectorFuture
	// scannedBy is the detector whose findings the open documents hold:
	// set by the rescan that follows a reload (on the read loop), so a
	// request can tell that its snapshot predates the settings it runs
	// under (see freshFindings).
	scannedBy atomic.Pointer[detectorFuture]
	vault     *redact.Vault
	chats     *chatlog.Log // this session's chat turns, unredacted
	files     configFiles  // the workspace files in force (see configfiles.go)

	// watcherMu guards watcher, started at initialize when Options.Load is set.
	watcherMu sync.Mutex
	watcher   *config.Watcher

	// knownBufs holds *[]byte buffers for withKnown's copy of the text
	// around a window (see knownMargin), reused across requests.
	knownBufs sync.Pool
	// rooms holds *promptRoom, each completion request's room for its
	// prompt, reused across requests (see promptRoom).
	rooms sync.Pool

	// nbMu guards nbCache: redacted neighbour documents by URI.
	nbMu    sync.Mutex
	nbCache map[string]neighbourEntry

	// leakMemo holds the leak check's clean verdicts on neighbour parts.
	leakMemo cleanMemo

	probe modelCheck
}

func newPipeline(s session, opts Options) (*pipeline, error) {
	st, err := compileSettings(*opts.Config, opts.RedactOptions, opts.Detectors)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	p := &pipeline{s: s, logger: opts.Logger, opts: opts, vault: redact.NewVault(key, vaultMaxEntries), chats: newChatHistory(), nbCache: map[string]neighbourEntry{}}
	p.cur.Store(st)
	p.startDet = st.det
	p.scannedBy.Store(st.det)
	return p, nil
}

func (p *pipeline) settings() *settings { return p.cur.Load() }

// scanner gives the document mirror the current detector.
func (p *pipeline) scanner() func() scanner {
	return func() scanner {
		return scanner{det: p.settings().detector(), path: p.s.scanPath}
	}
}

// workspaceRoots starts (or retargets) the config watcher for the roots
// and the workspace files config.Discover finds for them and for the open
// documents. ctx bounds the watcher: the session's context.
func (p *pipeline) workspaceRoots(ctx context.Context, roots []string) {
	if p.opts.Load == nil {
		return
	}
	files := p.files.setRoots(roots)
	p.watcherMu.Lock()
	defer p.watcherMu.Unlock()
	if p.watcher != nil {
		p.watcher.SetWorkspaceFiles(files)
		p.watcher.SetWorkspaceRoots(roots)
		return
	}
	o := *p.opts.Load
	o.WorkspaceRoots = roots
	o.WorkspaceFiles = files
	w, err := config.Watch(ctx, o, p.configChanged, p.configFailed, p.logger)
	if err != nil {
		p.logger.Error("config", "error", err)
		p.s.showMessage(MessageError, "veil: configuration not loaded, keeping the one from start: "+err.Error())
		return
	}
	p.watcher = w
	p.apply(w.Current(), false)
}

// reload re-reads the configuration (workspace/didChangeConfiguration).
func (p *pipeline) reload() {
	p.watcherMu.Lock()
	defer p.watcherMu.Unlock()
	if p.watcher != nil {
		p.watcher.Reload()
	}
}

func (p *pipeline) configChanged(l *config.Loaded) { p.apply(l, true) }

func (p *pipeline) configFailed(err error) {
	p.logger.Error("config reload", "error", err)
	p.s.showMessage(MessageError, "veil: configuration not reloaded, keeping the previous one: "+err.Error())
}

// apply compiles a loaded config and swaps it in; a config that does not
// compile leaves the previous one in force.
func (p *pipeline) apply(l *config.Loaded, reloaded bool) {
	for _, w := range l.Warnings {
		p.s.showMessage(MessageWarning, "veil: "+w.Error())
	}
	st, err := compileSettings(l.Config, p.opts.RedactOptions, p.opts.Detectors)
	if err != nil {
		p.configFailed(err)
		return
	}
	st.ruleAlias = l.WorkspaceRuleIDs()
	if st.det != p.settings().det { // a new detector: it must compile before it is used
		if _, err := st.det.wait(); err != nil {
			p.configFailed(fmt.Errorf("lspproxy: compiling detection rules: %w", err))
			return
		}
	}
	old := p.cur.Swap(st)
	if !reflect.DeepEqual(old.cfg.Model, st.cfg.Model) || !reflect.DeepEqual(old.cfg.Audit, st.cfg.Audit) {
		p.s.showMessage(MessageWarning, "veil: model and audit settings changed; restart veil lsp to apply them")
	}
	if reloaded {
		p.s.showMessage(MessageInfo, "veil: configuration reloaded")
	}
	p.s.configApplied()
}

// record writes an audit record; a failure is logged (and the request has
// already been decided: audit is after the fact).
func (p *pipeline) record(r audit.Record) {
	if p.opts.Audit == nil {
		return
	}
	r.Session = p.opts.SessionID
	if st := p.settings(); st != nil {
		aliasRules(&r, st.ruleAlias)
	}
	if err := p.opts.Audit.Write(r); err != nil {
		p.logger.Error("audit", "error", err)
	}
}

func (p *pipeline) close() {
	p.probe.close()
	if p.startDet != nil {
		p.startDet.wait() // the compile this session started ends with it
	}
	p.watcherMu.Lock()
	w := p.watcher
	p.watcher = nil
	p.watcherMu.Unlock()
	if w != nil {
		_ = w.Close()
	}
}

// countFindings builds the audit counts.
func countFindings(fs []redact.Finding) (byCategory, byRule map[string]int) {
	if len(fs) == 0 {
		return nil, nil
	}
	byCategory, byRule = map[string]int{}, map[string]int{}
	for _, f := range fs {
		byCategory[string(f.Category)]++
		byRule[f.RuleID]++
	}
	return byCategory, byRule
}
