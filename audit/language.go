package audit

// knownLanguages are the LSP language identifiers (the specification's
// list plus common ones editors send) an audit record may name. Anything
// else, a client's invention or a string that could carry document
// content, is recorded as "other".
var knownLanguages = map[string]bool{
	"abap": true, "bat": true, "bibtex": true, "clojure": true, "coffeescript": true, "c": true, "cpp": true,
	"csharp": true, "css": true, "d": true, "delphi": true, "diff": true, "dart": true, "dockerfile": true,
	"elixir": true, "erlang": true, "fsharp": true, "git-commit": true, "git-rebase": true, "go": true,
	"groovy": true, "handlebars": true, "haml": true, "haskell": true, "html": true, "ini": true, "java": true,
	"javascript": true, "javascriptreact": true, "json": true, "jsonc": true, "julia": true, "latex": true,
	"less": true, "lua": true, "makefile": true, "markdown": true, "objective-c": true, "objective-cpp": true,
	"ocaml": true, "pascal": true, "perl": true, "perl6": true, "php": true, "plaintext": true, "powershell": true,
	"jade": true, "pug": true, "python": true, "r": true, "razor": true, "ruby": true, "rust": true, "scss": true,
	"sass": true, "scala": true, "shaderlab": true, "shellscript": true, "sh": true, "bash": true, "zsh": true,
	"slim": true, "sql": true, "stylus": true, "svelte": true, "swift": true, "typescript": true,
	"typescriptreact": true, "tex": true, "vb": true, "vue": true, "xml": true, "xsl": true, "yaml": true,
	"kotlin": true, "toml": true, "terraform": true, "hcl": true, "dotenv": true, "properties": true,
	"proto": true, "graphql": true, "nix": true, "zig": true, "elm": true, "cmake": true, "text": true,
	"vim": true, "elisp": true, "emacs-lisp": true, "fish": true, "gomod": true, "gosum": true, "gotmpl": true,
	"csv": true, "restructuredtext": true, "sql-postgres": true, "objc": true, "objcpp": true, "cuda": true,
}

// KnownLanguage is id when it is a known LSP language identifier, else
// "other" ("" stays "").
func KnownLanguage(id string) string {
	if id == "" || knownLanguages[id] {
		return id
	}
	return "other"
}
