// Package lspproxy is veil's language server: sessions (one lspconn.Conn to
// the editor each, frames kept as raw bytes until veil needs their content),
// the mirror of open documents (text in textbuf, findings in spanset, rescanned
// around each edit only), and one file per method family (lifecycle, text sync, inline
// completion, completion, Copilot dialect, chat, code actions, diagnostics).
//
// Every AI request goes policy → redact → local model → restore → positions
// mapped back to the original text, and fails closed.
//
// Logs go to Options.Logger, never stdout, through one logger per session
// (attribute "session") that masks absolute paths; requests add "request"
// (the LSP id) and "kind". The other keys are "method", "document" (a
// masked workspace-relative path), "rule", "reason", "error", "token" (a
// vault token, never a value), "client" and "position_encoding".
//
// May import: lspconn, textbuf, spanset, config, policy, redact, localmodel, audit, chatlog.
package lspproxy
