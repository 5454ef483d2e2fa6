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

// buildFIM lays out the prompt: each neighbour as a comment header with its
// path followed by its text, then a header with the document's own path, then
// the prefix; the suffix goes in the suffix field or the family's template.
// All of it is redacted text from req. In template modes a special token
// that occurs in the text itself is defused (a space after its "<"), so a
// file cannot rearrange the template.
func buildFIM(mode string, req FIMRequest) fimPrompt {
	f, template := fimFormats[mode]
	clean := func(s string) string { return s }
	if template {
		clean = f.defuse
	}
	var b strings.Builder
	open, close := commentSyntax(req.Language)
	header := func(path string) {
		b.WriteString(open + " Path: " + clean(oneLine(path)) + close + "\n")
	}
	for _, n := range req.Neighbors {
		header(n.Path)
		b.WriteString(clean(n.Text))
		if !strings.HasSuffix(n.Text, "\n") {
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	if req.Path != "" {
		header(req.Path)
	}
	b.WriteString(clean(req.Prefix))
	if !template {
		return fimPrompt{prompt: b.String(), suffix: req.Suffix}
	}
	return fimPrompt{prompt: f.pre + b.String() + f.suf + clean(req.Suffix) + f.mid, stops: f.stops}
}

// defuse breaks up the family's special tokens inside s.
func (f fimFormat) defuse(s string) string {
	if !strings.Contains(s, "<") {
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

// oneLine keeps a path from ending its comment line early.
func oneLine(s string) string {
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
