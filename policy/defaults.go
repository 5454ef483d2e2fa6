package policy

import "github.com/veil-dev/veil/config"

// defaultDenyPaths returns the files no prompt may be built from, in the
// order they become "default policy rule 1..n". One rule per glob, so a
// decision's rule number says exactly which glob blocked it. New globs go at
// the end so the numbers users have seen stay put. Every block rule also
// catches a denied file's editor backups and swap files and its name with
// trailing dots or spaces (see undecorate).
func defaultDenyPaths() []string {
	return []string{
		"**/.env",
		"**/.env.*",
		"**/*.pem",
		"**/*.key",
		"**/*.p12",
		"**/*.pfx",
		"**/*.jks",
		"**/*.kdbx",
		"**/id_rsa*",
		"**/id_ed25519*",
		"**/.ssh/**",
		"**/secrets/**",
		"**/*.tfstate*",
		"**/.aws/credentials",
		"**/.npmrc",
		"**/.pypirc",
		"**/.netrc",
		"**/.git-credentials",
		"**/.kube/config",
		"**/kubeconfig*",
		"**/.docker/config.json",
		// The env-file family beyond .env and .env.*: prod.env, .env-local,
		// .env_prod, direnv's .envrc, env.production and its siblings (not env.ts or
		// env.go: code that reads the environment).
		"**/*.env",
		"**/.env-*",
		"**/.env_*",
		"**/.envrc",
		"**/env.{prod,production,dev,development,local,staging,stage,test,ci,secret,secrets}",
		// Credential stores of command-line clients.
		"**/.pgpass",
		"**/.my.cnf",
		// Shell and REPL histories (.bash_history, .zsh_history,
		// .python_history, .psql_history, .mysql_history,
		// .node_repl_history, .zhistory, ...): typed passwords end up there.
		"**/.*history",
		"**/*.tfvars*",
		"**/*.keystore",
		// Token and password files of command-line clients: Vault, GitHub
		// CLI, Docker (legacy), s3cmd, boto/gsutil, RubyGems, Cargo,
		// Terraform Cloud; Apache password hashes; Azure Functions' local
		// secrets.
		"**/.vault-token",
		"**/.config/gh/hosts.yml",
		"**/.dockercfg",
		"**/.s3cfg",
		"**/.boto",
		"**/.gem/credentials",
		"**/.cargo/credentials",
		"**/.cargo/credentials.toml",
		"**/.terraformrc",
		"**/credentials.tfrc.json",
		"**/.htpasswd",
		"**/local.settings.json",
	}
}

// privateKeyRuleIDs matches the redact rules that find private-key material;
// they all carry this prefix.
const privateKeyRuleIDs = "private-key*"

// DefaultRules returns the built-in deny list: one block rule per sensitive
// path glob, then a rule blocking any request whose findings include
// private-key material. Compile puts these ahead of the user's rules when
// config.Policy.Defaults is true. Each call returns a fresh slice.
func DefaultRules() []config.PolicyRule {
	paths := defaultDenyPaths()
	rules := make([]config.PolicyRule, 0, len(paths)+1)
	for _, g := range paths {
		rules = append(rules, config.PolicyRule{Paths: []string{g}, Route: string(Block)})
	}
	return append(rules, config.PolicyRule{
		Name:    "private-key material",
		RuleIDs: []string{privateKeyRuleIDs},
		Route:   string(Block),
	})
}
