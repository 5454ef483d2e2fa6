package lspproxy

import (
	"errors"
	"fmt"

	"go.lsp.dev/jsonrpc2"
)

// rpcError is an error with a JSON-RPC code, sent back as a response error.
type rpcError struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	id      []byte // the request id when known (bad frames)
}

func (e *rpcError) Error() string { return fmt.Sprintf("jsonrpc2 error %d: %s", e.Code, e.Message) }

// LSP error codes beyond the JSON-RPC ones in go.lsp.dev/jsonrpc2.
const (
	codeRequestCancelled = -32800
	codeRequestFailed    = -32803
)

var (
	errNotInitialized  = &rpcError{Code: int64(jsonrpc2.ServerNotInitialized), Message: "server not initialized"}
	errShutDown        = &rpcError{Code: int64(jsonrpc2.InvalidRequest), Message: "server is shutting down"}
	errInitializeTwice = &rpcError{Code: int64(jsonrpc2.InvalidRequest), Message: "initialize was already called"}
	errCancelled       = &rpcError{Code: codeRequestCancelled, Message: "request cancelled"}
)

func errMethodNotFound(method string) *rpcError {
	return &rpcError{Code: int64(jsonrpc2.MethodNotFound), Message: fmt.Sprintf("method not found: %.100q", method)}
}

// invalidParams wraps a decode or validation error for the wire.
func invalidParams(format string, args ...any) *rpcError {
	return &rpcError{Code: int64(jsonrpc2.InvalidParams), Message: fmt.Sprintf(format, args...)}
}

// toRPCError picks the code for err: an *rpcError keeps its own, anything else
// is RequestFailed with the error text (which never holds document text).
func toRPCError(err error) *rpcError {
	var re *rpcError
	if errors.As(err, &re) {
		return re
	}
	return &rpcError{Code: codeRequestFailed, Message: err.Error()}
}

// ErrExitWithoutShutdown is returned by Serve when the client sent exit (or
// closed the stream) without a shutdown request first; `veil lsp` exits 1.
var ErrExitWithoutShutdown = errors.New("lspproxy: exit without shutdown")
