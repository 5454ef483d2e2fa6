package localmodel

import "strings"

// fimFormat is how one model family spells a fill-in-the-middle prompt. The
// token strings come from the families' public model cards and READMEs; the
// Code Llama spacing is the one Ollama and Meta's examples use in text
// prompts.
type fimFormat struct {
	pre, suf, mid string
	// stops end the output if the server lets a special token through.
	stops []string
}

var fimFormats = map[string]fimFormat{
	FIMQwen: {
		pre: "<|fim_prefix|>", suf: "<|fim_suffix|>", mid: "<|fim_middle|>",
		stops: []string{"<|endoftext|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"},
	},
	FIMStarCoder: {
		pre: "<fim_prefix>", suf: "<fim_suffix>", mid: "<fim_middle>",
		stops: []string{"<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<file_sep>"},
	},
	FIMCodeLlama: {
		pre: "<PRE> ", suf: " <SUF>", mid: " <MID>",
		stops: []string{"<EOT>", "<PRE>", "<SUF>", "<MID>"},
	},
	FIMDeepSeek: {
		pre: "<｜fim▁begin｜>", suf: "<｜fim▁hole｜>", mid: "<｜fim▁end｜>",
		stops: []string{"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>", "<|EOT|>"},
	},
}

// fimPrompt is what goes to /v1/completions: in suffix mode the prompt and
// the suffix field; in template modes one prompt and no suffix field.
type fimPrompt struct {
	prompt, suffix string
	stops          []string
}

// buildFIM lays out the prompt (see layoutFIM) as one string. The
// completion call writes the pieces straight into its request body instead;
// this is for the text an error message is checked against, and for tests.
func buildFIM(mode string, req FIMRequest) fimPrompt {
	var pp promptPieces
	suffix, stops := layoutFIM(mode, req, &pp)
	return fimPrompt{prompt: pp.join(), suffix: suffix, stops: stops}
}

// layoutFIM lists the prompt's pieces in pp: each neighbour as a comment
// header with its path followed by its text, then a header with the
// document's own path, then the prefix; the suffix goes in the suffix field
// (returned) or the family's template (then the family's stops are
// returned). All of it is redacted text from req. In template modes a
// special token that occurs in the text itself is defused (a space after its
// "<"), so a file cannot rearrange the template.
//
// Two pieces of redacted text are never adjacent: a literal ASCII piece (a
// newline, a comment opener, a template token ending in ">") always sits
// between them, so escaping the pieces one by one gives the same JSON as
// escaping their concatenation, even when a text ends inside a UTF-8
// sequence.
func layoutFIM(mode string, req FIMRequest, pp *promptPieces) (suffix string, stops []string) {
	f, template := fimFormats[mode]
	pp.clean, pp.f = template, f
	if template {
		pp.add(f.pre)
	}
	open, close := commentSyntax(req.Language)
	for _, n := range req.Neighbors {
		pp.header(open, close, n.Path)
		pp.text(n.Text)
		if !strings.HasSuffix(n.Text, "\n") {
			pp.add("\n")
		}
		pp.add("\n")
	}
	if req.Path != "" {
		pp.header(open, close, req.Path)
	}
	pp.text(req.Prefix)
	if !template {
		return req.Suffix, nil
	}
	pp.add(f.suf)
	pp.text(req.Suffix)
	pp.add(f.mid)
	return "", f.stops
}

// promptPieces collects the pieces of a prompt in order, redacted text
// defused when clean is set, so that join can copy them into one string of
// exactly their length. The first pieces stay in first (on the stack: a
// prompt with up to 6 neighbours fits), the rest go to more.
type promptPieces struct {
	first [64]string
	n     int
	more  []string
	clean bool
	f     fimFormat
}

// add appends s as it is (the template's own tokens, newlines).
func (pp *promptPieces) add(s string) {
	if pp.n < len(pp.first) {
		pp.first[pp.n] = s
		pp.n++
		return
	}
	pp.more = append(pp.more, s)
}

// text appends redacted text, defused in template modes.
func (pp *promptPieces) text(s string) {
	if pp.clean {
		s = pp.f.defuse(s)
	}
	pp.add(s)
}

// header appends the comment line naming path.
func (pp *promptPieces) header(open, close, path string) {
	pp.add(open)
	pp.add(" Path: ")
	pp.text(oneLine(path))
	pp.add(close)
	pp.add("\n")
}

// each calls fn with every piece in order.
func (pp *promptPieces) each(fn func(string)) {
	for _, s := range pp.first[:pp.n] {
		fn(s)
	}
	for _, s := range pp.more {
		fn(s)
	}
}

func (pp *promptPieces) join() string {
	n := 0
	pp.each(func(s string) { n += len(s) })
	var b strings.Builder
	b.Grow(n)
	pp.each(func(s string) { b.WriteString(s) })
	return b.String()
}

// defuse breaks up the family's special tokens inside s.
func (f fimFormat) defuse(s string) string {
	if !f.holdsToken(s) {
		return s
	}
	for _, tok := range append([]string{f.pre, f.suf, f.mid}, f.stops...) {
		tok = strings.TrimSpace(tok)
		if strings.Contains(s, tok) {
			s = strings.ReplaceAll(s, tok, "< "+tok[1:])
		}
	}
	return s
}

// holdsToken reports whether s contains one of the family's special tokens
// (trimmed; each starts with "<"), in one pass over the "<" of s.
func (f fimFormat) holdsToken(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		rest := s[i:]
		for _, tok := range [...]string{f.pre, f.suf, f.mid} {
			if strings.HasPrefix(rest, strings.TrimSpace(tok)) {
				return true
			}
		}
		for _, tok := range f.stops {
			if strings.HasPrefix(rest, strings.TrimSpace(tok)) {
				return true
			}
		}
		j := strings.IndexByte(rest[1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// oneLine keeps a path from ending its comment line early.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r") {
		return s
	}
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// commentSyntax returns the line-comment opener (and closer, for block-only
// languages) of an LSP language id; "//" when unknown.
func commentSyntax(lang string) (open, close string) {
	switch lang {
	case "python", "ruby", "shellscript", "sh", "bash", "zsh", "perl", "r", "yaml", "toml",
		"dockerfile", "makefile", "elixir", "powershell", "nix", "julia", "cmake", "terraform", "hcl",
		"properties", "coffeescript", "crystal", "nim", "graphql", "gitignore", "ignore":
		return "#", ""
	case "lua", "sql", "haskell", "elm", "ada", "purescript":
		return "--", ""
	case "clojure", "lisp", "scheme", "racket", "ini":
		return ";", ""
	case "latex", "tex", "bibtex", "erlang", "matlab", "prolog":
		return "%", ""
	case "html", "xml", "markdown", "vue", "svelte", "xsl", "svg":
		return "<!--", " -->"
	case "css":
		return "/*", " */"
	case "vb", "vba":
		return "'", ""
	case "fortran":
		return "!", ""
	}
	return "//", ""
}
