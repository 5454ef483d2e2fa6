package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"path/filepath"

	"github.com/veil-dev/veil/redact"
)

// runRedact reads stdin and writes it redacted to stdout, with tokens from
// a vault that lives for this run only.
func runRedact(e *env, args []string) int {
	fs := newFlagSet("redact", "", e)
	cfgFile := fs.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	name := fs.String("path", "", "file name the text came from, for path-based rules and allow.paths")
	if code, done := parse(fs, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "veil redact: "+format+"\n", a...)
		return exitError
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError
	}
	var roots []string
	detPath := *name
	if *name != "" {
		if abs, err := filepath.Abs(*name); err == nil {
			if root := workspaceRoot(abs); root != "" {
				roots = []string{root}
				detPath = scanPath(filepath.ToSlash(abs), filepath.ToSlash(root))
			}
		}
	}
	_, det, err := loadDetector(e, "redact", *cfgFile, roots)
	if err != nil {
		return fail("%v", err)
	}
	text, err := io.ReadAll(e.stdin)
	if err != nil {
		return fail("reading stdin: %v", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fail("session key: %v", err)
	}
	m, err := redact.NewVault(key, 0).Mask(string(text), det.Scan(detPath, text))
	if err != nil {
		return fail("%v", err)
	}
	if _, err := io.WriteString(e.stdout, m.Text); err != nil {
		return fail("writing stdout: %v", err)
	}
	if len(m.Spans) > 0 {
		fmt.Fprintf(e.stderr, "veil redact: masked %d values\n", len(m.Spans))
	}
	return exitOK
}
