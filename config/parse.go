package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/veil-dev/veil/redact"
	"go.yaml.in/yaml/v3"
)

// maxFileBytes bounds a config file; a workspace file is untrusted input.
const maxFileBytes = 1 << 20

// maxNodes bounds the YAML nodes visited in one file, aliases included, so
// an alias bomb cannot make the loader expand it without end.
const maxNodes = 100_000

// fileParser is a koanf.Parser that parses one YAML config file strictly
// against the schema. Unmarshal returns an error only when the file cannot
// be read as YAML at all; every other problem (unknown key, bad type,
// invalid regex or glob, a loosening key in a workspace file) is recorded in
// problems and the offending key or list element is left out of the map,
// so the rest of the file still applies.
type fileParser struct {
	s         *schema
	file      string // path, for Problems
	workspace bool   // untrusted: only tightening keys are accepted

	problems []Problem
	lines    map[string]int // "policy.rules[1].route" → line
	nodes    int
}

func newFileParser(s *schema, file string, workspace bool) *fileParser {
	return &fileParser{s: s, file: file, workspace: workspace, lines: map[string]int{}}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// Unmarshal implements koanf.Parser.
func (p *fileParser) Unmarshal(b []byte) (map[string]any, error) {
	if len(b) > maxFileBytes {
		return nil, Problem{File: p.file, Msg: fmt.Sprintf("file is %d bytes, more than the %d allowed", len(b), maxFileBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		// yaml.v3 syntax errors name the line and the construct, not the
		// value; keep only that.
		msg, line := err.Error(), 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		return nil, Problem{File: p.file, Line: line, Msg: "not valid YAML: " + msg}
	}
	out := map[string]any{}
	if doc.Kind == 0 || len(doc.Content) == 0 { // empty file or only comments
		return out, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return out, nil
	}
	p.section(p.s.root, root, "", out)
	return out, nil
}

// Marshal implements koanf.Parser; veil never writes config files.
func (p *fileParser) Marshal(map[string]any) ([]byte, error) {
	return nil, errors.New("config: writing config files is not supported")
}

func (p *fileParser) problem(key string, line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Key: key, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows aliases and charges the node budget.
func (p *fileParser) resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	p.nodes++
	return n
}

func (p *fileParser) overBudget(key string, line int) bool {
	if p.nodes <= maxNodes {
		return false
	}
	if p.nodes == maxNodes+1 {
		p.problem(key, line, "more than %d YAML nodes (aliases expanded): the rest of the file is ignored", maxNodes)
		p.nodes++
	}
	return true
}

// section reads a mapping node of known keys into out.
func (p *fileParser) section(fields []*field, n *yaml.Node, prefix string, out map[string]any) {
	n = p.resolve(n)
	if p.overBudget(prefix, n.Line) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.problem(prefix, n.Line, "want a mapping of keys, got %s", nodeKind(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.problem(prefix, k.Line, "a key must be a plain word, got %s", nodeKind(k))
			continue
		}
		path := join(prefix, k.Value)
		f := findField(fields, k.Value)
		if f == nil {
			p.problem(join(prefix, shownKey(k.Value)), k.Line, "unknown key%s", suggest(fields, k.Value))
			continue
		}
		if seen[k.Value] {
			p.problem(path, k.Line, "duplicate key")
			continue
		}
		seen[k.Value] = true
		p.lines[path] = k.Line
		if p.workspace && f.kind != kindSection && !strings.Contains(f.path, "[]") {
			if reason := workspaceDenied(f.path); reason != "" {
				p.problem(path, k.Line, "key %s is not allowed in a workspace file: %s", path, reason)
				continue
			}
		}
		if val, ok := p.value(f, v, path, k.Line); ok {
			out[k.Value] = val
		}
	}
}

// value converts the node under key path (schema field f) to its Go value.
func (p *fileParser) value(f *field, v *yaml.Node, path string, line int) (any, bool) {
	v = p.resolve(v)
	if p.overBudget(path, line) {
		return nil, false
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		switch f.kind {
		case kindSection:
			return nil, false // "detect:" with nothing under it
		case kindStrings, kindStructList:
			return []any{}, true // an explicitly empty list
		}
		p.problem(path, line, "has no value: want %s", f.kind)
		return nil, false
	}
	switch f.kind {
	case kindSection:
		m := map[string]any{}
		p.section(f.children, v, path, m)
		return m, true
	case kindStrings:
		return p.strings(f, v, path, line)
	case kindStructList:
		return p.structList(f, v, path, line)
	}
	val, ok := p.scalar(f, v, path, line)
	if !ok {
		return nil, false
	}
	if msg := checkLeaf(f.path, val); msg != "" {
		p.problem(path, line, "%s", msg)
		return nil, false
	}
	if p.workspace && val == false && !strings.Contains(f.path, "[]") { // true-only keys (workspaceDenied let them through)
		p.problem(path, line, "key %s is not allowed in a workspace file: setting it to false would loosen policy", path)
		return nil, false
	}
	return val, true
}

func (p *fileParser) strings(f *field, v *yaml.Node, path string, line int) (any, bool) {
	if v.Kind != yaml.SequenceNode {
		p.problem(path, line, "want %s, got %s", f.kind, nodeKind(v))
		return nil, false
	}
	out := make([]any, 0, len(v.Content))
	for i, e := range v.Content {
		e = p.resolve(e)
		ep := fmt.Sprintf("%s[%d]", path, i)
		if p.overBudget(ep, e.Line) {
			break
		}
		p.lines[ep] = e.Line
		if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
			p.problem(ep, e.Line, "want a string, got %s", nodeKind(e))
			continue
		}
		if msg := checkLeaf(f.path+"[]", e.Value); msg != "" {
			p.problem(ep, e.Line, "%s", msg)
			continue
		}
		out = append(out, e.Value)
	}
	return out, true
}

// structList reads a list of mappings. An element with any problem is left
// out whole: a rule missing one of its conditions would match more than its
// author meant.
func (p *fileParser) structList(f *field, v *yaml.Node, path string, line int) (any, bool) {
	if v.Kind != yaml.SequenceNode {
		p.problem(path, line, "want %s, got %s", f.kind, nodeKind(v))
		return nil, false
	}
	out := make([]any, 0, len(v.Content))
	for i, e := range v.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		before := len(p.problems)
		m := map[string]any{}
		e = p.resolve(e)
		p.lines[ep] = e.Line
		p.section(f.children, e, ep, m)
		if len(p.problems) == before {
			if msg, key := checkElement(f.path, m, p.workspace); msg != "" {
				p.problem(join(ep, key), p.lineOf(join(ep, key), e.Line), "%s", msg)
			}
		}
		if len(p.problems) > before {
			continue
		}
		out = append(out, m)
	}
	return out, true
}

func (p *fileParser) lineOf(path string, fallback int) int {
	if l, ok := p.lines[path]; ok {
		return l
	}
	return fallback
}

// scalar converts a scalar node to the Go type of f. YAML tags decide the
// type: `timeout: 10` (an integer) is not a duration, `name: 1.5` is not a
// string; quote it.
func (p *fileParser) scalar(f *field, v *yaml.Node, path string, line int) (any, bool) {
	bad := func() (any, bool) {
		p.problem(path, line, "want %s, got %s", f.kind, nodeKind(v))
		return nil, false
	}
	if v.Kind != yaml.ScalarNode {
		return bad()
	}
	switch f.kind {
	case kindBool:
		var b bool
		if v.Tag != "!!bool" || v.Decode(&b) != nil {
			return bad()
		}
		return b, true
	case kindInt:
		var n int64
		if v.Tag != "!!int" || v.Decode(&n) != nil {
			return bad()
		}
		return n, true
	case kindFloat:
		var x float64
		if (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&x) != nil {
			return bad()
		}
		return x, true
	case kindString:
		if v.Tag != "!!str" {
			return bad()
		}
		return v.Value, true
	case kindDuration:
		if v.Tag == "!!int" && v.Value == "0" {
			return time.Duration(0), true
		}
		if v.Tag != "!!str" {
			return bad()
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil {
			p.problem(path, line, "want %s, got %s", f.kind, preview(v.Value))
			return nil, false
		}
		return d, true
	}
	return bad()
}

// nodeKind names what a node holds without showing its value.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!bool":
			return "true/false"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!null":
			return "nothing"
		case "!!str":
			return "a string"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "an unsupported YAML node"
}

func findField(fs []*field, name string) *field {
	for _, f := range fs {
		if f.name == name {
			return f
		}
	}
	return nil
}

// suggest names the known keys at this level, or the closest one.
// shownKey is an unknown key as a problem names it: as written when it has
// the shape of a config key (lower-case letters, digits, '_' and '-', up to
// 32 bytes), else a preview, so a value written where a key belongs (a token
// pasted at the wrong indentation) reaches no error message or log.
func shownKey(k string) string {
	if len(k) <= 32 && k != "" && k[0] >= 'a' && k[0] <= 'z' && strings.IndexFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0 {
		return k
	}
	return redact.Preview(k)
}

func suggest(fs []*field, name string) string {
	best, bestD := "", 3
	for _, f := range fs {
		if d := editDistance(strings.ToLower(name), f.name); d < bestD {
			best, bestD = f.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
