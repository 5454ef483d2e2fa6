package redact

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	resyntax "regexp/syntax"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// builtinRules holds the provider rules as data. Each file is a YAML list
// of RuleSpec.
//
//go:embed rules/*.yaml
var builtinRules embed.FS

const (
	// windowBefore is how far before a keyword hit a rule's regex looks:
	// keywords are near the start of what they find (a prefix such as ghp_
	// or a key name before its value).
	windowBefore  = 64
	defaultWindow = 128
	maxWindow     = 16384
	maxKeywordLen = 64
)

// Known triggers for rules without keywords.
const (
	triggerAt     = "at"
	triggerDigits = "digits"
	triggerIPv4   = "ipv4"
	triggerAlways = "always"
)

// rule is a validated RuleSpec. Its regex is compiled on first use (see
// regexp): a file triggers the keywords of a handful of the ~330 built-in
// rules, and compiled programs that are never run would only be heap the
// collector marks on every cycle (~2 MB for all of them).
type rule struct {
	spec     RuleSpec // without its samples
	validate validator
	window   int
	anchored bool // the regex has ^ or $: its window is whole lines

	// compileOnce guards re: nil until regexp's first call, unless
	// compileRule compiled it eagerly; never changed after that.
	compileOnce sync.Once
	re          *regexp.Regexp
}

// regexp returns the rule's compiled regex, compiling it on the first call;
// safe for concurrent scans. Compiling cannot fail: compileRule parsed the
// regex with the flags regexp.Compile uses (syntax.Perl), and that parse is
// the only step of regexp.Compile that returns an error.
func (r *rule) regexp() *regexp.Regexp {
	r.compileOnce.Do(func() {
		if r.re == nil {
			r.re = regexp.MustCompile(r.spec.Regex)
		}
	})
	return r.re
}

// BuiltinRules returns the embedded provider rules as data (a copy).
func BuiltinRules() ([]RuleSpec, error) {
	return loadEmbedded(builtinRules)
}

func loadEmbedded(fsys fs.FS) ([]RuleSpec, error) {
	names, err := fs.Glob(fsys, "rules/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("redact: listing rules: %w", err)
	}
	sort.Strings(names)
	var all []RuleSpec
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("redact: reading %s: %w", name, err)
		}
		var specs []RuleSpec
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&specs); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("redact: parsing %s: %w", path.Base(name), err)
		}
		all = append(all, specs...)
	}
	return all, nil
}

// compileRule validates spec; the error names the rule id. With eager the
// regex is compiled now (rules from configuration: never MustCompile on user
// input, even validated), otherwise on first use (the built-in rules).
func compileRule(spec RuleSpec, eager bool) (*rule, error) {
	id := spec.ID
	if id == "" {
		return nil, fmt.Errorf("redact: rule with regex %q: missing id", preview(spec.Regex, 24))
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("redact: rule %q: %s", id, fmt.Sprintf(format, a...))
	}
	switch spec.Category {
	case Secret, PII, Identifier:
	default:
		return nil, bad("unknown category %q (want secret, pii or identifier)", spec.Category)
	}
	if spec.Regex == "" {
		return nil, bad("missing regex")
	}
	// syntax.Parse with syntax.Perl is regexp.Compile's own first step: the
	// same *syntax.Error, and MaxCap is what NumSubexp reports.
	parsed, err := resyntax.Parse(spec.Regex, resyntax.Perl)
	if err != nil {
		return nil, bad("regex does not compile: %v", err)
	}
	if groups := parsed.MaxCap(); spec.SecretGroup < 0 || spec.SecretGroup > groups {
		return nil, bad("secret_group %d but the regex has %d groups", spec.SecretGroup, groups)
	}
	if len(spec.Keywords) == 0 {
		switch spec.Trigger {
		case triggerAt, triggerDigits, triggerIPv4, triggerAlways:
		case "":
			return nil, bad("no keywords and no trigger")
		default:
			return nil, bad("unknown trigger %q (want at, digits, ipv4 or always)", spec.Trigger)
		}
	} else if spec.Trigger != "" {
		return nil, bad("has both keywords and trigger %q", spec.Trigger)
	}
	for _, k := range spec.Keywords {
		switch {
		case k == "":
			return nil, bad("empty keyword")
		case k != strings.ToLower(k):
			return nil, bad("keyword %q is not lower-case", k)
		case len(k) > maxKeywordLen:
			return nil, bad("keyword %q is longer than %d bytes", k, maxKeywordLen)
		}
	}
	v, ok := validatorByName(spec.Validator)
	if !ok {
		return nil, bad("unknown validator %q (known: %s)", spec.Validator, strings.Join(ValidatorNames(), ", "))
	}
	if spec.Confidence < 0 || spec.Confidence > 1 {
		return nil, bad("confidence %v outside 0..1", spec.Confidence)
	}
	if spec.Entropy < 0 || spec.Entropy > 8 {
		return nil, bad("entropy %v outside 0..8", spec.Entropy)
	}
	if spec.Window < 0 || spec.Window > maxWindow {
		return nil, bad("window %d outside 0..%d", spec.Window, maxWindow)
	}
	w := spec.Window
	if w == 0 {
		w = defaultWindow
	}
	if spec.Confidence == 0 {
		spec.Confidence = 0.8
	}
	r := &rule{validate: v, window: w, anchored: strings.ContainsAny(spec.Regex, "^$")}
	if eager {
		if r.re, err = regexp.Compile(spec.Regex); err != nil {
			return nil, bad("regex does not compile: %v", err)
		}
	}
	spec.TruePositives, spec.FalsePositives = nil, nil // checked by then; a scan never reads them
	r.spec = spec
	return r, nil
}

// checkSamples requires the builtin rules to carry samples: at least one
// true positive each. Rules from config may omit them.
func checkSamples(spec RuleSpec) error {
	if len(spec.TruePositives) == 0 {
		return fmt.Errorf("redact: rule %q: no true-positive samples (tp)", spec.ID)
	}
	return nil
}

// preview returns at most n bytes of s followed by an ellipsis; for rule
// sources, never for values.
func preview(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
