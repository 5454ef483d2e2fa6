package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/redact"
)

// Request is the params of one copilot/fetch call.
type Request struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    *string           `json:"body,omitempty"`
	Timeout float64           `json:"timeout,omitempty"` // milliseconds until the response head
}

// Options configure a Gate.
type Options struct {
	// Client sends the requests. nil: a client over the default transport
	// (system roots, SSL_CERT_FILE, proxy from the environment) that never
	// follows redirects.
	Client *http.Client
	// Detector returns the detector in force now (it changes on reload).
	// Required.
	Detector func() *redact.Detector
	// Vault is the session's vault. Required.
	Vault *redact.Vault
	// Blocked says whether policy keeps a file's content from leaving
	// (path as the child names it), and why. nil blocks nothing.
	Blocked func(path string) (reason string, blocked bool)
	// Record receives one audit record per request. nil discards.
	Record func(audit.Record)
	// Session names the session in audit records.
	Session string
}

// Gate answers copilot/fetch calls. It is safe for concurrent use.
type Gate struct {
	o     Options
	allow *Allowlist
}

// New returns a gate with the built-in allowlist.
func New(o Options) *Gate {
	if o.Client == nil {
		o.Client = &http.Client{
			Transport:     http.DefaultTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Gate{o: o, allow: NewAllowlist()}
}

// Response is the head of an upstream answer; Stream delivers its body.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`

	body    io.ReadCloser
	restore func([]byte) []byte // nil: pass through
	flush   func() []byte
	finish  func(outcome string, err error)
	cancel  context.CancelFunc
}

// headTimeout is the wait for the response head when the child names none.
const headTimeout = 30 * time.Second

// Fetch masks and sends one request and returns the response head. A
// request outside the allowlist gets ErrNotAllowed; telemetry gets a 204
// without leaving. Errors never carry request text. ctx ends the request
// (and the body stream) when cancelled.
func (g *Gate) Fetch(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	rec := audit.Record{Session: g.o.Session, Route: "upstream"}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, g.refuse(rec, start, "unreadable URL", fmt.Errorf("%w: unreadable URL", ErrNotAllowed))
	}
	rec.Host = strings.ToLower(u.Hostname())
	kind, err := g.allow.Classify(strings.ToUpper(req.Method), u)
	if err != nil {
		return nil, g.refuse(rec, start, "not on the allowlist", fmt.Errorf("%w: %s %s", err, req.Method, rec.Host))
	}
	rec.Kind = string(kind)
	if kind == Telemetry {
		g.refuse(rec, start, "telemetry dropped", nil)
		return &Response{Status: http.StatusNoContent, Headers: map[string]string{}}, nil
	}
	m := newMasker(g.o.Detector(), g.o.Vault, g.o.Blocked)
	hreq, err := g.build(ctx, req, u, kind, m)
	if err != nil {
		rec.Outcome = audit.OutcomeError
		return nil, g.fail(rec, start, m, err)
	}
	rec.BytesSent = int(hreq.ContentLength)
	return g.send(ctx, hreq, req, kind, m, rec, start)
}

// build makes the outgoing request: unmodified for the kinds that pass,
// masked for the rest.
func (g *Gate) build(ctx context.Context, req Request, u *url.URL, kind Kind, m *masker) (*http.Request, error) {
	body := ""
	if req.Body != nil {
		body = *req.Body
	}
	var err error
	if !kind.passes() {
		if u, err = m.url(u); err != nil {
			return nil, err
		}
		if body != "" {
			if body, err = m.jsonBody(body, kind); err != nil {
				return nil, err
			}
		}
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	var rd io.Reader
	if req.Body != nil {
		rd = strings.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("egress: building request: %v", redactedURLError(err))
	}
	for k, v := range req.Headers {
		if dropHeader(k) {
			continue
		}
		if !kind.passes() {
			if err = m.plain(k); err != nil {
				return nil, err
			}
			if v, err = m.header(k, v); err != nil {
				return nil, err
			}
		}
		hreq.Header.Set(k, v)
	}
	if !kind.passes() {
		if err := m.guard(hreq, body); err != nil {
			return nil, err
		}
	}
	return hreq, nil
}

// dropHeader names the headers Go sets itself or that would undo masking
// (a compressed body veil could not read).
func dropHeader(k string) bool {
	switch strings.ToLower(k) {
	case "host", "content-length", "connection", "transfer-encoding", "accept-encoding", "keep-alive", "upgrade", "te", "trailer", "proxy-authorization":
		return true
	}
	return false
}

// redactedURLError drops the URL from url and request errors.
func redactedURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// send makes the request and prepares the restoring body stream.
func (g *Gate) send(ctx context.Context, hreq *http.Request, req Request, kind Kind, m *masker, rec audit.Record, start time.Time) (*Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	hreq = hreq.WithContext(ctx)
	wait := headTimeout
	if req.Timeout > 0 {
		wait = time.Duration(req.Timeout * float64(time.Millisecond))
	}
	timer := time.AfterFunc(wait, cancel)
	resp, err := g.o.Client.Do(hreq)
	stopped := timer.Stop()
	if err != nil {
		cancel()
		rec.Outcome = audit.OutcomeError
		if !stopped {
			rec.Outcome = audit.OutcomeTimeout
		} else if ctx.Err() != nil {
			rec.Outcome = audit.OutcomeCancelled
		}
		return nil, g.fail(rec, start, m, fmt.Errorf("egress: %s %s: %v", hreq.Method, rec.Host, redactedURLError(err)))
	}
	r := &Response{Status: resp.StatusCode, Headers: responseHeaders(resp.Header), body: resp.Body, cancel: cancel}
	g.restorer(r, resp, kind)
	r.finish = func(outcome string, err error) {
		rec.Outcome = outcome
		if err != nil {
			rec.Reason = err.Error()
		}
		g.done(rec, start, m)
	}
	return r, nil
}

// restorer picks how the body comes back: unchanged for the kinds that
// pass (the token reply teaches the allowlist its hosts), per event for a
// stream, whole for JSON.
func (g *Gate) restorer(r *Response, resp *http.Response, kind Kind) {
	if kind.passes() {
		if kind == Token {
			var whole []byte
			r.restore = func(p []byte) []byte { whole = append(whole, p...); return p }
			r.flush = func() []byte { g.allow.Learn(whole); return nil }
		}
		return
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "text/event-stream" || (kind == Completions && ct != "application/json") {
		s := newSSERestorer(g.o.Vault, kind == Chat)
		r.restore, r.flush = s.Write, s.Flush
		return
	}
	var whole []byte
	r.restore = func(p []byte) []byte { whole = append(whole, p...); return nil }
	r.flush = func() []byte {
		return []byte(dropProblems(g.o.Vault.RestoreJSON(string(whole))))
	}
}

// responseHeaders copies the head for the child, without the framing
// headers a restored body no longer matches.
func responseHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		switch strings.ToLower(k) {
		case "content-length", "content-encoding", "transfer-encoding", "connection":
			continue
		}
		out[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return out
}

// Stream calls emit with each piece of the restored body, in order, as it
// arrives, then closes the body and writes the audit record. It returns
// the first error of the upstream read or of emit. Stream on a response
// without a body (dropped telemetry) returns nil at once.
func (r *Response) Stream(emit func(chunk []byte) error) error {
	if r.body == nil {
		return nil
	}
	defer r.cancel()
	defer r.body.Close()
	err := r.pump(emit)
	outcome := audit.OutcomeOK
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		outcome = audit.OutcomeCancelled
	default:
		outcome = audit.OutcomeError
	}
	r.finish(outcome, err)
	return err
}

func (r *Response) pump(emit func([]byte) error) error {
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.body.Read(buf)
		if n > 0 {
			out := buf[:n]
			if r.restore != nil {
				out = r.restore(out)
			}
			if len(out) > 0 {
				if err := emit(out); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("egress: reading the response: %v", redactedURLError(rerr))
		}
	}
	if r.flush != nil {
		if out := r.flush(); len(out) > 0 {
			return emit(out)
		}
	}
	return nil
}

// refuse audits a request that never left and returns err.
func (g *Gate) refuse(rec audit.Record, start time.Time, reason string, err error) error {
	rec.Outcome, rec.Reason = audit.OutcomeBlocked, reason
	g.write(rec, start)
	return err
}

// fail audits a request that failed before it had an answer.
func (g *Gate) fail(rec audit.Record, start time.Time, m *masker, err error) error {
	rec.Reason = err.Error()
	g.done(rec, start, m)
	return err
}

func (g *Gate) done(rec audit.Record, start time.Time, m *masker) {
	if len(m.findings) > 0 {
		rec.Findings, rec.Rules = m.findings, m.rules
	}
	rec.Refused = m.refused
	g.write(rec, start)
}

func (g *Gate) write(rec audit.Record, start time.Time) {
	rec.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if g.o.Record != nil {
		g.o.Record(rec)
	}
}
