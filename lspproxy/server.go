package lspproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/veil-dev/veil/lspconn"
)

// Server is one LSP session: one editor connection, one vault, one mirror of
// open documents. Create it with New and run it with Serve; a Server serves
// one connection once.
type Server struct {
	roots // the workspace: root folders, paths, policy decisions

	opts   Options
	logger *slog.Logger
	conn   *lspconn.Conn // the editor connection, set by Serve
	// loopJSON decodes params on the read loop (only there).
	loopJSON loopDecoder
	events   *lspconn.Events // work for the session loop from other goroutines

	// ctx is the session context: cancelled when Serve returns, so every
	// request goroutine and the config watcher stop with the connection.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // request goroutines

	// stateMu guards the lifecycle state and what initialize negotiated.
	stateMu  sync.Mutex
	state    lifecycle
	enc      Encoding
	progress bool   // client supports window/workDoneProgress
	client   string // clientInfo.name, for logs
	copilot  bool   // the client is a Copilot plugin (gets didChangeStatus)

	// uiMu guards ui: what the user was last told per document URI, and
	// chatWarned: the reasons a chat refusal was shown for.
	uiMu sync.Mutex
	ui   map[string]*docUI
	// uiStopped: the session is ending; no diagnostics timer may start.
	uiStopped  bool
	cp         copilotStatus // what Copilot plugins were told about blocks
	chatWarned []string

	// inflightMu guards inflight: the cancel funcs of running requests by id
	// key, and per document the newest AI completion request (coalescing).
	inflightMu sync.Mutex
	inflight   map[string]context.CancelCauseFunc
	latest     map[string]*latestRequest

	routes *routes
	docs   *documents
	ai     *pipeline
}

type lifecycle int

const (
	stateNew lifecycle = iota
	stateInitialized
	stateShutdown
)

// causes for cancelling a request context; they decide the answer.
var (
	errCauseClient     = errors.New("cancelled by the client")
	errCauseSuperseded = errors.New("superseded by a newer request for the same document")
	errCauseSession    = errors.New("session ended")
)

// New builds a session. It does not start anything; Serve does.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		logger:   opts.Logger, // wrapped below
		inflight: map[string]context.CancelCauseFunc{},
		latest:   map[string]*latestRequest{},
		routes:   newRoutes(),
		events:   lspconn.NewEvents(),
		ui:       map[string]*docUI{},
	}
	ai, err := newPipeline(s, opts)
	if err != nil {
		return nil, err
	}
	s.ai = ai
	// One logger per session: paths masked, every line names the session.
	s.logger = slog.New(&pathMaskingHandler{inner: opts.Logger.Handler(), s: s}).With("session", opts.SessionID)
	ai.logger = s.logger
	s.docs = newDocuments(ai.scanner(), opts.TextMeter)
	return s, nil
}

// Serve reads requests from r and writes responses and notifications to w
// until the client sends exit or r ends. It returns nil after a clean
// shutdown+exit, ErrExitWithoutShutdown when the client exited (or closed
// the stream) without shutdown, and the read error when the stream broke.
// Malformed frames are answered with an error and skipped; they never end
// the session. Messages and the session's own events (config reloads) are
// handled on one loop. Before returning, Serve cancels every running
// request and waits for its goroutine; after exit it closes r when r is an
// io.Closer, to stop reading.
func (s *Server) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.conn = lspconn.New(r, w, lspconn.Options{
		MaxFrameBytes: s.ai.settings().cfg.LSP.MaxFrameBytes,
		IDPrefix:      "veil-",
		OnBadInput:    s.badInput,
	})
	defer s.stop()
	stopWatch := context.AfterFunc(ctx, s.cancel)
	defer stopWatch()

	err := s.conn.RunEvents(s.handle, s.events)
	switch {
	case errors.Is(err, errExit):
		return s.exitError()
	case s.ctx.Err() != nil:
		return fmt.Errorf("lspproxy: session: %w", context.Cause(s.ctx))
	case err == nil || errors.Is(err, io.EOF):
		return s.endOfInput()
	}
	return fmt.Errorf("lspproxy: reading: %w", err)
}

// errExit ends the read loop when the client sends exit.
var errExit = errors.New("exit notification")

// endOfInput is the answer when the stream ends without an exit
// notification: a stream that ended before initialize was never a session
// (a probe, an empty stdin) and ends cleanly; after initialize it is an
// exit without shutdown.
func (s *Server) endOfInput() error {
	s.stateMu.Lock()
	never := s.state == stateNew
	s.stateMu.Unlock()
	if never {
		return nil
	}
	return s.exitError()
}

func (s *Server) exitError() error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.state == stateShutdown {
		return nil
	}
	return ErrExitWithoutShutdown
}

// stop ends the session: cancels requests, waits for them, closes the rest.
func (s *Server) stop() {
	s.inflightMu.Lock()
	for _, cancel := range s.inflight {
		cancel(errCauseSession)
	}
	s.inflightMu.Unlock()
	s.cancel()
	s.stopDiagnostics()
	s.wg.Wait()
	s.docs.closeAll()
	s.ai.close()
}

// badInput answers a frame the reader skipped or a message that is not
// JSON-RPC; the session goes on.
func (s *Server) badInput(err error) {
	var fe *lspconn.FrameError
	if errors.As(err, &fe) {
		// The log names the kind of problem and sizes only: a header's
		// text or a body's bytes may hold document content.
		s.logger.Warn("bad frame skipped", "error", fe.Err.Error(), "head_bytes", len(fe.Head))
		s.logMessage(MessageError, "veil: "+fe.Error())
		if id := lspconn.FindID(fe.Head); id != nil {
			s.reply(id, nil, &rpcError{Code: lspconn.CodeInvalidRequest, Message: fe.Error()})
		}
		return
	}
	var pe *lspconn.ParseError
	if errors.As(err, &pe) {
		s.logger.Warn("bad message", "code", pe.Err.Code, "bytes", pe.Bytes)
		s.reply(pe.ID, nil, pe.Err)
	}
}

// handle dispatches one call or notification on the read loop.
// Notifications and cheap requests run here, in order; AI requests prepare
// here (so they see the documents as of their arrival) and run in their own
// goroutine. Responses to veil's own calls never get here: the connection
// delivers them.
func (s *Server) handle(msg *message) error {
	if msg.Kind == lspconn.Notification && msg.Method == "exit" {
		return errExit
	}
	defer s.recoverBug(msg)
	if msg.Method != "initialize" {
		if err := s.ai.awaitDetector(); err != nil {
			return err
		}
	}
	if msg.Kind == lspconn.Notification {
		s.notification(msg)
		return nil
	}
	if err := s.admit(msg.Method); err != nil {
		s.reply(msg.ID, nil, err)
		return nil
	}
	m := s.routes.byMethod[msg.Method]
	if m == nil || (m.call == nil && m.async == nil) {
		s.reply(msg.ID, nil, errMethodNotFound(msg.Method))
		return nil
	}
	if m.call != nil {
		result, err := m.call(s, msg)
		s.reply(msg.ID, result, err)
		return nil
	}
	run, coalesce, err := m.async(s, msg)
	if err != nil || run == nil {
		s.reply(msg.ID, nil, err)
		return nil
	}
	s.goRequest(msg.ID, coalesce, run)
	return nil
}

// admit applies the lifecycle rules to a request.
func (s *Server) admit(method string) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	switch {
	case method == "initialize" && s.state != stateNew:
		return errInitializeTwice
	case method == "initialize":
		return nil
	case s.state == stateNew:
		return errNotInitialized
	case s.state == stateShutdown:
		return errShutDown
	}
	return nil
}

func (s *Server) notification(msg *message) {
	m := s.routes.byMethod[msg.Method]
	if m == nil || !m.anyState {
		s.stateMu.Lock()
		state := s.state
		s.stateMu.Unlock()
		if state != stateInitialized && msg.Method != "initialized" {
			return // before initialize or after shutdown: dropped, as the spec says
		}
	}
	if m == nil || m.notify == nil {
		s.logger.Debug("notification ignored", "method", s.logMethod(msg.Method))
		return
	}
	m.notify(s, msg)
}

// requestFunc is the part of a request that runs in its own goroutine.
type requestFunc func(ctx context.Context) (any, error)

// goRequest runs fn in a goroutine owned by the session with a context that
// $/cancelRequest (by id) and the session's end cancel. With a non-empty
// coalesce key (a document URI), a newer request with the same key
// supersedes this one: its context is cancelled and it answers empty.
func (s *Server) goRequest(id []byte, coalesce string, fn requestFunc) {
	key := idKey(id)
	cctx, cancel := context.WithCancelCause(s.ctx)
	ctx := &requestContext{Context: cctx, cancel: cancel}
	s.inflightMu.Lock()
	s.inflight[key] = cancel
	if coalesce != "" {
		if older := s.latest[coalesce]; older != nil {
			older.cancel(errCauseSuperseded)
		}
		s.latest[coalesce] = &latestRequest{cancel: cancel}
	}
	mine := s.latest[coalesce]
	s.inflightMu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.inflightMu.Lock()
			delete(s.inflight, key)
			if coalesce != "" && s.latest[coalesce] == mine {
				delete(s.latest, coalesce)
			}
			s.inflightMu.Unlock()
			cancel(nil)
		}()
		result, err := s.runGuarded(ctx, fn)
		if err != nil && ctx.Err() != nil {
			if context.Cause(ctx) == errCauseClient {
				err = errCancelled
			} else {
				err = nil // superseded or session over: the handler's empty answer
			}
		}
		then := func() {}
		if rt, ok := result.(replyThen); ok {
			result, then = rt.result, rt.then
		}
		s.reply(id, result, err)
		if err == nil {
			then()
		}
	}()
}

// errInternal answers a request whose handler hit a bug.
var errInternal = &rpcError{Code: lspconn.CodeInternalError, Message: "internal error in veil (logged); nothing was sent to the model"}

// recoverBug keeps the session alive when a handler on the read loop
// panics: the bug is logged (method only, never params) and a request is
// answered with an internal error.
func (s *Server) recoverBug(msg *message) {
	if r := recover(); r != nil {
		s.logger.Error("bug: handler panicked", "method", msg.Method, "panic", fmt.Sprint(r))
		if msg.IsCall() {
			s.reply(msg.ID, nil, errInternal)
		}
	}
}

// runGuarded runs a request goroutine's work, turning a panic into an error.
func (s *Server) runGuarded(ctx context.Context, fn requestFunc) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("bug: request panicked", "panic", fmt.Sprint(r))
			result, err = nil, errInternal
		}
	}()
	return fn(ctx)
}

// requestContext is a request's context with its cancel function, so the
// work it runs can end it with a cause of its own (complete's latency
// budget) without making a context of its own for that.
type requestContext struct {
	context.Context
	cancel context.CancelCauseFunc
}

// latestRequest is the newest AI request for a document (a pointer, so the
// goroutine can tell whether it is still the newest).
type latestRequest struct{ cancel context.CancelCauseFunc }

func (s *Server) cancelRequestNotification(msg *message) { s.cancelRequest(msg.Params) }

func (s *Server) cancelRequest(params []byte) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		return
	}
	s.inflightMu.Lock()
	cancel := s.inflight[idKey(p.ID)]
	s.inflightMu.Unlock()
	if cancel != nil {
		cancel(errCauseClient)
	}
}

// idKey keys maps by request id (7 and "7" differ).
func idKey(raw []byte) string { return lspconn.IDKey(raw) }

// reply writes a response. A request without an id (unparseable) gets id null.
func (s *Server) reply(id []byte, result any, err error) {
	if werr := s.conn.Reply(id, result, err); werr != nil {
		if errors.Is(werr, lspconn.ErrEncoding) {
			s.logger.Error("encoding result", "error", werr)
		} else {
			s.logger.Debug("write failed", "error", werr)
		}
	}
}

// notify sends a notification to the client.
func (s *Server) notify(method string, params any) {
	if err := s.conn.Notify(method, params); err != nil {
		s.logger.Debug("notify failed", "method", method, "error", err)
	}
}

// call sends a request to the client and waits for its answer. It must not
// run on the read loop (the answer arrives there).
func (s *Server) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	res, err := s.conn.Call(ctx, method, params)
	if err != nil {
		return nil, fmt.Errorf("lspproxy: %w", err)
	}
	return res, nil
}

// showMessage and logMessage talk to the user.
func (s *Server) showMessage(typ int, text string) {
	s.notify("window/showMessage", ShowMessageParams{Type: typ, Message: text})
}

func (s *Server) logMessage(typ int, text string) {
	s.notify("window/logMessage", ShowMessageParams{Type: typ, Message: text})
}

// decode unmarshals params, answering InvalidParams on failure.
func decode(params []byte, v any) error { return decodeWith(json.Unmarshal, params, v) }

// decodeWith is decode with unmarshal in json.Unmarshal's place.
func decodeWith(unmarshal func([]byte, any) error, params []byte, v any) error {
	if len(params) == 0 {
		return invalidParams("missing params")
	}
	if err := unmarshal(params, v); err != nil {
		return invalidParams("invalid params: %v", err)
	}
	return nil
}
