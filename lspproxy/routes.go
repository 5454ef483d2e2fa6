package lspproxy

import (
	"fmt"
	"strings"
)

// The route table: one row per LSP method veil knows. A row says how the
// method is dispatched (a call answered on the read loop, an async call
// that prepares on the read loop and runs in its own goroutine, a
// notification, or a method that may come either way), which server
// capability it contributes to initialize's answer, which commands it
// carries, and what wrap mode (veil in front of a child language server)
// does with it. Dispatch, the capabilities, the executeCommand command list
// and the red-team method list are all derived from this table, so a method
// cannot be half-registered.

// wrapAction is what wrap mode does with a method.
type wrapAction int

const (
	// wrapHandle: veil answers or consumes it itself; the child never sees it.
	wrapHandle wrapAction = iota + 1
	// wrapForward: forwarded to the child, translated (text masked,
	// positions mapped; answers restored). veil may observe it too (text
	// sync keeps veil's own mirror).
	wrapForward
	// wrapBlock: refused in wrap mode (an error for a call, dropped for a
	// notification), because forwarding it could leak.
	wrapBlock
)

func (w wrapAction) String() string {
	switch w {
	case wrapHandle:
		return "handle"
	case wrapForward:
		return "forward"
	case wrapBlock:
		return "block"
	}
	return fmt.Sprintf("wrapAction(%d)", int(w))
}

// route is one row. At least one of call, async or notify is set, and call
// and async never both: call answers on the read loop; async returns the
// work to run, the coalescing key (a document URI: a newer request with the
// same key supersedes it; "" for none), or an error to answer at once (a
// nil run with a nil error answers null); notify handles the method sent
// as a notification.
type route struct {
	method string
	call   func(s *Server, msg *message) (any, error)
	async  func(s *Server, msg *message) (run requestFunc, coalesce string, err error)
	notify func(s *Server, msg *message)

	// anyState: the notification is handled in every lifecycle state
	// (others are dropped before initialize and after shutdown).
	anyState bool
	// capability is the dotted path in ServerCapabilities this method
	// contributes ("" none), with its value.
	capability string
	capValue   any
	// commands are the workspace/executeCommand commands (executeCommand's
	// row only), advertised in this order.
	commands []command
	wrap     wrapAction
}

// command is one workspace/executeCommand command.
type command struct {
	id   string
	run  func(s *Server, msg *message, p *ExecuteCommandParams) (requestFunc, string, error)
	wrap wrapAction
	// copilot: advertised to Copilot plugins only. A generic client such as
	// vscode-languageclient registers every advertised id as an editor
	// command; a github.copilot.* id would collide with GitHub's extension.
	copilot bool
}

// kind names how the method is dispatched: "call", "async",
// "notification", or "call+notification" for Copilot methods that plugins
// send either way.
func (r *route) kind() string {
	var k []string
	switch {
	case r.call != nil:
		k = append(k, "call")
	case r.async != nil:
		k = append(k, "async")
	}
	if r.notify != nil {
		k = append(k, "notification")
	}
	return strings.Join(k, "+")
}

func nothing(*Server, *message) {}

// routeTable is every method veil answers; anything else is MethodNotFound
// (requests) or ignored (notifications).
func routeTable() []route {
	t := []route{
		{method: "initialize", call: (*Server).initialize, wrap: wrapForward},
		{method: "initialized", notify: nothing, wrap: wrapForward},
		{method: "shutdown", call: (*Server).shutdown, wrap: wrapForward},
		// Serve's read loop ends on exit before any dispatch.
		{method: "exit", notify: nothing, anyState: true, wrap: wrapForward},
		{method: "$/setTrace", notify: (*Server).setTrace, wrap: wrapForward},
		{method: "$/cancelRequest", notify: (*Server).cancelRequestNotification, anyState: true, wrap: wrapForward},

		{method: "workspace/didChangeConfiguration", notify: (*Server).didChangeConfiguration, wrap: wrapForward},
		{method: "workspace/didChangeWorkspaceFolders", notify: (*Server).didChangeWorkspaceFolders, wrap: wrapForward,
			capability: "workspace.workspaceFolders", capValue: map[string]any{"supported": true, "changeNotifications": true}},

		{method: "textDocument/didOpen", notify: (*Server).didOpen, wrap: wrapForward},
		{method: "textDocument/didChange", notify: (*Server).didChange, wrap: wrapForward,
			capability: "textDocumentSync", capValue: map[string]any{"openClose": true, "change": 2}},
		{method: "textDocument/didClose", notify: (*Server).didClose, wrap: wrapForward},
		{method: "textDocument/didSave", notify: nothing, wrap: wrapForward},

		{method: "textDocument/inlineCompletion", async: (*Server).inlineCompletion, wrap: wrapForward,
			capability: "inlineCompletionProvider", capValue: map[string]any{}},
		{method: "textDocument/completion", async: (*Server).completion, wrap: wrapForward,
			capability: "completionProvider", capValue: map[string]any{"resolveProvider": false}},
		{method: "textDocument/codeAction", call: (*Server).codeAction, wrap: wrapHandle,
			capability: "codeActionProvider", capValue: map[string]any{"codeActionKinds": []string{"quickfix", "refactor"}}},
		{method: "workspace/executeCommand", async: (*Server).executeCommand, wrap: wrapForward,
			capability: "executeCommandProvider", commands: commandTable()},
		{method: "veil/chat", async: (*Server).chat, wrap: wrapHandle},
		{method: "veil/status", call: (*Server).status, wrap: wrapHandle},
	}
	return append(t, copilotRoutes()...)
}

// commandTable is every workspace/executeCommand command veil answers.
func commandTable() []command {
	return []command{
		{id: "veil.chat", run: (*Server).chatCommand, wrap: wrapHandle},
		{id: "veil.explain", run: (*Server).explainCommand, wrap: wrapHandle},
		{id: "veil.allow", run: (*Server).allowCommand, wrap: wrapHandle},
		{id: "github.copilot.didAcceptCompletionItem", run: (*Server).acceptCommand, wrap: wrapForward, copilot: true},
		{id: "github.copilot.didAcceptPanelCompletionItem", run: (*Server).acceptCommand, wrap: wrapForward, copilot: true},
	}
}

// routes is the table indexed for dispatch.
type routes struct {
	byMethod map[string]*route
	commands map[string]*command
	table    []route
}

func newRoutes() *routes {
	rs := &routes{byMethod: map[string]*route{}, commands: map[string]*command{}, table: routeTable()}
	for i := range rs.table {
		r := &rs.table[i]
		rs.byMethod[r.method] = r
		for j := range r.commands {
			rs.commands[r.commands[j].id] = &r.commands[j]
		}
	}
	return rs
}

// capabilities is initialize's ServerCapabilities: the position encoding
// plus what each row contributes; commands marked copilot only when the
// client is a Copilot plugin.
func (rs *routes) capabilities(encName string, copilot bool) map[string]any {
	caps := map[string]any{"positionEncoding": encName}
	for i := range rs.table {
		r := &rs.table[i]
		if r.capability == "" {
			continue
		}
		value := r.capValue
		if r.commands != nil {
			ids := []string{}
			for _, c := range r.commands {
				if copilot || !c.copilot {
					ids = append(ids, c.id)
				}
			}
			value = map[string]any{"commands": ids}
		}
		at := caps
		path := strings.Split(r.capability, ".")
		for _, p := range path[:len(path)-1] {
			next, ok := at[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				at[p] = next
			}
			at = next
		}
		at[path[len(path)-1]] = value
	}
	return caps
}
