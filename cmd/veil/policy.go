package main

import "fmt"

func runPolicy(e *env, args []string) int {
	fs := newFlagSet("policy", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil policy: not implemented yet")
	return exitError
}
