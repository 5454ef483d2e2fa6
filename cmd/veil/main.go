// Command veil is the entry point: it parses the subcommand, wires the
// packages together and turns the outcome into an exit code. The work itself
// lives in the packages; see each package's doc.go.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0 // success; nothing found; routed local
	exitFindings = 1 // findings (scan), blocked (policy explain), broken chain (audit verify)
	exitError    = 2 // usage or runtime error
)

// version is overridden at link time: -ldflags "-X main.version=v1.2.3".
var version = "v0.1.0-dev"

// env is what a subcommand may touch of the process. Tests build one with
// buffers; main builds one from os.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{"lsp", "run the AI language server on stdio (or --listen)", runLSP},
		{"scan", "scan files for secrets, PII and identifiers", runScan},
		{"redact", "redact stdin to stdout", runRedact},
		{"demo", "run a scripted editor session on the built-in model", runDemo},
		{"policy", "explain what policy decides for a file", runPolicy},
		{"audit", "verify the audit log chain and print statistics", runAudit},
		{"config", "check a config file or show the merged config", runConfig},
		{"version", "print the version", runVersion},
	}
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if n := procsFor(os.Args[1:], e.getenv); n > 0 {
		runtime.GOMAXPROCS(n)
	}
	if p := gcPercentFor(os.Args[1:], e.getenv); p > 0 {
		debug.SetGCPercent(p)
	}
	os.Exit(run(e, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "veil: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: veil <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 findings / blocked / broken chain, 2 usage or runtime error")
	fmt.Fprintln(w, "run 'veil <command> --help' for a command's flags")
}

func runVersion(e *env, args []string) int {
	fs := newFlagSet("version", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintf(e.stdout, "veil %s\n", version)
	return exitOK
}
