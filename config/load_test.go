package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/redact"
)

// testEnv returns a Getenv over a fixed map: tests never see the real
// environment.
func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultsAreValidAndComplete(t *testing.T) {
	home := t.TempDir()
	l, errs := build(inputs{getenv: testEnv(map[string]string{"HOME": home})})
	if len(errs) > 0 || len(l.Warnings) > 0 {
		t.Fatalf("defaults: errors %v, warnings %v", errs, l.Warnings)
	}
	c := l.Config
	want := Config{
		Model: Model{Backend: "builtin", FIM: "suffix", MaxTokens: 128, Temperature: 0.2,
			Timeout: 10 * time.Second, FirstTokenTimeout: 4 * time.Second, Pin: []string{}},
		Detect:      Detect{Secrets: true, PII: true, Identifiers: true, Disable: []string{}, MaxFileBytes: 1 << 20},
		Identifiers: Identifiers{Terms: []string{}, Patterns: []string{}},
		Allow:       Allow{Regexes: []string{}, Paths: []string{}},
		Policy:      Policy{Defaults: true, Rules: []PolicyRule{}},
		Audit:       Audit{Enabled: true, Path: filepath.Join(home, ".local/state/veil/audit.jsonl"), MaxBytes: 64 << 20},
		LSP: LSP{LatencyBudget: 2 * time.Second, MaxFrameBytes: 16 << 20, ContextBytes: 8192,
			NeighborBytes: 4096, NeighborFiles: 3, Diagnostics: true},
		Log:      Log{Level: "info"},
		Upstream: Upstream{Command: []string{}},
	}
	c.Rules = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	// Every leaf of the schema is in defaults.yaml, so `veil config show`
	// lists them all and each has a source.
	for _, f := range newSchema().leaves() {
		if l.Sources[f.path] != "default" {
			t.Errorf("key %s: source %q, want default (missing from defaults.yaml?)", f.path, l.Sources[f.path])
		}
	}
}

func TestSchemaKnowsEveryField(t *testing.T) {
	for path, f := range newSchema().byPath {
		if f.kind < 0 {
			t.Errorf("key %s has a Go type the strict parser does not handle", path)
		}
	}
}

func TestEnvNamesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, f := range newSchema().leaves() {
		n := envName(f.path)
		if other, dup := seen[n]; dup {
			t.Errorf("%s and %s both map to %s", f.path, other, n)
		}
		seen[n] = f.path
	}
}

func TestLoadUserAndWorkspace(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.yaml")
	writeFile(t, user, `
model:
  endpoint: http://127.0.0.1:11434/v1
  name: qwen2.5-coder
identifiers:
  terms: [acme]
policy:
  rules:
    - name: no chat on infra
      kinds: [chat]
      paths: ["infra/**"]
      route: block
`)
	root := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(root, ".veil.yaml"), `
identifiers:
  terms: [projectx]
detect:
  private_ips: true
policy:
  rules:
    - paths: ["deploy/**"]
      route: block
`)
	l, err := Load(LoadOptions{UserFile: user, WorkspaceRoots: []string{root}, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Model.Backend != "openai" || c.Model.Name != "qwen2.5-coder" {
		t.Errorf("model: %+v", c.Model)
	}
	if got := strings.Join(c.Identifiers.Terms, ","); got != "acme,projectx" {
		t.Errorf("terms %q, want user's then workspace's", got)
	}
	if !c.Detect.PrivateIPs {
		t.Error("workspace detect.private_ips: true not applied")
	}
	if len(c.Policy.Rules) != 1 || c.Policy.Rules[0].Source != user+" rule 1" {
		t.Errorf("user policy rules: %+v", c.Policy.Rules)
	}
	ws := filepath.Join(root, ".veil.yaml")
	if len(c.Policy.Workspace) != 1 || c.Policy.Workspace[0].Route != "block" ||
		c.Policy.Workspace[0].Source != "workspace "+ws+" rule 1" {
		t.Errorf("workspace policy rules: %+v", c.Policy.Workspace)
	}
	for key, want := range map[string]string{
		"model.name":          user,
		"model.timeout":       "default",
		"identifiers.terms":   user + " + workspace " + ws,
		"detect.private_ips":  "workspace " + ws,
		"policy.workspace[0]": "workspace " + ws,
		"policy.rules[0]":     user,
	} {
		if l.Sources[key] != want {
			t.Errorf("source of %s = %q, want %q", key, l.Sources[key], want)
		}
	}
	if len(l.Warnings) != 0 {
		t.Errorf("warnings: %v", l.Warnings)
	}
}

func TestShowNamesSources(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.yaml")
	writeFile(t, user, "model:\n  name: local-coder\npolicy:\n  rules:\n    - paths: [\"infra/**\"]\n      route: block\n")
	root := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(root, ".veil.yaml"), "identifiers:\n  terms: [projectx]\npolicy:\n  rules:\n    - kinds: [chat]\n      route: block\n")
	l, err := Load(LoadOptions{UserFile: user, WorkspaceRoots: []string{root}, Getenv: testEnv(map[string]string{"HOME": dir}),
		Environ: []string{"VEIL_LSP_LATENCY_BUDGET=1500ms"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.YAML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	t.Logf("show:\n%s", s)
	ws := "workspace " + filepath.Join(root, ".veil.yaml")
	for _, want := range []string{
		"name: local-coder # " + user,
		"timeout: 10s # default",
		"latency_budget: 1.5s # env VEIL_LSP_LATENCY_BUDGET",
		"terms: [projectx] # " + ws,
		"# from " + user,
		"# from " + ws,
		"workspace:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("show output lacks %q", want)
		}
	}
}

func TestShowOutputIsYAML(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "u.yaml")
	writeFile(t, user, "allow:\n  paths: [\"**/.env.example\", \"*.md\"]\npolicy:\n  rules:\n    - paths: [\"**/prod/**\"]\n      route: block\n")
	l, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.YAML()
	if err != nil {
		t.Fatal(err)
	}
	// The output is a valid config file again (policy.workspace aside).
	writeFile(t, user, string(out))
	if ps := Check(user); len(ps) != 0 {
		t.Fatalf("show output does not load back: %v\n%s", ps, out)
	}
	l2, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Config.Allow, l2.Config.Allow) || l2.Config.Policy.Rules[0].Paths[0] != "**/prod/**" {
		t.Errorf("round trip changed the config: %+v vs %+v", l.Config.Allow, l2.Config.Allow)
	}
}

func TestUnparseableWorkspaceFileFailsLoad(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(root, ".veil.yaml"), "policy: [\n")
	_, err := Load(LoadOptions{WorkspaceRoots: []string{root}, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, ".veil.yaml")) {
		t.Errorf("a workspace file that is not YAML must fail the load (closed), got %v", err)
	}
}

// TestExamples keeps the README's example files honest: they load without
// problems and the rules they add work in redact.
func TestExamples(t *testing.T) {
	for _, f := range []string{"testdata/veil.yaml", "testdata/repo/.veil.yaml"} {
		for _, p := range Check(f) {
			if !p.Warning {
				t.Errorf("%s", p.Error())
			}
		}
	}
	l, err := Load(LoadOptions{UserFile: "testdata/veil.yaml", WorkspaceRoots: []string{"testdata/repo"},
		Getenv: testEnv(map[string]string{"HOME": t.TempDir()}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("warnings: %v", l.Warnings)
	}
	c := l.Config
	d, err := redact.NewDetector(redact.Options{Extra: c.Rules, Terms: c.Identifiers.Terms, Patterns: c.Identifiers.Patterns,
		AllowRegexes: c.Allow.Regexes, AllowPaths: c.Allow.Paths, PrivateIPs: c.Detect.PrivateIPs})
	if err != nil {
		t.Fatalf("redact refuses the example config: %v", err)
	}
	for _, r := range c.Rules {
		for _, tp := range r.TruePositives {
			found := false
			for _, f := range d.Scan("main.go", []byte("x := \""+tp+"\"\n")) {
				found = found || f.RuleID == r.ID
			}
			if !found {
				t.Errorf("rule %s misses its own sample", r.ID)
			}
		}
	}
	if len(c.Policy.Workspace) != 1 || len(c.Policy.Rules) != 2 {
		t.Errorf("policy: %d user rules, %d workspace rules", len(c.Policy.Rules), len(c.Policy.Workspace))
	}
}
