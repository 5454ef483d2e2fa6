package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs veil with args and returns exit code, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
		getenv: func(string) string { return "" },
	}
	code := run(e, args)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "veil v") {
		t.Fatalf("version: code %d, stdout %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"version", "--no-such-flag"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != exitError {
			t.Errorf("veil %v: exit %d, want %d", args, code, exitError)
		}
		if out != "" {
			t.Errorf("veil %v wrote to stdout: %q", args, out)
		}
		if !strings.Contains(errOut, "usage") {
			t.Errorf("veil %v: stderr lacks usage: %q", args, errOut)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := runCLI(t, "", c.name, "--help")
		if code != exitOK {
			t.Errorf("veil %s --help: exit %d", c.name, code)
		}
		if out != "" {
			t.Errorf("veil %s --help wrote to stdout", c.name)
		}
		if !strings.Contains(errOut, "veil "+c.name) {
			t.Errorf("veil %s --help: stderr %q does not name the command", c.name, errOut)
		}
	}
}
