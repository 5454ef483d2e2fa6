// Package redact detects secrets, PII and proprietary identifiers, masks them
// with reversible, syntax-safe tokens held in a per-session vault, and
// restores tokens in model output (whole or streamed).
//
// It is pure: text in, text and findings out. No I/O, no logging, no clock.
// A value never appears in an error, a String method or a panic.
//
// Detection: [NewDetector] validates the embedded provider rules
// (rules/*.yaml, shape [RuleSpec], validators listed at validatorByName;
// each regex is compiled at its first use, see rule.regexp), compiles the
// rules from configuration, and sets up the detectors written in Go: generic
// key = value secrets (generic-*), private key blocks (private-key-block),
// PII (pii-email, pii-phone, pii-card, pii-iban, pii-ssn, pii-ipv4,
// pii-ipv6), configured identifiers (identifier-term, identifier-pattern)
// and typing safety (typing-partial-secret). One keyword pass over the
// lower-cased text (a table indexed by each keyword's first bytes, see
// keywordIndex) finds every keyword hit; a rule's regex then runs only in a
// small window around its keyword hits; identifier terms are found by an
// Aho-Corasick automaton; the PII detectors run on cheap
// byte triggers ('@', digits, ':') and check structure and checksums in
// code.
//
// The generic detector (generic.go) reads a value the way the file's
// language family writes it (lexer.go: C-like, Python, Ruby, shell/env,
// YAML, TOML/INI/properties, JSON, XML/HTML, Lua, PHP, SQL, prose): the
// key's relation to its value (assignment, typed declaration, subscript,
// call argument, setter or builder call, ${KEY:-default}, a separate
// name/value field, prose such as "password is"), every string-literal kind,
// concatenation across lines and YAML block scalars. One decision
// (decide.go, credentialScore) says whether the value is a credential;
// placeholders are recognised by the whole value. cli.go reads passwords
// from command lines (mysql -pX, sshpass -p, curl -u user:X, ...).
// decode.go adds decoded views (base64 blobs, percent-encoding, \x \u \NNN
// escapes, HTML entities, invisible characters removed) with per-byte
// position maps, so findings in them map back to exact original spans.
//
// Typing safety does not depend on detection: [Detector.Unfinished]
// (typing.go, owner.go, syntax.go) masks the value being typed at a
// position by its structure — an unclosed string of any quote kind, the
// value after KEY= / key: in env-like lines, a CLI flag value, an open
// private key block — when its owner, its file or its shape says it could
// hold a credential; prose stays visible. `veil:allow` (allow.go) counts
// only in a trailing line comment of a language the syntax table knows.
//
// Masking: [Vault.Mask] replaces each finding with a token such as
// VEIL_GITHUB_PAT_CLASSIC_3_k9x (see token.go for the format), the same
// token for the same value for the vault's life; [Vault.Restore],
// [Vault.RestoreJSON] and [Vault.NewStream] put the values back and report
// tokens they do not know. [Vault.MaskDraft] masks into a reused [Scratch]
// for text needed only while a request is put together; [Draft.Text]
// copies out what is sent. Every value a vault masks becomes known
// (known.go, an index anchored on each value's first bytes, updated per
// value): [Vault.Known] finds them anywhere later and [Vault.Leak] is the
// leak guard's check.
//
// May import: no veil package.
package redact
