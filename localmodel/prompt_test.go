package localmodel

import (
	"fmt"
	"strings"
	"testing"
)

// referenceFIM is the prompt layout written the plain way, by
// concatenation: what buildFIM must produce.
func referenceFIM(mode string, req FIMRequest) fimPrompt {
	f, template := fimFormats[mode]
	clean := func(s string) string {
		if !template {
			return s
		}
		for _, tok := range append([]string{f.pre, f.suf, f.mid}, f.stops...) {
			tok = strings.TrimSpace(tok)
			s = strings.ReplaceAll(s, tok, "< "+tok[1:])
		}
		return s
	}
	flat := strings.NewReplacer("\n", " ", "\r", " ")
	open, close := commentSyntax(req.Language)
	header := func(path string) string { return open + " Path: " + clean(flat.Replace(path)) + close + "\n" }
	s := ""
	for _, n := range req.Neighbors {
		s += header(n.Path) + clean(n.Text)
		if !strings.HasSuffix(n.Text, "\n") {
			s += "\n"
		}
		s += "\n"
	}
	if req.Path != "" {
		s += header(req.Path)
	}
	s += clean(req.Prefix)
	if !template {
		return fimPrompt{prompt: s, suffix: req.Suffix}
	}
	return fimPrompt{prompt: f.pre + s + f.suf + clean(req.Suffix) + f.mid, stops: f.stops}
}

func fimModes() []string {
	return []string{FIMSuffix, FIMQwen, FIMStarCoder, FIMCodeLlama, FIMDeepSeek}
}

func checkFIM(t *testing.T, mode string, req FIMRequest) {
	t.Helper()
	got, want := buildFIM(mode, req), referenceFIM(mode, req)
	if got.prompt != want.prompt || got.suffix != want.suffix || strings.Join(got.stops, "|") != strings.Join(want.stops, "|") {
		t.Errorf("mode %s: buildFIM =\n%q / %q\nwant\n%q / %q", mode, got.prompt, got.suffix, want.prompt, want.suffix)
	}
}

// buildFIM lays out exactly what the plain concatenation does, in every
// mode: neighbours with and without a final newline, no path, paths with
// line breaks, special tokens of every family in every piece, and more
// neighbours than fit in its fixed list of pieces.
func TestBuildFIMLayout(t *testing.T) {
	var tokens []string
	for _, f := range fimFormats {
		tokens = append(tokens, f.pre, f.suf, f.mid)
		tokens = append(tokens, f.stops...)
	}
	var many []Snippet
	for i := range 12 {
		many = append(many, Snippet{Path: fmt.Sprintf("pkg/f%d.go", i), Text: fmt.Sprintf("x%d < y && <a%d>\n", i, i)})
	}
	reqs := []FIMRequest{
		{},
		{Prefix: "func f() {\n\treturn ", Suffix: "\n}\n", Path: "a.go", Language: "go"},
		{Prefix: "x = 1", Path: "", Language: "python", Neighbors: []Snippet{{Path: "b.py", Text: "y = 2"}, {Path: "c\r\nd.py", Text: "z = 3\n"}}},
		{Prefix: "<p>", Suffix: "</p>", Path: "i\nx.html", Language: "html", Neighbors: many[:2]},
		{Prefix: "p", Suffix: "s", Path: "m.go", Language: "go", Neighbors: many},
	}
	for i, tok := range tokens {
		reqs = append(reqs, FIMRequest{
			Prefix: "a " + tok + " b<", Suffix: tok + tok, Path: "t" + tok + ".go", Language: "lua",
			Neighbors: []Snippet{{Path: "n.go", Text: strings.Repeat("<", i%3) + tok}},
		})
	}
	for _, mode := range fimModes() {
		for _, req := range reqs {
			checkFIM(t, mode, req)
		}
	}
}

// The prompt is one allocation when nothing needs defusing.
func TestBuildFIMAllocatesOnce(t *testing.T) {
	req := defaultBenchRequest()
	for _, mode := range fimModes() {
		if n := testing.AllocsPerRun(20, func() { buildFIM(mode, req) }); n != 1 {
			t.Errorf("mode %s: %v allocations per prompt, want 1", mode, n)
		}
	}
}

// holdsToken finds a special token wherever it is, and only then.
func TestHoldsToken(t *testing.T) {
	for mode, f := range fimFormats {
		for _, tok := range append([]string{f.pre, f.suf, f.mid}, f.stops...) {
			tok = strings.TrimSpace(tok)
			for _, s := range []string{tok, "a<b " + tok, tok + "<", "<<" + tok[:len(tok)-1] + " " + tok} {
				if !f.holdsToken(s) {
					t.Errorf("%s: holdsToken(%q) = false", mode, s)
				}
			}
			if s := "x " + tok[:len(tok)-1] + " < " + tok[1:]; f.holdsToken(s) {
				t.Errorf("%s: holdsToken(%q) = true", mode, s)
			}
		}
		if f.holdsToken("if a < b && c<d {") {
			t.Errorf("%s: a comparison holds a token", mode)
		}
	}
}

func FuzzBuildFIM(f *testing.F) {
	f.Add("prefix <|fim_suffix|>", "suffix\n", "a.go", "x <fim_middle>", "go")
	f.Add("<PRE> p", " <SUF>", "b\n.py", "<｜fim▁hole｜>", "python")
	f.Fuzz(func(t *testing.T, prefix, suffix, path, nb, lang string) {
		req := FIMRequest{Prefix: prefix, Suffix: suffix, Path: path, Language: lang,
			Neighbors: []Snippet{{Path: path, Text: nb}, {Path: nb, Text: prefix}}}
		for _, mode := range fimModes() {
			checkFIM(t, mode, req)
		}
	})
}
