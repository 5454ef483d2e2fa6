package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/spf13/pflag"
)

// FlagAnnotation is the pflag annotation naming the config key a flag sets;
// BindFlag adds it.
const FlagAnnotation = "veil-config-key"

// BindFlag makes the flag called name set the config key (e.g. --model →
// model.name). Flags named like their key with dashes (--log-level,
// --lsp-latency-budget) need no binding.
func BindFlag(fs *pflag.FlagSet, name, key string) error {
	f := newSchema().byPath[key]
	if f == nil || f.kind == kindSection || f.kind == kindStructList || strings.Contains(key, "[]") {
		return fmt.Errorf("config: binding flag --%s: %q is not a key a flag can set", name, key)
	}
	if err := fs.SetAnnotation(name, FlagAnnotation, []string{key}); err != nil {
		return fmt.Errorf("config: binding flag --%s: %w", name, err)
	}
	return nil
}

// env merges the VEIL_* variables. The name is the key path upper-cased
// with dots as underscores, under VEIL_: model.first_token_timeout ←
// VEIL_MODEL_FIRST_TOKEN_TIMEOUT. Lists are comma-separated and replace
// the merged list. Lists of mappings (rules, policy.rules) cannot be set
// from the environment. VEIL_CONFIG names the user file and is not a key.
func (b *builder) env(environ []string) {
	byName := map[string]*field{}
	for _, f := range b.s.leaves() {
		byName[envName(f.path)] = f
	}
	if environ == nil {
		for name := range byName {
			if v := b.getenv(name); v != "" {
				environ = append(environ, name+"="+v)
			}
		}
	}
	set := map[string]string{}
	transform := func(name, raw string) (string, any) {
		label := "env " + name
		f := byName[name]
		if f == nil {
			// Other tools use VEIL_* names too (VEIL_BIN in the editor
			// tests): only a near miss of a key's name is worth a warning.
			if near := nearEnvName(name, byName); near != "" {
				b.warns = append(b.warns, Problem{File: label, Msg: "unknown variable (did you mean " + near + "?)", Warning: true})
			}
			return "", nil
		}
		v, msg := fromString(f, raw)
		if msg != "" {
			b.errs = append(b.errs, Problem{File: label, Key: f.path, Msg: msg})
			return "", nil
		}
		set[f.path] = label
		return f.path, v
	}
	_ = b.ko.Load(env.Provider(".", env.Opt{Prefix: "VEIL_", TransformFunc: transform,
		EnvironFunc: func() []string { return environ }}), nil)
	for k, label := range set {
		b.src[k] = label
	}
}

// flags merges the flags the user set that map to keys.
func (b *builder) flags(fs *pflag.FlagSet) {
	byName := map[string]*field{}
	for _, f := range b.s.leaves() {
		byName[flagName(f.path)] = f
	}
	set := map[string]string{}
	cb := func(fl *pflag.Flag) (string, any) {
		f := byName[fl.Name]
		if keys := fl.Annotations[FlagAnnotation]; len(keys) == 1 {
			f = b.s.byPath[keys[0]]
		}
		if f == nil || !fl.Changed {
			return "", nil
		}
		label := "flag --" + fl.Name
		var v any
		var msg string
		switch t := fl.Value.Type(); {
		case f.kind == kindStrings && (t == "stringSlice" || t == "stringArray"):
			ss, _ := posflag.FlagVal(fs, fl).([]string)
			v, msg = fromList(f, ss)
		default:
			v, msg = fromString(f, fl.Value.String())
		}
		if msg != "" {
			b.errs = append(b.errs, Problem{File: label, Key: f.path, Msg: msg})
			return "", nil
		}
		set[f.path] = label
		return f.path, v
	}
	_ = b.ko.Load(posflag.ProviderWithFlag(fs, ".", nil, cb), nil)
	for k, label := range set {
		b.src[k] = label
	}
}

// fromString converts an env or flag value to the key's type and validates
// it like a file value.
func fromString(f *field, s string) (any, string) {
	var v any
	var err error
	switch f.kind {
	case kindBool:
		v, err = strconv.ParseBool(s)
	case kindInt:
		v, err = strconv.ParseInt(s, 0, 64)
	case kindFloat:
		v, err = strconv.ParseFloat(s, 64)
	case kindDuration:
		v, err = time.ParseDuration(s)
	case kindString:
		v = s
	case kindStrings:
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		return fromList(f, items)
	default:
		return nil, "cannot be set here: use a config file"
	}
	if err != nil {
		return nil, fmt.Sprintf("want %s, got %s", f.kind, preview(s))
	}
	if msg := checkLeaf(f.path, v); msg != "" {
		return nil, msg
	}
	return v, ""
}

func fromList(f *field, items []string) (any, string) {
	out := make([]any, 0, len(items))
	for i, it := range items {
		if msg := checkLeaf(f.path+"[]", it); msg != "" {
			return nil, fmt.Sprintf("item %d: %s", i+1, msg)
		}
		out = append(out, it)
	}
	return out, ""
}

// nearEnvName returns the known variable name within edit distance 2 of
// name, or "".
func nearEnvName(name string, known map[string]*field) string {
	best, bestD := "", 3
	for k := range known {
		if d := editDistance(name, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	return best
}
