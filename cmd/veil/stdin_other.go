//go:build !unix

package main

import "io"

// pollableStdin returns r unchanged: the blocking-read concern of
// stdin_unix.go is not handled here.
func pollableStdin(r io.Reader) io.Reader { return r }
