package localmodel

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kinds of failure. Every error this package returns for a model call is an
// *Error whose Kind is one of these (test with errors.Is), except when the
// caller's context ended: then the error wraps ctx.Err().
var (
	ErrConfig          = errors.New("invalid model configuration")
	ErrUnreachable     = errors.New("local model unreachable")
	ErrHTTP            = errors.New("local model answered with an HTTP error")
	ErrTimeout         = errors.New("local model timed out")
	ErrMalformedStream = errors.New("local model sent a malformed response")
	ErrStreamError     = errors.New("local model reported an error mid-stream")
	ErrModelRefused    = errors.New("model refused")
)

// Error is a failed model call, worded for the user: it names the endpoint
// and the cause and never holds prompt text or the API key.
type Error struct {
	Kind     error  // one of the Err* kinds above
	Endpoint string // the configured endpoint, user info removed; "" for config errors
	Status   int    // HTTP status for ErrHTTP
	Detail   string // short cause, e.g. "connection refused"
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Kind == ErrHTTP:
		fmt.Fprintf(&b, "local model at %s answered HTTP %d", e.Endpoint, e.Status)
	case e.Kind == ErrConfig || e.Kind == ErrModelRefused || e.Endpoint == "":
		b.WriteString(e.Kind.Error())
	default:
		fmt.Fprintf(&b, "%s at %s", e.Kind, e.Endpoint)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns Kind, so errors.Is(err, ErrTimeout) works.
func (e *Error) Unwrap() error { return e.Kind }

// maxServerMessage caps how much of a server's own error text is quoted.
const maxServerMessage = 200

// scrubServerMessage makes a server's error text fit for an error message: one
// line, capped, and withheld entirely when it quotes any of the text we sent
// (some servers echo the prompt; an error must never carry it).
func scrubServerMessage(msg string, sent ...string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxServerMessage {
		cut := maxServerMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if quotes(msg, sent) {
		return "(server message withheld: it quotes the request)"
	}
	return msg
}

// quotes reports whether msg holds a run of quoteWindow bytes that occurs in
// any of sent, or all of a shorter sent text. Whitespace is normalised on both
// sides first, as servers reflow what they echo.
func quotes(msg string, sent []string) bool {
	const quoteWindow = 16
	for _, s := range sent {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			continue
		}
		if len(s) < quoteWindow {
			if len(s) >= 4 && strings.Contains(msg, s) {
				return true
			}
			continue
		}
		for i := 0; i+quoteWindow <= len(msg); i++ {
			if strings.Contains(s, msg[i:i+quoteWindow]) {
				return true
			}
		}
	}
	return false
}
