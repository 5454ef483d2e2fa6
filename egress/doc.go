// Package egress is the HTTP boundary of wrap mode: every HTTP request the
// wrapped Copilot language server wants to make reaches veil as a
// copilot/fetch call, and this package decides it, masks it, sends it and
// restores the answer.
//
// # The allowlist
//
// [Classify] knows a short list of host/path pairs (sign-in, token
// exchange, user, models, agents, completions, chat completions, content
// exclusion). Telemetry is dropped (answered 204, never sent). Anything
// else is refused with [ErrNotAllowed]; the child does not fall back to the
// network. Hosts the token exchange advertises (its "endpoints") join the
// list for the session.
//
// # Out and back
//
// Sign-in, the token exchange and the user lookup pass unmodified; their
// bodies and the Authorization header are never logged or audited. Every
// other request is masked with the session vault before it leaves: every
// string in a JSON body (completion prompt, suffix and nwo; chat messages,
// attachments, tool results, tool-call arguments, the title/suggestion
// call's history), the URL path and query, and every header value but
// Authorization. A chat attachment or a read_file tool result whose file
// policy blocks is replaced by a short refusal the model can read.
// Responses are restored before the child sees them: server-sent events
// per choice and per tool call with tokens split across events handled,
// JSON bodies whole. Requests go out over HTTPS with the system roots
// (SSL_CERT_FILE honoured), never following redirects.
//
// May import: audit, redact.
package egress
