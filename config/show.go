package config

import (
	"bytes"
	"fmt"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// YAML renders the merged config in schema order, each value followed by a
// comment naming its source; list-of-mapping elements (rules, policy rules)
// carry their own. The workspace files' policy rules are shown under
// policy.workspace, which is not a key a file may set.
func (l *Loaded) YAML() ([]byte, error) {
	s := newSchema()
	root := &yaml.Node{Kind: yaml.MappingNode}
	if err := l.render(root, s.root, reflect.ValueOf(l.Config), "", true); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("config: rendering YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: rendering YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// render appends fields of v (a struct) to the mapping node m. all renders
// zero values too (the top level); list elements show only what is set.
func (l *Loaded) render(m *yaml.Node, fields []*field, v reflect.Value, prefix string, all bool) error {
	for _, f := range fields {
		fv := v.Field(f.index)
		path := join(prefix, f.name)
		if !all && fv.IsZero() {
			continue
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: f.name}
		var val *yaml.Node
		switch f.kind {
		case kindSection:
			val = &yaml.Node{Kind: yaml.MappingNode}
			if err := l.render(val, f.children, fv, path, all); err != nil {
				return err
			}
			if path == "policy" {
				if err := l.renderWorkspacePolicy(val, f, fv); err != nil {
					return err
				}
			}
		case kindStructList:
			var err error
			if val, err = l.renderList(f, fv, path); err != nil {
				return err
			}
		default:
			val = &yaml.Node{}
			x := fv.Interface()
			if d, ok := x.(time.Duration); ok {
				x = d.String()
			}
			if err := val.Encode(x); err != nil {
				return fmt.Errorf("config: rendering %s: %w", path, err)
			}
			if f.kind == kindStrings {
				val.Style = yaml.FlowStyle
			}
			if src := l.Sources[path]; src != "" && all {
				val.LineComment = src
			}
		}
		m.Content = append(m.Content, key, val)
	}
	return nil
}

func (l *Loaded) renderList(f *field, fv reflect.Value, path string) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	if fv.Len() == 0 {
		seq.Style = yaml.FlowStyle
		seq.LineComment = l.Sources[path]
	}
	for i := range fv.Len() {
		ep := fmt.Sprintf("%s[%d]", path, i)
		e := &yaml.Node{Kind: yaml.MappingNode}
		if err := l.render(e, f.children, fv.Index(i), ep, false); err != nil {
			return nil, err
		}
		if len(e.Content) > 0 {
			e.Content[0].HeadComment = "from " + l.Sources[ep]
		}
		seq.Content = append(seq.Content, e)
	}
	return seq, nil
}

func (l *Loaded) renderWorkspacePolicy(m *yaml.Node, policy *field, pv reflect.Value) error {
	ws := pv.FieldByName("Workspace")
	if ws.Len() == 0 {
		return nil
	}
	rules := findField(policy.children, "rules")
	val, err := l.renderList(rules, ws, "policy.workspace")
	if err != nil {
		return err
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Value: "workspace",
		HeadComment: "not a key: the workspace files' block rules, consulted where the rules above route local"}
	m.Content = append(m.Content, key, val)
	return nil
}
