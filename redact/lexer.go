package redact

import (
	"bytes"
	"path/filepath"
	"strings"
)

// The generic detector reads values the way each language family writes
// them. A family says which string-literal kinds exist, whether an unquoted
// word can be a value, how a value continues on the next line (string
// concatenation, YAML block scalars) and where comments start. One lexer
// function per concern reads a literal at a position; the decision whether
// the literal is a credential is taken once, in decide.go.

// family is a group of languages and formats that write literals alike.
type family uint8

const (
	famUnknown family = iota // no or unknown extension: config-like
	famCLike                 // Go, Java, JS/TS, C/C++, C#, Rust, Kotlin, Swift, Scala, Dart, Groovy
	famPython
	famRuby
	famShell // sh, bash, zsh, .env, Dockerfile, Makefile, PowerShell
	famYAML
	famTOML // TOML, INI, properties, conf
	famJSON
	famXML // XML, HTML, SVG, plist, .config
	famLua
	famPHP
	famSQL
	famProse // Markdown, text, reStructuredText
)

var familyByExt = map[string]family{
	".go": famCLike, ".java": famCLike, ".js": famCLike, ".mjs": famCLike, ".cjs": famCLike, ".ts": famCLike,
	".jsx": famCLike, ".tsx": famCLike, ".c": famCLike, ".h": famCLike, ".cc": famCLike, ".cpp": famCLike,
	".hpp": famCLike, ".cs": famCLike, ".rs": famCLike, ".kt": famCLike, ".kts": famCLike, ".swift": famCLike,
	".scala": famCLike, ".dart": famCLike, ".groovy": famCLike, ".gradle": famCLike, ".m": famCLike,
	".vue": famCLike, ".svelte": famCLike, ".zig": famCLike, ".s": famCLike, ".tmpl": famCLike, ".pl": famCLike,
	".ex": famCLike, ".exs": famCLike, ".hs": famCLike, ".ml": famCLike, ".erl": famCLike, ".jl": famCLike,
	".clj": famCLike, ".nim": famCLike, ".tf": famCLike, ".hcl": famCLike, ".tfvars": famCLike, // HCL: unquoted is an expression
	".py": famPython, ".pyi": famPython, ".pyx": famPython, ".pxd": famPython,
	".rb": famRuby, ".rake": famRuby, ".gemspec": famRuby,
	".sh": famShell, ".bash": famShell, ".zsh": famShell, ".env": famShell, ".envrc": famShell, ".ps1": famShell,
	".mk": famShell, ".bat": famShell, ".cmd": famShell, ".fish": famShell,
	".yaml": famYAML, ".yml": famYAML,
	".toml": famTOML, ".ini": famTOML, ".cfg": famTOML, ".conf": famTOML, ".properties": famTOML, ".cnf": famTOML,
	".json": famJSON, ".jsonc": famJSON, ".json5": famJSON, ".ipynb": famJSON,
	".xml": famXML, ".html": famXML, ".htm": famXML, ".svg": famXML, ".plist": famXML, ".config": famXML,
	".csproj": famXML, ".xhtml": famXML, ".jsp": famXML,
	".lua": famLua,
	".php": famPHP,
	".sql": famSQL,
	".md":  famProse, ".txt": famProse, ".rst": famProse, ".adoc": famProse,
}

// familyOf classifies path by extension and, for files without one, by
// name (Dockerfile, Makefile, .env*).
func familyOf(path string) family {
	base := strings.ToLower(filepath.Base(path))
	if f, ok := familyByExt[strings.ToLower(filepath.Ext(base))]; ok {
		return f
	}
	switch {
	case base == "dockerfile" || strings.HasPrefix(base, "dockerfile.") || base == "makefile" ||
		strings.HasPrefix(base, ".env") || strings.HasSuffix(base, "rc") || strings.HasSuffix(base, "history"):
		return famShell
	}
	return famUnknown
}

// code reports families where an unquoted word after `=` is an expression
// (an identifier, a call), not a value.
func (f family) code() bool {
	switch f {
	case famCLike, famPython, famRuby, famLua, famPHP, famSQL:
		return true
	}
	return false
}

// literal is a string literal read by the lexer: the value bytes
// [vs, ve) and where the literal (quotes included) ends.
type literal struct {
	vs, ve, end int
	quoted      bool
}

// readLiteral reads a string literal of family f at i: "..", '..', `..`
// (C-like, shell), Python prefixes (r"", b"", f"") and triple quotes, C#
// @"..", Rust r"..", r#".."#, C++ L"..", u8"..", Lua [[..]], Ruby %q(..)
// and %(..), and \"..\" (a string inside a string). ok is false when no
// literal starts at i.
func readLiteral(text []byte, i int, f family) (literal, bool) {
	if i >= len(text) {
		return literal{}, false
	}
	// String prefixes.
	j := i
	for j < len(text) && j-i < 2 && (text[j] == 'r' || text[j] == 'R' || text[j] == 'b' || text[j] == 'B' ||
		text[j] == 'f' || text[j] == 'F' || text[j] == 'u' || text[j] == 'U' || text[j] == 'L' || text[j] == '8' ||
		text[j] == '@' || text[j] == '$') {
		j++
	}
	if j > i && j < len(text) && (text[j] == '"' || text[j] == '\'' || text[j] == '#') {
		if text[j] == '#' && f == famCLike { // Rust r#"..."#
			k := j
			for k < len(text) && text[k] == '#' {
				k++
			}
			if k < len(text) && text[k] == '"' {
				closer := append([]byte{'"'}, bytes.Repeat([]byte{'#'}, k-j)...)
				return delimited(text, k+1, closer, false)
			}
			return literal{}, false
		}
		if text[j] != '#' {
			raw := text[i] == 'r' || text[i] == 'R' || text[i] == '@'
			return quotedAt(text, j, raw)
		}
		return literal{}, false
	}
	c := text[i]
	switch {
	case c == '"' || c == '\'' || c == '`':
		if i+2 < len(text) && text[i+1] == c && text[i+2] == c && c != '`' &&
			(f == famPython || f == famTOML || f == famCLike && c == '"') {
			// Triple quotes: Python and TOML, Java text blocks, Kotlin,
			// Swift, Scala and C# raw strings.
			lit, ok := delimited(text, i+3, []byte{c, c, c}, true)
			for ok && lit.vs < lit.ve && isSpaceByte(text[lit.vs]) {
				lit.vs++ // a text block starts on the next line
			}
			for ok && lit.ve > lit.vs && isSpaceByte(text[lit.ve-1]) {
				lit.ve--
			}
			return lit, ok
		}
		return quotedAt(text, i, c == '`')
	case c == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\''):
		// \"value\" inside an outer string.
		vs := i + 2
		k := bytes.Index(text[vs:min(len(text), vs+512)], []byte{'\\', text[i+1]})
		if k < 0 || bytes.IndexByte(text[vs:vs+k], '\n') >= 0 {
			return literal{}, false
		}
		return literal{vs: vs, ve: vs + k, end: vs + k + 2, quoted: true}, true
	case c == '[' && f == famLua && i+1 < len(text) && text[i+1] == '[':
		return delimited(text, i+2, []byte("]]"), true)
	case c == '%' && f == famRuby && i+2 < len(text):
		k := i + 1
		if text[k] == 'q' || text[k] == 'Q' {
			k++
		}
		if k < len(text) {
			if cl := closingBracket(text[k]); cl != 0 {
				return delimited(text, k+1, []byte{cl}, false)
			}
		}
	}
	return literal{}, false
}

func closingBracket(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	case '|', '!', '/':
		return c
	}
	return 0
}

// quotedAt reads a one-line literal opened by the quote at q. raw literals
// have no backslash escapes.
func quotedAt(text []byte, q int, raw bool) (literal, bool) {
	quote := text[q]
	vs := q + 1
	for j := vs; j < len(text) && j-vs < 512; j++ {
		c := text[j]
		switch {
		case c == '\n' && quote != '`':
			return literal{}, false
		case c == '\\' && !raw:
			j++
		case c == quote:
			return literal{vs: vs, ve: j, end: j + 1, quoted: true}, true
		}
	}
	return literal{}, false
}

// delimited reads up to closer (at most 4 KiB, lines allowed when multi).
func delimited(text []byte, vs int, closer []byte, multi bool) (literal, bool) {
	lim := min(len(text), vs+4096)
	k := bytes.Index(text[vs:lim], closer)
	if k < 0 || !multi && bytes.IndexByte(text[vs:vs+k], '\n') >= 0 {
		return literal{}, false
	}
	return literal{vs: vs, ve: vs + k, end: vs + k + len(closer), quoted: true}, true
}

// concatenated returns the literals joined to lit across operators and line
// breaks: "a" + "b" (C-like, Java, JS), "a" "b" (Python, C implicit
// concatenation), "a" .. "b" (Lua), 'a' . 'b' (PHP), "a" \ (shell and
// Python line continuation). Each piece is masked on its own.
func concatenated(text []byte, lit literal, f family, out []literal) []literal {
	out = append(out, lit)
	for len(out) < 16 {
		i := lit.end
		i = skipSpace(text, i, true)
		switch {
		case i < len(text) && text[i] == '+' && f != famLua && f != famPHP:
			i++
		case i+1 < len(text) && text[i] == '.' && text[i+1] == '.' && f == famLua:
			i += 2
		case i < len(text) && text[i] == '.' && f == famPHP:
			i++
		case i < len(text) && text[i] == '\\' && (f == famPython || f == famShell):
			i++
		case f == famPython || f == famCLike:
			// implicit concatenation: the next token is a literal
		default:
			return out
		}
		i = skipSpace(text, i, true)
		next, ok := readLiteral(text, i, f)
		if !ok || next.ve <= next.vs {
			return out
		}
		out = append(out, next)
		lit = next
	}
	return out
}

// skipSpace skips blanks (and line breaks when lines is set) and a
// trailing comment? no: only white space.
func skipSpace(text []byte, i int, lines bool) int {
	for i < len(text) {
		c := text[i]
		if c == ' ' || c == '\t' || lines && (c == '\n' || c == '\r') {
			i++
			continue
		}
		break
	}
	return i
}

// yamlBlock reads a YAML block scalar whose indicator (| or >, with
// optional chomping and indentation indicators) starts at i: it returns
// one literal per non-empty content line.
func yamlBlock(text []byte, i int, keyIndent int, out []literal) []literal {
	j := i + 1
	for j < len(text) && (text[j] == '-' || text[j] == '+' || isDigit(text[j])) {
		j++
	}
	j = skipBlanks(text, j)
	if j < len(text) && text[j] == '#' {
		j = lineEnd(text, j)
	}
	if j < len(text) && text[j] == '\r' {
		j++
	}
	if j >= len(text) || text[j] != '\n' {
		return out
	}
	indent := -1
	for ls := j + 1; ls < len(text) && len(out) < 64; {
		le := lineEnd(text, ls)
		line := text[ls:le]
		k := 0
		for k < len(line) && line[k] == ' ' {
			k++
		}
		content := bytes.TrimRight(line[k:], " \t\r")
		if len(content) == 0 {
			ls = le + 1
			continue
		}
		if indent < 0 {
			indent = k
		}
		if k <= keyIndent || k < indent {
			break
		}
		out = append(out, literal{vs: ls + k, ve: ls + k + len(content), end: le, quoted: true})
		ls = le + 1
	}
	return out
}

// indentOf returns the number of spaces before the first non-space byte of
// at's line.
func indentOf(text []byte, at int) int {
	ls := lineStart(text, at)
	k := 0
	for ls+k < len(text) && text[ls+k] == ' ' {
		k++
	}
	return k
}

// readBare reads an unquoted value at i: up to a blank, a separator or a
// comment. In shell-like families a trailing comment starts at " #".
func readBare(text []byte, i int) literal {
	j := i
	for j < len(text) && j-i < 512 {
		c := text[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ';' || c == '"' || c == '\'' ||
			c == '}' || c == ')' || c == ']' || c == '`' {
			break
		}
		j++
	}
	return literal{vs: i, ve: j, end: j}
}

// readLineRest reads an unquoted value at i to the end of its line, as
// properties and INI files write values with blanks: trailing blanks and a
// " #" or " ;" comment are not part of it.
func readLineRest(text []byte, i int) literal {
	le := lineEnd(text, i)
	ve := le
	for j := i; j+1 < le; j++ {
		if (text[j] == ' ' || text[j] == '\t') && (text[j+1] == '#' || text[j+1] == ';') {
			ve = j
			break
		}
	}
	for ve > i && (text[ve-1] == ' ' || text[ve-1] == '\t' || text[ve-1] == '\r') {
		ve--
	}
	return literal{vs: i, ve: ve, end: le, quoted: true}
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
