package main

import "fmt"

func runScan(e *env, args []string) int {
	fs := newFlagSet("scan", "", e)
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stderr, "veil scan: not implemented yet")
	return exitError
}
