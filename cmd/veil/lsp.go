package main

import "fmt"

func runLSP(e *env, args []string) int {
	fs := newFlagSet("lsp", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil lsp: not implemented yet")
	return exitError
}
