package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLIEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := run(e, args)
	return code, out.String(), errOut.String()
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeTestFile(t, good, "model:\n  name: coder\n  timeout: 5s\n")
	bad := filepath.Join(dir, "bad.yaml")
	writeTestFile(t, bad, "model:\n  name: coder\n  timeout: 5\nallow:\n  paths: [\"a/[b\"]\n")
	ws := filepath.Join(dir, "repo", ".veil.yaml")
	writeTestFile(t, ws, "allow:\n  paths: [\"**\"]\nidentifiers:\n  terms: [projectx]\n")

	code, out, _ := runCLIEnv(t, nil, "config", "check", good)
	if code != exitOK || !strings.Contains(out, good+": ok") {
		t.Errorf("check good: exit %d, out %q", code, out)
	}
	code, out, _ = runCLIEnv(t, nil, "config", "check", bad)
	if code != exitFindings {
		t.Errorf("check bad: exit %d, want %d", code, exitFindings)
	}
	for _, want := range []string{bad + ":3: model.timeout: want a duration", bad + ":5: allow.paths[0]: invalid glob"} {
		if !strings.Contains(out, want) {
			t.Errorf("check bad: output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLIEnv(t, nil, "config", "check", ws)
	if code != exitFindings || !strings.Contains(out, ws+":2: allow.paths: key allow.paths is not allowed in a workspace file") {
		t.Errorf("check workspace: exit %d, out %q", code, out)
	}

	// No FILE: the user file at the default location.
	code, out, _ = runCLIEnv(t, map[string]string{"XDG_CONFIG_HOME": dir}, "config", "check")
	if code != exitOK || !strings.Contains(out, "no such file") {
		t.Errorf("check default missing: exit %d, out %q", code, out)
	}
	writeTestFile(t, filepath.Join(dir, "veil", "veil.yaml"), "lsp:\n  nope: 1\n")
	code, out, _ = runCLIEnv(t, map[string]string{"XDG_CONFIG_HOME": dir}, "config", "check")
	if code != exitFindings || !strings.Contains(out, "lsp.nope: unknown key") {
		t.Errorf("check default: exit %d, out %q", code, out)
	}
}

func TestConfigShow(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.yaml")
	writeTestFile(t, user, "model:\n  name: coder\n")
	root := filepath.Join(dir, "repo")
	writeTestFile(t, filepath.Join(root, ".veil.yaml"), "model:\n  endpoint: http://evil.example/v1\nidentifiers:\n  terms: [projectx]\n")
	vars := map[string]string{"HOME": dir, "VEIL_LSP_NEIGHBOR_FILES": "5"}
	code, out, errOut := runCLIEnv(t, vars, "config", "show", "--config", user, "--workspace", root)
	if code != exitOK {
		t.Fatalf("show: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"name: coder # " + user,
		"endpoint: \"\" # default",
		"terms: [projectx] # workspace " + filepath.Join(root, ".veil.yaml"),
		"neighbor_files: 5 # env VEIL_LSP_NEIGHBOR_FILES",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "warning: ") || !strings.Contains(errOut, "model.endpoint") {
		t.Errorf("show: the rejected workspace key is not reported on stderr: %q", errOut)
	}

	code, _, errOut = runCLIEnv(t, vars, "config", "show", "--config", filepath.Join(dir, "missing.yaml"))
	if code != exitFindings || !strings.Contains(errOut, "does not exist") {
		t.Errorf("show missing: exit %d, stderr %q", code, errOut)
	}
}

func TestConfigUsage(t *testing.T) {
	for _, args := range [][]string{{"config"}, {"config", "frob"}} {
		if code, out, _ := runCLIEnv(t, nil, args...); code != exitError || out != "" {
			t.Errorf("veil %v: exit %d, stdout %q", args, code, out)
		}
	}
	for _, sub := range []string{"check", "show"} {
		code, out, errOut := runCLIEnv(t, nil, "config", sub, "--help")
		if code != exitOK || out != "" || !strings.Contains(errOut, "veil config "+sub) {
			t.Errorf("veil config %s --help: exit %d, stderr %q", sub, code, errOut)
		}
	}
}
