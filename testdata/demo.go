package testdata

import "embed"

// Demo is the demo workspace (testdata/demo): a few files in Go, Python and
// TypeScript with planted fake secrets, personal data and a codename, a
// .env, the workspace's .veil.yaml and the list of planted values
// (.planted). `veil demo` copies it to a temporary directory and drives an
// editor session over it.
//
//go:embed all:demo
var Demo embed.FS
