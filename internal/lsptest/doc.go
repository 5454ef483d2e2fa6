// Package lsptest holds the test doubles veil's tests share across
// packages: an LSP client over any reader/writer (built on lspconn.Conn, so
// tests drive veil through the same connection code an editor session
// uses), a fake OpenAI-compatible model server (httptest) that records what
// it was sent, and a generator of realistic fake secrets (right prefix,
// alphabet, length and checksum; never real).
//
// It is imported only by _test.go files.
//
// May import: lspconn.
package lsptest
