package main

import "fmt"

func runRedact(e *env, args []string) int {
	fs := newFlagSet("redact", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil redact: not implemented yet")
	return exitError
}
