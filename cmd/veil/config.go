package main

import (
	"fmt"
	"io"
	"os"

	"github.com/veil-dev/veil/config"
)

func configUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: veil config <check|show> [flags]")
	fmt.Fprintln(w, "\n  check [FILE...]   validate config files (default: the user file); a file named")
	fmt.Fprintln(w, "                    .veil.yaml is checked as an untrusted workspace file")
	fmt.Fprintln(w, "  show              print the merged config, each value with its source")
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 problems found, 2 usage or runtime error")
	fmt.Fprintln(w, "run 'veil config <check|show> --help' for flags")
}

func runConfig(e *env, args []string) int {
	if len(args) == 0 {
		configUsage(e.stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		configUsage(e.stderr)
		return exitOK
	case "check":
		return runConfigCheck(e, args[1:])
	case "show":
		return runConfigShow(e, args[1:])
	}
	fmt.Fprintf(e.stderr, "veil config: unknown subcommand %q\n\n", args[0])
	configUsage(e.stderr)
	return exitError
}

// runConfigCheck prints every problem in the named files (or the user
// file), one per line on stdout, and exits 1 if any is more than a warning.
func runConfigCheck(e *env, args []string) int {
	fs := newFlagSet("config check", "[FILE...]", e)
	if code, done := parse(fs, args); done {
		return code
	}
	files := fs.Args()
	if len(files) == 0 {
		path, explicit := config.LoadOptions{Getenv: e.getenv}.UserPath()
		if path == "" {
			fmt.Fprintln(e.stderr, "veil config check: no user config file (HOME is not set); give a FILE")
			return exitError
		}
		if _, err := os.Stat(path); err != nil && !explicit {
			fmt.Fprintf(e.stdout, "%s: no such file; the built-in defaults apply\n", path)
			return exitOK
		}
		files = []string{path}
	}
	code := exitOK
	for _, f := range files {
		problems := config.Check(f)
		bad := false
		for _, p := range problems {
			prefix := ""
			if p.Warning {
				prefix = "warning: "
			} else {
				bad = true
			}
			fmt.Fprintf(e.stdout, "%s%s\n", prefix, p.Error())
		}
		if bad {
			code = exitFindings
		} else {
			fmt.Fprintf(e.stdout, "%s: ok\n", f)
		}
	}
	return code
}

// runConfigShow loads the config as `veil lsp` would (user file, the
// workspace roots given, VEIL_* variables) and prints it as YAML, each value
// with its source. Problems go to stderr.
func runConfigShow(e *env, args []string) int {
	fs := newFlagSet("config show", "", e)
	file := fs.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	roots := fs.StringArray("workspace", nil, "a workspace root whose .veil.yaml applies (repeatable)")
	if code, done := parse(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "veil config show: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}
	l, err := config.Load(config.LoadOptions{UserFile: *file, WorkspaceRoots: *roots, Getenv: e.getenv})
	if err != nil {
		problems := config.Problems(err)
		if len(problems) == 0 {
			fmt.Fprintf(e.stderr, "veil config show: %v\n", err)
			return exitError
		}
		for _, p := range problems {
			fmt.Fprintln(e.stderr, p.Error())
		}
		return exitFindings
	}
	for _, p := range l.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", p.Error())
	}
	out, err := l.YAML()
	if err != nil {
		fmt.Fprintf(e.stderr, "veil config show: %v\n", err)
		return exitError
	}
	_, _ = e.stdout.Write(out)
	return exitOK
}
