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

// copilotGo is the Go file the Copilot-dialect driver edits. The line in
// again() has an astral character, a combining mark (e + U+0301) and CJK
// before the cursor, so UTF-8 bytes, UTF-16 units and code points all
// differ there; read as bytes, the UTF-16 column falls inside a CJK
// character. The built-in model completes by copying what followed an
// earlier occurrence of the text before the cursor.
const copilotGo = "package main\n\nimport \"fmt\"\n\n" +
	"func add(a, b int) int {\n\treturn a + b\n}\n\n" +
	"func twice(a int) int {\n\treturn add(a, a)\n}\n\n" +
	"func show() {\n\tlabel := \"😀 e\u0301 世界世界世界\" + fmt.Sprint(add(1, 2))\n\tfmt.Println(label)\n\tfmt.Println(len(label))\n}\n\n" +
	"func again() {\n\tlabel := \"😀 e\u0301 世界世界世界\" + fmt.Sp\n}\n\n" +
	"func more() {\n\tlabel := \"😀 e\u0301 世界世界世界\" + fmt.Sprint(add(1, 2))\n\t\n}\n\n" +
	"func twice(a int) int {\n"

type copilotPos struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type copilotRange struct {
	Start copilotPos `json:"start"`
	End   copilotPos `json:"end"`
}

type copilotItem struct {
	Text        string       `json:"text"`
	DisplayText string       `json:"displayText"`
	Range       copilotRange `json:"range"`
	Position    copilotPos   `json:"position"`
}

type copilotMessage struct {
	Type    int    `json:"type"`
	Status  string `json:"status"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// copilotResult is what neovim/test/copilot_driver.lua writes.
type copilotResult struct {
	Steps            []string `json:"steps"`
	Error            string   `json:"error"`
	RequestErrors    []string `json:"request_errors"`
	Nvim             string   `json:"nvim"`
	PositionEncoding string   `json:"position_encoding"`
	ServerInfo       struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"server_info"`
	CheckStatus struct {
		Status string `json:"status"`
		User   string `json:"user"`
	} `json:"check_status"`
	Version struct {
		Version string `json:"version"`
	} `json:"version"`
	Models []struct {
		ID        string   `json:"id"`
		ModelName string   `json:"modelName"`
		Scopes    []string `json:"scopes"`
	} `json:"models"`
	SentCharacter int           `json:"sent_character"`
	LineBytes     int           `json:"line_bytes"`
	Inline        *copilotItem  `json:"inline"`
	InlineApplied []string      `json:"inline_applied"`
	Cycling       []copilotItem `json:"cycling"`
	Block         *copilotItem  `json:"block"`
	BlockApplied  []string      `json:"block_applied"`
	PanelAnswer   struct {
		SolutionCountTarget int `json:"solutionCountTarget"`
	} `json:"panel_answer"`
	PanelDone      bool `json:"panel_done"`
	PanelSolutions []struct {
		PanelID        string       `json:"panelId"`
		SolutionID     string       `json:"solutionId"`
		CompletionText string       `json:"completionText"`
		DisplayText    string       `json:"displayText"`
		Range          copilotRange `json:"range"`
		Score          float64      `json:"score"`
	} `json:"panel_solutions"`
	PanelDoneParams []struct {
		PanelID string `json:"panelId"`
		Status  string `json:"status"`
	} `json:"panel_done_params"`
	PanelApplied        []string         `json:"panel_applied"`
	EnvFirst            []copilotItem    `json:"env_first"`
	EnvSecond           []copilotItem    `json:"env_second"`
	StatusNotifications []copilotMessage `json:"status_notifications"`
	DidChangeStatus     []copilotMessage `json:"did_change_status"`
	LogMessages         []copilotMessage `json:"log_messages"`
	ShowMessages        []copilotMessage `json:"show_messages"`
}

// neovims lists the Neovim binaries to test: Debian's (0.7.2 in CI) on PATH
// and 0.12 from VEIL_NVIM012 or .ci/nvim012.sh's cache.
func neovims(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	if p, err := exec.LookPath("nvim"); err == nil {
		found["system"] = p
	} else if requireEditors() {
		t.Error("nvim not found and VEIL_REQUIRE_EDITORS=1 (apt-get install -y neovim)")
	}
	p012 := os.Getenv("VEIL_NVIM012")
	if p012 == "" {
		p012, _ = filepath.Abs(filepath.Join("..", ".cache", "nvim012", "bin", "nvim"))
	}
	if _, err := os.Stat(p012); err == nil {
		found["0.12"] = p012
	} else if requireEditors() {
		t.Errorf("Neovim 0.12 not found at %s and VEIL_REQUIRE_EDITORS=1 (run .ci/nvim012.sh)", p012)
	}
	if len(found) == 0 {
		t.Skip("no Neovim (apt-get install -y neovim; .ci/nvim012.sh for 0.12)")
	}
	return found
}

// TestCopilotDialectNeovim drives veil through bin/veil-copilot from real
// Neovim the way copilot.lua does: UTF-16 positions with non-ASCII text
// before the cursor, getCompletions and getCompletionsCycling, a
// multi-line block, the panel, copilot/models, and a blocked .env.
func TestCopilotDialectNeovim(t *testing.T) {
	wrapper, err := filepath.Abs(filepath.Join("neovim", "bin", "veil-copilot"))
	must(t, err)
	driver, err := filepath.Abs(filepath.Join("neovim", "test", "copilot_driver.lua"))
	must(t, err)
	for name, nvim := range neovims(t) {
		t.Run(name, func(t *testing.T) {
			r, secret := runCopilotDriver(t, nvim, wrapper, driver)
			t.Logf("Neovim %s, steps %v, negotiated %s", r.Nvim, r.Steps, r.PositionEncoding)
			checkCopilotIdentity(t, r)
			checkCopilotPositions(t, r)
			checkCopilotBlockAndPanel(t, r)
			checkCopilotBlocked(t, r, secret)
		})
	}
}

func runCopilotDriver(t *testing.T, nvim, wrapper, driver string) (*copilotResult, string) {
	t.Helper()
	work, secret := workspace(t)
	must(t, os.WriteFile(filepath.Join(work, "main.go"), []byte(copilotGo), 0o644))
	resultFile := filepath.Join(t.TempDir(), "result.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile "+driver)
	cmd.Dir = work
	cmd.Env = append(isolatedEnv(t), "VEIL_BIN="+veilBinary(t), "VEIL_WRAPPER="+wrapper,
		"VEIL_WORKDIR="+work, "VEIL_RESULT="+resultFile)
	out, runErr := cmd.CombinedOutput()
	raw, readErr := os.ReadFile(resultFile)
	if strings.Contains(string(raw), secret) || strings.Contains(string(out), secret) {
		t.Fatalf("the .env secret %s reached the editor", mask(secret))
	}
	if readErr != nil {
		t.Fatalf("nvim wrote no result (run error %v): %v\noutput:\n%s", runErr, readErr, out)
	}
	var r copilotResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decoding result: %v\n%s", err, raw)
	}
	if r.Error != "" || runErr != nil {
		t.Fatalf("driver failed after steps %v: %s (exit: %v)\noutput:\n%s\nresult:\n%s", r.Steps, r.Error, runErr, out, raw)
	}
	for _, e := range r.RequestErrors {
		t.Errorf("request failed: %s", e)
	}
	return &r, secret
}

// checkCopilotIdentity: every place a plugin shows the server names veil,
// and copilot/models answers with the local model.
func checkCopilotIdentity(t *testing.T, r *copilotResult) {
	t.Helper()
	if r.ServerInfo.Name != "veil" {
		t.Errorf("initialize serverInfo.name = %q, want veil (:Copilot version shows it)", r.ServerInfo.Name)
	}
	if r.CheckStatus.Status != "OK" || r.CheckStatus.User != "veil" {
		t.Errorf("checkStatus = %+v, want status OK, user veil", r.CheckStatus)
	}
	if !strings.Contains(r.Version.Version, "veil") {
		t.Errorf("getVersion = %q, want it to name veil", r.Version.Version)
	}
	if len(r.Models) == 0 {
		t.Error("copilot/models answered no model")
	}
	for _, m := range r.Models {
		if m.ID == "" || m.ModelName == "" || !slices.Contains(m.Scopes, "completion") {
			t.Errorf("copilot/models entry %+v: want id, modelName and scope completion (the plugins filter on it)", m)
		}
	}
}

// checkCopilotPositions: the driver sent UTF-16 positions; veil must cut the
// prompt there and answer in UTF-16 too, whatever was negotiated.
func checkCopilotPositions(t *testing.T, r *copilotResult) {
	t.Helper()
	if strings.HasPrefix(r.Nvim, "0.12") && r.PositionEncoding != "utf-8" {
		t.Logf("note: Neovim %s negotiated %s (the case of the issue is utf-8)", r.Nvim, r.PositionEncoding)
	}
	if r.SentCharacter >= r.LineBytes {
		t.Fatalf("the test line has no non-ASCII text before the cursor (UTF-16 %d, bytes %d)", r.SentCharacter, r.LineBytes)
	}
	want := "\tlabel := \"😀 e\u0301 世界世界世界\" + fmt.Sprint(add(1, 2))"
	if r.Inline == nil {
		t.Fatal("getCompletions: no completion at the non-ASCII line")
	}
	row := r.Inline.Range.Start.Line
	if r.Inline.Text != want {
		t.Errorf("getCompletions text = %q, want %q (the prompt was cut at the wrong place)", r.Inline.Text, want)
	}
	wantRange := copilotRange{Start: copilotPos{row, 0}, End: copilotPos{row, r.SentCharacter}}
	if r.Inline.Range != wantRange || r.Inline.Position != wantRange.End {
		t.Errorf("getCompletions range %+v position %+v, want %+v and the cursor (UTF-16)", r.Inline.Range, r.Inline.Position, wantRange)
	}
	if len(r.InlineApplied) != 1 || r.InlineApplied[0] != want {
		t.Errorf("accepted as the plugins do (UTF-16), the line is %q, want %q", r.InlineApplied, want)
	}
	if len(r.Cycling) == 0 || r.Cycling[0].Text != want {
		t.Errorf("getCompletionsCycling = %+v, want the same completion", r.Cycling)
	}
}

func checkCopilotBlockAndPanel(t *testing.T, r *copilotResult) {
	t.Helper()
	wantBlock := []string{"func twice(a int) int {", "\treturn add(a, a)", "}"}
	if r.Block == nil || r.Block.Text != strings.Join(wantBlock, "\n") {
		t.Errorf("after a block opener getCompletions = %+v, want the block %q", r.Block, wantBlock)
	} else if !slices.Equal(r.BlockApplied, wantBlock) || r.Block.Range.Start.Character != 0 {
		t.Errorf("accepted block: %q (range %+v), want %q from column 0", r.BlockApplied, r.Block.Range, wantBlock)
	}

	if r.PanelAnswer.SolutionCountTarget < 1 {
		t.Errorf("getPanelCompletions answered solutionCountTarget %d, want ≥ 1", r.PanelAnswer.SolutionCountTarget)
	}
	if !r.PanelDone || len(r.PanelDoneParams) != 1 || r.PanelDoneParams[0].Status != "OK" {
		t.Fatalf("PanelSolutionsDone: done %v, params %+v; want one with status OK", r.PanelDone, r.PanelDoneParams)
	}
	panelID := r.PanelDoneParams[0].PanelID
	if !strings.HasPrefix(panelID, "1:copilot:///") {
		t.Errorf("PanelSolutionsDone panelId %q is not the one the driver sent", panelID)
	}
	wantPanel := []string{"\tfmt.Println(label)", "\tfmt.Println(len(label))", "}"}
	if len(r.PanelSolutions) == 0 {
		t.Fatal("no PanelSolution notification")
	}
	s := r.PanelSolutions[0]
	if s.PanelID != panelID || s.SolutionID == "" || s.Range.Start.Character != 0 {
		t.Errorf("PanelSolution %+v: want panelId %q, a solutionId and a range from column 0", s, panelID)
	}
	if s.CompletionText != strings.Join(wantPanel[:2], "\n") || s.DisplayText != s.CompletionText {
		t.Errorf("PanelSolution text %q (display %q), want the two lines %q", s.CompletionText, s.DisplayText, wantPanel[:2])
	}
	if !slices.Equal(r.PanelApplied, wantPanel) {
		t.Errorf("accepted panel solution: %q, want %q", r.PanelApplied, wantPanel)
	}
}

// checkCopilotBlocked: a blocked .env gets no completion, and each plugin's
// own notification says why, once for the document.
func checkCopilotBlocked(t *testing.T, r *copilotResult, secret string) {
	t.Helper()
	if len(r.EnvFirst) != 0 || len(r.EnvSecond) != 0 {
		t.Errorf(".env got completions %d and %d, want none", len(r.EnvFirst), len(r.EnvSecond))
	}
	count := func(ms []copilotMessage, ok func(copilotMessage) bool) int {
		n := 0
		for _, m := range ms {
			if ok(m) && strings.Contains(m.Message, ".env") {
				n++
			}
		}
		return n
	}
	if n := count(r.StatusNotifications, func(m copilotMessage) bool { return m.Status == "Warning" }); n != 1 {
		t.Errorf("statusNotification Warning for .env: %d, want 1 (copilot.vim and copilot.lua show it): %+v", n, r.StatusNotifications)
	}
	if n := count(r.DidChangeStatus, func(m copilotMessage) bool { return m.Kind == "Warning" }); n != 1 {
		t.Errorf("didChangeStatus Warning for .env: %d, want 1 (copilot.el's mode line): %+v", n, r.DidChangeStatus)
	}
	if n := count(r.ShowMessages, func(m copilotMessage) bool { return m.Type == 2 }); n != 1 {
		t.Errorf("window/showMessage warnings for .env: %d, want 1: %+v", n, r.ShowMessages)
	}
	if n := count(r.LogMessages, func(m copilotMessage) bool { return m.Type == 2 }); n < 1 {
		t.Errorf("no window/logMessage warning for .env (copilot.vim's and copilot.el's log): %+v", r.LogMessages)
	}
}
