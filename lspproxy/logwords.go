package lspproxy

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Strings the editor chooses freely (an unknown notification's method,
// $/setTrace's value, clientInfo's name) reach the log only in the shape
// such a string has; anything else is logged by its length. A shaped word
// is still masked like document text, so a token that happens to fit the
// shape does not reach the log either.

// traceLevels are $/setTrace's values.
var traceLevels = map[string]bool{"off": true, "messages": true, "verbose": true}

// logTrace is a $/setTrace value as logged.
func logTrace(v string) string {
	if traceLevels[v] {
		return v
	}
	return withheld(v)
}

// logMethod is a method name as logged: "$/x", "a/bC/d", segments of ASCII
// letters only.
func (s *Server) logMethod(m string) string {
	rest := strings.TrimPrefix(m, "$/")
	ok := len(m) <= 64 && rest != "" && strings.IndexFunc(rest, func(r rune) bool {
		return r != '/' && (r > unicode.MaxASCII || !unicode.IsLetter(r))
	}) < 0
	if !ok || strings.Contains(rest, "//") || strings.HasPrefix(rest, "/") || strings.HasSuffix(rest, "/") {
		return withheld(m)
	}
	return s.logMasked(m)
}

// editorWords name the editors and clients veil knows; a clientInfo.name
// holding none of them is logged as "other".
var editorWords = []string{"neovim", "nvim", "vim", "code", "codium", "emacs", "eglot", "helix", "zed",
	"sublime", "intellij", "jetbrains", "lsp4ij", "kate", "copilot", "veil", "lsptest"}

// logClientName is clientInfo.name as logged: an editor's name (a few
// words of letters, digits, spaces, dots and dashes naming a known editor)
// as sent, anything else "other" and its length. The name is logged before
// the detector is ready, so it is judged by shape alone.
func logClientName(n string) string {
	ok := len(n) <= 48 && strings.IndexFunc(n, func(r rune) bool {
		return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '.' || r == '-')
	}) < 0
	lower := strings.ToLower(n)
	if ok && slices.ContainsFunc(editorWords, func(w string) bool { return strings.Contains(lower, w) }) {
		return n
	}
	return fmt.Sprintf("other (%d bytes)", len(n))
}

// logMasked is v masked like document text.
func (s *Server) logMasked(v string) string {
	if s.ai == nil || v == "" {
		return v
	}
	masked, err := s.ai.maskString(s.ai.settings(), v)
	if err != nil {
		return withheld(v)
	}
	return masked.String()
}

func withheld(v string) string { return fmt.Sprintf("(%d bytes withheld)", len(v)) }
