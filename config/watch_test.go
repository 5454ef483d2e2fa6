package config

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout is generous: the watcher reacts in ~50 ms, but CI machines
// are shared.
const waitTimeout = 10 * time.Second

// recorder collects the watcher's callbacks.
type recorder struct {
	changes chan *Loaded
	errs    chan error
}

func newRecorder() *recorder {
	return &recorder{changes: make(chan *Loaded, 1000), errs: make(chan error, 1000)}
}

func (r *recorder) onChange(l *Loaded) {
	select {
	case r.changes <- l:
	default:
	}
}

func (r *recorder) onError(err error) {
	select {
	case r.errs <- err:
	default:
	}
}

// waitFor waits for a config whose model.name is want.
func (r *recorder) waitFor(t *testing.T, want string) *Loaded {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case l := <-r.changes:
			if l.Config.Model.Name == want {
				return l
			}
		case <-deadline:
			t.Fatalf("no config with model.name %q within %v", want, waitTimeout)
			return nil
		}
	}
}

func (r *recorder) waitErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.errs:
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("no error reported within %v", waitTimeout)
		return nil
	}
}

// syncEnv is a Getenv a test may change while the watcher reads it.
type syncEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *syncEnv) get(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *syncEnv) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
}

func startWatcher(t *testing.T, o LoadOptions) (*Watcher, *recorder) {
	t.Helper()
	r := newRecorder()
	w, err := Watch(context.Background(), o, r.onChange, r.onError, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w, r
}

func nameYAML(name string) string { return "model:\n  name: " + name + "\n" }

// Save styles, as editors do them.
var saveStyles = map[string]func(t *testing.T, path, content string){
	"atomic-rename": func(t *testing.T, path, content string) {
		tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-123")
		writeFile(t, tmp, content)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	},
	"vim": func(t *testing.T, path, content string) {
		backup := path + "~"
		if err := os.Rename(path, backup); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
		if err := os.Remove(backup); err != nil {
			t.Fatal(err)
		}
	},
	"in-place": func(t *testing.T, path, content string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// Two writes with a sync between: a reader may see the empty or the
		// half-written file.
		half := len(content) / 2
		if _, err := f.WriteString(content[:half]); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(content[half:]); err != nil {
			t.Fatal(err)
		}
	},
	"delete-recreate": func(t *testing.T, path, content string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
	},
}

func TestWatchSaveStyles(t *testing.T) {
	for name, save := range saveStyles {
		t.Run(name, func(t *testing.T) {
			for _, explicit := range []bool{false, true} {
				dir := t.TempDir()
				env := map[string]string{"HOME": dir}
				path := filepath.Join(dir, ".config", "veil", "veil.yaml")
				o := LoadOptions{Getenv: testEnv(env), Environ: []string{}}
				if explicit {
					path = filepath.Join(dir, "my.yaml")
					o.UserFile = path
				}
				writeFile(t, path, nameYAML("v1"))
				w, r := startWatcher(t, o)
				if got := w.Current().Config.Model.Name; got != "v1" {
					t.Fatalf("initial model.name %q", got)
				}
				// Several saves in a row: the watch must survive each.
				for _, v := range []string{"v2", "v3", "v4"} {
					save(t, path, nameYAML(v))
					l := r.waitFor(t, v)
					if l.Sources["model.name"] != path {
						t.Errorf("source %q, want %q", l.Sources["model.name"], path)
					}
				}
			}
		})
	}
}

func TestWatchBadFileKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	writeFile(t, path, nameYAML("good"))
	w, r := startWatcher(t, LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})

	for _, bad := range []struct{ content, want string }{
		{"model: [\n", "not valid YAML"},
		{"model:\n  name: x\n  timeout: 10\n", "model.timeout"},
		{"modle:\n  name: x\n", "did you mean model"},
	} {
		writeFile(t, path, bad.content)
		err := r.waitErr(t)
		if !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file and %q", err, bad.want)
		}
		if got := w.Current().Config.Model.Name; got != "good" {
			t.Errorf("after a bad save model.name is %q, want the last good", got)
		}
	}
	writeFile(t, path, nameYAML("fixed"))
	r.waitFor(t, "fixed")
}

func TestWatchFileCreatedLater(t *testing.T) {
	t.Run("parent exists", func(t *testing.T) {
		dir := t.TempDir()
		_, r := startWatcher(t, LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir}), Environ: []string{}})
		writeFile(t, filepath.Join(dir, "veil", "veil.yaml"), nameYAML("later"))
		r.waitFor(t, "later")
	})
	t.Run("parent created later", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "a", "b") // neither exists yet
		_, r := startWatcher(t, LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir, "XDG_CONFIG_HOME": cfg}), Environ: []string{}})
		// Create the directories one at a time, as a user would.
		for _, d := range []string{filepath.Join(dir, "a"), cfg, filepath.Join(cfg, "veil")} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		writeFile(t, filepath.Join(cfg, "veil", "veil.yaml"), nameYAML("deep"))
		r.waitFor(t, "deep")
	})
	t.Run("parent deleted and recreated", func(t *testing.T) {
		dir := t.TempDir()
		vdir := filepath.Join(dir, "veil")
		writeFile(t, filepath.Join(vdir, "veil.yaml"), nameYAML("one"))
		_, r := startWatcher(t, LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir, "XDG_CONFIG_HOME": dir}), Environ: []string{}})
		if err := os.RemoveAll(vdir); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, "") // back to the defaults: a missing default-location file is fine
		writeFile(t, filepath.Join(vdir, "veil.yaml"), nameYAML("two"))
		r.waitFor(t, "two")
	})
}

func TestWatchDeletedExplicitFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	writeFile(t, path, nameYAML("kept"))
	w, r := startWatcher(t, LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := r.waitErr(t); !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %q", err)
	}
	if got := w.Current().Config.Model.Name; got != "kept" {
		t.Errorf("model.name %q after delete, want the last good", got)
	}
}

func TestWatchWorkspace(t *testing.T) {
	dir := t.TempDir()
	rootA := filepath.Join(dir, "a")
	rootB := filepath.Join(dir, "b")
	for _, d := range []string{rootA, rootB} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	user := filepath.Join(dir, "user.yaml")
	writeFile(t, user, nameYAML("u1"))
	w, r := startWatcher(t, LoadOptions{UserFile: user, WorkspaceRoots: []string{rootA}, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})

	waitTerms := func(want string) {
		t.Helper()
		deadline := time.After(waitTimeout)
		for {
			select {
			case l := <-r.changes:
				if strings.Join(l.Config.Identifiers.Terms, ",") == want {
					return
				}
			case <-deadline:
				t.Fatalf("no config with identifiers.terms %q", want)
			}
		}
	}
	writeFile(t, filepath.Join(rootA, ".veil.yaml"), "identifiers:\n  terms: [alpha]\n")
	waitTerms("alpha")

	writeFile(t, filepath.Join(rootB, ".veil.yaml"), "identifiers:\n  terms: [beta]\n")
	w.SetWorkspaceRoots([]string{rootA, rootB})
	waitTerms("alpha,beta")

	// The new root is watched too.
	saveStyles["atomic-rename"](t, filepath.Join(rootB, ".veil.yaml"), "identifiers:\n  terms: [gamma]\n")
	waitTerms("alpha,gamma")

	// A broken workspace file keeps the last good config.
	writeFile(t, filepath.Join(rootB, ".veil.yaml"), "identifiers: [\n")
	if err := r.waitErr(t); !strings.Contains(err.Error(), ".veil.yaml") {
		t.Errorf("error %q does not name the workspace file", err)
	}
	if got := strings.Join(w.Current().Config.Identifiers.Terms, ","); got != "alpha,gamma" {
		t.Errorf("terms %q after a broken workspace save", got)
	}
}

func TestWatchReloadRereadsEnvironment(t *testing.T) {
	env := &syncEnv{vars: map[string]string{"HOME": t.TempDir()}}
	w, r := startWatcher(t, LoadOptions{Getenv: env.get})
	env.set("VEIL_MODEL_NAME", "from-env")
	w.Reload()
	l := r.waitFor(t, "from-env")
	if l.Sources["model.name"] != "env VEIL_MODEL_NAME" {
		t.Errorf("source %q", l.Sources["model.name"])
	}
}

// TestWatchEmptyReadIsRetried drives reload directly (no goroutine) to pin
// down the rule: a file that was non-empty and reads empty is read again
// after a debounce before the empty config is believed.
func TestWatchEmptyReadIsRetried(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	writeFile(t, path, nameYAML("full"))
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer fsw.Close()
	r := newRecorder()
	o := LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}}
	w := &Watcher{fsw: fsw, logger: slog.New(slog.DiscardHandler), onChange: r.onChange, onError: r.onError,
		opts: o, dirs: map[string]os.FileInfo{}, sizes: map[string]int{}, timer: time.NewTimer(time.Hour)}
	defer w.timer.Stop()
	w.reload()
	if got := w.Current().Config.Model.Name; got != "full" {
		t.Fatalf("model.name %q", got)
	}
	writeFile(t, path, "")
	w.reload()
	if got := w.Current().Config.Model.Name; got != "full" {
		t.Fatalf("first empty read applied (model.name %q): an in-place write would flash the defaults", got)
	}
	if !w.retried {
		t.Fatal("no retry scheduled")
	}
	w.reload() // the retry: still empty, so the user really emptied it
	if got := w.Current().Config.Model.Name; got != "" {
		t.Fatalf("emptied file not applied on the retry: model.name %q", got)
	}
}

func TestWatchStopsOnContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w, err := Watch(ctx, LoadOptions{Getenv: testEnv(map[string]string{"HOME": t.TempDir()}), Environ: []string{}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// No Close: the goroutine and the inotify watcher must go by
	// themselves (goleak in TestMain checks).
	select {
	case <-w.done:
	case <-time.After(waitTimeout):
		t.Fatal("watcher still running after its context was cancelled")
	}
	if err := w.Close(); err != nil { // still safe, and idempotent
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWatchInitialErrorIsReturned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	writeFile(t, path, "model: {timeout: x}\n")
	if _, err := Watch(context.Background(), LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir})}, nil, nil, nil); err == nil {
		t.Fatal("Watch accepted an invalid user file")
	}
}

func TestWatchSymlinkedConfig(t *testing.T) {
	dir := t.TempDir()
	dotfiles := filepath.Join(dir, "dotfiles")
	target := filepath.Join(dotfiles, "veil.yaml")
	writeFile(t, target, nameYAML("s1"))
	link := filepath.Join(dir, "cfg", "veil", "veil.yaml")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, r := startWatcher(t, LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "cfg")}), Environ: []string{}})
	// The dotfile manager's copy is edited; the link itself never changes.
	saveStyles["atomic-rename"](t, target, nameYAML("s2"))
	r.waitFor(t, "s2")
}
