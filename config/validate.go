package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/veil-dev/veil/redact"
)

// Allowed values of the enumerated keys.
var (
	backends   = []string{"builtin", "openai"}
	fimModes   = []string{"suffix", "qwen", "starcoder", "codellama", "deepseek"}
	routes     = []string{"local", "block", "upstream"}
	kinds      = []string{"inline", "completion", "chat"}
	categories = []string{"secret", "pii", "identifier"}
	logLevels  = []string{"debug", "info", "warn", "error"}
)

// checkLeaf validates one value (a scalar, or one string of a list: path
// ends in "[]") and returns a message, or "" when it is fine. The message
// never quotes the value beyond a masked preview.
func checkLeaf(path string, v any) string {
	switch path {
	case "model.backend":
		return oneOf(v, backends)
	case "model.fim":
		return oneOf(v, fimModes)
	case "model.endpoint":
		return checkEndpoint(v.(string))
	case "model.api_key_env":
		return checkEnvName(v.(string))
	case "model.pin[]":
		return checkPin(v.(string))
	case "model.max_tokens":
		return intIn(v, 1, 1<<20)
	case "model.temperature":
		return floatIn(v, 0, 2)
	case "model.timeout", "model.first_token_timeout", "lsp.latency_budget":
		return durationIn(v, time.Millisecond, time.Hour)
	case "lsp.debounce":
		return durationIn(v, 0, 10*time.Second)
	case "detect.max_file_bytes", "lsp.context_bytes":
		return intIn(v, 1, 1<<40)
	case "lsp.max_frame_bytes":
		return intIn(v, 1024, 1<<31-1)
	case "lsp.neighbor_bytes", "lsp.neighbor_files", "audit.max_bytes", "policy.rules[].min_findings":
		return intIn(v, 0, 1<<40)
	case "rules[].secret_group":
		return intIn(v, 0, 100)
	case "rules[].entropy":
		return floatIn(v, 0, 8)
	case "rules[].confidence":
		return floatIn(v, 0, 1)
	case "identifiers.patterns[]", "allow.regexes[]", "rules[].regex":
		return checkRegex(v.(string))
	case "allow.paths[]", "policy.rules[].paths[]", "policy.rules[].workspaces[]":
		return checkGlob(v.(string))
	case "policy.rules[].route":
		return oneOf(v, routes)
	case "policy.rules[].kinds[]":
		return oneOf(v, kinds)
	case "policy.rules[].categories[]", "rules[].category":
		return oneOf(v, categories)
	case "log.level":
		return oneOf(v, logLevels)
	case "rules[].validator":
		return oneOf(v, redact.ValidatorNames())
	case "identifiers.terms[]", "detect.disable[]", "policy.rules[].languages[]",
		"policy.rules[].rule_ids[]", "rules[].id":
		if strings.TrimSpace(v.(string)) == "" {
			return "must not be empty"
		}
	case "rules[].keywords[]":
		s := v.(string)
		if s == "" {
			return "must not be empty"
		}
		if strings.ToLower(s) != s {
			return "keywords are matched lower-case: write it in lower case"
		}
	}
	return ""
}

// checkElement validates a whole list element whose keys were fine on
// their own; key names the offending key inside the element.
func checkElement(listPath string, m map[string]any, workspace bool) (msg, key string) {
	switch listPath {
	case "rules":
		id, _ := m["id"].(string)
		if id == "" {
			return "a rule needs an id", "id"
		}
		re, _ := m["regex"].(string)
		if re == "" {
			return "a rule needs a regex", "regex"
		}
		if _, ok := m["category"]; !ok {
			return "a rule needs a category (one of " + strings.Join(categories, ", ") + ")", "category"
		}
		if g, ok := m["secret_group"].(int64); ok {
			if n := regexp.MustCompile(re).NumSubexp(); int(g) > n { // compiled before: checkLeaf
				return fmt.Sprintf("secret_group %d but the regex has %d groups", g, n), "secret_group"
			}
		}
	case "policy.rules":
		r, _ := m["route"].(string)
		if r == "" {
			return "a policy rule needs a route (one of " + strings.Join(routes, ", ") + ")", "route"
		}
		if workspace && r != "block" {
			return fmt.Sprintf("key route is not allowed to be %s in a workspace file: it would loosen policy (only block is)", r), "route"
		}
	}
	return "", ""
}

// workspaceDenied says why a workspace file may not set the key at schema
// path (a leaf or a list), or "" when it may. The accepted keys can only
// tighten: they add masking or blocking. Bool keys let through here accept
// only true (see fileParser.value).
func workspaceDenied(path string) string {
	switch path {
	case "identifiers.terms", "identifiers.patterns", "rules", "policy.rules",
		"detect.secrets", "detect.pii", "detect.identifiers", "detect.private_ips", "policy.defaults":
		return ""
	case "detect.disable":
		return "it would disable detectors"
	case "detect.max_file_bytes":
		return "it would change which files are scanned (user-only)"
	}
	section, _, _ := strings.Cut(path, ".")
	switch section {
	case "allow":
		return "it would loosen policy"
	case "model":
		return "it would change where text is sent (user-only)"
	case "audit":
		return "audit settings are user-only"
	case "lsp", "log":
		return section + " settings are user-only"
	}
	return "it is user-only"
}

func oneOf(v any, allowed []string) string {
	s, _ := v.(string)
	for _, a := range allowed {
		if s == a {
			return ""
		}
	}
	return fmt.Sprintf("want one of %s, got %s", strings.Join(allowed, ", "), preview(s))
}

func intIn(v any, lo, hi int64) string {
	n, _ := v.(int64)
	if n < lo || n > hi {
		return fmt.Sprintf("want an integer from %d to %d, got %d", lo, hi, n)
	}
	return ""
}

func floatIn(v any, lo, hi float64) string {
	x, _ := v.(float64)
	if x < lo || x > hi {
		return fmt.Sprintf("want a number from %g to %g, got %g", lo, hi, x)
	}
	return ""
}

func durationIn(v any, lo, hi time.Duration) string {
	d, _ := v.(time.Duration)
	if d < lo || d > hi {
		return fmt.Sprintf("want a duration from %v to %v, got %v", lo, hi, d)
	}
	return ""
}

// checkRegex compiles s with Go's regexp (RE2: linear time). The message
// keeps only the error code, not the fragment of the pattern that
// regexp/syntax would quote.
func checkRegex(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if _, err := regexp.Compile(s); err != nil {
		if se, ok := err.(*syntax.Error); ok {
			return "invalid regular expression: " + string(se.Code) + " in " + preview(s)
		}
		return "invalid regular expression " + preview(s)
	}
	return ""
}

func checkGlob(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if !doublestar.ValidatePattern(s) {
		return "invalid glob (doublestar syntax: *, **, ?, [a-z], {a,b}): " + preview(s)
	}
	return ""
}

// envNameRE is the conventional shape of an environment variable name.
// Upper case only: API keys are mostly mixed-case, so a pasted key fails.
var envNameRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// checkEnvName guards against the commonest mistake with api_key_env:
// pasting the key itself.
func checkEnvName(s string) string {
	if s == "" || envNameRE.MatchString(s) && len(s) <= 64 {
		return ""
	}
	return fmt.Sprintf("must be the NAME of an environment variable holding the key "+
		"(upper-case letters, digits, _), not the key (got a value of %d chars)", len(s))
}

func checkEndpoint(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "want an http:// or https:// URL, got " + preview(s)
	}
	if u.User != nil {
		return "must not carry credentials in the URL: use model.api_key_env"
	}
	return ""
}

// isLoopback reports whether an endpoint URL's host is this machine.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

var pinRE = regexp.MustCompile(`^[^@\s]+(@sha256:[0-9a-f]{64})?$`)

func checkPin(s string) string {
	if !pinRE.MatchString(s) {
		return "want a model id, or id@sha256:<64 hex digits>; got " + preview(s)
	}
	return ""
}
