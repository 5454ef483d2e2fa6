package policy

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/redact"
)

// rule is a validated config.PolicyRule. Globs are lower-cased: paths match
// case-insensitively, because on macOS and Windows `.ENV` is the same file as
// `.env` and a deny list must not be dodged by case.
type rule struct {
	label       string
	source      string // the config file and rule number, from config.PolicyRule.Source
	route       Route
	kinds       []Kind
	paths       []glob
	languages   []string
	categories  []redact.Category
	ruleIDs     []string // path.Match patterns
	minFindings int
	workspaces  []glob
}

func compileRule(r config.PolicyRule, label string) (rule, error) {
	c := rule{label: label, source: r.Source, route: Route(r.Route), languages: slices.Clone(r.Languages), ruleIDs: slices.Clone(r.RuleIDs), minFindings: r.MinFindings}
	switch c.route {
	case Local, Block, Upstream:
	case "":
		return rule{}, fmt.Errorf("%s: route: missing (want local, block or upstream)", label)
	default:
		return rule{}, fmt.Errorf("%s: route: %q is not local, block or upstream", label, r.Route)
	}
	for _, k := range r.Kinds {
		switch Kind(k) {
		case Inline, Completion, Chat:
			c.kinds = append(c.kinds, Kind(k))
		default:
			return rule{}, fmt.Errorf("%s: kinds: %q is not inline, completion or chat", label, k)
		}
	}
	var err error
	if c.paths, err = globs(r.Paths); err != nil {
		return rule{}, fmt.Errorf("%s: paths: %w", label, err)
	}
	if c.workspaces, err = globs(r.Workspaces); err != nil {
		return rule{}, fmt.Errorf("%s: workspaces: %w", label, err)
	}
	for _, l := range r.Languages {
		if l == "" {
			return rule{}, fmt.Errorf("%s: languages: empty language id", label)
		}
	}
	for _, cat := range r.Categories {
		switch redact.Category(cat) {
		case redact.Secret, redact.PII, redact.Identifier:
			c.categories = append(c.categories, redact.Category(cat))
		default:
			return rule{}, fmt.Errorf("%s: categories: %q is not secret, pii or identifier", label, cat)
		}
	}
	for _, id := range r.RuleIDs {
		if id == "" {
			return rule{}, fmt.Errorf("%s: rule_ids: empty pattern", label)
		}
		if _, err := path.Match(id, ""); err != nil {
			return rule{}, fmt.Errorf("%s: rule_ids: invalid pattern %q: %v", label, id, err)
		}
	}
	if r.MinFindings < 0 {
		return rule{}, fmt.Errorf("%s: min_findings: %d is negative", label, r.MinFindings)
	}
	return c, nil
}

func globs(gs []string) ([]glob, error) {
	var out []glob
	for _, g := range gs {
		if g == "" || !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("invalid glob %q", g)
		}
		out = append(out, newGlob(strings.ToLower(g)))
	}
	return out, nil
}

// hit records what matched, to name it in the reason.
type hit struct {
	kind, path, language, workspace string
	finding                         *redact.Finding
	ruleIDPattern                   string
	findings                        int // findings that passed the finding filter
}

// match reports whether every condition of the rule holds for in. It does
// not allocate.
func (c *rule) match(in *input) (hit, bool) {
	var h hit
	if len(c.kinds) > 0 {
		if !containsKind(c.kinds, in.Kind) {
			return h, false
		}
		h.kind = string(in.Kind)
	}
	if len(c.paths) > 0 {
		h.path = matchGlobs(c.paths, in.rel, in.abs, in.base)
		for i := 0; h.path == "" && c.route != Local && i < len(in.alts); i++ {
			a := &in.alts[i]
			h.path = matchGlobs(c.paths, a.rel, a.abs, a.base) // a denied file's backup is denied
		}
		if h.path == "" {
			return h, false
		}
	}
	if len(c.languages) > 0 {
		for _, l := range c.languages {
			if strings.EqualFold(l, in.LanguageID) {
				h.language = l
				break
			}
		}
		if h.language == "" {
			return h, false
		}
	}
	if len(c.workspaces) > 0 {
		if h.workspace = matchGlobs(c.workspaces, "", in.root, in.rootBase); h.workspace == "" {
			return h, false
		}
	}
	if len(c.categories) > 0 || len(c.ruleIDs) > 0 || c.minFindings > 0 {
		for i := range in.Findings {
			f := &in.Findings[i]
			if len(c.categories) > 0 && !containsCategory(c.categories, f.Category) {
				continue
			}
			pat := ""
			if len(c.ruleIDs) > 0 {
				if pat = matchRuleID(c.ruleIDs, f.RuleID); pat == "" {
					continue
				}
			}
			if h.finding == nil {
				h.finding, h.ruleIDPattern = f, pat
			}
			h.findings += in.weight(i)
		}
		need := c.minFindings
		if need == 0 {
			need = 1 // categories or rule_ids without a count: at least one
		}
		if h.findings < need {
			return h, false
		}
	}
	return h, true
}

// matchGlobs returns the first glob matching rel or abs ("" when none does,
// or when both are empty); base is their common last element.
func matchGlobs(gs []glob, rel, abs, base string) string {
	for i := range gs {
		g := &gs[i]
		if (rel != "" && g.match(rel, base)) || (abs != "" && g.match(abs, base)) {
			return g.pat
		}
	}
	return ""
}

func matchRuleID(pats []string, id string) string {
	for _, p := range pats {
		if matchID(p, id) {
			return p
		}
	}
	return ""
}

// matchID is path.Match(p, id), with the usual "prefix*" and literal
// shapes answered directly.
func matchID(p, id string) bool {
	if i := strings.IndexAny(p, `*?[\`); i < 0 {
		return p == id
	} else if i == len(p)-1 && p[i] == '*' {
		return strings.HasPrefix(id, p[:i]) && !strings.Contains(id[i:], "/")
	}
	ok, _ := path.Match(p, id)
	return ok
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func containsCategory(cs []redact.Category, c redact.Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// decision turns a match into a Decision whose reason names what matched.
func (c *rule) decision(h hit, wrapped bool) Decision {
	var why []string
	if h.kind != "" {
		why = append(why, "kind "+h.kind)
	}
	if h.path != "" {
		why = append(why, "path matches "+h.path)
	}
	if h.language != "" {
		why = append(why, "language "+h.language)
	}
	if h.workspace != "" {
		why = append(why, "workspace matches "+h.workspace)
	}
	if h.finding != nil && (len(c.categories) > 0 || len(c.ruleIDs) > 0) {
		f := "finding " + h.finding.RuleID
		if h.ruleIDPattern != "" {
			f += " matches " + h.ruleIDPattern
		}
		if len(c.categories) > 0 {
			f += " (" + string(h.finding.Category) + ")"
		}
		why = append(why, f)
	}
	if c.minFindings > 0 {
		why = append(why, strconv.Itoa(h.findings)+" findings (min "+strconv.Itoa(c.minFindings)+")")
	}
	if len(why) == 0 {
		why = append(why, "every request")
	}
	what := strings.Join(why, ", ")
	switch c.route {
	case Block:
		return Decision{Route: Block, Rule: c.label, Source: c.source, Reason: "blocked: " + what + " (" + c.label + ")"}
	case Upstream:
		if wrapped {
			return Decision{Route: Upstream, Rule: c.label, Source: c.source,
				Reason: "upstream: findings masked at veil's boundary, " + what + " (" + c.label + ")"}
		}
		return Decision{Route: Block, Rule: c.label, Source: c.source,
			Reason: "blocked: route upstream needs wrap mode, veil lsp --wrap (" + what + ", " + c.label + ")"}
	default:
		return Decision{Route: Local, Rule: c.label, Source: c.source, Reason: "local: findings masked, " + what + " (" + c.label + ")"}
	}
}
