package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

// loadWorkspace loads an empty user config plus one workspace file.
func loadWorkspace(t *testing.T, user, ws string) (*Loaded, string) {
	t.Helper()
	dir := t.TempDir()
	o := LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}}
	if user != "" {
		o.UserFile = filepath.Join(dir, "user.yaml")
		writeFile(t, o.UserFile, user)
	}
	root := filepath.Join(dir, "repo")
	path := filepath.Join(root, ".veil.yaml")
	writeFile(t, path, ws)
	o.WorkspaceRoots = []string{root}
	l, err := Load(o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l, path
}

func TestWorkspaceMayOnlyTighten(t *testing.T) {
	loosening := []struct {
		key  string // the key path the Problem must name
		yaml string
	}{
		{"allow.paths", "allow:\n  paths: [\"**\"]\n"},
		{"allow.regexes", "allow:\n  regexes: [\".*\"]\n"},
		{"detect.secrets", "detect:\n  secrets: false\n"},
		{"detect.pii", "detect:\n  pii: false\n"},
		{"detect.identifiers", "detect:\n  identifiers: false\n"},
		{"detect.private_ips", "detect:\n  private_ips: false\n"},
		{"detect.disable", "detect:\n  disable: [github-pat]\n"},
		{"detect.max_file_bytes", "detect:\n  max_file_bytes: 1\n"},
		{"model.endpoint", "model:\n  endpoint: http://127.0.0.1:9/v1\n"},
		{"model.backend", "model:\n  backend: openai\n"},
		{"model.name", "model:\n  name: other\n"},
		{"model.api_key_env", "model:\n  api_key_env: HOME\n"},
		{"model.pin", "model:\n  pin: [x]\n"},
		{"model.timeout", "model:\n  timeout: 1s\n"},
		{"audit.enabled", "audit:\n  enabled: false\n"},
		{"audit.path", "audit:\n  path: /tmp/x\n"},
		{"audit.hash_paths", "audit:\n  hash_paths: true\n"},
		{"audit.max_bytes", "audit:\n  max_bytes: 1\n"},
		{"policy.defaults", "policy:\n  defaults: false\n"},
		{"policy.rules[0].route", "policy:\n  rules:\n    - paths: [\"**\"]\n      route: local\n"},
		{"policy.rules[0].route", "policy:\n  rules:\n    - route: upstream\n"},
		{"lsp.latency_budget", "lsp:\n  latency_budget: 1s\n"},
		{"lsp.diagnostics", "lsp:\n  diagnostics: false\n"},
		{"log.level", "log:\n  level: debug\n"},
		{"log.file", "log:\n  file: /tmp/log\n"},
	}
	for _, tc := range loosening {
		t.Run(tc.key, func(t *testing.T) {
			// Each loosening key sits next to a tightening one, which must
			// still apply.
			l, path := loadWorkspace(t, "", tc.yaml+"identifiers:\n  terms: [projectx]\n")
			if len(l.Warnings) != 1 {
				t.Fatalf("warnings %v, want exactly one", l.Warnings)
			}
			p := l.Warnings[0]
			if p.File != path || p.Key != tc.key || p.Line == 0 || p.Warning {
				t.Errorf("problem %+v does not name file %s, key %s and a line", p, path, tc.key)
			}
			if !strings.Contains(p.Error(), "key "+strings.SplitN(tc.key, "[", 2)[0]) && !strings.Contains(p.Error(), "key route") {
				t.Errorf("message %q does not name the key", p.Error())
			}
			if !strings.Contains(p.Msg, "not allowed") {
				t.Errorf("message %q does not say it is not allowed", p.Msg)
			}
			d := Defaults()
			c := l.Config
			if strings.Join(c.Identifiers.Terms, ",") != "projectx" {
				t.Errorf("the rest of the file was not applied: terms %v", c.Identifiers.Terms)
			}
			if len(c.Allow.Paths)+len(c.Allow.Regexes)+len(c.Detect.Disable)+len(c.Policy.Workspace)+len(c.Model.Pin) != 0 ||
				c.Model.Endpoint != d.Model.Endpoint || c.Model.Name != d.Model.Name || c.Audit.Enabled != d.Audit.Enabled ||
				!c.Policy.Defaults || !c.Detect.Secrets || !c.Detect.PII || c.Log.Level != d.Log.Level {
				t.Errorf("a loosening key took effect: %+v", c)
			}
		})
	}
}

func TestWorkspaceTighteningApplies(t *testing.T) {
	user := `
detect:
  pii: false
  private_ips: false
identifiers:
  terms: [acme]
  patterns: ["ACME-[0-9]+"]
rules:
  - id: user-rule
    category: secret
    regex: "usr_[a-z]{8}"
policy:
  defaults: false
  rules:
    - paths: ["docs/**"]
      route: local
`
	ws := `
detect:
  pii: true
  private_ips: true
identifiers:
  terms: [projectx]
  patterns: ["PX-[0-9]{4}"]
rules:
  - id: ws-rule
    category: identifier
    regex: "px_[a-z]{8}"
  - id: user-rule          # may not replace the user's rule
    category: secret
    regex: "x"
policy:
  defaults: true
  rules:
    - name: no chat about deploys
      kinds: [chat]
      paths: ["deploy/**"]
      route: block
`
	l, path := loadWorkspace(t, user, ws)
	c := l.Config
	if !c.Detect.PII || !c.Detect.PrivateIPs || !c.Policy.Defaults {
		t.Errorf("true-only keys not applied: detect %+v, policy.defaults %v", c.Detect, c.Policy.Defaults)
	}
	if got := strings.Join(c.Identifiers.Terms, ","); got != "acme,projectx" {
		t.Errorf("terms %q", got)
	}
	if got := strings.Join(c.Identifiers.Patterns, ","); got != "ACME-[0-9]+,PX-[0-9]{4}" {
		t.Errorf("patterns %q", got)
	}
	if len(c.Rules) != 2 || c.Rules[0].ID != "user-rule" || c.Rules[0].Regex != "usr_[a-z]{8}" || c.Rules[1].ID != "ws-rule" {
		t.Errorf("rules %+v", c.Rules)
	}
	if len(c.Policy.Rules) != 1 || c.Policy.Rules[0].Route != "local" {
		t.Errorf("user policy rules changed: %+v", c.Policy.Rules)
	}
	if len(c.Policy.Workspace) != 1 || c.Policy.Workspace[0].Name != "no chat about deploys" || c.Policy.Workspace[0].Route != "block" {
		t.Errorf("workspace policy rules %+v", c.Policy.Workspace)
	}
	if len(l.Warnings) != 1 || l.Warnings[0].Key != "rules[1].id" || l.Warnings[0].File != path || l.Warnings[0].Line != 12 {
		t.Errorf("warnings %v, want one about rules[1].id at line 12", l.Warnings)
	}
	if got := l.Sources["rules[1]"]; got != "workspace "+path {
		t.Errorf("source of rules[1] = %q", got)
	}
}

func TestStrictValidation(t *testing.T) {
	cases := []struct {
		name, yaml, key string
		line            int
		msg             string
	}{
		{"unknown top key", "modle:\n  name: x\n", "modle", 1, "did you mean model"},
		{"unknown nested key", "model:\n  nmae: x\n", "model.nmae", 2, "did you mean name"},
		{"unknown rule key", "policy:\n  rules:\n    - route: block\n      path: [x]\n", "policy.rules[0].path", 4, "unknown key"},
		{"duplicate key", "model:\n  name: a\n  name: b\n", "model.name", 3, "duplicate"},
		{"bool type", "detect:\n  secrets: \"yes\"\n", "detect.secrets", 2, "want true or false, got a string"},
		{"int type", "lsp:\n  context_bytes: 8k\n", "lsp.context_bytes", 2, "want an integer"},
		{"duration type", "model:\n  timeout: 10\n", "model.timeout", 2, "want a duration"},
		{"bad duration", "model:\n  timeout: soon\n", "model.timeout", 2, "want a duration"},
		{"string type", "model:\n  name: [a]\n", "model.name", 2, "want a string, got a list"},
		{"list type", "identifiers:\n  terms: acme\n", "identifiers.terms", 2, "want a list of strings"},
		{"section type", "model: fast\n", "model", 1, "want a mapping"},
		{"range", "model:\n  temperature: 7\n", "model.temperature", 2, "from 0 to 2"},
		{"negative", "lsp:\n  neighbor_files: -1\n", "lsp.neighbor_files", 2, "from 0"},
		{"identifier regex", "identifiers:\n  patterns: [\"ok\", \"(unclosed\"]\n", "identifiers.patterns[1]", 2, "missing closing )"},
		{"allow regex", "allow:\n  regexes:\n    - \"[z-a]\"\n", "allow.regexes[0]", 3, "invalid character class range"},
		{"rule regex", "rules:\n  - id: r\n    category: secret\n    regex: \"a**\"\n", "rules[0].regex", 4, "invalid nested repetition"},
		{"glob", "allow:\n  paths: [\"src/[abc\"]\n", "allow.paths[0]", 2, "invalid glob"},
		{"policy glob", "policy:\n  rules:\n    - paths: [\"{a,b\"]\n      route: block\n", "policy.rules[0].paths[0]", 3, "invalid glob"},
		{"route", "policy:\n  rules:\n    - route: allow\n", "policy.rules[0].route", 3, "want one of local, block, upstream"},
		{"missing route", "policy:\n  rules:\n    - paths: [x]\n", "policy.rules[0].route", 3, "needs a route"},
		{"kind", "policy:\n  rules:\n    - kinds: [hover]\n      route: block\n", "policy.rules[0].kinds[0]", 3, "inline, completion, chat"},
		{"category", "policy:\n  rules:\n    - categories: [password]\n      route: block\n", "policy.rules[0].categories[0]", 3, "secret, pii, identifier"},
		{"backend", "model:\n  backend: ollama\n", "model.backend", 2, "builtin, openai"},
		{"fim", "model:\n  fim: psm\n", "model.fim", 2, "suffix, qwen"},
		{"log level", "log:\n  level: loud\n", "log.level", 2, "debug, info"},
		{"endpoint", "model:\n  endpoint: localhost:11434\n", "model.endpoint", 2, "http://"},
		{"pin", "model:\n  pin: [\"m@sha256:abc\"]\n", "model.pin[0]", 2, "64 hex"},
		{"rule without id", "rules:\n  - category: secret\n    regex: x\n", "rules[0].id", 2, "needs an id"},
		{"secret group", "rules:\n  - id: r\n    category: pii\n    regex: \"a(b)\"\n    secret_group: 2\n", "rules[0].secret_group", 5, "has 1 groups"},
		{"keyword case", "rules:\n  - id: r\n    category: pii\n    regex: x\n    keywords: [Token]\n", "rules[0].keywords[0]", 5, "lower case"},
		{"duplicate rule id", "rules:\n  - {id: r, category: pii, regex: x}\n  - {id: r, category: pii, regex: y}\n", "rules[1]", 3, "already used"},
		{"openai without endpoint", "model:\n  backend: openai\n", "model.backend", 2, "needs model.endpoint"},
		{"not yaml", "model:\n  name: [x\n", "", -1, "not valid YAML"},
		{"loader-owned key", "policy:\n  workspace: []\n", "policy.workspace", 2, "unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "veil.yaml")
			writeFile(t, path, tc.yaml)
			_, err := Load(LoadOptions{UserFile: path, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
			ps := Problems(err)
			if len(ps) != 1 {
				t.Fatalf("problems %v, want exactly one", ps)
			}
			p := ps[0]
			if tc.line < 0 && p.Line > 0 { // wherever the YAML parser says
				tc.line = p.Line
			}
			if p.File != path || p.Key != tc.key || p.Line != tc.line || !strings.Contains(p.Msg, tc.msg) {
				t.Errorf("got  %s\nwant %s:%d: %s: …%s…", p.Error(), path, tc.line, tc.key, tc.msg)
			}
			// Check reports the same.
			if cp := Check(path); len(cp) != 1 || cp[0] != p {
				t.Errorf("Check: %v", cp)
			}
		})
	}
}

func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HOME": dir}
	if _, err := Load(LoadOptions{Getenv: testEnv(env), Environ: []string{}}); err != nil {
		t.Errorf("missing default-location user file: %v", err)
	}
	missing := filepath.Join(dir, "nope.yaml")
	if _, err := Load(LoadOptions{UserFile: missing, Getenv: testEnv(env)}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing --config file: %v", err)
	}
	env["VEIL_CONFIG"] = missing
	if _, err := Load(LoadOptions{Getenv: testEnv(env)}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing $VEIL_CONFIG file: %v", err)
	}
	writeFile(t, missing, "model:\n  name: via-env\n")
	l, err := Load(LoadOptions{Getenv: testEnv(env)})
	if err != nil || l.Config.Model.Name != "via-env" {
		t.Errorf("$VEIL_CONFIG not used: %v", err)
	}
	// A workspace root without .veil.yaml is fine.
	if _, err := Load(LoadOptions{WorkspaceRoots: []string{dir}, Getenv: testEnv(map[string]string{"HOME": dir})}); err != nil {
		t.Errorf("root without .veil.yaml: %v", err)
	}
}

func TestEnvAndFlagLayers(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user.yaml")
	writeFile(t, user, "model:\n  name: from-user\n  max_tokens: 64\ndetect:\n  private_ips: false\nidentifiers:\n  terms: [a]\n")
	root := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(root, ".veil.yaml"), "detect:\n  private_ips: true\n")

	fs := pflag.NewFlagSet("lsp", pflag.ContinueOnError)
	fs.String("model", "", "")
	fs.String("log-level", "info", "")
	fs.Duration("lsp-latency-budget", 0, "")
	fs.String("unrelated", "", "")
	if err := BindFlag(fs, "model", "model.name"); err != nil {
		t.Fatal(err)
	}
	if err := BindFlag(fs, "model", "model.nope"); err == nil {
		t.Error("BindFlag accepted an unknown key")
	}
	if err := fs.Parse([]string{"--model", "from-flag", "--lsp-latency-budget", "750ms", "--unrelated", "x"}); err != nil {
		t.Fatal(err)
	}
	l, err := Load(LoadOptions{
		UserFile: user, WorkspaceRoots: []string{root}, Flags: fs,
		Getenv: testEnv(map[string]string{"HOME": dir}),
		Environ: []string{
			"PATH=/bin",
			"VEIL_MODEL_NAME=from-env",
			"VEIL_MODEL_MAX_TOKENS=32",
			"VEIL_DETECT_PRIVATE_IPS=false",
			"VEIL_IDENTIFIERS_TERMS=x, y ,,z",
			"VEIL_MODEL_FIRST_TOKEN_TIMEOUT=1500ms",
			"VEIL_CONFIG=" + user,
			"VEIL_MODEL_NAEM=typo",
			"VEIL_BIN=/usr/bin/veil", // someone else's variable: no warning
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Model.Name != "from-flag" || l.Sources["model.name"] != "flag --model" {
		t.Errorf("model.name %q from %q: flags must win", c.Model.Name, l.Sources["model.name"])
	}
	if c.Model.MaxTokens != 32 || l.Sources["model.max_tokens"] != "env VEIL_MODEL_MAX_TOKENS" {
		t.Errorf("model.max_tokens %d from %q", c.Model.MaxTokens, l.Sources["model.max_tokens"])
	}
	if c.Detect.PrivateIPs {
		t.Error("env must win over the workspace file (documented order)")
	}
	if got := strings.Join(c.Identifiers.Terms, ","); got != "x,y,z" {
		t.Errorf("env list: %q", got)
	}
	if c.Model.FirstTokenTimeout.String() != "1.5s" || c.LSP.LatencyBudget.String() != "750ms" {
		t.Errorf("durations: %v %v", c.Model.FirstTokenTimeout, c.LSP.LatencyBudget)
	}
	if c.Log.Level != "info" || l.Sources["log.level"] != "default" {
		t.Errorf("an unset flag counted: log.level from %q", l.Sources["log.level"])
	}
	if len(l.Warnings) != 1 || l.Warnings[0].File != "env VEIL_MODEL_NAEM" || !l.Warnings[0].Warning ||
		!strings.Contains(l.Warnings[0].Msg, "did you mean VEIL_MODEL_NAME") {
		t.Errorf("warnings %v, want one about VEIL_MODEL_NAEM", l.Warnings)
	}

	// Bad values are errors naming the variable or flag and the key.
	for _, tc := range []struct {
		environ []string
		args    []string
		want    string
	}{
		{[]string{"VEIL_MODEL_TIMEOUT=ten"}, nil, "env VEIL_MODEL_TIMEOUT: model.timeout: want a duration"},
		{[]string{"VEIL_DETECT_SECRETS=maybe"}, nil, "env VEIL_DETECT_SECRETS: detect.secrets: want true or false"},
		{[]string{"VEIL_POLICY_RULES=x"}, nil, "env VEIL_POLICY_RULES: policy.rules: cannot be set here: use a config file"},
		{[]string{"VEIL_LSP_DEBOUNC=1s"}, nil, "env VEIL_LSP_DEBOUNC: unknown variable (did you mean VEIL_LSP_DEBOUNCE?)"},
		{[]string{"VEIL_ALLOW_PATHS=a/[b"}, nil, "env VEIL_ALLOW_PATHS: allow.paths: item 1: invalid glob"},
		{nil, []string{"--log-level", "loud"}, "flag --log-level: log.level: want one of"},
	} {
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.String("log-level", "info", "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		o := LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir}), Environ: tc.environ, Flags: fs}
		l, err := Load(o)
		got := fmt.Sprint(err)
		if l != nil {
			got = fmt.Sprint(l.Warnings)
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%v %v: got %s, want …%s…", tc.environ, tc.args, got, tc.want)
		}
	}
}

func TestEnvWithoutEnviron(t *testing.T) {
	// Environ nil: the known names are looked up with Getenv.
	l, err := Load(LoadOptions{Getenv: testEnv(map[string]string{"HOME": t.TempDir(), "VEIL_LOG_LEVEL": "debug"})})
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Log.Level != "debug" || l.Sources["log.level"] != "env VEIL_LOG_LEVEL" {
		t.Errorf("log.level %q from %q", l.Config.Log.Level, l.Sources["log.level"])
	}
}

func TestPathExpansion(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "u.yaml")
	writeFile(t, user, "audit:\n  path: ~/audit/a.jsonl\nlog:\n  file: $XDG_CACHE_HOME/veil.log\n")
	l, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/state"}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Audit.Path != "/home/u/audit/a.jsonl" || l.Config.Log.File != "/home/u/.cache/veil.log" {
		t.Errorf("audit.path %q, log.file %q", l.Config.Audit.Path, l.Config.Log.File)
	}
	l, err = Load(LoadOptions{Getenv: testEnv(map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/state"}), Environ: []string{}})
	if err != nil || l.Config.Audit.Path != "/state/veil/audit.jsonl" {
		t.Errorf("default audit.path with XDG_STATE_HOME: %v %v", l, err)
	}
	writeFile(t, user, "audit:\n  path: $NOPE/a.jsonl\n")
	if _, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": "/home/u"}), Environ: []string{}}); err == nil ||
		!strings.Contains(err.Error(), user+":2: audit.path: the path refers to $NOPE") {
		t.Errorf("unset variable in a path: %v", err)
	}
}

func TestBackendFollowsEndpoint(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "u.yaml")
	writeFile(t, user, "model:\n  endpoint: http://203.0.113.7:8080/v1\n")
	l, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Model.Backend != "openai" || !strings.Contains(l.Sources["model.backend"], "default") {
		t.Errorf("backend %q from %q", l.Config.Model.Backend, l.Sources["model.backend"])
	}
	if len(l.Warnings) != 1 || l.Warnings[0].Key != "model.endpoint" || l.Warnings[0].Line != 2 || !l.Warnings[0].Warning {
		t.Errorf("no warning about a remote endpoint: %v", l.Warnings)
	}
}

func TestUntrustedInputBounds(t *testing.T) {
	// YAML aliases let a small file describe a huge tree: 500 aliases of a
	// rule whose keyword list is an alias of 500 items is 250,000 nodes.
	kw := strings.TrimSuffix(strings.Repeat("k, ", 500), ", ")
	refs := strings.TrimSuffix(strings.Repeat("*r, ", 500), ", ")
	bomb := "x:\n  kw: &kw [" + kw + "]\n  r: &r {id: r, category: pii, regex: x, keywords: *kw}\nrules: [" + refs + "]\n"
	l, path := loadWorkspace(t, "", bomb)
	found := false
	for _, p := range l.Warnings {
		if p.File == path && strings.Contains(p.Msg, "YAML nodes") {
			found = true
		}
	}
	if !found {
		t.Errorf("alias bomb not bounded: %v", l.Warnings)
	}

	big := filepath.Join(t.TempDir(), "big.yaml")
	writeFile(t, big, "# "+strings.Repeat("x", maxFileBytes)+"\n")
	if ps := Check(big); len(ps) != 1 || !strings.Contains(ps[0].Msg, "more than") {
		t.Errorf("oversized file: %v", ps)
	}
}

func TestProblemsNeverShowValues(t *testing.T) {
	tok := lsptest.NewSecrets(7).GitHubPAT()
	dir := t.TempDir()
	path := filepath.Join(dir, "veil.yaml")
	writeFile(t, path, fmt.Sprintf(`model:
  api_key_env: %[1]s
  endpoint: http://user:%[1]s@127.0.0.1/v1
  backend: %[1]s
  timeout: %[1]s
  pin: ["%[1]s@sha256:zz"]
allow:
  regexes: ["(%[1]s"]
  paths: ["[%[1]s"]
detect:
  secrets: %[1]s
`, tok))
	problems := Check(path)
	if len(problems) < 8 {
		t.Fatalf("want a problem per bad key, got %d: %v", len(problems), problems)
	}
	for _, p := range problems {
		if strings.Contains(p.Error(), tok) || strings.Contains(p.Error(), tok[4:12]) {
			t.Errorf("problem for %s shows the value: %s", p.Key, strings.ReplaceAll(p.Error(), tok, "<TOKEN>"))
		}
	}
	// The same through the environment.
	_, err := Load(LoadOptions{Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{
		"VEIL_MODEL_API_KEY_ENV=" + tok, "VEIL_MODEL_TIMEOUT=" + tok, "VEIL_ALLOW_REGEXES=(" + tok}})
	if err == nil {
		t.Fatal("bad env values accepted")
	}
	if strings.Contains(err.Error(), tok[4:12]) {
		t.Errorf("env problems show the value: %s", strings.ReplaceAll(err.Error(), tok, "<TOKEN>"))
	}
}

func TestProblemError(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "f.yaml", Key: "a.b", Line: 3, Msg: "bad"}, "f.yaml:3: a.b: bad"},
		{Problem{File: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
		{Problem{File: "env VEIL_X", Key: "x", Msg: "bad"}, "env VEIL_X: x: bad"},
		{Problem{Msg: "bad"}, "bad"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
	if got := preview("abcdefgh"); got != `"abcd"… (8 chars)` {
		t.Errorf("preview %s", got)
	}
	if _, err := os.Stat("."); err != nil {
		t.Fatal(err)
	}
}

func TestRuleIDsMayNotShadowBuiltins(t *testing.T) {
	specs, err := redact.BuiltinRules()
	if err != nil || len(specs) == 0 {
		t.Skipf("no built-in rules to collide with: %v", err)
	}
	id := specs[0].ID
	rule := fmt.Sprintf("rules:\n  - id: %s\n    category: secret\n    regex: \"zz[0-9]{4}\"\n", id)

	dir := t.TempDir()
	user := filepath.Join(dir, "u.yaml")
	writeFile(t, user, rule)
	_, err = Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if ps := Problems(err); len(ps) != 1 || ps[0].Key != "rules[0]" || ps[0].Line != 2 || !strings.Contains(ps[0].Msg, "built-in") {
		t.Errorf("user rule with a built-in id: %v", err)
	}

	l, path := loadWorkspace(t, "", rule+"identifiers:\n  terms: [projectx]\n")
	if len(l.Config.Rules) != 0 || len(l.Warnings) != 1 || l.Warnings[0].File != path || l.Warnings[0].Key != "rules[0].id" {
		t.Errorf("workspace rule with a built-in id: rules %v, warnings %v", l.Config.Rules, l.Warnings)
	}
}

func TestRuleValidatorNames(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "u.yaml")
	writeFile(t, user, "rules:\n  - id: my-card\n    category: pii\n    regex: \"[0-9]{16}\"\n    validator: luhn\n  - id: my-other\n    category: pii\n    regex: x\n    validator: crc64\n")
	_, err := Load(LoadOptions{UserFile: user, Getenv: testEnv(map[string]string{"HOME": dir}), Environ: []string{}})
	if ps := Problems(err); len(ps) != 1 || ps[0].Key != "rules[1].validator" || ps[0].Line != 9 {
		t.Errorf("validator names: %v", err)
	}
}

func TestListFlag(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.StringSlice("identifiers-terms", nil, "")
	fs.StringArray("allow-paths", nil, "")
	if err := fs.Parse([]string{"--identifiers-terms", "a,b", "--allow-paths", "docs/**", "--allow-paths", "*.md"}); err != nil {
		t.Fatal(err)
	}
	l, err := Load(LoadOptions{Getenv: testEnv(map[string]string{"HOME": t.TempDir()}), Environ: []string{}, Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Config.Identifiers.Terms, ","); got != "a,b" || l.Sources["identifiers.terms"] != "flag --identifiers-terms" {
		t.Errorf("terms %q from %q", got, l.Sources["identifiers.terms"])
	}
	if got := strings.Join(l.Config.Allow.Paths, ","); got != "docs/**,*.md" {
		t.Errorf("allow.paths %q", got)
	}
}
