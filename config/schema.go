package config

import (
	"time"

	"github.com/veil-dev/veil/redact"
)

// Config is the merged, decoded configuration: embedded defaults < user file
// < workspace files < VEIL_* env < flags. Field tags are the YAML keys.
// Packages do not read Config ad hoc: cmd/veil and lspproxy convert the
// sections into each package's own options (redact.Options, policy.Compile,
// localmodel.Options, audit.Options).
type Config struct {
	Model       Model       `koanf:"model"`
	Detect      Detect      `koanf:"detect"`
	Identifiers Identifiers `koanf:"identifiers"`
	// Rules are extra detection rules, same schema as the embedded ones
	// (redact/rules/*.yaml); redact validates them and names the bad id.
	Rules  []redact.RuleSpec `koanf:"rules"`
	Allow  Allow             `koanf:"allow"`
	Policy Policy            `koanf:"policy"`
	Audit  Audit             `koanf:"audit"`
	LSP    LSP               `koanf:"lsp"`
	Log    Log               `koanf:"log"`
	// Upstream is wrap mode's child server. User-only.
	Upstream Upstream `koanf:"upstream"`
}

// Model selects and tunes the local model. User-only: a workspace file may
// not change any of it.
type Model struct {
	Backend           string        `koanf:"backend"`     // "builtin" (default when no endpoint) | "openai"
	Endpoint          string        `koanf:"endpoint"`    // e.g. http://127.0.0.1:11434/v1
	Name              string        `koanf:"name"`        // model id sent to the server
	APIKeyEnv         string        `koanf:"api_key_env"` // NAME of an env var holding the key, never the key
	FIM               string        `koanf:"fim"`         // suffix | qwen | starcoder | codellama | deepseek
	MaxTokens         int           `koanf:"max_tokens"`
	Temperature       float64       `koanf:"temperature"`
	Timeout           time.Duration `koanf:"timeout"`
	FirstTokenTimeout time.Duration `koanf:"first_token_timeout"`
	// Pin lists allowed model ids; an entry "name@sha256:<digest>" also pins
	// the Ollama digest. Empty means "whatever model.name is", probed at start.
	Pin []string `koanf:"pin"`
}

// Detect switches detectors. Disabling is loosening: user file only.
type Detect struct {
	Secrets     bool     `koanf:"secrets"`
	PII         bool     `koanf:"pii"`
	Identifiers bool     `koanf:"identifiers"`
	Disable     []string `koanf:"disable"` // rule ids to turn off
	// PrivateIPs masks private-range IPv4/IPv6 addresses too (default off:
	// 10.x, 192.168.x, 127.x, fc00::/7 are left alone).
	PrivateIPs bool `koanf:"private_ips"`
	// MaxFileBytes is the size above which `veil scan` skips a file.
	MaxFileBytes int64 `koanf:"max_file_bytes"`
}

// Identifiers are proprietary names to mask.
type Identifiers struct {
	Terms    []string `koanf:"terms"`    // case-insensitive, also inside longer identifiers
	Patterns []string `koanf:"patterns"` // Go regexps
}

// Allow lists what is never masked. Adding to it is loosening: user file only.
type Allow struct {
	Regexes []string `koanf:"regexes"` // a finding whose value matches is dropped
	Paths   []string `koanf:"paths"`   // doublestar globs; files matching are not scanned
}

// Policy is the ordered rule list; first match wins. When no rule matches,
// the route is local (mask and send to the local model).
type Policy struct {
	// Defaults keeps the built-in deny list (rules 1..n) ahead of the user's
	// rules. Turning it off is loosening: user file only.
	Defaults bool         `koanf:"defaults"`
	Rules    []PolicyRule `koanf:"rules"`
	// Workspace holds the policy.rules of the workspace file (.veil.yaml),
	// kept apart from the user's Rules because that file is untrusted. The
	// loader fills it; it is never read from a `policy.workspace` key.
	// policy.Compile consults these rules only when the defaults and the
	// user rules route a request local, and only a block route takes effect
	// (a workspace file can turn local into block, never the reverse).
	Workspace []PolicyRule `koanf:"-"`
}

// PolicyRule matches when every non-empty condition matches.
type PolicyRule struct {
	Name        string   `koanf:"name"`
	Kinds       []string `koanf:"kinds"`      // inline | completion | chat
	Paths       []string `koanf:"paths"`      // doublestar globs, matched against the workspace-relative and absolute slash path
	Languages   []string `koanf:"languages"`  // LSP language ids
	Categories  []string `koanf:"categories"` // finding categories present
	RuleIDs     []string `koanf:"rule_ids"`   // finding rule ids present
	MinFindings int      `koanf:"min_findings"`
	Workspaces  []string `koanf:"workspaces"` // doublestar globs over the workspace root path
	Route       string   `koanf:"route"`      // local | block | upstream
	// Source names where the rule came from, for decision reasons:
	// "/home/u/.config/veil/veil.yaml rule 2", "workspace /repo/.veil.yaml
	// rule 1". The loader fills it; it is never read from a file.
	Source string `koanf:"-"`
}

// Audit configures the audit log. User-only.
type Audit struct {
	Enabled   bool   `koanf:"enabled"`
	Path      string `koanf:"path"` // JSON Lines file; rotated files get .1, .2, ...
	HashPaths bool   `koanf:"hash_paths"`
	MaxBytes  int64  `koanf:"max_bytes"` // rotate when the file would exceed this
}

// LSP tunes the language server.
type LSP struct {
	LatencyBudget time.Duration `koanf:"latency_budget"`  // answer empty after this
	MaxFrameBytes int           `koanf:"max_frame_bytes"` // larger frames are refused
	ContextBytes  int           `koanf:"context_bytes"`   // prefix+suffix budget around the cursor
	NeighborBytes int           `koanf:"neighbor_bytes"`  // budget for other open documents
	NeighborFiles int           `koanf:"neighbor_files"`
	Debounce      time.Duration `koanf:"debounce"` // coalesce rapid completion requests per document
	Diagnostics   bool          `koanf:"diagnostics"`
}

// Upstream names the AI language server `veil lsp --wrap` runs as its
// child when the command line names none. User-only: it decides what runs
// and what reaches the network.
type Upstream struct {
	// Command is the child and its arguments, e.g.
	// [copilot-language-server, --stdio].
	Command []string `koanf:"command"`
	// AllowVersion lets a child version veil was not tested with run: the
	// exact version, or "any".
	AllowVersion string `koanf:"allow_version"`
}

// Log configures logging for long-running commands.
type Log struct {
	Level string `koanf:"level"`
	File  string `koanf:"file"`
}
