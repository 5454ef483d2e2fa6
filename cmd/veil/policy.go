package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/textbuf"
)

func policyUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: veil policy explain [flags] PATH")
	fmt.Fprintln(w, "\n  explain PATH   the decision for the file, its reason, the findings (masked)")
	fmt.Fprintln(w, "                 and the redacted text the model would see")
	fmt.Fprintln(w, "\nexit codes: 0 routed local or upstream, 1 blocked, 2 usage or runtime error")
	fmt.Fprintln(w, "run 'veil policy explain --help' for flags")
}

func runPolicy(e *env, args []string) int {
	if len(args) == 0 {
		policyUsage(e.stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		policyUsage(e.stderr)
		return exitOK
	case "explain":
		return runPolicyExplain(e, args[1:])
	}
	fmt.Fprintf(e.stderr, "veil policy: unknown subcommand %q\n\n", args[0])
	policyUsage(e.stderr)
	return exitError
}

// runPolicyExplain decides for one file as veil lsp would: the workspace
// root is the nearest ancestor holding .git or .veil.yaml, and the
// .veil.yaml files config.Discover finds apply (untrusted, tighten-only).
func runPolicyExplain(e *env, args []string) int {
	fs := newFlagSet("policy explain", "PATH", e)
	cfgFile := fs.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	kind := fs.String("kind", "inline", "request kind: inline, completion or chat")
	lang := fs.String("language", "", "LSP language id (default: from the file extension)")
	wrapped := fs.Bool("wrap", false, "decide as veil lsp --wrap does (the default when upstream.command is set)")
	if code, done := parse(fs, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "veil policy explain: "+format+"\n", a...)
		return exitError
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError
	}
	switch policy.Kind(*kind) {
	case policy.Inline, policy.Completion, policy.Chat:
	default:
		return fail("--kind %q: want inline, completion or chat", *kind)
	}
	abs, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return fail("%v", err)
	}
	text, err := os.ReadFile(abs)
	if err != nil {
		return fail("%v", err)
	}
	root := workspaceRoot(abs)
	var roots []string
	if root != "" {
		roots = []string{root}
	}
	// The workspace files that apply are found as veil lsp finds them.
	loaded, err := config.Load(config.LoadOptions{UserFile: *cfgFile, WorkspaceRoots: roots,
		WorkspaceFiles: config.Discover(abs, roots), Getenv: e.getenv})
	if err != nil {
		problems := config.Problems(err)
		if len(problems) == 0 {
			return fail("loading config: %v", err)
		}
		for _, p := range problems {
			fmt.Fprintln(e.stderr, p.Error())
		}
		return exitError
	}
	for _, p := range loaded.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", p.Error())
	}
	cfg := loaded.Config
	pol, err := policy.Compile(cfg.Policy)
	if err != nil {
		return fail("%v", err)
	}
	det, err := redact.NewDetector(cfg.DetectorOptions())
	if err != nil {
		return fail("%v", err)
	}
	req := policy.Request{
		Kind:          policy.Kind(*kind),
		Path:          filepath.ToSlash(abs),
		WorkspaceRoot: filepath.ToSlash(root),
		LanguageID:    *lang,
		Wrapped:       *wrapped || len(cfg.Upstream.Command) > 0,
	}
	if req.LanguageID == "" {
		req.LanguageID = languageID(req.Path)
	}
	req.Findings = det.Scan(scanPath(req.Path, req.WorkspaceRoot), text)
	code, err := writeExplanation(e.stdout, req, pol.Decide(req), root, text)
	if err != nil {
		return fail("%v", err)
	}
	return code
}

// writeExplanation prints policy explain's report on req and its decision d:
// the findings as previews, then what the model would see (text masked
// whole), or that it sees nothing. It returns the exit code; an error means
// masking failed.
func writeExplanation(w io.Writer, req policy.Request, d policy.Decision, root string, text []byte) (int, error) {
	fmt.Fprintf(w, "file:       %s\n", req.Path)
	if root == "" {
		fmt.Fprintln(w, "workspace:  (none: no .git or .veil.yaml above the file)")
	} else {
		fmt.Fprintf(w, "workspace:  %s\n", req.WorkspaceRoot)
	}
	fmt.Fprintf(w, "kind:       %s\nlanguage:   %s\n", req.Kind, req.LanguageID)
	fmt.Fprintf(w, "decision:   %s\nrule:       %s\n", d.Route, d.Rule)
	if d.Source != "" {
		fmt.Fprintf(w, "written in: %s\n", d.Source)
	}
	fmt.Fprintf(w, "reason:     %s\n", d.Reason)
	fmt.Fprintf(w, "\nfindings:   %d\n", len(req.Findings))
	for _, f := range req.Findings {
		line, col := textbuf.LineCol(text, f.Start)
		fmt.Fprintf(w, "  %-8s %-10s %-28s %s\n", fmt.Sprintf("%d:%d", line, col), f.Category, f.RuleID, redact.Preview(string(text[f.Start:f.End])))
	}
	if d.Route == policy.Block {
		fmt.Fprintln(w, "\nthe model sees: nothing (the request is blocked)")
		return exitFindings, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	m, err := redact.NewVault(key, 0).Mask(string(text), req.Findings)
	if err != nil {
		return exitError, err
	}
	if d.Route == policy.Upstream {
		fmt.Fprintln(w, "\nthe wrapped server's upstream sees (the whole file, masked at veil's boundary; it sends what its prompt holds):")
	} else {
		fmt.Fprintln(w, "\nthe model sees (the whole file, masked; veil lsp sends a window around the cursor):")
	}
	fmt.Fprint(w, m.Text)
	if !strings.HasSuffix(m.Text, "\n") {
		fmt.Fprintln(w)
	}
	return exitOK, nil
}

// workspaceRoot is the nearest directory at or above file's directory that
// holds .git or .veil.yaml, "" when there is none.
func workspaceRoot(file string) string {
	for dir := filepath.Dir(file); ; {
		for _, marker := range []string{".git", config.WorkspaceFile} {
			if _, err := os.Lstat(filepath.Join(dir, marker)); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// languageID guesses the LSP language id from a file name, as editors do.
func languageID(p string) string {
	base := strings.ToLower(path.Base(p))
	if base == ".env" || strings.HasPrefix(base, ".env.") {
		return "dotenv"
	}
	switch base {
	case "dockerfile":
		return "dockerfile"
	case "makefile":
		return "makefile"
	}
	ids := map[string]string{
		".go": "go", ".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
		".ts": "typescript", ".tsx": "typescriptreact", ".jsx": "javascriptreact", ".java": "java",
		".kt": "kotlin", ".rs": "rust", ".rb": "ruby", ".php": "php", ".cs": "csharp", ".c": "c", ".h": "c",
		".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".swift": "swift", ".scala": "scala", ".lua": "lua",
		".sh": "shellscript", ".bash": "shellscript", ".zsh": "shellscript", ".md": "markdown",
		".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".ini": "ini", ".xml": "xml",
		".html": "html", ".css": "css", ".sql": "sql", ".tf": "terraform", ".properties": "properties",
	}
	if id, ok := ids[path.Ext(base)]; ok {
		return id
	}
	return "plaintext"
}
