package wrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/veil-dev/veil/egress"
	"github.com/veil-dev/veil/lspconn"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/textbuf"
)

// TestedVersions are the copilot-language-server versions veil was tested
// with; another version is refused unless Options.AllowVersion names it.
var TestedVersions = []string{"1.539.0"}

// ErrNoShutdown is Serve's error when the editor's stream ended (or exit
// came) without shutdown.
var ErrNoShutdown = errors.New("wrap: session ended without shutdown")

// Options configure a wrap session.
type Options struct {
	// Command is the child and its arguments, e.g.
	// ["copilot-language-server", "--stdio"]. Required.
	Command []string
	// Env is the editor's environment (os.Environ()); the child gets it
	// with the proxy variables replaced (see childEnv).
	Env []string
	// Gate answers the child's copilot/fetch calls. Required.
	Gate *egress.Gate
	// Route decides a document's route from its URI, language and text
	// (the text when it was opened; "" when unknown). Required.
	Route func(kind policy.Kind, uri, languageID, text string) policy.Decision
	// AllowVersion lets a child version outside TestedVersions run: the
	// exact version, or "any".
	AllowVersion string
	// Mask masks text for the log (the child's stderr). Required.
	Mask func(string) string
	// Local, when set, serves the documents policy routes local or block
	// (veil's own server: local model, blocked-file messages, audit). nil:
	// they get an empty answer and one message.
	Local LocalServer
	// Version is veil's version, for status answers.
	Version string
	// Logger receives the session's logs; never stdout. nil discards.
	Logger *slog.Logger
	// ExitWait is how long the child gets to exit after the session ends
	// before it is killed (default 3 s).
	ExitWait time.Duration
}

// Session bridges one editor session to a wrapped child server.
type Session struct {
	o      Options
	log    *slog.Logger
	editor *lspconn.FrameWriter
	child  *lspconn.FrameWriter
	proxy  *refusingProxy
	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	work   sync.WaitGroup // fetches in flight
	local  *local         // the in-process server for local and blocked documents; nil without Options.Local

	// mu guards everything below.
	mu           sync.Mutex
	pending      map[string]string          // editor calls sent to the child: id → method
	childCalls   map[string]json.RawMessage // child's workspace/configuration calls: id → params
	fetches      map[string]context.CancelFunc
	docs         map[string]*document // open documents by URI
	encoding     textbuf.Encoding     // positions between the editor and the child
	told         map[string]bool      // documents whose block was shown
	upstream     string               // child's serverInfo "name version"
	childErr     error                // why the child is not running; nil while it runs
	refused      string               // version refusal, once set the child is stopped
	shutdown     bool
	exiting      bool
	pushedConfig bool
}

// New checks the options.
func New(o Options) (*Session, error) {
	switch {
	case len(o.Command) == 0:
		return nil, errors.New("wrap: no command to wrap")
	case o.Gate == nil || o.Route == nil || o.Mask == nil:
		return nil, errors.New("wrap: Gate, Route and Mask are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ExitWait <= 0 {
		o.ExitWait = 3 * time.Second
	}
	return &Session{o: o, log: o.Logger, pending: map[string]string{}, childCalls: map[string]json.RawMessage{},
		fetches: map[string]context.CancelFunc{}, docs: map[string]*document{}, told: map[string]bool{}}, nil
}

// Serve runs the session: it starts the child, forwards the editor's
// stream r to it and its answers to w, and answers the child's fetches.
// It returns when the editor's stream ends or exit arrives, after the
// child has exited (or was killed) and every goroutine it started ended:
// nil after shutdown and exit, ErrNoShutdown otherwise, or the error that
// kept the child from starting.
func (s *Session) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer s.cancel()
	s.editor = lspconn.NewFrameWriter(w)
	proxy, err := startRefusingProxy(s.log)
	if err != nil {
		return fmt.Errorf("wrap: starting the refusing proxy: %w", err)
	}
	s.proxy = proxy
	defer proxy.Close()
	cmd, stdin, childDone, err := s.start()
	if err != nil {
		return err
	}
	s.startLocal(s.ctx)
	readErr := s.readEditor(r)
	s.mu.Lock()
	s.exiting = true
	clean := s.shutdown && readErr == nil
	s.mu.Unlock()
	stdin.Close()
	select {
	case <-childDone:
	case <-time.After(s.o.ExitWait):
		_ = cmd.Process.Kill()
		<-childDone
	}
	s.stopLocal()
	s.cancel()
	s.work.Wait()
	if !clean {
		return ErrNoShutdown
	}
	return nil
}

// ProxyAttempts is how many connections the child opened on its own (to
// the refusing proxy). Zero is what a well-wrapped child shows.
func (s *Session) ProxyAttempts() int64 { return s.proxy.Attempts() }

// start runs the child with its pipes and the goroutines that read them;
// childDone closes once it has exited and been reported.
func (s *Session) start() (*exec.Cmd, io.WriteCloser, <-chan struct{}, error) {
	cmd := exec.Command(s.o.Command[0], s.o.Command[1:]...)
	cmd.Env = childEnv(s.o.Env, s.proxy.URL())
	stdin, err1 := cmd.StdinPipe()
	stdout, err2 := cmd.StdoutPipe()
	stderr, err3 := cmd.StderrPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, nil, nil, fmt.Errorf("wrap: pipes for the child: %w", err)
	}
	s.child = lspconn.NewFrameWriter(stdin)
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fmt.Errorf("wrap: starting %s: %w", s.o.Command[0], err)
	}
	s.log.Info("wrap: child started", "command", s.o.Command[0], "pid", cmd.Process.Pid)
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); logLines(stderr, s.log, s.o.Mask) }()
	go func() { defer readers.Done(); s.readChild(stdout) }()
	go func() {
		defer close(done)
		readers.Wait()
		s.childExited(cmd.Wait())
	}()
	return cmd, stdin, done, nil
}

// childExited reports a child that ended: expected at the end of the
// session, a crash otherwise (told to the editor, pending calls answered
// with an error; veil never restarts it).
func (s *Session) childExited(err error) {
	s.mu.Lock()
	expected := s.exiting
	if err == nil {
		err = errors.New("exit status 0")
	}
	if s.childErr == nil {
		s.childErr = err
	}
	pending := s.pending
	s.pending = map[string]string{}
	s.mu.Unlock()
	if expected {
		s.log.Info("wrap: child exited", "status", err.Error())
		return
	}
	s.log.Error("wrap: the wrapped server exited unexpectedly; not restarted", "status", err.Error())
	msg := "veil: the wrapped Copilot language server exited unexpectedly (" + err.Error() + "). veil does not restart it: restart Copilot in your editor."
	s.toEditor(encodeNotification("window/showMessage", map[string]any{"type": 1, "message": msg}))
	s.toEditor(encodeNotification("window/logMessage", map[string]any{"type": 1, "message": msg}))
	for id := range pending {
		s.toEditor(encodeReply(json.RawMessage(id), nil, &rpcError{Code: -32603, Message: msg}))
	}
}

// toEditor writes one frame to the editor; a failed write is logged (the
// read loop notices the editor going away).
func (s *Session) toEditor(body []byte) {
	if err := s.editor.Write(body); err != nil {
		s.log.Debug("wrap: writing to the editor", "err", err.Error())
	}
}

// toChild writes one frame to the child; false when it is not running.
func (s *Session) toChild(body []byte) bool {
	s.mu.Lock()
	dead := s.childErr != nil || s.refused != ""
	s.mu.Unlock()
	if dead {
		return false
	}
	if err := s.child.Write(body); err != nil {
		s.log.Debug("wrap: writing to the child", "err", err.Error())
		return false
	}
	return true
}
