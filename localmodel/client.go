package localmodel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/veil-dev/veil/chatlog"
	"github.com/veil-dev/veil/config"
)

// client talks to one OpenAI-compatible server. It sends to the configured
// endpoint and nowhere else: no proxy from the environment, no redirects, no
// second endpoint to fall back to.
type client struct {
	api         *openai.Client // chat, /v1/models
	httpc       *http.Client
	base        string // endpoint without a trailing slash, for requests
	endpoint    string // the same with user info removed, for messages
	name        string
	fim         string
	maxTokens   int
	temperature float32
	timeout     time.Duration
	firstToken  time.Duration
	chatCap     time.Duration // chatCapFactor × timeout
	pins        []pin
	key         string // the API key; only ever sent in the Authorization header and checked against server messages
	log         *slog.Logger
	sessions    *chatlog.Log

	// The completion call (complete.go): its URL, headers (read-only, shared
	// by every request) and the fixed parts of its body, the family's stop strings, and pools of request
	// bodies and stream readers reused from call to call.
	completionsURL   string
	completionHeader http.Header
	body             bodyTemplate
	stops            []string
	bodies, streams  *sync.Pool
	// chatOnlyName: go-openai refuses model.name on /v1/completions (an
	// OpenAI chat model name); completions keep refusing it.
	chatOnlyName bool

	// verify serialises the digest check; verified is set once it passed.
	// Only needed when a pin carries a digest.
	verify   chan struct{}
	verified bool // guarded by holding verify
}

var _ io.Closer = (*client)(nil)

// pin is one model.pin entry: a model id and, optionally, an Ollama digest
// (lower-case hex, 12 to 64 digits, compared as a prefix).
type pin struct {
	name, digest string
}

var (
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	digestRE  = regexp.MustCompile(`^[0-9a-f]{12,64}$`)
)

// minTemperature is sent for temperature 0: the client library omits a zero
// temperature from the request, which would leave the server's default
// (often 0.8) in force.
const minTemperature = 1e-4

// Limits of the chat history the client keeps itself (when its caller
// sends none): turns redacted as they were sent.
const (
	historyBudget = 24 << 10 // bytes of past turns resent per session
	maxSessions   = 32       // least recently used sessions beyond this are forgotten
)

func newClient(c config.Model, getenv func(string) string, logger *slog.Logger) (*client, error) {
	d := DefaultConfig()
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, configErr("model.endpoint %q: want an http:// or https:// URL like http://127.0.0.1:11434/v1", redactURL(c.Endpoint))
	}
	cl := &client{
		base:        strings.TrimRight(c.Endpoint, "/"),
		endpoint:    strings.TrimRight(u.Redacted(), "/"),
		name:        c.Name,
		fim:         c.FIM,
		maxTokens:   c.MaxTokens,
		temperature: float32(c.Temperature),
		timeout:     c.Timeout,
		firstToken:  c.FirstTokenTimeout,
		log:         logger,
		sessions:    chatlog.New(historyBudget, maxSessions),
		verify:      make(chan struct{}, 1),
	}
	if cl.name == "" {
		return nil, configErr("model.name is empty: set the model id the server serves, e.g. qwen2.5-coder:1.5b")
	}
	if cl.fim == "" {
		cl.fim = d.FIM
	}
	if _, ok := fimFormats[cl.fim]; !ok && cl.fim != FIMSuffix {
		return nil, configErr("model.fim %q: want suffix, qwen, starcoder, codellama or deepseek", c.FIM)
	}
	switch {
	case c.MaxTokens < 0:
		return nil, configErr("model.max_tokens %d is negative", c.MaxTokens)
	case c.Temperature < 0 || c.Temperature > 2:
		return nil, configErr("model.temperature %g: want 0 to 2", c.Temperature)
	case c.Timeout < 0 || c.FirstTokenTimeout < 0:
		return nil, configErr("model.timeout and model.first_token_timeout must not be negative")
	}
	if cl.maxTokens == 0 {
		cl.maxTokens = d.MaxTokens
	}
	if cl.temperature == 0 {
		cl.temperature = minTemperature
	}
	if cl.timeout == 0 {
		cl.timeout = d.Timeout
	}
	if cl.firstToken == 0 {
		cl.firstToken = min(d.FirstTokenTimeout, cl.timeout)
	}
	cl.chatCap = chatCapFactor * cl.timeout
	if cl.firstToken > cl.timeout {
		return nil, configErr("model.first_token_timeout %s exceeds model.timeout %s", cl.firstToken, cl.timeout)
	}
	key, err := readKey(c.APIKeyEnv, getenv)
	if err != nil {
		return nil, err
	}
	cl.key = key
	if cl.pins, err = parsePins(c.Pin); err != nil {
		return nil, err
	}
	if len(cl.pins) > 0 && !slices.ContainsFunc(cl.pins, func(p pin) bool { return sameModel(p.name, cl.name) }) {
		return nil, &Error{Kind: ErrModelRefused, Detail: fmt.Sprintf("model.name %q is not in model.pin (allowed: %s)", cl.name, pinNames(cl.pins))}
	}
	if !isLoopback(u.Hostname()) {
		logger.Warn("model endpoint is not on this machine; redacted code will cross the network", "endpoint", cl.endpoint)
	}

	cl.httpc = newHTTPClient()
	oc := openai.DefaultConfig(key)
	oc.BaseURL = cl.base
	oc.HTTPClient = drainingDoer{cl.httpc}
	cl.api = openai.NewClientWithConfig(oc)
	if err := cl.initCompletion(); err != nil {
		return nil, err
	}
	return cl, nil
}

// initCompletion prepares what every completion call sends: the URL and
// headers go-openai would use, and the body's fixed parts.
func (c *client) initCompletion() error {
	c.completionsURL = c.base + "/completions"
	c.completionHeader = http.Header{
		"Content-Type":  {"application/json"},
		"Accept":        {"text/event-stream"},
		"Cache-Control": {"no-cache"},
		"Connection":    {"keep-alive"},
	}
	if c.key != "" {
		c.completionHeader.Set("Authorization", "Bearer "+c.key)
	}
	if f, ok := fimFormats[c.fim]; ok {
		c.stops = f.stops
	}
	var err error
	if c.body, err = newBodyTemplate(c.name, c.stops, c.temperature); err != nil {
		return configErr("model.name or model.temperature cannot be encoded: %v", err)
	}
	c.bodies, c.streams = newBodyPool(), newStreamPool()
	c.chatOnlyName = refusedForCompletions(c.name)
	return nil
}

// refusedForCompletions reports whether go-openai refuses to send model to
// /v1/completions. It asks the library, which answers before any I/O; the
// request it would otherwise send goes to a client that refuses it.
func refusedForCompletions(model string) bool {
	oc := openai.DefaultConfig("")
	oc.HTTPClient = refusingDoer{}
	_, err := openai.NewClientWithConfig(oc).CreateCompletionStream(context.Background(), openai.CompletionRequest{Model: model, Prompt: ""})
	return errors.Is(err, openai.ErrCompletionUnsupportedModel)
}

// refusingDoer sends nothing.
type refusingDoer struct{}

var errNotSent = errors.New("not sent")

func (refusingDoer) Do(*http.Request) (*http.Response, error) { return nil, errNotSent }

// readKey returns the API key from the variable named by model.api_key_env,
// or "" when none is configured.
func readKey(name string, getenv func(string) string) (string, error) {
	if name == "" {
		return "", nil
	}
	if !envNameRE.MatchString(name) {
		// Never echo the value: it may be the key itself.
		return "", configErr("model.api_key_env must be the NAME of an environment variable holding the key, not the key")
	}
	key := ""
	if getenv != nil {
		key = getenv(name)
	}
	if key == "" {
		return "", configErr("model.api_key_env names %s, which is unset or empty", name)
	}
	return key, nil
}

// writeBufferSize is each connection's write buffer. A request body that
// fits in it is copied there and written with the headers; a larger one
// goes through net.TCPConn.ReadFrom, which allocates a copy buffer of the
// body's size for every request. 64 KiB holds a completion request with
// the default lsp.context_bytes and lsp.neighbor_bytes several times over.
const writeBufferSize = 64 << 10

// newHTTPClient is the one HTTP client of a model client: no proxy from the
// environment (the model endpoint is reached directly), no redirects, a
// bounded connect. Deadlines come from each call's context.
func newHTTPClient() *http.Client {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		WriteBufferSize:     writeBufferSize,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return &redirectError{status: req.Response.StatusCode}
		},
	}
}

func (c *client) ID() string { return c.name }

// Close drops idle connections to the server.
func (c *client) Close() error {
	c.httpc.CloseIdleConnections()
	return nil
}

func parsePins(entries []string) ([]pin, error) {
	var out []pin
	for _, e := range entries {
		name, digest, hasDigest := strings.Cut(strings.TrimSpace(e), "@")
		if name == "" {
			return nil, configErr("model.pin entry %q has no model id", e)
		}
		p := pin{name: name}
		if hasDigest {
			hex, ok := strings.CutPrefix(digest, "sha256:")
			if !ok || !digestRE.MatchString(hex) {
				return nil, configErr("model.pin entry %q: want name@sha256:<12 to 64 lower-case hex digits>", e)
			}
			p.digest = hex
		}
		out = append(out, p)
	}
	return out, nil
}

func pinNames(pins []pin) string {
	names := make([]string, len(pins))
	for i, p := range pins {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// sameModel compares model ids the way Ollama resolves them: a missing tag
// means ":latest".
func sameModel(a, b string) bool {
	norm := func(s string) string {
		if !strings.Contains(s, ":") {
			return s + ":latest"
		}
		return s
	}
	return a == b || norm(a) == norm(b)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		// A query or fragment may carry a key (?key=…): named, not shown.
		if u.RawQuery != "" {
			u.RawQuery = "…"
		}
		if u.Fragment != "" || u.RawFragment != "" {
			u.Fragment, u.RawFragment = "…", ""
		}
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// redirectError stops the HTTP client from following a redirect: the model
// endpoint is exactly the configured one.
type redirectError struct{ status int }

func (e *redirectError) Error() string { return fmt.Sprintf("redirect (HTTP %d) refused", e.status) }

// drainingDoer hands the client library response bodies that drain before
// they close. A stream reader stops at "data: [DONE]"; the end of the
// chunked body may still be in flight, and closing before it arrives makes
// net/http drop the connection instead of reusing it.
type drainingDoer struct{ c *http.Client }

func (d drainingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if err == nil {
		resp.Body = drainBody{resp.Body}
	}
	return resp, err
}

// drainLimit bounds what Close reads from a body before giving up on reuse.
const drainLimit = 64 << 10

type drainBody struct{ io.ReadCloser }

func (b drainBody) Close() error {
	io.CopyN(io.Discard, b.ReadCloser, drainLimit)
	return b.ReadCloser.Close()
}

// drainGrace is how long closing a completed stream waits for the rest of
// the body; a server that holds the response open after [DONE] costs no more.
const drainGrace = 50 * time.Millisecond

// Deadline and hang-up causes, told apart with context.Cause.
var (
	errOverallDeadline    = errors.New("overall deadline")
	errFirstTokenDeadline = errors.New("first-token deadline")
	errIdleDeadline       = errors.New("idle deadline")
	errHangUp             = errors.New("hung up")
)

// chatCapFactor caps a whole chat reply at this many times model.timeout; in
// chat, model.timeout bounds each wait for the next chunk instead, since a
// long answer streams for longer than any completion should take.
const chatCapFactor = 10

// deadlines of one call; zero disables one (overall never is).
type deadlines struct {
	overall    time.Duration // the whole call
	firstToken time.Duration // until the first chunk
	idle       time.Duration // between chunks
}

// call is the lifetime of one request, its deadlines as causes on one
// context.
type call struct {
	ctx                  context.Context
	cancel               context.CancelCauseFunc
	d                    deadlines
	overall, first, idle *time.Timer
	started              time.Time
}

// start begins a call under parent. Every deadline is a timer that
// cancels the call's one context with its own cause (rather than a
// context of its own for the overall one: one context less per call).
func (c *client) start(parent context.Context, d deadlines) *call {
	ctx, cancel := context.WithCancelCause(parent)
	cl := &call{ctx: ctx, cancel: cancel, d: d, started: time.Now()}
	cl.overall = time.AfterFunc(d.overall, func() { cancel(errOverallDeadline) })
	if d.firstToken > 0 {
		cl.first = time.AfterFunc(d.firstToken, func() { cancel(errFirstTokenDeadline) })
	}
	return cl
}

// gotChunk disarms the first-token deadline and restarts the idle one.
func (cl *call) gotChunk() {
	if cl.first != nil {
		cl.first.Stop()
	}
	if cl.d.idle > 0 {
		if cl.idle == nil {
			cl.idle = time.AfterFunc(cl.d.idle, func() { cl.cancel(errIdleDeadline) })
		} else {
			cl.idle.Reset(cl.d.idle)
		}
	}
}

// timeoutDetail words the deadline that ended the call, or "" if none did.
func (cl *call) timeoutDetail() string {
	switch context.Cause(cl.ctx) {
	case errOverallDeadline:
		if cl.d.idle > 0 {
			return fmt.Sprintf("the reply was not complete within %s (model.timeout × %d)", cl.d.overall, chatCapFactor)
		}
		return fmt.Sprintf("no complete answer within %s (model.timeout)", cl.d.overall)
	case errFirstTokenDeadline:
		return fmt.Sprintf("no first token within %s (model.first_token_timeout)", cl.d.firstToken)
	case errIdleDeadline:
		return fmt.Sprintf("no new text for %s (model.timeout)", cl.d.idle)
	}
	return ""
}

// closeStream closes s. After a complete answer the body may drain for up to
// drainGrace so the connection is reused; otherwise (early hang-up, error)
// the call is cancelled first so the close is immediate and the server sees
// the client leave.
func (cl *call) closeStream(s io.Closer, complete bool) {
	if complete {
		t := time.AfterFunc(drainGrace, func() { cl.cancel(errHangUp) })
		defer t.Stop()
	} else {
		cl.cancel(errHangUp)
	}
	s.Close()
}

func (cl *call) end() {
	if cl.first != nil {
		cl.first.Stop()
	}
	if cl.idle != nil {
		cl.idle.Stop()
	}
	cl.overall.Stop()
	cl.cancel(nil)
}

// fail turns err from a call into the error the caller gets: the caller's own
// cancellation as is (wrapped), a deadline as ErrTimeout, anything else
// classified. sent is the text of the request, which server messages quoted in
// errors are checked against.
func (c *client) fail(parent context.Context, cl *call, op string, reading bool, err error, sent ...string) error {
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("localmodel: %s: %w", op, perr)
	}
	var e *Error
	if d := cl.timeoutDetail(); d != "" {
		e = &Error{Kind: ErrTimeout, Endpoint: c.endpoint, Detail: d}
	} else {
		e = c.classify(err, reading, sent)
	}
	c.log.Debug("model call failed", "op", op, "model", c.name, "kind", e.Kind.Error(), "status", e.Status, "elapsed", time.Since(cl.started))
	return e
}

func (c *client) classify(err error, reading bool, sent []string) *Error {
	e := &Error{Endpoint: c.endpoint}
	if c.key != "" {
		sent = append(sent, c.key) // a server quoting the key gets its message withheld
	}
	var (
		redir  *redirectError
		apiErr *openai.APIError
		reqErr *openai.RequestError
	)
	switch {
	case errors.As(err, &redir):
		e.Kind, e.Status = ErrHTTP, redir.status
		e.Detail = "a redirect, which veil does not follow: the model endpoint is exactly model.endpoint"
	case errors.Is(err, openai.ErrCompletionUnsupportedModel):
		// The client library refuses OpenAI chat-only model names on
		// /v1/completions before sending anything.
		e.Kind, e.Endpoint = ErrConfig, ""
		e.Detail = fmt.Sprintf("model.name %q is an OpenAI chat model name, which the client library will not send to /v1/completions", c.name)
	case errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		e.Kind, e.Detail = ErrMalformedStream, "too many lines without data (keep-alive flood)"
	case errors.As(err, &reqErr):
		// Checked before APIError: a RequestError may wrap an empty one.
		e.Kind, e.Status = ErrHTTP, reqErr.HTTPStatusCode
		e.Detail = orStatus(scrubServerMessage(bodyMessage(reqErr.Body), sent...), e.Status)
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0:
		e.Kind, e.Status = ErrHTTP, apiErr.HTTPStatusCode
		e.Detail = orStatus(scrubServerMessage(apiErr.Message, sent...), e.Status)
	case errors.As(err, &apiErr):
		e.Kind, e.Detail = ErrStreamError, scrubServerMessage(apiErr.Message, sent...)
	case isJSONError(err):
		e.Kind, e.Detail = ErrMalformedStream, "invalid JSON"
	case reading && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		e.Kind, e.Detail = ErrMalformedStream, "the stream ended before the model finished"
	case reading:
		e.Kind, e.Detail = ErrMalformedStream, "reading the stream: "+netDetail(err)
	default:
		e.Kind, e.Detail = ErrUnreachable, netDetail(err)
	}
	return e
}

// done reports a finished call in the debug log: sizes and timing, never text.
func (c *client) done(cl *call, op string, sentBytes, gotBytes int) {
	c.log.Debug("model call", "op", op, "model", c.name, "sent_bytes", sentBytes, "got_bytes", gotBytes, "elapsed", time.Since(cl.started))
}

// checkServed refuses an answer from a model other than the one asked for,
// when model.pin is set (the server names the model in every chunk).
func (c *client) checkServed(model string) error {
	if len(c.pins) == 0 || model == "" || sameModel(model, c.name) {
		return nil
	}
	for _, p := range c.pins {
		if sameModel(p.name, model) && p.digest == "" {
			return nil
		}
	}
	return &Error{Kind: ErrModelRefused, Endpoint: c.endpoint,
		Detail: fmt.Sprintf("asked for %q, the server answered with %q, which model.pin does not allow; the answer was discarded", c.name, model)}
}
