package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/veil-dev/veil/redact"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// WorkspaceFile is the name of the per-repository config file read at each
// workspace root. It is untrusted: see the package documentation.
const WorkspaceFile = ".veil.yaml"

// Sources maps a key path ("model.endpoint", "policy.rules[0]") to where its
// value came from: "default", the user file's path, "workspace
// /repo/.veil.yaml", "env VEIL_MODEL_ENDPOINT" or "flag --model". A list a
// workspace file appended to reads "<user source> + workspace <path>".
type Sources map[string]string

// LoadOptions says where to look for configuration.
type LoadOptions struct {
	// UserFile is the user config file (--config). When empty, $VEIL_CONFIG
	// is used, else $XDG_CONFIG_HOME/veil/veil.yaml (~/.config/veil/veil.yaml).
	// A missing file at the default location is fine; a missing file that
	// was named explicitly (UserFile or VEIL_CONFIG) is an error.
	UserFile string
	// WorkspaceRoots are the open workspace folders; each root's .veil.yaml
	// is read as untrusted (tighten-only).
	WorkspaceRoots []string
	// WorkspaceFiles are more workspace files, read as untrusted like the
	// roots' (see Discover); missing ones are skipped.
	WorkspaceFiles []string
	// Getenv reads one variable (nil: os.Getenv). It resolves VEIL_CONFIG,
	// the XDG directories and $VAR references in path keys.
	Getenv func(string) string
	// Environ is the environment as KEY=value lines for the VEIL_* layer.
	// Nil: each known VEIL_* name is looked up with Getenv instead (then
	// misspelt VEIL_* names cannot be reported).
	Environ []string
	// Flags, when set, is the parsed flag set; only flags the user set count.
	// A flag sets a key when it carries the annotation BindFlag adds, or
	// when its name is the key spelt with dashes (--log-level → log.level).
	Flags *pflag.FlagSet
}

// Loaded is a successful load: the merged config, where each value came
// from, and the problems that did not stop the load (rejected keys in
// workspace files, unknown VEIL_* variables, a non-local model endpoint).
type Loaded struct {
	Config   Config
	Sources  Sources
	Warnings []Problem
}

// Defaults returns the embedded defaults (config/defaults.yaml) with
// audit.path resolved against the process environment.
func Defaults() Config {
	l, _ := build(inputs{getenv: os.Getenv})
	return l.Config
}

// Load reads, merges and validates every layer. It fails with a joined list
// of Problems (see Problems) when the user file, a VEIL_* variable or a flag
// is invalid, or when a file cannot be read or parsed at all; problems
// inside workspace files are Warnings and leave out only the offending key.
func Load(o LoadOptions) (*Loaded, error) {
	in, err := o.read(os.ReadFile)
	if err != nil {
		return nil, err
	}
	l, errs := build(in)
	if len(errs) > 0 {
		return nil, joinProblems(errs)
	}
	return l, nil
}

// Check validates one file on its own (merged over the defaults) and
// returns every problem, for `veil config check`. A file named .veil.yaml is
// checked as a workspace file, so loosening keys are reported too.
func Check(path string) []Problem {
	data, err := os.ReadFile(path)
	if err != nil {
		return []Problem{{File: path, Msg: readError(err)}}
	}
	in := inputs{getenv: os.Getenv, environ: []string{}}
	src := &input{path: path, data: data}
	if filepath.Base(path) == WorkspaceFile {
		in.workspaces = []input{*src}
	} else {
		in.user = src
	}
	l, errs := build(in)
	errs = append(errs, checkRuleSamples(path, l.Config)...)
	return append(errs, l.Warnings...)
}

// input is one file's bytes.
type input struct {
	path string
	data []byte
}

// inputs is everything a build reads, gathered first so that the watcher
// can feed the same bytes it inspected.
type inputs struct {
	user       *input // nil: no user file
	workspaces []input
	environ    []string // nil: look up known names with getenv
	flags      *pflag.FlagSet
	getenv     func(string) string
}

func (o LoadOptions) getenv() func(string) string {
	if o.Getenv != nil {
		return o.Getenv
	}
	return os.Getenv
}

// UserPath resolves the user config file: UserFile, else $VEIL_CONFIG, else
// $XDG_CONFIG_HOME/veil/veil.yaml, else ~/.config/veil/veil.yaml. explicit
// reports that the file was named and so must exist. An empty path means
// there is none to read (neither HOME nor XDG_CONFIG_HOME is set).
func (o LoadOptions) UserPath() (path string, explicit bool) {
	getenv := o.getenv()
	if o.UserFile != "" {
		return o.UserFile, true
	}
	if p := getenv("VEIL_CONFIG"); p != "" {
		return p, true
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "veil", "veil.yaml"), false
}

// workspaceFiles returns each root's .veil.yaml and the other workspace
// files, each once.
func (o LoadOptions) workspaceFiles() []string {
	out := make([]string, 0, len(o.WorkspaceRoots)+len(o.WorkspaceFiles))
	seen := map[string]bool{}
	for _, p := range o.WorkspaceFiles {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, r := range o.WorkspaceRoots {
		p := filepath.Join(r, WorkspaceFile)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// read gathers the inputs with readFile.
func (o LoadOptions) read(readFile func(string) ([]byte, error)) (inputs, error) {
	in := inputs{environ: o.Environ, flags: o.Flags, getenv: o.getenv()}
	if path, explicit := o.UserPath(); path != "" {
		data, err := readFile(path)
		switch {
		case err == nil:
			in.user = &input{path: path, data: data}
		case errors.Is(err, fs.ErrNotExist) && !explicit:
		default:
			return in, joinProblems([]Problem{{File: path, Msg: readError(err)}})
		}
	}
	for _, path := range o.workspaceFiles() {
		data, err := readFile(path)
		switch {
		case err == nil:
			in.workspaces = append(in.workspaces, input{path: path, data: data})
		case errors.Is(err, fs.ErrNotExist):
		default:
			return in, joinProblems([]Problem{{File: path, Msg: readError(err)}})
		}
	}
	return in, nil
}

func readError(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "config file does not exist"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "cannot read config file: " + pe.Err.Error()
	}
	return "cannot read config file: " + err.Error()
}

// fileInfo remembers, per source label, the file and its key lines, so that
// problems found after merging can still point into the right file.
type fileInfo struct {
	path  string
	lines map[string]int
}

// builder merges the layers into one koanf instance.
type builder struct {
	s      *schema
	ko     *koanf.Koanf
	src    Sources
	files  map[string]fileInfo // by source label
	errs   []Problem
	warns  []Problem
	getenv func(string) string

	wsPolicy []any    // workspace policy rules, kept apart (Policy.Workspace)
	wsLabels []string // the label of each wsPolicy entry

	builtin  map[string]bool // ids of redact's embedded rules; nil until needed
	appended map[string]bool // lists the current workspace file appended to
}

// builtinIDs returns the ids of redact's embedded YAML rules, read only when
// a config adds rules (parsing them takes ~20 ms). A config rule may not
// reuse one: redact refuses duplicate ids.
func (b *builder) builtinIDs() map[string]bool {
	if b.builtin == nil {
		b.builtin = map[string]bool{}
		specs, _ := redact.BuiltinRules() // a broken embed is redact's test failure, not a config problem
		for _, s := range specs {
			b.builtin[s.ID] = true
		}
	}
	return b.builtin
}

// build merges defaults < user < workspaces < env < flags. It always
// returns a Loaded (for Defaults and Check); errs says whether to trust it.
func build(in inputs) (*Loaded, []Problem) {
	b := &builder{s: newSchema(), ko: koanf.New("."), src: Sources{}, files: map[string]fileInfo{}, getenv: in.getenv}
	if b.getenv == nil {
		b.getenv = os.Getenv
	}
	b.file("default", "config/defaults.yaml", defaultsYAML, false)
	if in.user != nil {
		b.file(in.user.path, in.user.path, in.user.data, false)
	}
	for _, w := range in.workspaces {
		b.file("workspace "+w.path, w.path, w.data, true)
	}
	b.env(in.environ)
	if in.flags != nil {
		b.flags(in.flags)
	}
	l := &Loaded{Sources: b.src}
	if err := b.ko.UnmarshalWithConf("", &l.Config, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		b.errs = append(b.errs, Problem{Msg: fmt.Sprintf("decoding the merged config: %v", err)})
	}
	b.finish(&l.Config)
	l.Warnings = b.warns
	return l, b.errs
}

// file merges one YAML file. Problems in a trusted file are errors; in a
// workspace file they are warnings and only the offending key is dropped.
// A file that is not YAML at all is an error either way (for the watcher:
// the last good config stays).
func (b *builder) file(label, path string, data []byte, workspace bool) {
	p := newFileParser(b.s, path, workspace)
	b.appended = map[string]bool{}
	var parsed map[string]any
	capture := func(src, dest map[string]any) error {
		parsed = src
		if workspace {
			b.mergeWorkspace(label, p, src, dest)
		}
		mergeMaps(src, dest)
		return nil
	}
	if err := b.ko.Load(rawbytes.Provider(data), p, koanf.WithMergeFunc(capture)); err != nil {
		var pr Problem
		if !errors.As(err, &pr) {
			pr = Problem{File: path, Msg: err.Error()}
		}
		b.errs = append(b.errs, pr)
		return
	}
	b.files[label] = fileInfo{path: path, lines: p.lines}
	if workspace {
		b.warns = append(b.warns, p.problems...)
	} else {
		b.errs = append(b.errs, p.problems...)
	}
	b.record(label, parsed, "")
}

// record notes label as the source of every leaf in m; a list of mappings
// also gets one entry per element ("rules[0]").
func (b *builder) record(label string, m map[string]any, prefix string) {
	for k, v := range m {
		path := join(prefix, k)
		switch v := v.(type) {
		case map[string]any:
			b.record(label, v, path)
		case []any:
			if b.appended[path] {
				continue // mergeWorkspace recorded the combined source
			}
			for k := range b.src { // a replaced list's elements are gone
				if strings.HasPrefix(k, path+"[") {
					delete(b.src, k)
				}
			}
			b.src[path] = label
			for i, e := range v {
				if _, ok := e.(map[string]any); ok {
					b.src[fmt.Sprintf("%s[%d]", path, i)] = label
				}
			}
		default:
			b.src[path] = label
		}
	}
}

// appendKeys are the lists a workspace file extends instead of replacing.
var appendKeys = []string{"identifiers.terms", "identifiers.patterns", "rules"}

// mergeWorkspace prepares a workspace file's (already filtered) map for
// merging: its policy rules are moved aside into wsPolicy, and its lists
// are appended to the ones merged so far. Everything left is a bool that is
// true (the parser accepts nothing else for a workspace file).
func (b *builder) mergeWorkspace(label string, p *fileParser, src, dest map[string]any) {
	if pol, ok := src["policy"].(map[string]any); ok {
		if rules, ok := pol["rules"].([]any); ok {
			for _, r := range rules {
				b.src[fmt.Sprintf("policy.workspace[%d]", len(b.wsPolicy))] = label
				b.wsPolicy = append(b.wsPolicy, r)
				b.wsLabels = append(b.wsLabels, label)
			}
			delete(pol, "rules")
		}
	}
	for _, key := range appendKeys {
		add, ok := getPath(src, key).([]any)
		if !ok {
			continue
		}
		old, _ := getPath(dest, key).([]any)
		if key == "rules" {
			add = b.dropDuplicateRules(p, old, add)
		}
		merged := append(append([]any{}, old...), add...)
		setPath(src, key, merged)
		if len(old) > 0 {
			b.src[key] += " + " + label
		} else {
			b.src[key] = label
		}
		for i := range add {
			if _, isMap := add[i].(map[string]any); isMap {
				b.src[fmt.Sprintf("%s[%d]", key, len(old)+i)] = label
			}
		}
		b.appended[key] = true
	}
}

// dropDuplicateRules leaves out workspace rules whose id is already taken:
// a workspace rule must not replace a user rule of the same id.
func (b *builder) dropDuplicateRules(p *fileParser, old, add []any) []any {
	ids := maps.Clone(b.builtinIDs())
	for _, r := range old {
		if m, ok := r.(map[string]any); ok {
			id, _ := m["id"].(string)
			ids[id] = true
		}
	}
	var out []any
	for i, r := range add {
		m, _ := r.(map[string]any)
		id, _ := m["id"].(string)
		if ids[id] {
			key := fmt.Sprintf("rules[%d].id", i)
			b.warns = append(b.warns, Problem{File: p.file, Key: key, Line: p.lines[key],
				Msg: "a rule with this id is already defined: a workspace file may add rules, not replace them"})
			continue
		}
		ids[id] = true
		out = append(out, r)
	}
	return out
}

// mergeMaps merges src into dest the koanf way: maps recursively, anything
// else (lists included) replaced.
func mergeMaps(src, dest map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dest[k].(map[string]any); ok {
				mergeMaps(sm, dm)
				continue
			}
		}
		dest[k] = v
	}
}

func getPath(m map[string]any, path string) any {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m[parts[len(parts)-1]]
}

func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// problemAt builds a problem about key, pointing into the file its value
// came from (env and flag sources have no file: the label stands in).
func (b *builder) problemAt(key, msg string) Problem {
	label := b.src[key]
	if i := strings.LastIndex(label, " + "); i >= 0 {
		label = label[i+3:]
	}
	if fi, ok := b.files[label]; ok {
		return Problem{File: fi.path, Key: key, Line: fi.lines[key], Msg: msg}
	}
	return Problem{File: label, Key: key, Msg: msg}
}

// finish resolves what depends on several keys, fills what the loader owns
// (Policy.Workspace, PolicyRule.Source) and runs the cross-key checks.
func (b *builder) finish(c *Config) {
	if len(b.wsPolicy) > 0 {
		tmp := koanf.New(".")
		_ = tmp.Load(confmap.Provider(map[string]any{"w": b.wsPolicy}, ""), nil)
		if err := tmp.UnmarshalWithConf("w", &c.Policy.Workspace, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
			b.errs = append(b.errs, Problem{Key: "policy.rules", Msg: fmt.Sprintf("decoding workspace policy rules: %v", err)})
		}
		n := map[string]int{}
		for i := range c.Policy.Workspace {
			n[b.wsLabels[i]]++
			c.Policy.Workspace[i].Source = fmt.Sprintf("%s rule %d", b.wsLabels[i], n[b.wsLabels[i]])
		}
	}
	for i := range c.Policy.Rules {
		c.Policy.Rules[i].Source = fmt.Sprintf("%s rule %d", b.src["policy.rules"], i+1)
	}

	m := &c.Model
	if m.Endpoint != "" && b.src["model.backend"] == "default" {
		m.Backend = "openai"
		b.src["model.backend"] = "default (openai because model.endpoint is set)"
	}
	if m.Backend == "openai" && m.Endpoint == "" {
		b.errs = append(b.errs, b.problemAt("model.backend", "backend openai needs model.endpoint"))
	}
	if m.Endpoint != "" && !isLoopback(m.Endpoint) {
		p := b.problemAt("model.endpoint", "the model endpoint is not on this machine: redacted code will leave it")
		p.Warning = true
		b.warns = append(b.warns, p)
	}

	seen := map[string]int{}
	for i, r := range c.Rules {
		if b.builtinIDs()[r.ID] {
			b.errs = append(b.errs, b.problemAt(fmt.Sprintf("rules[%d]", i), "a built-in rule already has this id"))
			continue
		}
		if j, dup := seen[r.ID]; dup {
			b.errs = append(b.errs, b.problemAt(fmt.Sprintf("rules[%d]", i),
				fmt.Sprintf("rule id already used by rules[%d]", j)))
			continue
		}
		seen[r.ID] = i
	}

	for _, p := range []struct {
		key  string
		val  *string
		used bool
	}{{"audit.path", &c.Audit.Path, c.Audit.Enabled}, {"log.file", &c.Log.File, true}} {
		v, err := expandPath(*p.val, b.getenv)
		if err != "" && !p.used {
			continue // audit off: an unresolvable path does not matter
		}
		if err != "" {
			b.errs = append(b.errs, b.problemAt(p.key, err))
			continue
		}
		*p.val = v
	}
}

var xdgFallback = map[string]string{
	"XDG_CONFIG_HOME": ".config",
	"XDG_STATE_HOME":  ".local/state",
	"XDG_CACHE_HOME":  ".cache",
	"XDG_DATA_HOME":   ".local/share",
}

var leadingTilde = regexp.MustCompile(`^~(/|$)`)

// expandPath resolves a leading ~ and $VAR / ${VAR} references; an XDG base
// directory variable that is unset falls back to its default under $HOME.
// A reference to an unset variable is an error rather than a path that
// silently lands elsewhere.
func expandPath(s string, getenv func(string) string) (string, string) {
	if s == "" {
		return "", ""
	}
	var missing []string
	home := func() string {
		h := getenv("HOME")
		if h == "" {
			missing = append(missing, "HOME")
		}
		return h
	}
	if leadingTilde.MatchString(s) {
		s = "$HOME" + s[1:]
	}
	out := os.Expand(s, func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if rel, ok := xdgFallback[name]; ok {
			return filepath.Join(home(), rel)
		}
		if name != "HOME" {
			missing = append(missing, name)
			return ""
		}
		return home()
	})
	if len(missing) > 0 {
		return s, "the path refers to $" + missing[0] + ", which is not set"
	}
	return filepath.Clean(out), ""
}
