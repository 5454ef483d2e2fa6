package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/redact"
)

const root = "/home/dev/proj"

func mustCompile(t testing.TB, p config.Policy) *Policy {
	t.Helper()
	c, err := Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func TestDefaultDenyList(t *testing.T) {
	// For every default glob (rule n): a path it must block, and a nearby
	// path it must not.
	cases := []struct {
		glob, block, allow string
	}{
		{"**/.env", root + "/.env", root + "/env.go"},
		{"**/.env.*", root + "/deploy/.env.production", root + "/envrc.go"},
		{"**/*.pem", root + "/certs/server.pem", root + "/pem.go"},
		{"**/*.key", root + "/tls/server.key", root + "/keys.go"},
		{"**/*.p12", root + "/client.p12", root + "/p12.md"},
		{"**/*.pfx", root + "/store/cert.pfx", root + "/pfx.txt"},
		{"**/*.jks", root + "/android/release.jks", root + "/jks/readme.md"},
		{"**/*.kdbx", root + "/vault.kdbx", root + "/kdbx.go"},
		{"**/id_rsa*", "/home/dev/.ssh-old/id_rsa.pub", root + "/my_id_rsa_test.go"},
		{"**/id_ed25519*", root + "/deploy/id_ed25519", root + "/ed25519.go"},
		{"**/.ssh/**", "/home/dev/.ssh/known_hosts", root + "/ssh/config.go"},
		{"**/secrets/**", root + "/k8s/secrets/db.yaml", root + "/secrets.go"},
		{"**/*.tfstate*", root + "/infra/terraform.tfstate.backup", root + "/infra/main.tf"},
		{"**/.aws/credentials", "/home/dev/.aws/credentials", "/home/dev/.aws/config"},
		{"**/.npmrc", root + "/.npmrc", root + "/npmrc.example"},
		{"**/.pypirc", "/home/dev/.pypirc", root + "/pypirc.md"},
		{"**/.netrc", "/home/dev/.netrc", root + "/netrc.go"},
		{"**/.git-credentials", "/home/dev/.git-credentials", root + "/.gitignore"},
		{"**/.kube/config", "/home/dev/.kube/config", "/home/dev/.kube/cache/x.json"},
		{"**/kubeconfig*", root + "/ops/kubeconfig-prod.yaml", root + "/ops/kube.yaml"},
		{"**/.docker/config.json", "/home/dev/.docker/config.json", root + "/docker/config.json"},
		{"**/*.env", root + "/deploy/prod.env", root + "/env/main.go"},
		{"**/.env-*", root + "/.env-local", root + "/env-local.md"},
		{"**/.env_*", root + "/.env_prod", root + "/env_prod.py"},
		{"**/.envrc", root + "/.envrc", root + "/envrc.sh"},
		{"**/env.{prod,production,dev,development,local,staging,stage,test,ci,secret,secrets}", root + "/config/env.production", root + "/config/env.ts"},
		{"**/.pgpass", "/home/dev/.pgpass", root + "/pgpass.go"},
		{"**/.my.cnf", "/home/dev/.my.cnf", root + "/my.cnf.md"},
		{"**/.*history", "/home/dev/.bash_history", root + "/history.go"},
		{"**/*.tfvars*", root + "/infra/prod.tfvars", root + "/infra/variables.tf"},
		{"**/*.keystore", root + "/android/release.keystore", root + "/keystore.kt"},
		{"**/.vault-token", "/home/dev/.vault-token", root + "/vault_token.go"},
		{"**/.config/gh/hosts.yml", "/home/dev/.config/gh/hosts.yml", "/home/dev/.config/gh/config.yml"},
		{"**/.dockercfg", "/home/dev/.dockercfg", root + "/dockercfg.md"},
		{"**/.s3cfg", "/home/dev/.s3cfg", root + "/s3cfg.go"},
		{"**/.boto", "/home/dev/.boto", root + "/boto.py"},
		{"**/.gem/credentials", "/home/dev/.gem/credentials", root + "/gem/credentials.rb"},
		{"**/.cargo/credentials", "/home/dev/.cargo/credentials", "/home/dev/.cargo/config"},
		{"**/.cargo/credentials.toml", "/home/dev/.cargo/credentials.toml", "/home/dev/.cargo/config.toml"},
		{"**/.terraformrc", "/home/dev/.terraformrc", root + "/terraformrc.md"},
		{"**/credentials.tfrc.json", "/home/dev/.terraform.d/credentials.tfrc.json", root + "/credentials.tf"},
		{"**/.htpasswd", root + "/web/.htpasswd", root + "/web/htpasswd.go"},
		{"**/local.settings.json", root + "/api/local.settings.json", root + "/api/settings.json"},
	}
	if got, want := len(cases)+1, len(DefaultRules()); got != want {
		t.Fatalf("test covers %d default rules, DefaultRules has %d", got, want)
	}
	p := mustCompile(t, config.Policy{Defaults: true})
	for i, c := range cases {
		n := i + 1
		if got := DefaultRules()[i].Paths[0]; got != c.glob {
			t.Fatalf("default rule %d is %q, test expects %q", n, got, c.glob)
		}
		t.Run(c.glob, func(t *testing.T) {
			d := p.Decide(Request{Kind: Inline, Path: c.block, WorkspaceRoot: root})
			wantRule := fmt.Sprintf("default policy rule %d", n)
			wantReason := fmt.Sprintf("blocked: path matches %s (%s)", c.glob, wantRule)
			if d.Route != Block || d.Rule != wantRule || d.Reason != wantReason {
				t.Errorf("%s: got %+v, want block by %q, reason %q", c.block, d, wantRule, wantReason)
			}
			d = p.Decide(Request{Kind: Inline, Path: c.allow, WorkspaceRoot: root})
			if d.Route != Local || d.Rule != noRule {
				t.Errorf("%s: got %+v, want local, no rule matched", c.allow, d)
			}
		})
	}
}

// TestDenyFamilies checks every name issue 11 lists, in upper case too,
// and the backups, swap files and trailing-dot names of denied files.
func TestDenyFamilies(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true})
	blocked := []string{
		".env", "prod.env", ".envrc", "env.production", ".env-local", ".env_prod", ".env~", ".env.swp",
		"#.env#", ".#.env", ".env.bak", ".env.orig", ".env.", ".env ", ".env. .", ".pgpass", ".my.cnf",
		".bash_history", ".zsh_history", ".python_history", ".psql_history", ".mysql_history",
		".node_repl_history", "prod.tfvars", "terraform.tfvars.json", "terraform.tfstate", "terraform.tfstate.backup",
		"release.jks", "release.keystore", "cert.p12", "cert.pfx", "db.kdbx", ".id_rsa.swp", "id_rsa~",
		"server.pem.bak", ".npmrc~", "deploy/secrets./db.yaml",
	}
	for _, name := range blocked {
		for _, n := range []string{name, strings.ToUpper(name)} {
			if d := p.Decide(Request{Kind: Chat, Path: root + "/" + n, WorkspaceRoot: root}); d.Route != Block {
				t.Errorf("%q: %+v, want block", n, d)
			}
		}
	}
	allowed := []string{"env.go", "env.ts", "config/env.js", "environment.py", "main.go~", "notes.bak", ".vimrc.swp",
		"history.go", "src/history.ts", "keystore.go", "backup.old", "app.envoy.yaml", "tfvars.md"}
	for _, n := range allowed {
		if d := p.Decide(Request{Kind: Chat, Path: root + "/" + n, WorkspaceRoot: root}); d.Route != Local {
			t.Errorf("%q: %+v, want local", n, d)
		}
	}
	// A user's local rule does not widen to backups: only blocks do.
	p = mustCompile(t, config.Policy{Rules: []config.PolicyRule{{Paths: []string{"**/notes.md"}, Route: "block"}}})
	if d := p.Decide(Request{Kind: Chat, Path: root + "/notes.md~", WorkspaceRoot: root}); d.Route != Block {
		t.Errorf("backup of a user-denied file: %+v, want block", d)
	}
}

func TestDefaultsExample(t *testing.T) {
	// The exact reason the issue names.
	p := mustCompile(t, config.Policy{Defaults: true})
	d := p.Decide(Request{Kind: Inline, Path: root + "/.env", WorkspaceRoot: root})
	if d.Reason != "blocked: path matches **/.env (default policy rule 1)" {
		t.Errorf("reason = %q", d.Reason)
	}
	d = p.Decide(Request{Kind: Chat, Path: root + "/main.go", WorkspaceRoot: root})
	if d != (Decision{Route: Local, Rule: "no rule matched", Reason: "local: findings masked (no rule matched)"}) {
		t.Errorf("clean file: %+v", d)
	}
}

func TestDefaultsOff(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: false})
	if d := p.Decide(Request{Kind: Inline, Path: root + "/.env", WorkspaceRoot: root}); d.Route != Local {
		t.Errorf("defaults off still blocks: %+v", d)
	}
}

func TestPathForms(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true, Rules: []config.PolicyRule{
		{Name: "rel", Paths: []string{"internal/vendor/**"}, Route: "block"},
	}})
	cases := []struct {
		name       string
		path, root string
		want       Route
	}{
		{"absolute only, no workspace", "/tmp/x/.env", "", Block},
		{"env at workspace root", root + "/.env", root, Block},
		{"upper case is the same file on macOS", root + "/Deploy/.ENV", root, Block},
		{"unclean path", root + "/a/../b/./.env", root, Block},
		{"relative glob matches workspace-relative path", root + "/internal/vendor/x.go", root, Block},
		{"relative glob does not match outside the workspace", "/other/internal/vendor/x.go", root, Local},
		{"workspace root with trailing slash", root + "/internal/vendor/x.go", root + "/", Block},
		{"sibling directory with root as prefix", root + "2/internal/vendor/x.go", root, Local},
		{"untitled document", "", root, Local},
		{"root workspace", "/internal/vendor/x.go", "/", Block},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := p.Decide(Request{Kind: Inline, Path: c.path, WorkspaceRoot: c.root})
			if d.Route != c.want {
				t.Errorf("Decide(%q in %q) = %+v, want %s", c.path, c.root, d, c.want)
			}
		})
	}
}

func finding(id string, cat redact.Category) redact.Finding {
	return redact.Finding{RuleID: id, Category: cat, Start: 0, End: 10}
}

func TestPrivateKeyFindings(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true})
	n := len(DefaultRules())
	for _, id := range []string{"private-key", "private-key-rsa", "private-key-openssh"} {
		d := p.Decide(Request{Kind: Completion, Path: root + "/main.go", WorkspaceRoot: root,
			Findings: []redact.Finding{finding("github-pat-classic", redact.Secret), finding(id, redact.Secret)}})
		wantRule := fmt.Sprintf("default policy rule %d (private-key material)", n)
		want := "blocked: finding " + id + " matches private-key* (" + wantRule + ")"
		if d.Route != Block || d.Rule != wantRule || d.Reason != want {
			t.Errorf("%s: got %+v, want reason %q", id, d, want)
		}
	}
	for _, id := range []string{"privatekey", "aws-private-key-id", "pgp-key"} {
		d := p.Decide(Request{Kind: Completion, Path: root + "/main.go", WorkspaceRoot: root,
			Findings: []redact.Finding{finding(id, redact.Secret)}})
		if d.Route != Local {
			t.Errorf("%s: got %+v, want local", id, d)
		}
	}
}

func TestConditions(t *testing.T) {
	base := Request{Kind: Inline, Path: root + "/src/app.py", WorkspaceRoot: root, LanguageID: "python"}
	with := func(f func(*Request)) Request { r := base; f(&r); return r }
	cases := []struct {
		name   string
		rule   config.PolicyRule
		match  Request
		miss   Request
		reason string
	}{
		{
			name:   "kinds",
			rule:   config.PolicyRule{Kinds: []string{"chat", "completion"}},
			match:  with(func(r *Request) { r.Kind = Chat }),
			miss:   base,
			reason: "kind chat",
		},
		{
			name:   "paths relative",
			rule:   config.PolicyRule{Paths: []string{"src/*.py"}},
			match:  base,
			miss:   with(func(r *Request) { r.Path = root + "/src/sub/app.py" }),
			reason: "path matches src/*.py",
		},
		{
			name:   "paths absolute",
			rule:   config.PolicyRule{Paths: []string{"/home/dev/**/app.py"}},
			match:  base,
			miss:   with(func(r *Request) { r.Path = "/srv/proj/src/app.py"; r.WorkspaceRoot = "/srv/proj" }),
			reason: "path matches /home/dev/**/app.py",
		},
		{
			name:   "languages",
			rule:   config.PolicyRule{Languages: []string{"go", "Python"}},
			match:  base,
			miss:   with(func(r *Request) { r.LanguageID = "rust" }),
			reason: "language Python",
		},
		{
			name:   "categories",
			rule:   config.PolicyRule{Categories: []string{"pii"}},
			match:  with(func(r *Request) { r.Findings = []redact.Finding{finding("email", redact.PII)} }),
			miss:   with(func(r *Request) { r.Findings = []redact.Finding{finding("aws-access-key", redact.Secret)} }),
			reason: "finding email (pii)",
		},
		{
			name:   "rule_ids glob",
			rule:   config.PolicyRule{RuleIDs: []string{"aws-*"}},
			match:  with(func(r *Request) { r.Findings = []redact.Finding{finding("aws-access-key", redact.Secret)} }),
			miss:   with(func(r *Request) { r.Findings = []redact.Finding{finding("gcp-api-key", redact.Secret)} }),
			reason: "finding aws-access-key matches aws-*",
		},
		{
			name: "min_findings counts all findings",
			rule: config.PolicyRule{MinFindings: 2},
			match: with(func(r *Request) {
				r.Findings = []redact.Finding{finding("email", redact.PII), finding("iban", redact.PII)}
			}),
			miss:   with(func(r *Request) { r.Findings = []redact.Finding{finding("email", redact.PII)} }),
			reason: "2 findings (min 2)",
		},
		{
			name: "min_findings counts only filtered findings",
			rule: config.PolicyRule{Categories: []string{"secret"}, MinFindings: 2},
			match: with(func(r *Request) {
				r.Findings = []redact.Finding{finding("a", redact.Secret), finding("e", redact.PII), finding("b", redact.Secret)}
			}),
			miss: with(func(r *Request) {
				r.Findings = []redact.Finding{finding("a", redact.Secret), finding("e", redact.PII), finding("f", redact.PII)}
			}),
			reason: "finding a (secret), 2 findings (min 2)",
		},
		{
			name:   "workspaces",
			rule:   config.PolicyRule{Workspaces: []string{"/home/*/proj"}},
			match:  base,
			miss:   with(func(r *Request) { r.WorkspaceRoot = "/home/dev/other"; r.Path = "/home/dev/other/app.py" }),
			reason: "workspace matches /home/*/proj",
		},
		{
			name:   "no workspace never matches workspaces",
			rule:   config.PolicyRule{Workspaces: []string{"**"}},
			match:  base,
			miss:   with(func(r *Request) { r.WorkspaceRoot = "" }),
			reason: "workspace matches **",
		},
		{
			name:   "all conditions must match",
			rule:   config.PolicyRule{Kinds: []string{"inline"}, Paths: []string{"**/*.py"}, Languages: []string{"python"}},
			match:  base,
			miss:   with(func(r *Request) { r.LanguageID = "cython" }),
			reason: "kind inline, path matches **/*.py, language python",
		},
		{
			name:   "no conditions matches everything",
			rule:   config.PolicyRule{},
			match:  base,
			reason: "every request",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.rule
			r.Name, r.Route = "t", "block"
			p := mustCompile(t, config.Policy{Rules: []config.PolicyRule{r}})
			d := p.Decide(c.match)
			want := Decision{Route: Block, Rule: "user policy rule 1 (t)", Reason: "blocked: " + c.reason + " (user policy rule 1 (t))"}
			if d != want {
				t.Errorf("match: got %+v\nwant %+v", d, want)
			}
			if c.miss.Kind == "" {
				return
			}
			if d := p.Decide(c.miss); d.Route != Local || d.Rule != noRule {
				t.Errorf("miss: got %+v, want no rule matched", d)
			}
		})
	}
}

// A tally (Weights) decides exactly as the findings it stands for: the
// same route, rule and reason, counts included, for rules on categories,
// rule ids and minimum counts.
func TestTallyDecidesAsFindings(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true, Rules: []config.PolicyRule{
		{Name: "many emails", Categories: []string{"pii"}, MinFindings: 3, Route: "block"},
		{Name: "aws", RuleIDs: []string{"aws-*"}, MinFindings: 2, Route: "block"},
	}})
	at := func(id string, cat redact.Category, start int) redact.Finding {
		f := finding(id, cat)
		f.Start, f.End = start, start+10
		return f
	}
	for _, tc := range []struct {
		name  string
		all   []redact.Finding
		tally []redact.Finding
		w     []int
	}{
		{"below every minimum", []redact.Finding{at("email", redact.PII, 5), at("aws-access-key", redact.Secret, 40), at("email", redact.PII, 90)},
			[]redact.Finding{at("email", redact.PII, 5), at("aws-access-key", redact.Secret, 40)}, []int{2, 1}},
		{"pii reaches its minimum", []redact.Finding{at("email", redact.PII, 5), at("phone", redact.PII, 20), at("email", redact.PII, 90)},
			[]redact.Finding{at("email", redact.PII, 5), at("phone", redact.PII, 20)}, []int{2, 1}},
		{"aws counted over two rule ids", []redact.Finding{at("aws-secret-key", redact.Secret, 1), at("aws-access-key", redact.Secret, 50)},
			[]redact.Finding{at("aws-secret-key", redact.Secret, 1), at("aws-access-key", redact.Secret, 50)}, []int{1, 1}},
		{"a private key among many", append(slices.Repeat([]redact.Finding{at("email", redact.PII, 3)}, 1), at("private-key", redact.Secret, 70), at("aws-access-key", redact.Secret, 80), at("aws-access-key", redact.Secret, 95)),
			[]redact.Finding{at("email", redact.PII, 3), at("private-key", redact.Secret, 70), at("aws-access-key", redact.Secret, 80)}, []int{1, 1, 2}},
	} {
		base := Request{Kind: Inline, Path: root + "/src/app.py", WorkspaceRoot: root}
		all, tally := base, base
		all.Findings = tc.all
		tally.Findings, tally.Weights = tc.tally, tc.w
		if a, b := p.Decide(all), p.Decide(tally); a != b {
			t.Errorf("%s: findings decide %+v, tally %+v", tc.name, a, b)
		}
	}
}

func TestFirstMatchWins(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true, Rules: []config.PolicyRule{
		{Name: "docs local", Paths: []string{"docs/**"}, Route: "local"},
		{Name: "md block", Paths: []string{"**/*.md"}, Route: "block"},
		{Paths: []string{"**/*.md"}, Route: "upstream"},
	}})
	cases := []struct {
		path string
		want Decision
	}{
		// A user rule cannot reach what a default rule decided first.
		{root + "/docs/.env", Decision{Block, "default policy rule 1", "blocked: path matches **/.env (default policy rule 1)", ""}},
		{root + "/docs/guide.md", Decision{Local, "user policy rule 1 (docs local)",
			"local: findings masked, path matches docs/** (user policy rule 1 (docs local))", ""}},
		{root + "/README.md", Decision{Block, "user policy rule 2 (md block)", "blocked: path matches **/*.md (user policy rule 2 (md block))", ""}},
	}
	for _, c := range cases {
		if d := p.Decide(Request{Kind: Inline, Path: c.path, WorkspaceRoot: root}); d != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.path, d, c.want)
		}
	}
}

func TestUpstreamNeedsWrapMode(t *testing.T) {
	p := mustCompile(t, config.Policy{Rules: []config.PolicyRule{
		{Name: "to cloud", Kinds: []string{"chat"}, Route: "upstream"},
	}})
	d := p.Decide(Request{Kind: Chat, Path: root + "/a.go", WorkspaceRoot: root})
	want := Decision{Route: Block, Rule: "user policy rule 1 (to cloud)",
		Reason: "blocked: route upstream needs wrap mode, veil lsp --wrap (kind chat, user policy rule 1 (to cloud))"}
	if d != want {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
}

func TestWrappedRoutes(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true, Rules: []config.PolicyRule{
		{Name: "to cloud", Kinds: []string{"chat"}, Route: "upstream"},
		{Name: "keys stay", Categories: []string{"secret"}, Route: "local"},
	}, Workspace: []config.PolicyRule{{Paths: []string{"vendor/**"}, Route: "block"}}})
	secret := []redact.Finding{{RuleID: "github-pat-classic", Category: redact.Secret, Start: 0, End: 40}}
	cases := []struct {
		name string
		req  Request
		want Route
		why  string
	}{
		{"no findings, no rule", Request{Kind: Inline, Path: root + "/a.go"}, Upstream, "upstream: findings masked at veil's boundary (no rule matched)"},
		{"rule routes upstream", Request{Kind: Chat, Path: root + "/a.go"}, Upstream, "upstream: findings masked at veil's boundary, kind chat (user policy rule 1 (to cloud))"},
		{"user says local", Request{Kind: Inline, Path: root + "/a.go", Findings: secret}, Local, ""},
		{"default deny list", Request{Kind: Inline, Path: root + "/.env"}, Block, ""},
		{"workspace tightens", Request{Kind: Inline, Path: root + "/vendor/x.go"}, Block, ""},
	}
	for _, c := range cases {
		c.req.WorkspaceRoot, c.req.Wrapped = root, true
		d := p.Decide(c.req)
		if d.Route != c.want || (c.why != "" && d.Reason != c.why) {
			t.Errorf("%s: got %+v, want route %s %q", c.name, d, c.want, c.why)
		}
	}
}

func TestWorkspaceTightenOnly(t *testing.T) {
	p := mustCompile(t, config.Policy{
		Defaults: true,
		Rules: []config.PolicyRule{
			{Name: "generated ok", Paths: []string{"gen/**"}, Route: "local"},
			{Name: "no chat on vendor", Kinds: []string{"chat"}, Paths: []string{"vendor/**"}, Route: "block"},
		},
		Workspace: []config.PolicyRule{
			{Name: "vendor is fine", Paths: []string{"vendor/**"}, Route: "local"},                  // cannot loosen
			{Name: "zephyrine internals", Paths: []string{"gen/**", "internal/**"}, Route: "block"}, // may tighten; its name stays out
		},
	})
	cases := []struct {
		kind Kind
		path string
		want Decision
	}{
		{Chat, "vendor/x.go", Decision{Block, "user policy rule 2 (no chat on vendor)",
			"blocked: kind chat, path matches vendor/** (user policy rule 2 (no chat on vendor))", ""}},
		{Inline, ".env", Decision{Block, "default policy rule 1", "blocked: path matches **/.env (default policy rule 1)", ""}},
		// The workspace turns a user "local" into block.
		{Inline, "gen/api.go", Decision{Block, "workspace policy rule 2", "blocked: path matches gen/** (workspace policy rule 2)", ""}},
		{Inline, "internal/a.go", Decision{Block, "workspace policy rule 2", "blocked: path matches internal/** (workspace policy rule 2)", ""}},
		// A matching workspace local rule keeps the earlier outcome.
		{Inline, "vendor/x.go", Decision{Local, noRule, "local: findings masked (no rule matched)", ""}},
	}
	for _, c := range cases {
		if d := p.Decide(Request{Kind: c.kind, Path: root + "/" + c.path, WorkspaceRoot: root}); d != c.want {
			t.Errorf("%s %s:\n got %+v\nwant %+v", c.kind, c.path, d, c.want)
		}
	}
	_, err := Compile(config.Policy{Workspace: []config.PolicyRule{{Route: "upstream"}}})
	if err == nil || !strings.Contains(err.Error(), "workspace policy rule 1: route: upstream is not allowed") {
		t.Errorf("workspace upstream: err = %v", err)
	}
}

func TestDecisionSource(t *testing.T) {
	p := mustCompile(t, config.Policy{
		Defaults:  true,
		Rules:     []config.PolicyRule{{Name: "md", Paths: []string{"**/*.md"}, Route: "block", Source: "/home/dev/.config/veil/veil.yaml rule 1"}},
		Workspace: []config.PolicyRule{{Paths: []string{"gen/**"}, Route: "block", Source: "workspace /home/dev/proj/.veil.yaml rule 1"}},
	})
	cases := []struct{ path, reason, source string }{
		{"a.md", "blocked: path matches **/*.md (user policy rule 1 (md))", "/home/dev/.config/veil/veil.yaml rule 1"},
		{"gen/x.go", "blocked: path matches gen/** (workspace policy rule 1)", "workspace /home/dev/proj/.veil.yaml rule 1"},
		{".env", "blocked: path matches **/.env (default policy rule 1)", ""},
		{"x.go", "local: findings masked (no rule matched)", ""},
	}
	for _, c := range cases {
		d := p.Decide(Request{Kind: Inline, Path: root + "/" + c.path, WorkspaceRoot: root})
		if d.Reason != c.reason || d.Source != c.source {
			t.Errorf("%s: reason %q source %q\nwant %q source %q", c.path, d.Reason, d.Source, c.reason, c.source)
		}
		if strings.Contains(d.Reason, "/home/dev") {
			t.Errorf("%s: reason names a path: %q", c.path, d.Reason)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		rule config.PolicyRule
		want string
	}{
		{config.PolicyRule{Name: "x"}, "user policy rule 2 (x): route: missing"},
		{config.PolicyRule{Route: "cloud"}, `user policy rule 2: route: "cloud" is not local, block or upstream`},
		{config.PolicyRule{Route: "block", Kinds: []string{"hover"}}, `user policy rule 2: kinds: "hover" is not inline, completion or chat`},
		{config.PolicyRule{Route: "block", Paths: []string{"a/[b"}}, `user policy rule 2: paths: invalid glob "a/[b"`},
		{config.PolicyRule{Route: "block", Paths: []string{""}}, `user policy rule 2: paths: invalid glob ""`},
		{config.PolicyRule{Route: "block", Workspaces: []string{"{a,b"}}, `user policy rule 2: workspaces: invalid glob "{a,b"`},
		{config.PolicyRule{Route: "block", Categories: []string{"secrets"}}, `user policy rule 2: categories: "secrets" is not secret, pii or identifier`},
		{config.PolicyRule{Route: "block", RuleIDs: []string{"aws-[x"}}, `user policy rule 2: rule_ids: invalid pattern "aws-[x"`},
		{config.PolicyRule{Route: "block", MinFindings: -1}, "user policy rule 2: min_findings: -1 is negative"},
		{config.PolicyRule{Route: "block", Languages: []string{""}}, "user policy rule 2: languages: empty language id"},
	}
	for _, c := range cases {
		_, err := Compile(config.Policy{Defaults: true, Rules: []config.PolicyRule{{Route: "local"}, c.rule}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%+v) error = %v, want %q", c.rule, err, c.want)
		}
	}
	// Every bad rule is named, not only the first.
	_, err := Compile(config.Policy{Rules: []config.PolicyRule{{Route: "x"}, {Route: "block"}, {Route: "y"}}})
	if err == nil || !strings.Contains(err.Error(), "user policy rule 1") || !strings.Contains(err.Error(), "user policy rule 3") {
		t.Errorf("error should name rules 1 and 3: %v", err)
	}
}

func TestDefaultRulesFresh(t *testing.T) {
	a := DefaultRules()
	a[0].Paths[0] = "changed"
	a[0].Route = "local"
	if b := DefaultRules(); b[0].Paths[0] != "**/.env" || b[0].Route != "block" {
		t.Errorf("DefaultRules shares state between calls: %+v", b[0])
	}
}

// BenchmarkDecide is the per-keystroke cost: defaults on, a few user rules,
// a path that matches nothing (the common, worst case: every rule tried).
func BenchmarkDecide(b *testing.B) {
	p := mustCompile(b, config.Policy{Defaults: true, Rules: []config.PolicyRule{
		{Name: "vendor", Paths: []string{"vendor/**", "third_party/**"}, Route: "block"},
		{Name: "chat pii", Kinds: []string{"chat"}, Categories: []string{"pii"}, MinFindings: 3, Route: "block"},
		{Name: "docs", Paths: []string{"docs/**"}, Languages: []string{"markdown"}, Route: "local"},
	}})
	r := Request{Kind: Inline, Path: root + "/internal/server/handler.go", WorkspaceRoot: root, LanguageID: "go",
		Findings: []redact.Finding{finding("github-pat-classic", redact.Secret), finding("email", redact.PII), finding("ident", redact.Identifier)}}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(r); d.Route != Local {
			b.Fatal(d)
		}
	}
}

func BenchmarkDecideBlocked(b *testing.B) {
	p := mustCompile(b, config.Policy{Defaults: true})
	r := Request{Kind: Inline, Path: root + "/config/.env.local", WorkspaceRoot: root, LanguageID: "dotenv"}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(r); d.Route != Block {
			b.Fatal(d)
		}
	}
}
