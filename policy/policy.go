package policy

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/redact"
)

// Route is where a request goes.
type Route string

const (
	// Local sends the masked request to the local model.
	Local Route = "local"
	// Block answers the editor with nothing and tells the user why.
	Block Route = "block"
	// Upstream forwards the request to the AI server veil wraps (veil lsp
	// --wrap), masked at veil's network boundary. Without wrap mode Decide
	// turns it into Block.
	Upstream Route = "upstream"
)

// Kind is the kind of AI request.
type Kind string

const (
	Inline     Kind = "inline"     // textDocument/inlineCompletion, getCompletions
	Completion Kind = "completion" // textDocument/completion
	Chat       Kind = "chat"       // chat / conversation commands
)

// Request is what Decide looks at. It holds no text: findings carry rule ids,
// categories and spans only.
type Request struct {
	Kind          Kind
	Path          string // absolute slash path of the document ("" for untitled)
	WorkspaceRoot string // absolute slash path ("" if none)
	LanguageID    string
	Findings      []redact.Finding // findings in the text that would be sent
	// Weights, when not nil, makes Findings a tally: Findings[i] stands
	// for Weights[i] findings of its rule and category, itself the first
	// of them in the text. A large document's decision is made from one
	// entry per rule and category instead of every finding.
	Weights []int
	// Wrapped says veil wraps an upstream AI server: the route when no rule
	// matches is upstream (not local), and rules routing upstream hold.
	Wrapped bool
}

// Decision is the outcome of Decide.
type Decision struct {
	Route Route
	// Rule names the rule that decided: "default policy rule 1",
	// "user policy rule 3 (name)", "workspace policy rule 1" (never the
	// name a workspace file gave it) or "no rule matched".
	Rule string
	// Reason is one line for the user and the audit log, naming the route,
	// what matched (the exact glob) and the rule:
	// "blocked: path matches **/.env (default policy rule 1)". It names no
	// file or directory, so it can go to an audit log with hashed paths.
	Reason string
	// Source is where the rule was written, for telling the user:
	// "/home/u/.config/veil/veil.yaml rule 2", "workspace /repo/.veil.yaml
	// rule 1" (config.PolicyRule.Source); "" for the built-in rules and when
	// no rule matched. It holds paths: keep it out of the audit log.
	Source string
}

// noRule is Decision.Rule when no rule matched.
const noRule = "no rule matched"

// Policy is a compiled, validated rule list. It is immutable, so Decide is
// safe for concurrent use.
type Policy struct {
	rules     []rule // defaults (when on), then the user's rules
	workspace []rule // the workspace file's rules: tighten-only
}

// Compile validates p and builds the runtime policy: the built-in deny list
// (when p.Defaults), then p.Rules, and p.Workspace apart. An error names the
// rule ("user policy rule 3 (name)"), the key and the bad value.
func Compile(p config.Policy) (*Policy, error) {
	var out Policy
	if p.Defaults {
		for i, r := range DefaultRules() {
			c, err := compileRule(r, label("default", i, r.Name))
			if err != nil {
				return nil, fmt.Errorf("policy: %w", err) // a bug: the defaults are tested
			}
			out.rules = append(out.rules, c)
		}
	}
	var errs []error
	for i, r := range p.Rules {
		c, err := compileRule(r, label("user", i, r.Name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.rules = append(out.rules, c)
	}
	for i, r := range p.Workspace {
		// A workspace file is untrusted and its rule names go to logs and
		// the audit file: a workspace rule is named by its index only.
		l := label("workspace", i, "")
		c, err := compileRule(r, l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.route == Upstream {
			errs = append(errs, fmt.Errorf("%s: route: upstream is not allowed in a workspace file (it may only tighten)", l))
			continue
		}
		out.workspace = append(out.workspace, c)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy: %w", errors.Join(errs...))
	}
	return &out, nil
}

func label(layer string, i int, name string) string {
	l := layer + " policy rule " + strconv.Itoa(i+1)
	if name != "" {
		l += " (" + name + ")"
	}
	return l
}

// Decide routes one request. Rules are tried in order and the first whose
// conditions all match decides; with no match the route is local, or
// upstream when the request is Wrapped. When that outcome is not a block,
// the workspace rules get a say, and only a block from them counts. A
// route of upstream comes back as block unless the request is Wrapped.
//
// Decide is pure and allocates only to build the reason of a matched rule.
func (p *Policy) Decide(r Request) Decision {
	in := newInput(r)
	d := Decision{Route: Local, Rule: noRule, Reason: "local: findings masked (no rule matched)"}
	if r.Wrapped {
		d = Decision{Route: Upstream, Rule: noRule, Reason: "upstream: findings masked at veil's boundary (no rule matched)"}
	}
	for i := range p.rules {
		if h, ok := p.rules[i].match(&in); ok {
			d = p.rules[i].decision(h, r.Wrapped)
			break
		}
	}
	if d.Route == Block {
		return d
	}
	for i := range p.workspace {
		if h, ok := p.workspace[i].match(&in); ok {
			if p.workspace[i].route == Block {
				return p.workspace[i].decision(h, r.Wrapped)
			}
			break
		}
	}
	return d
}

// input is a Request prepared once per Decide: cleaned, lower-cased paths.
type input struct {
	Request
	rel, abs, root string
	base, rootBase string    // last elements of abs (and rel) and of root
	alts           []altPath // what a backup or swap file's name undecorates to
}

// weight is how many findings Findings[i] stands for.
func (in *input) weight(i int) int {
	if in.Weights == nil {
		return 1
	}
	return in.Weights[i]
}

func newInput(r Request) input {
	in := input{Request: r}
	if r.Path != "" {
		in.abs = trimElements(strings.ToLower(path.Clean(r.Path)))
		in.base = path.Base(in.abs)
	}
	if r.WorkspaceRoot != "" {
		in.root = trimElements(strings.ToLower(path.Clean(r.WorkspaceRoot)))
		in.rootBase = path.Base(in.root)
		switch {
		case in.abs == "":
		case in.root == "/" && strings.HasPrefix(in.abs, "/"):
			in.rel = in.abs[1:]
		case len(in.abs) > len(in.root) && in.abs[len(in.root)] == '/' && strings.HasPrefix(in.abs, in.root):
			in.rel = in.abs[len(in.root)+1:]
		}
	}
	if in.abs != "" {
		in.alternatives()
	}
	return in
}
