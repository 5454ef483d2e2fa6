package lspproxy

import (
	"encoding/json"

	"github.com/veil-dev/veil/policy"
)

// The pipeline (policy → mask → guard → model → restore → audit) does not
// know the Server. It sees the session through two interfaces, so the same
// pipeline serves an editor session, a wrapped server's session and tests
// (see pipeline_seam_test.go for one without a Server).

// workspace is what the pipeline asks about the session's workspace. The
// methods are safe for concurrent use and never block on the editor.
type workspace interface {
	// workspaceRoot is the longest workspace root containing path, "" if
	// none.
	workspaceRoot(path string) string
	// scanPath is the path the detector sees (allow.paths match it):
	// workspace-relative inside a root, else the absolute slash path.
	scanPath(abs string) string
	// relPath is the document's path as the user knows it (relative to its
	// root, else its base name). It may hold a value: mask it before it
	// leaves.
	relPath(doc *Document) string
	// decide routes r by pol; for a symlink (target non-empty) the target
	// is routed too and the stricter answer wins.
	decide(pol *policy.Policy, r policy.Request, target string) policy.Decision
}

// notifier is how the pipeline tells the editor and the user what
// happened. Its methods are safe for concurrent use; they write to the
// editor and never wait for an answer.
type notifier interface {
	// encoding is the negotiated position encoding.
	encoding() Encoding
	// notify sends a notification (progress, status).
	notify(method string, params any)
	logMessage(typ int, text string)
	showMessage(typ int, text string)
	// blocked and refused report a completion that policy blocked or that
	// veil refused (redaction or the leak guard failed), once per document
	// and reason to the user, every time to the log; served clears a
	// refusal shown for doc. maskedName is the document's masked path.
	blocked(doc *Document, maskedName string, dec policy.Decision)
	refused(doc *Document, maskedName string, err error)
	served(doc *Document)
	// blockedChat and refusedChat are the same for a chat request.
	blockedChat(dec policy.Decision)
	refusedChat(err error)
	// configApplied is called after a new configuration took effect: the
	// documents are rescanned and their status and diagnostics refreshed.
	configApplied()
}

// session is the session as the pipeline sees it.
type session interface {
	workspace
	notifier
}

var _ session = (*Server)(nil)

// progress streams work-done progress on a client-supplied token; without a
// token it does nothing.
type progress struct {
	n     notifier
	token json.RawMessage
}

func newProgress(n notifier, token json.RawMessage, title string) *progress {
	if len(token) == 0 || string(token) == "null" {
		return &progress{}
	}
	n.notify("$/progress", ProgressParams{Token: token, Value: WorkDoneProgress{Kind: "begin", Title: title, Cancellable: true}})
	return &progress{n: n, token: token}
}

func (p *progress) report(text string) {
	if p.n != nil {
		p.n.notify("$/progress", ProgressParams{Token: p.token, Value: WorkDoneProgress{Kind: "report", Message: text}})
	}
}

func (p *progress) end(text string) {
	if p.n != nil {
		p.n.notify("$/progress", ProgressParams{Token: p.token, Value: WorkDoneProgress{Kind: "end", Message: text}})
	}
}
