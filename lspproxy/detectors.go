package lspproxy

import (
	"reflect"
	"sync"

	"github.com/veil-dev/veil/redact"
)

// Detectors compiles each distinct detector configuration once and shares
// the result: between the start-up path and the reload at initialize (which
// usually loads the same configuration again), and between the sessions of
// one process (veil lsp --listen). Compiling the rules takes tens of
// milliseconds, so it runs in the background: initialize is answered
// without waiting for it.
//
// Its zero value is not usable; NewDetectors makes one. Safe for concurrent
// use.
type Detectors struct {
	mu      sync.Mutex
	entries []*detectorFuture // most recent last; a few configurations at most
	// wg counts the compiles running; Wait waits for them.
	wg sync.WaitGroup
}

// maxDetectors bounds the cache: older configurations are dropped (a
// session holding one keeps it alive).
const maxDetectors = 4

// NewDetectors returns an empty cache.
func NewDetectors() *Detectors { return &Detectors{} }

// detectorFuture is one configuration's detector, compiled in the
// background.
type detectorFuture struct {
	opts redact.Options
	done chan struct{} // closed when det and err are set
	det  *redact.Detector
	err  error
}

// wait blocks until the detector is compiled.
func (f *detectorFuture) wait() (*redact.Detector, error) {
	<-f.done
	return f.det, f.err
}

// get returns the detector for opts, starting its compile when it is not
// cached.
func (d *Detectors) get(opts redact.Options) *detectorFuture {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.entries {
		if reflect.DeepEqual(f.opts, opts) {
			return f
		}
	}
	f := &detectorFuture{opts: opts, done: make(chan struct{})}
	if len(d.entries) == maxDetectors {
		d.entries = d.entries[1:]
	}
	d.entries = append(d.entries, f)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		f.det, f.err = redact.NewDetector(opts)
		close(f.done)
	}()
	return f
}

// Wait waits for every compile started so far to end.
func (d *Detectors) Wait() { d.wg.Wait() }
