package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long the watcher waits after the last event before it
// re-reads: editors save in several steps (truncate then write; rename
// away, write, delete the backup) and each step is an event.
const debounce = 50 * time.Millisecond

// emptyRetry is how long the watcher waits before it believes that a config
// file which had content is now empty or gone. Deliberately emptying a
// config is rare; a writer that truncates and then writes is common.
const emptyRetry = 4 * debounce

// Watcher reloads the configuration when a config file changes, when
// Reload is called (workspace/didChangeConfiguration) or when the workspace
// roots change. It watches each file's parent directory, not the file, so
// that atomic rename-over saves, vim-style saves (rename away, write, delete
// the backup), in-place writes, delete + recreate and files that do not
// exist yet are all seen; when the parent directory does not exist either,
// it watches the nearest existing ancestor and moves down as directories
// appear. Each reload reads the bytes itself and feeds them to koanf.
//
// A reload that fails (a file that does not parse or does not validate)
// keeps the last good config: the error is logged and passed to onError.
// A file that became empty or vanished since the last good load is read
// once more (after emptyRetry) before that is believed, because an in-place
// write is seen first as an empty file.
//
// The callbacks run on the watcher's goroutine, one at a time. They may
// call Reload, SetWorkspaceRoots and SetWorkspaceFiles (which do not
// block) but not Close.
type Watcher struct {
	fsw      *fsnotify.Watcher
	logger   *slog.Logger
	onChange func(*Loaded)
	onError  func(error)
	kick     chan struct{} // a Reload or SetWorkspaceRoots is pending
	cancel   context.CancelFunc
	done     chan struct{} // closed when run returns
	close    sync.Once
	closeErr error // set by run before done is closed

	// mu guards opts and current.
	mu      sync.Mutex
	opts    LoadOptions
	current *Loaded

	// Owned by the run goroutine.
	dirs    map[string]os.FileInfo // watched directory → its identity when added
	targets []string               // the config files, cleaned
	sizes   map[string]int         // file → size at the last good load (absent: did not exist)
	retried bool                   // the suspicious empty/vanished read was already retried
	timer   *time.Timer
}

// Watch loads the configuration once (returning Load's error if that
// fails: the caller decides whether to exit or run on Defaults) and then
// watches it until ctx is done or Close is called. onChange receives each
// new config that differs from the previous one; the initial one is
// Current. onError and logger may be nil.
func Watch(ctx context.Context, o LoadOptions, onChange func(*Loaded), onError func(error), logger *slog.Logger) (*Watcher, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if onChange == nil {
		onChange = func(*Loaded) {}
	}
	if onError == nil {
		onError = func(error) {}
	}
	w := &Watcher{
		logger: logger, onChange: onChange, onError: onError,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
		opts: o, dirs: map[string]os.FileInfo{}, sizes: map[string]int{},
	}
	var err error
	w.fsw, err = fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("config: watching config files: %w", err)
	}
	// Watch first, then read: a save between the two is not lost.
	w.rewatch(o)
	in, err := o.read(os.ReadFile)
	if err == nil {
		var errs []Problem
		w.current, errs = build(in)
		err = joinProblems(errs)
	}
	if err != nil {
		_ = w.fsw.Close()
		return nil, err
	}
	w.noteSizes(in)
	w.timer = time.NewTimer(time.Hour)
	w.timer.Stop()
	ctx, w.cancel = context.WithCancel(ctx)
	go w.run(ctx)
	return w, nil
}

// Current returns the config in force: the last one that loaded without
// errors.
func (w *Watcher) Current() *Loaded {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.current
}

// Reload re-reads every layer now, for workspace/didChangeConfiguration.
// The VEIL_* layer is re-read too when LoadOptions.Environ is nil (the
// names are then looked up through Getenv each time). It does not block; the outcome arrives
// through onChange or onError.
func (w *Watcher) Reload() {
	select {
	case w.kick <- struct{}{}:
	default: // one is pending already
	}
}

// SetWorkspaceRoots replaces the workspace roots whose .veil.yaml files
// are read and watched, then reloads like Reload. If a new root's file is
// invalid YAML the reload fails and the previous config stays in force
// (reported through onError).
func (w *Watcher) SetWorkspaceRoots(roots []string) {
	w.mu.Lock()
	w.opts.WorkspaceRoots = append([]string(nil), roots...)
	w.mu.Unlock()
	w.Reload()
}

// SetWorkspaceFiles replaces the extra workspace files (see Discover) that
// are read and watched, then reloads like SetWorkspaceRoots.
func (w *Watcher) SetWorkspaceFiles(files []string) {
	w.mu.Lock()
	w.opts.WorkspaceFiles = append([]string(nil), files...)
	w.mu.Unlock()
	w.Reload()
}

// Close stops watching and waits for the watcher's goroutine to end. The
// watcher also stops, releasing everything, when Watch's ctx is done; Close
// is still safe to call then.
func (w *Watcher) Close() error {
	w.close.Do(func() { w.cancel() })
	<-w.done
	return w.closeErr
}

func (w *Watcher) options() LoadOptions {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.opts
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer func() {
		w.timer.Stop()
		w.closeErr = w.fsw.Close() // read by Close only after done is closed
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Op != fsnotify.Chmod && w.relevant(ev.Name) {
				w.logger.Debug("config: file event", "path", ev.Name, "op", ev.Op.String())
				w.timer.Reset(debounce)
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			// An overflow lost events: re-read to be safe.
			w.logger.Warn("config: file watcher error", "err", err)
			w.timer.Reset(debounce)
		case <-w.kick:
			w.retried = false
			w.reload()
		case <-w.timer.C:
			w.reload()
		}
	}
}

// relevant reports whether an event on path can change a config file: the
// file itself, or a directory on the way to it (created, removed, renamed).
func (w *Watcher) relevant(path string) bool {
	path = filepath.Clean(path)
	for _, t := range w.targets {
		if path == t || strings.HasPrefix(t, path+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func (w *Watcher) reload() {
	o := w.options()
	w.rewatch(o)
	suspicious := false
	in, err := o.read(func(path string) ([]byte, error) {
		b, err := os.ReadFile(path)
		prev, existed := w.sizes[path]
		gone := err != nil && errors.Is(err, fs.ErrNotExist)
		if existed && prev > 0 && (gone || err == nil && len(b) == 0) {
			suspicious = true
		}
		return b, err
	})
	if suspicious && !w.retried {
		// Probably the first half of an in-place write or of a delete +
		// recreate: look again after one more debounce.
		w.retried = true
		w.logger.Debug("config: a config file is empty or missing; reading again shortly")
		w.timer.Reset(emptyRetry)
		return
	}
	w.retried = false
	if err == nil {
		var l *Loaded
		var errs []Problem
		l, errs = build(in)
		if len(errs) == 0 {
			w.apply(l, in)
			return
		}
		err = joinProblems(errs)
	}
	w.logger.Error("config: reload failed; keeping the last good config", "err", err)
	w.onError(fmt.Errorf("config: reloading (keeping the last good config): %w", err))
}

func (w *Watcher) apply(l *Loaded, in inputs) {
	w.noteSizes(in)
	w.mu.Lock()
	prev := w.current
	same := reflect.DeepEqual(prev, l)
	w.current = l
	w.mu.Unlock()
	if same {
		return
	}
	w.logger.Info("config: reloaded")
	w.onChange(l)
}

func (w *Watcher) noteSizes(in inputs) {
	clear(w.sizes)
	if in.user != nil {
		w.sizes[in.user.path] = len(in.user.data)
	}
	for _, f := range in.workspaces {
		w.sizes[f.path] = len(f.data)
	}
}

// rewatch makes the set of watched directories match the config files of
// o: each file's parent, or its nearest existing ancestor. A directory that
// was deleted and recreated has a new identity and is watched afresh.
func (w *Watcher) rewatch(o LoadOptions) {
	var targets []string
	if p, _ := o.UserPath(); p != "" {
		targets = append(targets, p)
	}
	targets = append(targets, o.workspaceFiles()...)
	want := map[string]bool{}
	w.targets = w.targets[:0]
	for _, t := range targets {
		t, err := filepath.Abs(t)
		if err != nil {
			continue
		}
		w.targets = append(w.targets, t)
		// A symlinked config file (dotfile managers) changes where its
		// target lives: watch that directory too.
		if real, err := filepath.EvalSymlinks(t); err == nil && real != t {
			w.targets = append(w.targets, real)
			want[filepath.Dir(real)] = true
		}
		if d := nearestDir(filepath.Dir(t)); d != "" {
			want[d] = true
		} else {
			w.logger.Warn("config: no existing directory to watch for a config file", "path", t)
		}
	}
	for d, info := range w.dirs {
		now, err := os.Stat(d)
		if want[d] && err == nil && os.SameFile(info, now) {
			continue
		}
		_ = w.fsw.Remove(d) // fails harmlessly when the directory went away
		delete(w.dirs, d)
	}
	for d := range want {
		if _, ok := w.dirs[d]; ok {
			continue
		}
		info, err := os.Stat(d)
		if err == nil {
			err = w.fsw.Add(d)
		}
		if err != nil {
			w.logger.Warn("config: cannot watch directory", "dir", d, "err", err)
			w.onError(fmt.Errorf("config: watching %s: %w", d, err))
			continue
		}
		w.dirs[d] = info
	}
}

// nearestDir returns dir or its nearest existing ancestor that is a
// directory ("" if none).
func nearestDir(dir string) string {
	for {
		if info, err := os.Stat(dir); err == nil && info.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
