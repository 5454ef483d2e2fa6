package localmodel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/veil-dev/veil/chatlog"
)

// systemPrompt tells the model about the placeholders: veil restores them in
// the reply, so they must come back exactly as sent.
const systemPrompt = "You are a coding assistant inside the user's editor. " +
	"Before you see any text, some values in it (secrets, personal data, internal names) are replaced by placeholder tokens. " +
	"Treat each placeholder as an opaque name: repeat it exactly as written when you refer to it, and never guess or invent the value behind it. " +
	"Answer concisely; put code in fenced blocks."

// Chat implements Model: a streamed chat completion with the system prompt,
// the session's earlier turns (req.History, else the client's own within
// historyBudget bytes) and this turn. The
// turn is added to the history only when the reply completed. Deadlines:
// model.first_token_timeout until the first chunk, model.timeout between
// chunks, and chatCapFactor × model.timeout for the whole reply. req holds
// redacted text only.
func (c *client) Chat(ctx context.Context, req ChatRequest, onChunk func(string) error) (string, error) {
	const op = "chat"
	if err := c.ensureVerified(ctx); err != nil {
		return "", err
	}
	user := chatUserContent(req)
	msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem, Content: systemPrompt}}
	sent := []string{user}
	history := req.History
	if history == nil {
		for _, t := range c.sessions.Turns(req.SessionID) {
			history = append(history, Turn{User: t.User, Assistant: t.Assistant})
		}
	}
	for _, t := range history {
		msgs = append(msgs,
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: t.User},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: t.Assistant})
		sent = append(sent, t.User, t.Assistant)
	}
	msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: user})
	creq := openai.ChatCompletionRequest{
		Model:       c.name,
		Messages:    msgs,
		Temperature: c.temperature,
		Stream:      true,
	}
	cl := c.start(ctx, deadlines{overall: c.chatCap, firstToken: c.firstToken, idle: c.timeout})
	defer cl.end()
	stream, err := c.api.CreateChatCompletionStream(cl.ctx, creq)
	if err != nil {
		return "", c.fail(ctx, cl, op, false, err, sent...)
	}
	drain := false // as in Complete
	defer func() { cl.closeStream(stream, drain) }()

	var reply strings.Builder
	finished := false
	for !finished {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) && cl.ctx.Err() == nil {
			drain = true
			break
		}
		if err != nil {
			return "", c.fail(ctx, cl, op, true, err, sent...)
		}
		cl.gotChunk()
		if err := c.checkServed(resp.Model); err != nil {
			return "", err
		}
		for _, ch := range resp.Choices {
			if ch.Index != 0 {
				continue
			}
			finished = finished || ch.FinishReason != ""
			piece := ch.Delta.Content
			if piece == "" {
				continue
			}
			reply.WriteString(piece)
			if onChunk != nil {
				if err := onChunk(piece); err != nil {
					return "", fmt.Errorf("localmodel: chat: delivering a chunk: %w", err)
				}
			}
		}
	}
	drain = drain || finished
	if !finished {
		return "", &Error{Kind: ErrMalformedStream, Endpoint: c.endpoint, Detail: "the stream ended before the model finished"}
	}
	if req.History == nil {
		c.sessions.Add(req.SessionID, chatlog.Turn{User: user, Assistant: reply.String()})
	}
	c.done(cl, op, totalLen(sent), reply.Len())
	return reply.String(), nil
}

// chatUserContent puts the referenced documents ahead of the message, each
// under its path in a fence longer than any backtick run inside it.
func chatUserContent(req ChatRequest) string {
	if len(req.References) == 0 {
		return req.Message
	}
	var b strings.Builder
	b.WriteString("Referenced files:\n\n")
	for _, r := range req.References {
		fence := strings.Repeat("`", max(3, longestRun(r.Text, '`')+1))
		b.WriteString("Path: " + r.Path + "\n" + fence + "\n" + r.Text)
		if !strings.HasSuffix(r.Text, "\n") {
			b.WriteByte('\n')
		}
		b.WriteString(fence + "\n\n")
	}
	b.WriteString(req.Message)
	return b.String()
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func totalLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}
