package main

import "fmt"

func runConfig(e *env, args []string) int {
	fs := newFlagSet("config", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil config: not implemented yet")
	return exitError
}
