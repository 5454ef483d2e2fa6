package editors

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// emacsResult is what emacs/test/driver.el writes.
type emacsResult struct {
	Error          string   `json:"error"`
	Attached       bool     `json:"attached"`
	Server         []string `json:"server"`
	SrcRoute       string   `json:"src_route"`
	Probe          string   `json:"probe"`
	Completions    []string `json:"completions"`
	Matching       int      `json:"matching"`
	Chat           string   `json:"chat"`
	EnvMode        string   `json:"env_mode"`
	EnvAttached    bool     `json:"env_attached"`
	EnvWarned      bool     `json:"env_warned"`
	EnvRoute       string   `json:"env_route"`
	EnvCompletions int      `json:"env_completions"`
	EnvDiagnostics []string `json:"env_diagnostics"`
	ModeLine       string   `json:"mode_line"`
	Messages       []string `json:"messages"`
}

// TestEmacsEglot runs Emacs in batch mode with Debian's eglot and
// veil-eglot.el, the way the README sets it up, against the veil binary on
// the built-in model.
func TestEmacsEglot(t *testing.T) {
	emacs := lookTool(t, "emacs", "apt-get install -y emacs-nox elpa-eglot")
	veil := veilBinary(t)
	work, secret := workspace(t)
	dir, err := filepath.Abs("emacs")
	must(t, err)
	resultFile := filepath.Join(t.TempDir(), "result.json")

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// -q, not -Q: Debian activates its elpa-* packages (eglot) from site-start.
	cmd := exec.CommandContext(ctx, emacs, "--batch", "-q",
		"-l", "eglot",
		"-l", filepath.Join(dir, "veil-eglot.el"),
		"-l", filepath.Join(dir, "test", "driver.el"))
	cmd.Dir = work
	cmd.Env = append(isolatedEnv(t),
		"VEIL_BIN="+veil,
		"VEIL_WORKDIR="+work,
		"VEIL_RESULT="+resultFile,
	)
	out, runErr := cmd.CombinedOutput()
	raw, readErr := os.ReadFile(resultFile)
	if readErr != nil {
		if strings.Contains(string(out), "Cannot open load file") && strings.Contains(string(out), "eglot") && !requireEditors() {
			t.Skipf("eglot is not installed (apt-get install -y elpa-eglot):\n%s", out)
		}
		t.Fatalf("emacs wrote no result (run error %v): %v\noutput:\n%s", runErr, readErr, out)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(out), secret) {
		t.Fatalf("the .env secret %s reached the editor", mask(secret))
	}
	var r emacsResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decoding result: %v\n%s", err, raw)
	}
	if r.Error != "" || runErr != nil {
		t.Fatalf("driver failed: %s (exit %v)\noutput:\n%s\nresult:\n%s", r.Error, runErr, out, raw)
	}
	for _, m := range r.Messages {
		t.Logf("eglot: %s", m)
	}

	if !r.Attached || len(r.Server) < 2 || r.Server[0] != veil || r.Server[1] != "lsp" {
		t.Errorf("eglot did not start %s lsp for main.py: attached %v, server %q", veil, r.Attached, r.Server)
	}
	if r.SrcRoute != "local" {
		t.Errorf("main.py route = %q, want local", r.SrcRoute)
	}
	nonEmpty := 0
	for _, c := range r.Completions {
		if strings.TrimSpace(c) != "" {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		t.Errorf("eglot's completion-at-point got no AI completion: %q", r.Completions)
	}
	t.Logf("completions %q; %d of them match the typed prefix %q", r.Completions, r.Matching, r.Probe)
	if r.Matching == 0 {
		t.Errorf("no candidate matches the typed prefix %q, so M-TAB would show nothing: %q", r.Probe, r.Completions)
	}
	if strings.TrimSpace(r.Chat) == "" {
		t.Error("veil-ask got an empty reply")
	}

	if r.EnvMode != "conf-unix-mode" || !r.EnvAttached {
		t.Errorf(".env: mode %q, attached %v; want conf-unix-mode managed by eglot", r.EnvMode, r.EnvAttached)
	}
	if !r.EnvWarned {
		t.Errorf("no warning (showMessage type 2) for .env; messages: %q", r.Messages)
	}
	if r.EnvRoute != "block" || r.ModeLine != " veil:BLOCKED" {
		t.Errorf(".env route %q, mode line %q; want block and \" veil:BLOCKED\"", r.EnvRoute, r.ModeLine)
	}
	if !slices.ContainsFunc(r.EnvDiagnostics, func(d string) bool { return strings.Contains(d, "AI requests are blocked") }) {
		t.Errorf(".env has no flymake diagnostic saying it is blocked: %q", r.EnvDiagnostics)
	}
	if r.EnvCompletions != 0 {
		t.Errorf(".env got %d completions, want none", r.EnvCompletions)
	}
}

// TestEmacsByteCompile byte-compiles the two setup files with warnings as
// errors, so a typo in a branch the eglot test does not reach still fails.
func TestEmacsByteCompile(t *testing.T) {
	emacs := lookTool(t, "emacs", "apt-get install -y emacs-nox elpa-eglot")
	out := t.TempDir()
	for _, f := range []string{"veil-eglot.el", "veil-copilot.el"} {
		src, err := filepath.Abs(filepath.Join("emacs", f))
		must(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, emacs, "--batch", "-q", "-l", "eglot", "--eval", fmt.Sprintf(
			`(let ((byte-compile-error-on-warn t)
			       (byte-compile-dest-file-function (lambda (_) %q)))
			   (unless (byte-compile-file %q) (kill-emacs 1)))`,
			filepath.Join(out, f+"c"), src))
		cmd.Env = isolatedEnv(t)
		b, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("byte-compiling %s: %v\n%s", f, err, b)
		}
	}
}
