// Package lspconn is one two-way JSON-RPC 2.0 connection over LSP's
// base protocol (Content-Length frames): veil's framer, message
// classification, and a Conn that calls, notifies and replies in both
// directions with pending-id bookkeeping, $/cancelRequest for abandoned
// calls, and close semantics (when reading ends, waiting calls fail and new
// ones are refused; Close closes both streams, which ends Run).
//
// There is no fixed client or server end: veil's session (the editor side),
// a wrapped child server, the in-process client of `veil demo` and every
// test client use the same Conn. Conn owns no goroutine; whoever calls Run
// owns the read loop.
//
// May import: no veil package.
package lspconn
