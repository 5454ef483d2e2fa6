// Package config loads veil's layered configuration with koanf, validates
// it strictly, enforces that workspace files may only tighten, and watches
// the files for hot reload.
//
// # Layers
//
// Later layers win: the embedded defaults (defaults.yaml) < the user file
// (--config, else $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml) <
// each workspace root's .veil.yaml < VEIL_* environment variables < flags.
// Mappings merge key by key; a list from a later trusted layer replaces the
// earlier list. VEIL_MODEL_FIRST_TOKEN_TIMEOUT sets
// model.first_token_timeout (the key path upper-cased, dots as
// underscores); list values are comma-separated; lists of mappings (rules,
// policy.rules) can only come from files. A flag sets a key when BindFlag
// bound it or when its name is the key with dashes (--log-level).
//
// # Strict validation
//
// Files are parsed with the yaml.v3 node API against the schema (Config's
// koanf tags), so every problem names the file, the key path and the line:
// unknown keys, wrong types (YAML tags decide: `timeout: 10` is not a
// duration), out-of-range numbers, invalid regular expressions and
// doublestar globs, unknown routes, kinds, categories, backends and FIM
// modes. A Problem never quotes a configured value, only its type or a
// masked preview.
//
// # Workspace files are untrusted
//
// Anyone's repository can ship a .veil.yaml, so it may only tighten. It may
// set identifiers.terms and identifiers.patterns and add rules (appended to
// the user's lists; a rule may not reuse an id), add policy.rules whose
// route is block (kept apart in Policy.Workspace, which policy consults
// only where the user policy routes local, so a user block stays a block),
// and set detect.secrets, detect.pii, detect.identifiers,
// detect.private_ips or policy.defaults to true. Every other key (allow.*,
// model.*, audit.*, lsp.*, log.*, detect.disable, detect.max_file_bytes, a
// detector or policy.defaults set to false, a policy rule routed local or
// upstream) is rejected with a Problem naming it, and the rest of the file
// still applies. A workspace file that is not YAML at all fails the load.
//
// Which workspace files apply to a document is decided by Discover alone
// (each directory from the document's up to its repository root and the
// workspace roots above it), for `veil lsp` and `veil policy explain`.
//
// May import: redact (the rule shape, the built-in rule ids and validator
// names, DetectorOptions' target type, and a detector to run user rules'
// samples in Check).
package config
