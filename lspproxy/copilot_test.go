package lspproxy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/veil-dev/veil/localmodel"
)

// copilotInit is what copilot.lua sends: Neovim's capabilities (on 0.12
// utf-8 offered first when offerUTF8) and editorInfo/editorPluginInfo.
func copilotInit(c *testClient, offerUTF8 bool) map[string]any {
	c.t.Helper()
	caps := map[string]any{}
	if offerUTF8 {
		caps["general"] = map[string]any{"positionEncodings": []string{"utf-8", "utf-16", "utf-32"}}
	}
	c.call(0, "initialize", map[string]any{"processId": nil, "rootUri": "file:///work/ws", "capabilities": caps,
		"initializationOptions": map[string]any{"editorInfo": map[string]any{"name": "Neovim", "version": "0.12.4"},
			"editorPluginInfo": map[string]any{"name": "copilot.lua", "version": "test"}}})
	r := c.result(0).(map[string]any)
	c.notify("initialized", map[string]any{})
	return r
}

func copilotDoc(uri string, line, char int) map[string]any {
	pos := map[string]any{"line": line, "character": char}
	return map[string]any{
		"doc":          map[string]any{"uri": uri, "version": 1, "position": pos, "insertSpaces": false, "tabSize": 4},
		"textDocument": map[string]any{"uri": uri, "version": 1},
		"position":     pos,
	}
}

func utf16Units(s string) int { return len(utf16.Encode([]rune(s))) }

// recordingModel answers every completion with out and keeps the prefixes.
func recordingModel(out string) *fakeModel {
	return &fakeModel{complete: func(context.Context, localmodel.FIMRequest) (string, error) { return out, nil }}
}

// TestCopilotPositionsUTF16: Copilot methods read and answer UTF-16
// positions whatever was negotiated; textDocument/inlineCompletion keeps the
// negotiated encoding. The cursor sits after an astral character, a
// combining mark and CJK.
func TestCopilotPositionsUTF16(t *testing.T) {
	line := "\tlabel := \"😀 e\u0301 世界\" + fo"
	cursors := map[string]string{
		"after an astral character": "\tlabel := \"😀",
		"after a combining mark":    "\tlabel := \"😀 e\u0301",
		"after CJK":                 "\tlabel := \"😀 e\u0301 世界",
		"line end":                  line,
	}
	for _, utf8Offered := range []bool{true, false} {
		for name, before := range cursors {
			t.Run(map[bool]string{true: "utf-8 negotiated", false: "utf-16 negotiated"}[utf8Offered]+"/"+name, func(t *testing.T) {
				m := recordingModel("X()")
				c := startClient(t, pipelineOptions(m))
				init := copilotInit(c, utf8Offered)
				negotiated := get(init, "capabilities", "positionEncoding")
				c.open("file:///work/ws/a.go", "go", "package a\n\nfunc f() {\n"+line+"\n}\n")
				col := utf16Units(before)
				c.call(1, "getCompletions", copilotDoc("file:///work/ws/a.go", 3, col))
				comp := get(c.result(1), "completions", "0")
				if len(m.fims) != 1 || !strings.HasSuffix(m.fims[0].Prefix, before) ||
					!strings.HasPrefix(m.fims[0].Suffix, line[len(before):]) {
					t.Fatalf("negotiated %v: the prompt was not cut at UTF-16 column %d: %d calls %+v", negotiated, col, len(m.fims), m.fims)
				}
				if get(comp, "text") != before+"X()" || !equalJSON(get(comp, "range", "end", "character"), col) ||
					!equalJSON(get(comp, "position", "character"), col) || !equalJSON(get(comp, "range", "start", "character"), 0) {
					t.Errorf("negotiated %v: completion %v, want text %q over 0..%d (UTF-16)", negotiated, comp, before+"X()", col)
				}

				// A standard LSP method keeps the negotiated encoding.
				std := col
				if negotiated == "utf-8" {
					std = len(before)
				}
				c.call(2, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 3, std))
				item := get(c.result(2), "items", "0")
				if !strings.HasSuffix(m.fims[1].Prefix, before) || !equalJSON(get(item, "range", "end", "character"), std) {
					t.Errorf("negotiated %v: inlineCompletion at %d cut the prompt at %q, range %v", negotiated, std, m.fims[1].Prefix, get(item, "range"))
				}
			})
		}
	}
}

// nextAny pops the next message in arrival order.
func (c *testClient) nextAny() map[string]any {
	c.t.Helper()
	return c.next("any message", func(map[string]any) bool { return true })
}

// TestCopilotPanel: getPanelCompletions is answered first, then the
// solution (whole lines from column 0, a block after an opener) and the
// done notification, both naming the panel.
func TestCopilotPanel(t *testing.T) {
	m := recordingModel("\n\treturn a + b\n}")
	c := startClient(t, pipelineOptions(m))
	copilotInit(c, true)
	c.open("file:///work/ws/a.go", "go", "package a\n\n// 😀\nfunc add(a, b int) int {\n")
	params := copilotDoc("file:///work/ws/a.go", 3, utf16Units("func add(a, b int) int {"))
	params["panelId"] = "copilot:///panel/1"
	c.call(7, "getPanelCompletions", params)
	var order []string
	var solution, done map[string]any
	for done == nil {
		msg := c.nextAny()
		switch {
		case msg["method"] == "PanelSolution":
			solution = msg["params"].(map[string]any)
			order = append(order, "solution")
		case msg["method"] == "PanelSolutionsDone":
			done = msg["params"].(map[string]any)
			order = append(order, "done")
		case equalJSON(msg["id"], 7):
			if !equalJSON(get(msg, "result", "solutionCountTarget"), 1) {
				t.Errorf("getPanelCompletions answered %v, want solutionCountTarget 1", msg)
			}
			order = append(order, "answer")
		}
	}
	if !slices.Equal(order, []string{"answer", "solution", "done"}) {
		t.Errorf("order %v, want the answer before the solution and done (copilot.vim drops solutions for a panel it has not opened)", order)
	}
	want := "func add(a, b int) int {\n\treturn a + b\n}"
	if solution == nil || solution["completionText"] != want || solution["displayText"] != want ||
		solution["panelId"] != "copilot:///panel/1" || solution["solutionId"] == "" ||
		!equalJSON(get(solution, "range", "start", "character"), 0) || !equalJSON(get(solution, "range", "end", "character"), 24) {
		t.Errorf("PanelSolution = %v, want the block %q from column 0", solution, want)
	}
	if done["panelId"] != "copilot:///panel/1" || done["status"] != "OK" {
		t.Errorf("PanelSolutionsDone = %v", done)
	}
	if len(m.fims) != 1 || m.fims[0].Trigger != localmodel.Invoked {
		t.Errorf("the panel asked the model %d times, want once with an invoked (block) request", len(m.fims))
	}
}

// TestCopilotMultiline: getCompletions and getCompletionsCycling ask the
// model for a Multiline suggestion (localmodel shapes it: a block after an
// opener or on an empty line, else the rest of the line) and answer the
// whole lines from column 0.
func TestCopilotMultiline(t *testing.T) {
	m := recordingModel("\n\treturn a + b\n}")
	c := startClient(t, pipelineOptions(m))
	copilotInit(c, false)
	c.open("file:///work/ws/a.go", "go", "package a\n\nfunc add(a, b int) int {\n")
	for i, method := range []string{"getCompletions", "getCompletionsCycling"} {
		c.call(i, method, copilotDoc("file:///work/ws/a.go", 2, 24))
		if got := get(c.result(i), "completions", "0", "text"); got != "func add(a, b int) int {\n\treturn a + b\n}" {
			t.Errorf("%s text = %q, want the block from column 0", method, got)
		}
		if len(m.fims) != i+1 || !m.fims[i].Multiline || m.fims[i].Trigger != localmodel.Automatic {
			t.Errorf("%s did not ask for a Multiline automatic suggestion: %+v", method, m.fims)
		}
	}
}

// TestCopilotIdentity: models, version, status and the commands advertised
// name veil; the github.copilot.* ids go to Copilot plugins only.
func TestCopilotIdentity(t *testing.T) {
	c := startClient(t, pipelineOptions(&fakeModel{}))
	init := copilotInit(c, false)
	cmds, _ := get(init, "capabilities", "executeCommandProvider", "commands").([]any)
	if !slices.Contains(cmds, any("github.copilot.didAcceptCompletionItem")) {
		t.Errorf("a Copilot plugin is not offered github.copilot.didAcceptCompletionItem: %v", cmds)
	}
	c.call(1, "copilot/models", nil)
	model := get(c.result(1), "0")
	if get(model, "id") != "fake" || get(model, "scopes", "0") != "completion" || get(model, "modelName") == "" {
		t.Errorf("copilot/models = %v, want the local model with scope completion", c.result(1))
	}
	c.call(2, "getVersion", map[string]any{})
	if v, _ := get(c.result(2), "version").(string); !strings.Contains(v, "veil") {
		t.Errorf("getVersion = %q, want it to name veil", v)
	}
	c.call(3, "checkStatus", map[string]any{})
	if get(c.result(3), "user") != "veil" {
		t.Errorf("checkStatus user = %v, want veil", get(c.result(3), "user"))
	}

	plain := startClient(t, pipelineOptions(&fakeModel{}))
	init = plain.initialize(nil)
	cmds, _ = get(init, "capabilities", "executeCommandProvider", "commands").([]any)
	for _, cmd := range cmds {
		if strings.HasPrefix(cmd.(string), "github.copilot.") {
			t.Errorf("a generic client (VS Code registers every advertised id) is offered %q", cmd)
		}
	}
}

// TestCopilotBlockedNotifications: a blocked document is reported in
// statusNotification (copilot.vim, copilot.lua) and didChangeStatus
// (copilot.el) once per document and reason; an answered request turns the
// status back to Normal.
func TestCopilotBlockedNotifications(t *testing.T) {
	m := recordingModel("X()")
	c := startClient(t, pipelineOptions(m))
	copilotInit(c, false)
	c.open("file:///work/ws/.env", "dotenv", "DEBUG=1\n")
	c.open("file:///work/ws/a.go", "go", "package a\n\nvar x = f")
	isWarning := func(method string) func(map[string]any) bool {
		return func(msg map[string]any) bool {
			if msg["method"] != method {
				return false
			}
			w := get(msg, "params", "status") == "Warning" || get(msg, "params", "kind") == "Warning"
			text, _ := get(msg, "params", "message").(string)
			return w && strings.Contains(text, ".env")
		}
	}
	c.call(1, "getCompletions", copilotDoc("file:///work/ws/.env", 0, 0))
	if n := len(get(c.result(1), "completions").([]any)); n != 0 {
		t.Fatalf(".env got %d completions", n)
	}
	c.next("statusNotification Warning", isWarning("statusNotification"))
	c.next("didChangeStatus Warning", isWarning("didChangeStatus"))
	c.call(2, "getCompletions", copilotDoc("file:///work/ws/.env", 0, 0))
	c.result(2)
	c.noMessage("a second statusNotification for .env", isWarning("statusNotification"))
	c.noMessage("a second didChangeStatus for .env", isWarning("didChangeStatus"))

	c.call(3, "getCompletions", copilotDoc("file:///work/ws/a.go", 2, 9))
	c.result(3)
	st := c.notification("statusNotification")
	if get(st, "params", "status") != "Normal" {
		t.Errorf("after an answered request statusNotification = %v, want Normal", st)
	}
	c.call(4, "getCompletions", copilotDoc("file:///work/ws/.env", 0, 0))
	c.result(4)
	c.noMessage("a repeated warning for .env and the same reason", isWarning("statusNotification"))

	// The panel on a blocked file says why where the panel shows its status.
	panel := copilotDoc("file:///work/ws/.env", 0, 0)
	panel["panelId"] = "copilot:///panel/env"
	c.call(5, "getPanelCompletions", panel)
	c.result(5)
	done := c.notification("PanelSolutionsDone")
	if msg, _ := get(done, "params", "message").(string); get(done, "params", "status") != "Error" || !strings.Contains(msg, ".env") {
		t.Errorf("PanelSolutionsDone for .env = %v, want status Error naming .env", done)
	}
	if m.calls() != 1 {
		t.Errorf("the model was asked %d times, want once (only a.go)", m.calls())
	}
}

// TestCopilotElShapes: copilot.el sends getPanelCompletions with only doc
// and panelId, and completes through textDocument/inlineCompletion; as a
// Copilot plugin it gets Multiline suggestions and the accept command.
func TestCopilotElShapes(t *testing.T) {
	m := recordingModel("\n\treturn 1\n}")
	c := startClient(t, pipelineOptions(m))
	c.call(0, "initialize", map[string]any{"processId": 1, "capabilities": map[string]any{},
		"initializationOptions": map[string]any{"editorInfo": map[string]any{"name": "Emacs", "version": "28.2"},
			"editorPluginInfo": map[string]any{"name": "copilot.el", "version": "0.9"}}})
	c.result(0)
	c.notify("initialized", map[string]any{})
	line := "func f() int { // 世界 😀"
	c.open("file:///work/ws/a.go", "go", "package a\n\n"+line+"\n")
	col := utf16Units(line)
	c.call(1, "getPanelCompletions", map[string]any{"panelId": "copilot-panel",
		"doc": map[string]any{"uri": "file:///work/ws/a.go", "version": 1, "position": map[string]any{"line": 2, "character": col}}})
	c.result(1)
	sol := c.notification("PanelSolution")
	if get(sol, "params", "completionText") != line+"\n\treturn 1\n}" || !equalJSON(get(sol, "params", "range", "end", "character"), col) {
		t.Errorf("PanelSolution for doc-only params = %v", sol)
	}
	c.call(2, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 2, col))
	item := get(c.result(2), "items", "0")
	if get(item, "insertText") != line+"\n\treturn 1\n}" || get(item, "command", "command") != "github.copilot.didAcceptCompletionItem" {
		t.Errorf("copilot.el inline item = %v, want the block and Copilot's accept command", item)
	}
	if len(m.fims) != 2 || !m.fims[1].Multiline {
		t.Errorf("copilot.el's inlineCompletion did not ask for a Multiline suggestion")
	}

	// A block shows as Warning in copilot.el's mode line (didChangeStatus);
	// the next answered inlineCompletion turns it back to Normal.
	c.open("file:///work/ws/.env", "dotenv", "DEBUG=1\n")
	c.call(3, "textDocument/inlineCompletion", inlineParams("file:///work/ws/.env", 0, 0))
	c.result(3)
	if st := c.notification("didChangeStatus"); get(st, "params", "kind") != "Warning" {
		t.Errorf("didChangeStatus after a block = %v, want Warning", st)
	}
	c.call(4, "textDocument/inlineCompletion", inlineParams("file:///work/ws/a.go", 2, col))
	c.result(4)
	if st := c.notification("didChangeStatus"); get(st, "params", "kind") != "Normal" {
		t.Errorf("didChangeStatus after an answered request = %v, want Normal", st)
	}
}
