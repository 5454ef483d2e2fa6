package main

import "fmt"

func runDemo(e *env, args []string) int {
	fs := newFlagSet("demo", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil demo: not implemented yet")
	return exitError
}
