// Package wrap runs a real AI language server (GitHub's
// copilot-language-server) as veil's child and bridges the editor's
// session to it, with veil as the child's only network.
//
// The child gets the editor's environment with every proxy variable
// pointing at a veil-owned loopback port that refuses each request (403)
// (NODE_USE_ENV_PROXY=1, no NODE_TLS_REJECT_UNAUTHORIZED). Its initialize
// is patched to offer copilotCapabilities.fetch and redirectedTelemetry;
// github.copilot.fetchStrategy "client" and telemetry off are pushed in a
// didChangeConfiguration right after initialized and set in every
// workspace/configuration answer. The child then hands every HTTP request
// to veil as copilot/fetch, which the session answers through the egress
// gate and never shows the editor. Redirected telemetry is dropped.
//
// Documents are routed by policy when opened and again after every change
// (veil mirrors their text): a document routed local or block never
// reaches the child; it is opened in, and its AI requests are answered by,
// Options.Local (veil's own server, run in process) or, with none, get an
// empty answer and one message. A document whose route changes is closed
// on one side and opened, whole, on the other. The child's version is checked at initialize
// against TestedVersions. Its stderr goes to veil's log, masked; a crash
// is reported to the editor and pending calls answered with an error; it
// is never restarted.
//
// May import: egress, policy, lspconn, textbuf.
package wrap
