package config

import (
	"reflect"
	"strings"
	"time"
)

// kind is the shape of a config value as the strict parser sees it.
type kind int

const (
	kindSection    kind = iota // a mapping of known keys (a struct)
	kindBool                   // true | false
	kindInt                    // an integer
	kindFloat                  // a number
	kindString                 // a string
	kindDuration               // "10s", "250ms"; a bare 0 is allowed
	kindStrings                // a list of strings
	kindStructList             // a list of mappings (rules, policy.rules)
)

func (k kind) String() string {
	switch k {
	case kindSection:
		return "a mapping"
	case kindBool:
		return "true or false"
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a number"
	case kindString:
		return "a string"
	case kindDuration:
		return `a duration like "10s"`
	case kindStrings:
		return "a list of strings"
	case kindStructList:
		return "a list of mappings"
	}
	return "?"
}

// field is one key of the schema. Children are in declaration order, which
// is also the order `veil config show` prints them in.
type field struct {
	name     string   // the YAML key
	path     string   // "model.endpoint"; list elements are "rules[]", "rules[].regex"
	kind     kind     //
	index    int      // the struct field's index, for reading a Config
	children []*field // for kindSection and kindStructList (the element's keys)
}

var durationType = reflect.TypeFor[time.Duration]()

// schemaOf describes t (a struct type) from its koanf tags. Fields tagged
// `koanf:"-"` are filled by the loader and are unknown keys to the parser.
func schemaOf(t reflect.Type, prefix string) []*field {
	var out []*field
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("koanf")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		f := &field{name: name, path: join(prefix, name), index: i}
		ft := sf.Type
		switch {
		case ft == durationType:
			f.kind = kindDuration
		case ft.Kind() == reflect.Bool:
			f.kind = kindBool
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			f.kind = kindInt
		case ft.Kind() == reflect.Float64 || ft.Kind() == reflect.Float32:
			f.kind = kindFloat
		case ft.Kind() == reflect.String:
			f.kind = kindString
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			f.kind = kindStrings
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			f.kind = kindStructList
			f.children = schemaOf(ft.Elem(), f.path+"[]")
		case ft.Kind() == reflect.Struct:
			f.kind = kindSection
			f.children = schemaOf(ft, f.path)
		default:
			// A schema change the parser does not know yet: fail loudly in
			// tests (TestSchemaKnowsEveryField) rather than accept anything.
			f.kind = -1
		}
		out = append(out, f)
	}
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// schema is the parsed description of Config. It is built per load (cheap:
// a few dozen fields) so the package holds no mutable globals.
type schema struct {
	root   []*field
	byPath map[string]*field // every path, including "rules[].regex"
}

func newSchema() *schema {
	s := &schema{root: schemaOf(reflect.TypeFor[Config](), ""), byPath: map[string]*field{}}
	var walk func([]*field)
	walk = func(fs []*field) {
		for _, f := range fs {
			s.byPath[f.path] = f
			walk(f.children)
		}
	}
	walk(s.root)
	return s
}

// leaves returns every settable leaf outside lists of mappings, in schema
// order: the keys the env and flag layers can set.
func (s *schema) leaves() []*field {
	var out []*field
	var walk func([]*field)
	walk = func(fs []*field) {
		for _, f := range fs {
			if f.kind == kindSection {
				walk(f.children)
				continue
			}
			out = append(out, f)
		}
	}
	walk(s.root)
	return out
}

// envName is the environment variable that sets path:
// model.first_token_timeout → VEIL_MODEL_FIRST_TOKEN_TIMEOUT.
func envName(path string) string {
	return "VEIL_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// flagName is the flag name that sets path by convention:
// lsp.latency_budget → --lsp-latency-budget, log.level → --log-level.
func flagName(path string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(path)
}
