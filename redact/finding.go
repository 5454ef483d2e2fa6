package redact

// Category says what kind of thing a finding is. Policy rules and audit
// records count findings by category.
type Category string

const (
	Secret     Category = "secret"
	PII        Category = "pii"
	Identifier Category = "identifier"
)

// Finding is one detected value. Start and End are byte offsets into the text
// that was scanned, End exclusive. A Finding never holds the value itself, so
// it is safe to log, audit and print; use Preview for a masked view.
type Finding struct {
	RuleID      string   // e.g. "github-pat-classic"; private-key rules start with "private-key"
	Category    Category // secret | pii | identifier
	Description string   // human name: "GitHub personal access token"
	Start, End  int      // byte span of the value in the scanned text
	Confidence  float64  // 0..1; validators (checksum, Luhn, mod-97) raise it
}

// RuleSpec is a detection rule as data: the embedded rules
// (redact/rules/*.yaml) and the config key `rules` share this shape.
type RuleSpec struct {
	ID          string   `yaml:"id" koanf:"id"`
	Description string   `yaml:"description" koanf:"description"`
	Category    Category `yaml:"category" koanf:"category"`
	// Keywords are lower-case literals; a rule's regex runs only in a window
	// around a keyword hit (the keyword prefilter). Rules without keywords
	// name a Trigger instead.
	Keywords []string `yaml:"keywords" koanf:"keywords"`
	// Trigger names a cheap byte-level trigger for a rule without keywords:
	// "at" (every '@'), "digits" (runs of 8+ digits), "ipv4" (digit '.'
	// digit), or "always" (the regex runs over the whole text: slow, meant
	// for small user rules). Empty when Keywords are given.
	Trigger string `yaml:"trigger" koanf:"trigger"`
	Regex   string `yaml:"regex" koanf:"regex"`
	// Window is how many bytes after a keyword hit the regex sees (default
	// 128, max 16384; it also sees 64 bytes before the hit, and the window
	// is widened to whole tokens, or to whole lines when the regex has ^ or
	// $). Raise it for values that start far from the keyword or span
	// lines, such as PEM blocks.
	Window int `yaml:"window" koanf:"window"`
	// SecretGroup is the capture group holding the value (0: whole match).
	SecretGroup int     `yaml:"secret_group" koanf:"secret_group"`
	Entropy     float64 `yaml:"entropy" koanf:"entropy"`     // minimum Shannon entropy (bits/char) of the value
	Validator   string  `yaml:"validator" koanf:"validator"` // named check, e.g. luhn, iban, github_crc32
	Confidence  float64 `yaml:"confidence" koanf:"confidence"`
	// Samples are run by the tests: every TP must be found by this rule,
	// no FP may be.
	TruePositives  []string `yaml:"tp" koanf:"tp"`
	FalsePositives []string `yaml:"fp" koanf:"fp"`
}
