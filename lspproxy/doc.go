// Package lspproxy is veil's language server: sessions (one lspconn.Conn to
// the editor each, frames kept as raw bytes until veil needs their content),
// the mirror of open documents (text in textbuf, findings in spanset, rescanned
// around each edit only), and one file per method family (lifecycle, text sync, inline
// completion, completion, Copilot dialect, chat, code actions, diagnostics).
//
// Every AI request goes policy → redact → local model → restore → positions
// mapped back to the original text, and fails closed.
//
// May import: lspconn, textbuf, spanset, config, policy, redact, localmodel, audit.
package lspproxy
