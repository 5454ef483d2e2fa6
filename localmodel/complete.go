package localmodel

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Complete implements Model. It streams from /v1/completions so that the
// first-token deadline means something and so that it can hang up as soon as
// the suggestion reaches its boundary (end of line or block) instead of
// waiting for max_tokens. req holds redacted text only.
func (c *client) Complete(ctx context.Context, req FIMRequest) (Completion, error) {
	const op = "completion"
	if err := c.ensureVerified(ctx); err != nil {
		return Completion{}, err
	}
	p := buildFIM(c.fim, req)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = c.maxTokens
	}
	creq := openai.CompletionRequest{
		Model:       c.name,
		Prompt:      p.prompt,
		Suffix:      p.suffix,
		Stop:        p.stops,
		MaxTokens:   maxTokens,
		Temperature: c.temperature,
		Stream:      true,
	}
	cl := c.start(ctx, deadlines{overall: c.timeout, firstToken: c.firstToken})
	defer cl.end()
	stream, err := c.api.CreateCompletionStream(cl.ctx, creq)
	if err != nil {
		err = c.fail(ctx, cl, op, false, err, p.prompt, p.suffix)
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

	sh := newShaper(req, p.stops)
	var out strings.Builder
	finished, early := false, false
	// Read until the model finishes, or hang up as soon as the suggestion
	// is complete while it is still generating.
	for !finished && !early {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) && cl.ctx.Err() == nil {
			drain = true
			break
		}
		if err != nil {
			return Completion{}, c.fail(ctx, cl, op, true, err, p.prompt, p.suffix)
		}
		cl.gotChunk()
		if err := c.checkServed(resp.Model); err != nil {
			return Completion{}, err
		}
		for _, ch := range resp.Choices {
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
	drain = drain || finished
	if !finished && !early {
		return Completion{}, &Error{Kind: ErrMalformedStream, Endpoint: c.endpoint, Detail: "the stream ended before the model finished"}
	}
	text, _ := sh.cut(out.String(), finished)
	c.done(cl, op, len(p.prompt)+len(p.suffix), out.Len())
	return Completion{Text: sh.finish(text), Model: c.name}, nil
}
