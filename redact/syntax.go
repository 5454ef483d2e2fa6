package redact

import (
	"bytes"
	"path"
	"strings"
)

// syntax is what the typing-safe scan and veil:allow need to know about a
// file's language: where strings and line comments start. It is a lexer
// for one line at a time (plus strings that may span lines), not a parser.
type syntax struct {
	known    bool     // a language veil knows (veil:allow needs one)
	comments []string // line-comment starts
	quotes   string   // bytes that open a string closed by the same byte
	multi    string   // of quotes, those whose strings may span lines
	triple   bool     // """ and ''' open strings that may span lines
	noEscape string   // of quotes, those in which a backslash escapes nothing
	kv       bool     // lines are key = value / key: value (env, shell, YAML, TOML, INI, properties, Dockerfile)
	env      bool     // every value may be a credential (.env, .netrc, ...)
	config   bool     // a configuration file: values are data, not prose
	blocks   bool     // YAML block scalars: key: | (or >) owns the more-indented lines below
}

var (
	sxCLike   = syntax{known: true, comments: []string{"//"}, quotes: `"'`}
	sxGo      = syntax{known: true, comments: []string{"//"}, quotes: "\"'`", multi: "`", noEscape: "`"}
	sxJS      = syntax{known: true, comments: []string{"//"}, quotes: "\"'`", multi: "`"}
	sxJVM     = syntax{known: true, comments: []string{"//"}, quotes: `"'`, triple: true}
	sxPython  = syntax{known: true, comments: []string{"#"}, quotes: `"'`, triple: true}
	sxRuby    = syntax{known: true, comments: []string{"#"}, quotes: "\"'`"}
	sxShell   = syntax{known: true, comments: []string{"#"}, quotes: "\"'`", noEscape: "'", kv: true}
	sxEnv     = syntax{known: true, comments: []string{"#"}, quotes: "\"'`", noEscape: "'", kv: true, env: true, config: true}
	sxYAML    = syntax{known: true, comments: []string{"#"}, quotes: `"'`, noEscape: "'", kv: true, config: true, blocks: true}
	sxTOML    = syntax{known: true, comments: []string{"#"}, quotes: `"'`, triple: true, noEscape: "'", kv: true, config: true}
	sxINI     = syntax{known: true, comments: []string{"#", ";"}, quotes: `"'`, kv: true, config: true}
	sxDocker  = syntax{known: true, comments: []string{"#"}, quotes: `"'`, kv: true, config: true}
	sxSQL     = syntax{known: true, comments: []string{"--"}, quotes: `"'`}
	sxLua     = syntax{known: true, comments: []string{"--"}, quotes: `"'`}
	sxLisp    = syntax{known: true, comments: []string{";"}, quotes: `"`}
	sxJSON    = syntax{quotes: `"`, config: true}
	sxUnknown = syntax{quotes: "\"'`", triple: true, kv: true}
)

// syntaxByExt maps a lower-case file extension to its syntax.
var syntaxByExt = map[string]*syntax{
	".go": &sxGo, ".c": &sxCLike, ".h": &sxCLike, ".cc": &sxCLike, ".cpp": &sxCLike, ".hpp": &sxCLike,
	".cs": &sxCLike, ".rs": &sxCLike, ".php": &sxCLike, ".m": &sxCLike, ".zig": &sxCLike,
	".js": &sxJS, ".mjs": &sxJS, ".cjs": &sxJS, ".jsx": &sxJS, ".ts": &sxJS, ".tsx": &sxJS, ".mts": &sxJS,
	".cts": &sxJS, ".vue": &sxJS, ".svelte": &sxJS,
	".java": &sxJVM, ".kt": &sxJVM, ".kts": &sxJVM, ".scala": &sxJVM, ".groovy": &sxJVM, ".gradle": &sxJVM,
	".swift": &sxJVM, ".dart": &sxJVM,
	".py": &sxPython, ".pyi": &sxPython, ".pyx": &sxPython, ".rb": &sxRuby, ".pl": &sxRuby, ".ex": &sxRuby,
	".exs": &sxRuby, ".r": &sxRuby, ".jl": &sxRuby, ".nim": &sxRuby,
	".sh": &sxShell, ".bash": &sxShell, ".zsh": &sxShell, ".ksh": &sxShell, ".fish": &sxShell, ".mk": &sxShell,
	".env": &sxEnv, ".envrc": &sxEnv, ".netrc": &sxEnv, ".npmrc": &sxEnv, ".pypirc": &sxEnv, ".pgpass": &sxEnv,
	".yaml": &sxYAML, ".yml": &sxYAML, ".toml": &sxTOML,
	".ini": &sxINI, ".cfg": &sxINI, ".conf": &sxINI, ".properties": &sxINI, ".tfvars": &sxINI, ".hcl": &sxINI,
	".tf": &sxINI, ".sql": &sxSQL, ".lua": &sxLua, ".hs": &sxLua, ".el": &sxLisp, ".clj": &sxLisp,
	".lisp": &sxLisp, ".scm": &sxLisp, ".json": &sxJSON,
}

// syntaxFor is the syntax of the file at p (a slash or OS path, possibly
// relative); unknown files get a permissive syntax that knows no comments.
func syntaxFor(p string) *syntax {
	base := strings.ToLower(path.Base(strings.ReplaceAll(p, `\`, "/")))
	switch {
	case p == "":
		return &sxUnknown
	case base == ".env" || strings.HasPrefix(base, ".env.") || base == "credentials" || base == ".git-credentials":
		return &sxEnv
	case base == "dockerfile" || strings.HasPrefix(base, "dockerfile.") || strings.HasSuffix(base, ".dockerfile") ||
		base == "containerfile":
		return &sxDocker
	case base == "makefile" || base == "gnumakefile" || base == ".bashrc" || base == ".zshrc" || base == ".profile":
		return &sxShell
	}
	if sx, ok := syntaxByExt[path.Ext(base)]; ok {
		return sx
	}
	return &sxUnknown
}

// lexState is where a lexer stands: in code, in a string (which quote,
// where its content starts) or in a line comment.
type lexState struct {
	str      bool
	quote    byte
	triple   bool
	start    int // content start of the string, or start of the comment
	qstart   int // the opening quote
	comment  bool
	lastLine int // start of the line being lexed
}

// lex runs sx's lexer over text[from:to) from st and returns the state at
// to. A string that may not span lines ends unterminated at a line break,
// and so does a comment.
func (sx *syntax) lex(text []byte, from, to int, st lexState) lexState {
	// Bytes that can change the state; runs of other bytes are skipped.
	var stop [256]bool
	stop['\n'], stop['\\'] = true, true
	for i := 0; i < len(sx.quotes); i++ {
		stop[sx.quotes[i]] = true
	}
	for _, cm := range sx.comments {
		stop[cm[0]] = true
	}
	for i := from; i < to; i++ {
		if st.comment {
			k := bytes.IndexByte(text[i:to], '\n')
			if k < 0 {
				return st
			}
			i += k
		}
		for i < to && !stop[text[i]] {
			i++
		}
		if i >= to {
			return st
		}
		c := text[i]
		if c == '\n' {
			st.lastLine = i + 1
			if st.comment || st.str && !st.triple && strings.IndexByte(sx.multi, st.quote) < 0 {
				st.str, st.comment = false, false
			}
			continue
		}
		switch {
		case st.comment:
		case st.str:
			i = sx.inString(text, i, to, &st)
		default:
			i = sx.inCode(text, i, &st)
		}
	}
	return st
}

// inString advances over one byte (or an escape, or a closing quote) of a
// string and returns the index of the last byte consumed.
func (sx *syntax) inString(text []byte, i, to int, st *lexState) int {
	c := text[i]
	if c == '\\' && strings.IndexByte(sx.noEscape, st.quote) < 0 {
		if i+1 < to && text[i+1] != '\n' {
			return i + 1
		}
		return i
	}
	if c != st.quote {
		return i
	}
	if !st.triple {
		st.str = false
		return i
	}
	if i+2 < len(text) && text[i+1] == c && text[i+2] == c {
		st.str = false
		return i + 2
	}
	return i
}

// inCode looks at one byte of code: a comment or a string may start there.
func (sx *syntax) inCode(text []byte, i int, st *lexState) int {
	c := text[i]
	for _, cm := range sx.comments {
		if hasAt(text, i, cm) && commentMayStart(cm, text, i) {
			st.comment, st.start = true, i // the rest of the line is comment
			return i
		}
	}
	if strings.IndexByte(sx.quotes, c) < 0 || !quoteMayOpen(c, text, i) {
		return i
	}
	st.str, st.quote, st.qstart, st.triple = true, c, i, false
	if sx.triple && (c == '"' || c == '\'') && i+2 < len(text) && text[i+1] == c && text[i+2] == c {
		st.triple = true
		st.start = i + 3
		return i + 2
	}
	st.start = i + 1
	return i
}

// commentMayStart: # and ; start a comment only at a line start or after a
// blank (a#b in shell, YAML and .env is not a comment).
func commentMayStart(cm string, text []byte, i int) bool {
	if cm != "#" && cm != ";" {
		return true
	}
	return i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n'
}

// quoteMayOpen: an apostrophe right after a letter or digit is one
// (don't), except after Python's string prefixes (r'x', b'x', f'x', rb'x').
func quoteMayOpen(c byte, text []byte, i int) bool {
	if c != '\'' || i == 0 || !isAlnum(text[i-1]) {
		return true
	}
	j := i
	for j > 0 && j > i-2 && strings.IndexByte("rRbBfFuU", text[j-1]) >= 0 {
		j--
	}
	return j < i && (j == 0 || !isAlnum(text[j-1]) && text[j-1] != '_')
}

// hasAt reports whether text holds s at i.
func hasAt(text []byte, i int, s string) bool {
	return i+len(s) <= len(text) && string(text[i:i+len(s)]) == s
}
