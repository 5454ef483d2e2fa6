package lspproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.lsp.dev/jsonrpc2"
)

// Server is one LSP session: one editor connection, one vault, one mirror of
// open documents. Create it with New and run it with Serve; a Server serves
// one connection once.
type Server struct {
	opts   Options
	logger *slog.Logger
	out    *frameWriter

	// ctx is the session context: cancelled when Serve returns, so every
	// request goroutine and the config watcher stop with the connection.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // request goroutines

	// stateMu guards the lifecycle state and what initialize negotiated.
	stateMu  sync.Mutex
	state    lifecycle
	enc      Encoding
	roots    []string // workspace root paths (slash, absolute)
	progress bool     // client supports window/workDoneProgress
	client   string   // clientInfo.name, for logs
	copilot  bool     // the client is a Copilot plugin (gets didChangeStatus)

	// uiMu guards ui: what the user was last told per document URI.
	uiMu sync.Mutex
	ui   map[string]*docUI

	// inflightMu guards inflight: the cancel funcs of running requests by id
	// key, and per document the newest AI completion request (coalescing).
	inflightMu sync.Mutex
	inflight   map[string]context.CancelCauseFunc
	latest     map[string]*latestRequest

	// pendingMu guards pending: server→client calls waiting for a response.
	pendingMu sync.Mutex
	pending   map[string]chan *message
	nextID    atomic.Int64

	methods map[string]method
	docs    *documents
	ai      *pipeline
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
		logger:   opts.Logger,
		inflight: map[string]context.CancelCauseFunc{},
		latest:   map[string]*latestRequest{},
		pending:  map[string]chan *message{},
		methods:  methodTable(),
		ui:       map[string]*docUI{},
	}
	ai, err := newPipeline(s, opts)
	if err != nil {
		return nil, err
	}
	s.ai = ai
	s.docs = newDocuments(ai.scanner())
	return s, nil
}

// Serve reads requests from r and writes responses and notifications to w
// until the client sends exit or r ends. It returns nil after a clean
// shutdown+exit, ErrExitWithoutShutdown when the client exited (or closed
// the stream) without shutdown, and the read error when the stream broke.
// Malformed frames are answered with an error and skipped; they never end
// the session. Before returning, Serve cancels every running request and
// waits for its goroutine.
func (s *Server) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.out = &frameWriter{w: w}
	defer s.stop()
	stopWatch := context.AfterFunc(ctx, s.cancel)
	defer stopWatch()

	in := newFrameReader(r, s.ai.settings().cfg.LSP.MaxFrameBytes)
	for {
		frame, err := in.Read()
		if err != nil {
			var fe *frameError
			if errors.As(err, &fe) {
				s.badFrame(fe)
				continue
			}
			if s.ctx.Err() != nil {
				return fmt.Errorf("lspproxy: session: %w", context.Cause(s.ctx))
			}
			if errors.Is(err, io.EOF) {
				return s.endOfInput()
			}
			return fmt.Errorf("lspproxy: reading: %w", err)
		}
		msg, rerr := parseMessage(frame)
		if rerr != nil {
			s.logger.Warn("bad message", "code", rerr.Code, "error", rerr.Message, "bytes", len(frame))
			s.reply(rerr.id, nil, rerr)
			continue
		}
		if msg.kind == jsonrpc2.MessageViewNotification && msg.method == "exit" {
			return s.exitError()
		}
		s.handle(msg)
	}
}

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
	s.wg.Wait()
	s.ai.close()
}

// badFrame answers a frame the reader skipped.
func (s *Server) badFrame(fe *frameError) {
	s.logger.Warn("bad frame skipped", "error", fe.Error())
	s.logMessage(MessageError, "veil: "+fe.Error())
	if id := findID(fe.head); id != nil {
		s.reply(id, nil, &rpcError{Code: int64(jsonrpc2.InvalidRequest), Message: fe.Error()})
	}
}

// handle dispatches one message on the read loop. Notifications and cheap
// requests run here, in order; AI requests prepare here (so they see the
// documents as of their arrival) and run in their own goroutine.
func (s *Server) handle(msg *message) {
	defer s.recoverBug(msg)
	switch msg.kind {
	case jsonrpc2.MessageViewResponseResult, jsonrpc2.MessageViewResponseError:
		s.deliver(msg)
		return
	case jsonrpc2.MessageViewNotification:
		s.notification(msg)
		return
	}
	if err := s.admit(msg.method); err != nil {
		s.reply(msg.id, nil, err)
		return
	}
	m, ok := s.methods[msg.method]
	if !ok || (m.call == nil && m.async == nil) {
		s.reply(msg.id, nil, errMethodNotFound(msg.method))
		return
	}
	if m.call != nil {
		result, err := m.call(s, msg)
		s.reply(msg.id, result, err)
		return
	}
	run, coalesce, err := m.async(s, msg)
	if err != nil || run == nil {
		s.reply(msg.id, nil, err)
		return
	}
	s.goRequest(msg.id, coalesce, run)
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
	s.stateMu.Lock()
	state := s.state
	s.stateMu.Unlock()
	if msg.method == "$/cancelRequest" {
		s.cancelRequest(msg.params)
		return
	}
	if state != stateInitialized && msg.method != "initialized" {
		return // before initialize or after shutdown: dropped, as the spec says
	}
	m, ok := s.methods[msg.method]
	if !ok || m.notify == nil {
		s.logger.Debug("notification ignored", "method", msg.method)
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
	ctx, cancel := context.WithCancelCause(s.ctx)
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
		s.reply(id, result, err)
	}()
}

// errInternal answers a request whose handler hit a bug.
var errInternal = &rpcError{Code: int64(jsonrpc2.InternalError), Message: "internal error in veil (logged); nothing was sent to the model"}

// recoverBug keeps the session alive when a handler on the read loop
// panics: the bug is logged (method only, never params) and a request is
// answered with an internal error.
func (s *Server) recoverBug(msg *message) {
	if r := recover(); r != nil {
		s.logger.Error("bug: handler panicked", "method", msg.method, "panic", fmt.Sprint(r))
		if msg.isCall() {
			s.reply(msg.id, nil, errInternal)
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

// latestRequest is the newest AI request for a document (a pointer, so the
// goroutine can tell whether it is still the newest).
type latestRequest struct{ cancel context.CancelCauseFunc }

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

// idKey canonicalises a JSON id so 7 and "7" differ but spacing does not.
// The ids editors send (small integers, plain strings) are keyed without
// decoding; anything else goes through json.Unmarshal.
func idKey(raw []byte) string {
	if k, ok := plainIDKey(raw); ok {
		return k
	}
	return decodedIDKey(raw)
}

// decodedIDKey is idKey by decoding raw: the reference plainIDKey agrees with.
func decodedIDKey(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch v := v.(type) {
	case string:
		return "s:" + v
	case float64:
		return "n:" + strconv.FormatFloat(v, 'f', -1, 64)
	}
	return string(raw)
}

// plainIDKey is idKey for an integer of at most 15 digits (exact in a
// float64) or a string with no escapes, control bytes or invalid UTF-8:
// the forms whose canonical key can be read off the bytes.
func plainIDKey(raw []byte) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		in := raw[1 : n-1]
		for _, c := range in {
			if c < 0x20 || c == '"' || c == '\\' {
				return "", false
			}
		}
		if !utf8.Valid(in) {
			return "", false
		}
		return "s:" + string(in), true
	}
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && len(digits) > 1 {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return "n:" + string(raw), true
}

// reply writes a response. A request without an id (unparseable) gets id null.
func (s *Server) reply(id []byte, result any, err error) {
	if id == nil {
		id = []byte("null")
	}
	buf := make([]byte, 0, 128)
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, id...)
	if err != nil {
		b, merr := json.Marshal(toRPCError(err))
		if merr != nil {
			b = []byte(`{"code":-32603,"message":"internal error"}`)
		}
		buf = append(append(append(buf, `,"error":`...), b...), '}')
	} else {
		b, merr := marshalResult(result)
		if merr != nil {
			s.logger.Error("encoding result", "error", merr)
			b = []byte("null")
		}
		buf = append(append(append(buf, `,"result":`...), b...), '}')
	}
	s.write(buf)
}

func marshalResult(result any) ([]byte, error) {
	switch r := result.(type) {
	case nil:
		return []byte("null"), nil
	case json.RawMessage:
		return r, nil
	}
	return json.Marshal(result)
}

// notify sends a notification to the client.
func (s *Server) notify(method string, params any) {
	b, err := json.Marshal(params)
	if err != nil {
		s.logger.Error("encoding notification", "method", method, "error", err)
		return
	}
	buf := make([]byte, 0, len(b)+64)
	buf = append(buf, `{"jsonrpc":"2.0","method":`...)
	buf = strconv.AppendQuote(buf, method)
	buf = append(append(append(buf, `,"params":`...), b...), '}')
	s.write(buf)
}

func (s *Server) write(frame []byte) {
	if err := s.out.Write(frame); err != nil {
		s.logger.Debug("write failed", "error", err)
	}
}

// call sends a request to the client and waits for its answer. It must not
// run on the read loop (the answer arrives there).
func (s *Server) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("lspproxy: encoding %s: %w", method, err)
	}
	id := `"veil-` + strconv.FormatInt(s.nextID.Add(1), 10) + `"`
	ch := make(chan *message, 1)
	s.pendingMu.Lock()
	s.pending[idKey([]byte(id))] = ch
	s.pendingMu.Unlock()
	defer func() {
		s.pendingMu.Lock()
		delete(s.pending, idKey([]byte(id)))
		s.pendingMu.Unlock()
	}()
	buf := []byte(`{"jsonrpc":"2.0","id":` + id + `,"method":`)
	buf = strconv.AppendQuote(buf, method)
	buf = append(append(append(buf, `,"params":`...), b...), '}')
	s.write(buf)
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("lspproxy: %s: %w", method, context.Cause(ctx))
	case resp := <-ch:
		if resp.kind == jsonrpc2.MessageViewResponseError {
			return nil, fmt.Errorf("lspproxy: %s: client answered %s", method, resp.err)
		}
		return resp.result, nil
	}
}

func (s *Server) deliver(msg *message) {
	s.pendingMu.Lock()
	ch := s.pending[idKey(msg.id)]
	s.pendingMu.Unlock()
	if ch == nil {
		s.logger.Debug("response to an unknown request", "id", string(msg.id))
		return
	}
	select {
	case ch <- msg:
	default: // a duplicate answer
	}
}

// showMessage and logMessage talk to the user.
func (s *Server) showMessage(typ int, text string) {
	s.notify("window/showMessage", ShowMessageParams{Type: typ, Message: text})
}

func (s *Server) logMessage(typ int, text string) {
	s.notify("window/logMessage", ShowMessageParams{Type: typ, Message: text})
}

// decode unmarshals params, answering InvalidParams on failure.
func decode(params []byte, v any) error {
	if len(params) == 0 {
		return invalidParams("missing params")
	}
	if err := json.Unmarshal(params, v); err != nil {
		return invalidParams("invalid params: %v", err)
	}
	return nil
}
