package localmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Complete implements Model. It streams from /v1/completions so that the
// first-token deadline means something and so that it can hang up as soon as
// the suggestion reaches its boundary (end of line or block) instead of
// waiting for max_tokens. req holds redacted text only.
//
// This call is veil's own over net/http rather than go-openai's (chat,
// /v1/models and the probe stay on go-openai): it sends the same bytes and
// headers, reads the stream the same way and fails with the same errors, but
// its request body and stream reader are pooled, so a completion leaves
// little garbage behind (see fimbody.go and sse.go).
func (c *client) Complete(ctx context.Context, req FIMRequest) (Completion, error) {
	const op = "completion"
	if err := c.ensureVerified(ctx); err != nil {
		return Completion{}, err
	}
	cl := c.start(ctx, deadlines{overall: c.timeout, firstToken: c.firstToken})
	defer cl.end()
	if c.chatOnlyName {
		return Completion{}, c.fail(ctx, cl, op, false, openai.ErrCompletionUnsupportedModel)
	}
	body := getBody(c.bodies)
	defer body.release()
	var sent int
	body.b, sent = c.appendCompletionBody(body.b, req)
	stream, err := c.openCompletion(cl.ctx, body)
	if err != nil {
		err = c.fail(ctx, cl, op, false, err, c.sentText(req)...)
		var e *Error
		if c.fim == FIMSuffix && errors.As(err, &e) && e.Kind == ErrHTTP && e.Status == http.StatusBadRequest && strings.Contains(e.Detail, "suffix") {
			// vLLM and llama.cpp reject the suffix field.
			e.Detail += " (this server wants the FIM template in the prompt: set model.fim to the model family, e.g. qwen)"
		}
		return Completion{}, err
	}
	// drain: the answer is complete, so closing may wait briefly for the
	// rest of the body and keep the connection for the next request.
	drain := false
	defer func() { cl.closeStream(stream, drain) }()

	var text string
	text, drain, err = c.readCompletion(cl, stream, req)
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			return Completion{}, err // a refused model, a stream that ended early
		}
		return Completion{}, c.fail(ctx, cl, op, true, err, c.sentText(req)...)
	}
	c.done(cl, op, sent, len(text))
	return Completion{Text: text, Model: c.name}, nil
}

// readCompletion reads the stream until the model finishes, or until the
// suggestion is complete while it is still generating, and returns the
// shaped suggestion and whether the stream ended cleanly (its connection may
// be kept). An error is a stream error for fail to word, or an *Error.
func (c *client) readCompletion(cl *call, stream *eventStream, req FIMRequest) (string, bool, error) {
	sh := newShaper(req, c.stops)
	var out strings.Builder
	finished, early, clean := false, false, false
	for !finished && !early {
		chunk, err := stream.next()
		if errors.Is(err, io.EOF) && cl.ctx.Err() == nil {
			clean = true
			break
		}
		if err != nil {
			return "", false, err
		}
		cl.gotChunk()
		if err := c.checkServed(chunk.Model); err != nil {
			return "", false, err
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			out.WriteString(ch.Text)
			finished = finished || ch.FinishReason != ""
		}
		if _, done := sh.cut(out.String(), false); done && !finished {
			early = true
		}
	}
	if !finished && !early {
		return "", clean, &Error{Kind: ErrMalformedStream, Endpoint: c.endpoint, Detail: "the stream ended before the model finished"}
	}
	text, _ := sh.cut(out.String(), finished)
	return sh.finish(text), clean || finished, nil
}

// openCompletion posts body to /v1/completions and returns the event stream
// of a successful answer. An error is the HTTP client's, or go-openai's
// error type for an error status (*openai.APIError, *openai.RequestError),
// built as the library builds it, for classify.
func (c *client) openCompletion(ctx context.Context, body *bodyBuf) (*eventStream, error) {
	// A *bytes.Reader, which net/http knows is in memory: it copies the
	// body behind the headers into the connection's write buffer and sends
	// both in one write.
	hreq, err := http.NewRequestWithContext(body.sending(ctx), http.MethodPost, c.completionsURL, bytes.NewReader(body.b))
	if err != nil {
		return nil, err
	}
	hreq.Header = c.completionHeader // shared: net/http only reads a request's header
	resp, err := c.post(hreq)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusBadRequest {
		defer resp.Body.Close()
		return nil, statusError(resp)
	}
	return openStream(c.streams, resp), nil
}

// post sends hreq as c.httpc.Do does, through its transport directly:
// Do copies a request's headers, for redirects, on every call, and veil
// follows none. A redirect Do would have followed (a 3xx with a Location)
// is a *redirectError, as the client's CheckRedirect makes it; errors are
// wrapped in a *url.Error as Do wraps them. A URL with a user name, which
// Do sends as basic authentication, goes through Do.
func (c *client) post(hreq *http.Request) (*http.Response, error) {
	if hreq.URL.User != nil {
		return c.httpc.Do(hreq)
	}
	resp, err := c.httpc.Transport.RoundTrip(hreq)
	if err != nil {
		return nil, &url.Error{Op: "Post", URL: c.completionsURL, Err: err}
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if loc := resp.Header.Get("Location"); loc != "" {
			resp.Body.Close()
			return nil, &url.Error{Op: "Post", URL: loc, Err: &redirectError{status: resp.StatusCode}}
		}
	}
	return resp, nil
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// statusError is the error for an answer with an error status, as go-openai
// makes it: the server's OpenAI-style error object with the status, or a
// RequestError holding the body when there is none.
func statusError(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return err
	}
	var errResp openai.ErrorResponse
	err = json.Unmarshal(body, &errResp)
	if err != nil || errResp.Error == nil {
		reqErr := &openai.RequestError{HTTPStatus: resp.Status, HTTPStatusCode: resp.StatusCode, Err: err, Body: body}
		if errResp.Error != nil {
			reqErr.Err = errResp.Error
		}
		return reqErr
	}
	errResp.Error.HTTPStatus, errResp.Error.HTTPStatusCode = resp.Status, resp.StatusCode
	return errResp.Error
}

// sentText is the text a completion request carried, which server messages
// quoted in errors are checked against. It is laid out again only when a
// call failed.
func (c *client) sentText(req FIMRequest) []string {
	p := buildFIM(c.fim, req)
	return []string{p.prompt, p.suffix}
}
