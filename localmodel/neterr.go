package localmodel

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
)

// netDetail words a transport error for the user: "connection refused",
// "no such host", ... It never includes the URL (the caller names the
// endpoint) or anything of the request.
func netDetail(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "no such host"
		}
		return "name lookup failed: " + dnsErr.Err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "connect timed out"
	}
	// The innermost error is the cause without url.Error's "Post <url>:".
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func isJSONError(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syn) || errors.As(err, &typ)
}

// bodyMessage pulls the message out of an error body that the client library
// could not decode as an OpenAI error: Ollama's {"error":"..."}, llama.cpp's
// and vLLM's {"error":{"message":...}} or {"message":...}, else the raw body.
func bodyMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		if json.Unmarshal(v.Error, &s) == nil && s != "" {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
		if v.Message != "" {
			return v.Message
		}
	}
	if len(body) == 0 {
		return ""
	}
	return string(body)
}

// orStatus returns detail, or the status text ("Not Found") when it is empty.
func orStatus(detail string, code int) string {
	if detail != "" {
		return detail
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unknown status"
}
