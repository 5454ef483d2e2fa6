package main

import "fmt"

func runAudit(e *env, args []string) int {
	fs := newFlagSet("audit", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil audit: not implemented yet")
	return exitError
}
