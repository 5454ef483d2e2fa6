package config

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Problem is one thing wrong with a config source. File is the file path
// (or "env VEIL_X", "flag --x" for those layers), Key the dotted key path
// ("policy.rules[2].route"), Line the 1-based line in File (0 when unknown).
// Msg never contains a configured value, only its type or a masked preview.
// Warning marks advice that does not make the config wrong (a non-local
// model endpoint, an unknown VEIL_* variable); a rejected key in a
// workspace file is not a Warning even though it does not stop the load.
type Problem struct {
	File    string
	Key     string
	Line    int
	Msg     string
	Warning bool
}

// Error formats the problem as "file:line: key: msg", leaving out the parts
// that are unknown.
func (p Problem) Error() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
	}
	if p.Key != "" {
		if s != "" {
			s += ": "
		}
		s += p.Key
	}
	if s != "" {
		s += ": "
	}
	return s + p.Msg
}

// joinProblems returns the problems as one error (nil for none); each one
// stays reachable with errors.As through the Unwrap() []error chain.
func joinProblems(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Problems returns the problems inside an error returned by Load (nil if
// it holds none).
func Problems(err error) []Problem {
	var out []Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(Problem); ok {
			out = append(out, p)
			return
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				walk(e)
			}
			return
		}
		if e := errors.Unwrap(e); e != nil {
			walk(e)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// preview masks a configured value for a message: its first 4 characters
// and its length. Config values can be secrets pasted in the wrong place
// (an API key in api_key_env, a token in allow.regexes).
func preview(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 4 {
		return fmt.Sprintf("%q (%d chars)", s, n)
	}
	i := 0
	for range 4 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return fmt.Sprintf("%q… (%d chars)", s[:i], n)
}
