package lspproxy

import (
	"errors"
	"fmt"

	"github.com/veil-dev/veil/lspconn"
)

// message is one call or notification from the editor.
type message = lspconn.Message

// rpcError is an error with a JSON-RPC code, sent back as a response error.
type rpcError = lspconn.Error

var (
	errNotInitialized  = &rpcError{Code: lspconn.CodeServerNotInitialized, Message: "server not initialized"}
	errShutDown        = &rpcError{Code: lspconn.CodeInvalidRequest, Message: "server is shutting down"}
	errInitializeTwice = &rpcError{Code: lspconn.CodeInvalidRequest, Message: "initialize was already called"}
	errCancelled       = &rpcError{Code: lspconn.CodeRequestCancelled, Message: "request cancelled"}
)

func errMethodNotFound(method string) *rpcError {
	return &rpcError{Code: lspconn.CodeMethodNotFound, Message: fmt.Sprintf("method not found: %.100q", method)}
}

// invalidParams wraps a decode or validation error for the wire.
func invalidParams(format string, args ...any) *rpcError {
	return &rpcError{Code: lspconn.CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}

// ErrExitWithoutShutdown is returned by Serve when the client sent exit (or
// closed the stream) without a shutdown request first; `veil lsp` exits 1.
var ErrExitWithoutShutdown = errors.New("lspproxy: exit without shutdown")
