package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// newFlagSet returns a flag set whose usage text names the command and its
// exit codes. Errors go to e.stderr, never stdout (stdout is the LSP stream).
func newFlagSet(name, argsUsage string, e *env) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: veil %s [flags] %s\n\nflags:\n", name, argsUsage)
		fs.PrintDefaults()
		fmt.Fprintln(e.stderr, "\nexit codes: 0 ok, 1 findings / blocked / broken chain, 2 usage or runtime error")
	}
	return fs
}

// parse parses args; done reports that the caller should return code now
// (help was asked for, or the flags were wrong).
func parse(fs *pflag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		return exitOK, true
	case err != nil:
		fmt.Fprintf(fs.Output(), "veil %s: %v\n", fs.Name(), err)
		fs.Usage()
		return exitError, true
	}
	return exitOK, false
}

// logFlags are the logging flags every long-running command takes.
type logFlags struct {
	file  string
	level string
}

func (l *logFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&l.file, "log-file", "", "write logs to this file instead of stderr")
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn, error")
}

// open returns a logger writing to stderr or the log file, and a close func.
// Logs never go to stdout.
func (l *logFlags) open(stderr io.Writer) (*slog.Logger, func() error, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(l.level))); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %v", err)
	}
	w, closeFn := stderr, func() error { return nil }
	if l.file != "" {
		f, err := os.OpenFile(l.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-file: %w", err)
		}
		w, closeFn = f, f.Close
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}
