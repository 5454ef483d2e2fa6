package editors

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// nvimResult is what neovim/test/driver.lua writes.
type nvimResult struct {
	Nvim struct {
		Major int `json:"major"`
		Minor int `json:"minor"`
	} `json:"nvim"`
	Steps         []string `json:"steps"`
	Error         string   `json:"error"`
	Attached      bool     `json:"attached"`
	SrcRoute      string   `json:"src_route"`
	SrcBufferVar  string   `json:"src_buffer_var"`
	CompletionErr any      `json:"completion_error"`
	Items         []struct {
		Label string `json:"label"`
		Text  string `json:"text"`
	} `json:"completion_items"`
	ChatDone    bool   `json:"chat_done"`
	ChatText    string `json:"chat_text"`
	EnvAttached bool   `json:"env_attached"`
	EnvWarned   bool   `json:"env_warned"`
	EnvRoute    string `json:"env_route"`
	EnvItems    int    `json:"env_items"`
	EnvDiags    []struct {
		Message  string `json:"message"`
		Severity int    `json:"severity"`
	} `json:"env_diagnostics"`
	Statusline    string `json:"statusline"`
	GhostShown    *bool  `json:"ghost_shown"`
	GhostAccepted bool   `json:"ghost_accepted"`
	GhostLine     string `json:"ghost_line"`
	Notifications []struct {
		Msg   string `json:"msg"`
		Level int    `json:"level"`
	} `json:"notifications"`
}

// TestNeovimPlugin runs the real Neovim (Debian's 0.7.2 in CI) headless with
// this plugin on its runtimepath, exactly as the README's setup does, against
// the veil binary on the built-in model.
func TestNeovimPlugin(t *testing.T) {
	for name, nvim := range neovims(t) {
		t.Run(name, func(t *testing.T) { testNeovimPlugin(t, nvim) })
	}
}

func testNeovimPlugin(t *testing.T, nvim string) {
	veil := veilBinary(t)
	work, secret := workspace(t)
	plugin, err := filepath.Abs("neovim")
	must(t, err)
	resultFile := filepath.Join(t.TempDir(), "result.json")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"-c", "luafile "+filepath.Join(plugin, "test", "driver.lua"))
	cmd.Dir = work
	cmd.Env = append(isolatedEnv(t),
		"VEIL_PLUGIN="+plugin,
		"VEIL_BIN="+veil,
		"VEIL_WORKDIR="+work,
		"VEIL_RESULT="+resultFile,
	)
	out, runErr := cmd.CombinedOutput()
	raw, readErr := os.ReadFile(resultFile)
	if readErr != nil {
		t.Fatalf("nvim wrote no result (run error %v): %v\noutput:\n%s", runErr, readErr, out)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(out), secret) {
		t.Fatalf("the .env secret %s reached the editor", mask(secret))
	}
	var r nvimResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decoding result: %v\n%s", err, raw)
	}
	t.Logf("nvim steps: %v", r.Steps)
	if r.Error != "" || runErr != nil {
		t.Fatalf("driver failed after steps %v: %s (exit: %v)\noutput:\n%s\nresult:\n%s", r.Steps, r.Error, runErr, out, raw)
	}

	if !r.Attached {
		t.Error("veil did not attach to main.py")
	}
	if r.SrcRoute != "local" || r.SrcBufferVar != "local" {
		t.Errorf("main.py route = %q (b:veil_route %q), want local", r.SrcRoute, r.SrcBufferVar)
	}
	if r.CompletionErr != nil {
		t.Errorf("completion error: %v", r.CompletionErr)
	}
	aiText := 0
	for _, it := range r.Items {
		if strings.TrimSpace(it.Text) != "" {
			aiText++
		}
	}
	if aiText == 0 {
		t.Errorf("no completion item with text from the built-in model: %+v", r.Items)
	}
	if !r.ChatDone || !strings.Contains(r.ChatText, "> what does this line do?") {
		t.Errorf(":VeilChat did not finish (done %v); chat buffer:\n%s", r.ChatDone, r.ChatText)
	} else if len(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.ChatText), "> what does this line do?"))) == 0 {
		t.Errorf(":VeilChat reply is empty; chat buffer:\n%s", r.ChatText)
	}

	if !r.EnvAttached {
		t.Error("veil did not attach to .env")
	}
	if !r.EnvWarned {
		t.Errorf("no warning notification for .env; notifications: %+v", r.Notifications)
	}
	warnings := 0
	for _, n := range r.Notifications {
		if n.Level == 3 { // vim.log.levels.WARN
			warnings++
			if !strings.HasPrefix(n.Msg, "veil: ") {
				t.Errorf("warning not prefixed by the plugin: %q", n.Msg)
			}
		}
	}
	if warnings != 1 {
		t.Errorf("got %d warnings, want exactly one (for .env): %+v", warnings, r.Notifications)
	}
	if r.EnvRoute != "block" {
		t.Errorf(".env route = %q, want block", r.EnvRoute)
	}
	blockedDiag := false
	for _, d := range r.EnvDiags {
		if d.Severity == 2 && strings.Contains(d.Message, "blocked") { // vim.diagnostic.severity.WARN
			blockedDiag = true
		}
	}
	if !blockedDiag {
		t.Errorf(".env has no warning diagnostic saying it is blocked: %+v", r.EnvDiags)
	}
	if r.EnvItems != 0 {
		t.Errorf(".env got %d completion items, want none", r.EnvItems)
	}
	if r.Statusline != "veil:BLOCKED" {
		t.Errorf("statusline on .env = %q, want veil:BLOCKED", r.Statusline)
	}
	if nvimAtLeast(r.Nvim, 12) {
		// 0.12's vim.lsp.inline_completion: ghost text shown, accepted.
		if r.GhostShown == nil || !*r.GhostShown || !r.GhostAccepted || r.GhostLine != "def greet(name):" {
			t.Errorf("inline completion ghost text: shown %v accepted %v, line after accept %q; want \"def greet(name):\"",
				r.GhostShown, r.GhostAccepted, r.GhostLine)
		}
	}
	for _, n := range r.Notifications {
		t.Logf("notification (level %d): %s", n.Level, n.Msg)
	}
	t.Logf("completion items: %+v", r.Items)
	t.Logf("chat buffer:\n%s", r.ChatText)
}

// TestCopilotWrapper checks the veil-copilot wrapper the copilot.lua and
// copilot.vim snippets point at: it must start `veil lsp` and accept the
// --stdio those plugins always pass.
func TestCopilotWrapper(t *testing.T) {
	sh := lookTool(t, "sh", "a POSIX shell")
	veil := veilBinary(t)
	wrapper, err := filepath.Abs(filepath.Join("neovim", "bin", "veil-copilot"))
	must(t, err)
	fi, err := os.Stat(wrapper)
	must(t, err)
	if fi.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable", wrapper)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, wrapper, "--stdio")
	cmd.Env = append(isolatedEnv(t), "VEIL_BIN="+veil)
	cmd.Dir = t.TempDir()
	c := startLSP(t, cmd)
	res := c.call(t, "initialize", map[string]any{
		"processId":    nil,
		"rootUri":      nil,
		"capabilities": map[string]any{},
		"initializationOptions": map[string]any{
			"editorInfo":       map[string]any{"name": "Neovim", "version": "0.7.2"},
			"editorPluginInfo": map[string]any{"name": "copilot.lua", "version": "test"},
		},
	})
	if res.Error != nil {
		t.Fatalf("initialize through the wrapper: %s", res.Error)
	}
	c.notify(t, "initialized", map[string]any{})
	st := c.call(t, "checkStatus", map[string]any{})
	if st.Error != nil {
		t.Fatalf("checkStatus: %s", st.Error)
	}
	var status struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(st.Result, &status); err != nil || status.Status != "OK" {
		t.Errorf("checkStatus = %s, want status OK (copilot plugins refuse to run otherwise)", st.Result)
	}

	// What copilot.vim / copilot.el send for ghost text: getCompletions on an
	// open document; copilot.lua sends textDocument/inlineCompletion.
	work, secret := workspace(t)
	src := "file://" + filepath.ToSlash(filepath.Join(work, "main.py"))
	env := "file://" + filepath.ToSlash(filepath.Join(work, ".env"))
	envText, err := os.ReadFile(filepath.Join(work, ".env"))
	must(t, err)
	c.notify(t, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": src, "languageId": "python", "version": 1, "text": samplePython}})
	c.notify(t, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": env, "languageId": "dotenv", "version": 1, "text": string(envText)}})
	lines := strings.Split(samplePython, "\n")
	line := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "complete here") }) + 1
	pos := map[string]any{"line": line, "character": len(lines[line])}

	gc := c.call(t, "getCompletions", map[string]any{"doc": map[string]any{"uri": src, "position": pos, "version": 1}})
	var comps struct {
		Completions []struct {
			Text        string `json:"text"`
			DisplayText string `json:"displayText"`
		} `json:"completions"`
	}
	if gc.Error != nil || json.Unmarshal(gc.Result, &comps) != nil || len(comps.Completions) == 0 ||
		strings.TrimSpace(comps.Completions[0].Text) == "" {
		t.Errorf("getCompletions on main.py: error %v, result %s; want a completion with text", gc.Error, gc.Result)
	}
	ic := c.call(t, "textDocument/inlineCompletion", map[string]any{
		"textDocument": map[string]any{"uri": src}, "position": pos,
		"context": map[string]any{"triggerKind": 2}})
	if ic.Error != nil || !strings.Contains(string(ic.Result), "insertText") {
		t.Errorf("textDocument/inlineCompletion on main.py: error %v, result %s; want items", ic.Error, ic.Result)
	}

	envGC := c.call(t, "getCompletions", map[string]any{"doc": map[string]any{
		"uri": env, "position": map[string]any{"line": 0, "character": 0}, "version": 1}})
	comps.Completions = nil
	if envGC.Error == nil {
		if err := json.Unmarshal(envGC.Result, &comps); err == nil && len(comps.Completions) > 0 {
			t.Errorf("getCompletions on .env returned %d completions, want none", len(comps.Completions))
		}
	}
	if strings.Contains(c.Received(), secret) {
		t.Errorf("the .env secret %s came back from veil", mask(secret))
	}
	c.shutdown(t)
}

// TestCopilotVimSnippet sources snippets/copilot-vim.vim in the real Neovim:
// both the variable copilot.vim up to 1.26.0 reads (g:copilot_agent_command)
// and the newer one (g:copilot_command) must name the veil-copilot wrapper,
// or an older copilot.vim silently starts GitHub's own server.
func TestCopilotVimSnippet(t *testing.T) {
	nvim := lookTool(t, "nvim", "apt-get install -y neovim")
	snippet, err := filepath.Abs(filepath.Join("neovim", "snippets", "copilot-vim.vim"))
	must(t, err)
	out := filepath.Join(t.TempDir(), "vars.txt")
	env := isolatedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"-c", "source "+snippet,
		"-c", "call writefile([get(g:, 'copilot_command', ''), get(g:, 'copilot_agent_command', ''), expand('~/.local/bin/veil-copilot')], '"+out+"')",
		"-c", "qall!")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	must(t, err)
	vars := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(vars) != 3 {
		t.Fatalf("got %q, want three lines", raw)
	}
	if vars[0] != vars[2] || vars[1] != vars[2] {
		t.Errorf("g:copilot_command = %q, g:copilot_agent_command = %q; both must be %q", vars[0], vars[1], vars[2])
	}
	text, err := os.ReadFile(snippet)
	must(t, err)
	if !strings.Contains(string(text), ":Copilot version") {
		t.Error("the snippet does not say how to confirm veil is the server (:Copilot version)")
	}
}

// nvimAtLeast reports whether the driver's Neovim is 0.minor or newer.
func nvimAtLeast(v struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
}, minor int) bool {
	return v.Major > 0 || v.Minor >= minor
}
