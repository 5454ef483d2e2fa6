package localmodel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShaper(t *testing.T) {
	tests := []struct {
		name    string
		req     FIMRequest
		stops   []string
		out     string
		want    string
		partial bool // cut(out, false) must already report done
	}{
		{name: "automatic: first line", req: FIMRequest{Prefix: "x := ", Trigger: Automatic}, out: "f(1)\ny := 2\n", want: "f(1)", partial: true},
		{name: "automatic at line end: next line", req: FIMRequest{Prefix: "if ok {", Suffix: "\n}", Trigger: Automatic}, out: "\n\treturn 1\n\treturn 2", want: "\n\treturn 1", partial: true},
		{name: "automatic mid-line: an empty first line is nothing", req: FIMRequest{Prefix: "f(", Suffix: "x)\n", Trigger: Automatic}, out: "\nfoo", want: ""},
		{name: "zero trigger behaves as automatic", req: FIMRequest{Prefix: "x := "}, out: "1\n2", want: "1", partial: true},
		{name: "invoked: opener keeps its closer", req: FIMRequest{Prefix: "func f() {", Trigger: Invoked}, out: "\n\treturn 1\n}\n\nfunc g() {", want: "\n\treturn 1\n}", partial: true},
		{name: "invoked: stop at a dedent", req: FIMRequest{Prefix: "\tx := 1", Trigger: Invoked}, out: "\n\ty := 2\n}\n", want: "\n\ty := 2", partial: true},
		{name: "invoked: stop at two blank lines", req: FIMRequest{Prefix: "import os", Trigger: Invoked}, out: "\nimport sys\n\n\nx = 1", want: "\nimport sys", partial: true},
		{name: "invoked: stop at a blank line before the next top-level item", req: FIMRequest{Prefix: "import os", Trigger: Invoked}, out: "\nimport sys\n\ndef main():\n", want: "\nimport sys", partial: true},
		{name: "invoked: python block", req: FIMRequest{Prefix: "def f(x):", Trigger: Invoked}, out: "\n    if x:\n        return 1\n    return 2\nprint(f(1))", want: "\n    if x:\n        return 1\n    return 2\nprint(f(1))"},
		{name: "repeat of the next line is dropped", req: FIMRequest{Prefix: "func f() {\n\tx := 1", Suffix: "\n\treturn x\n}", Trigger: Invoked}, out: "\n\tx++\n\treturn x\n}", want: "\n\tx++"},
		{name: "an inner closer is not the outer one", req: FIMRequest{Prefix: "func f() {", Suffix: "\n}", Trigger: Invoked}, out: "\n\tif x {\n\t\ty()\n\t}\n}", want: "\n\tif x {\n\t\ty()\n\t}"},
		{name: "rest of line repeated", req: FIMRequest{Prefix: "f(", Suffix: ");\n", Trigger: Automatic}, out: "a, b);", want: "a, b"},
		{name: "partial closer overlap", req: FIMRequest{Prefix: "f(", Suffix: ");\n", Trigger: Automatic}, out: "a, b)", want: "a, b"},
		{name: "a short word overlap is kept", req: FIMRequest{Prefix: "x = ", Suffix: "a + b\n", Trigger: Automatic}, out: "y * a", want: "y * a"},
		{name: "whitespace only", req: FIMRequest{Prefix: "x", Trigger: Invoked}, out: "  \n\t\n", want: ""},
		{name: "leaked special token ends the output", req: FIMRequest{Prefix: "x := ", Trigger: Invoked}, stops: []string{"<|endoftext|>"}, out: "1<|endoftext|>garbage", want: "1", partial: true},
		{name: "CRLF text", req: FIMRequest{Prefix: "a := 1\r\nb := ", Suffix: "\r\n", Trigger: Automatic}, out: "2\r\nc := 3", want: "2", partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkShaped(t, newShaper(tt.req, tt.stops), tt.out, tt.want, tt.partial) })
	}
}

// checkShaped checks that sh shapes the whole output out to want and, when
// partial, that a stream cut at out is done with the same text.
func checkShaped(t *testing.T, sh shaper, out, want string, partial bool) {
	t.Helper()
	text, _ := sh.cut(out, true)
	if got := sh.finish(text); got != want {
		t.Errorf("shaped %q = %q, want %q", out, got, want)
	}
	if partial {
		text, done := sh.cut(out, false)
		if got := sh.finish(text); !done || got != want {
			t.Errorf("streaming: cut = %q done %v, want %q done", got, done, want)
		}
	}
}

// TestShaperMultiline: Copilot's plugins show block suggestions when the
// cursor ends a block opener or sits on an empty line; elsewhere a
// Multiline request still stops at the end of the line.
func TestShaperMultiline(t *testing.T) {
	ml := func(prefix, suffix string) FIMRequest {
		return FIMRequest{Prefix: prefix, Suffix: suffix, Trigger: Automatic, Multiline: true}
	}
	tests := []struct {
		name    string
		req     FIMRequest
		out     string
		want    string
		partial bool
	}{
		{name: "after a Go block opener", req: ml("func f() {", "\n}\n"), out: "\n\tx := 1\n\treturn x\n}\n\nfunc g() {", want: "\n\tx := 1\n\treturn x", partial: true},
		{name: "after a Python block opener", req: ml("def f(x):", ""), out: "\n    if x:\n        return 1\n    return 2\n\n\nprint(1)", want: "\n    if x:\n        return 1\n    return 2", partial: true},
		{name: "on an empty indented line", req: ml("func f() {\n\t", "\n}\n"), out: "x := 1\n\treturn x\n}\n", want: "x := 1\n\treturn x", partial: true},
		{name: "on an empty top-level line", req: ml("package p\n\n", ""), out: "func f() int {\n\treturn 1\n}\n\n\nfunc g() {}", want: "func f() int {\n\treturn 1\n}", partial: true},
		{name: "mid-line stays one line", req: ml("x := ", "\n"), out: "f(1)\ny := 2\n", want: "f(1)", partial: true},
		{name: "an opener with text after the cursor stays one line", req: ml("f(", ")\n"), out: "a,\n\tb)", want: "a,", partial: true},
		{name: "without Multiline an opener gets one line", req: FIMRequest{Prefix: "func f() {", Suffix: "\n}\n", Trigger: Automatic}, out: "\n\tx := 1\n\treturn x\n}", want: "\n\tx := 1", partial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkShaped(t, newShaper(tt.req, nil), tt.out, tt.want, tt.partial) })
	}
	sh := newShaper(ml("func f() {", ""), nil)
	text, done := sh.cut("\n"+strings.Repeat("\tx++\n", 100), false)
	if !done || strings.Count(text, "\n") != maxSuggestionLines-1 {
		t.Errorf("multi-line cut kept %d lines (done %v), want the cap of %d", strings.Count(text, "\n")+1, done, maxSuggestionLines)
	}
}

// TestOverlapKeepsBalance: a closer the model wrote is dropped only when the
// text after the cursor supplies the same closer for the same opener.
func TestOverlapKeepsBalance(t *testing.T) {
	tests := []struct {
		name, prefix, suffix, out, want string
	}{
		{"f(|): the call's closer is dropped", "x := f(", ")\n", "a, b)", "a, b"},
		{"f(|): a nested call keeps its closer", "x := f(", ")\n", "g(a)", "g(a)"},
		{"f(|): nested call plus the outer closer", "x := f(", ")\n", "g(a))", "g(a)"},
		{"fmt.Println(|) keeps the argument's closer", "\tfmt.Println(", ")\n}\n", "strings.ToUpper(name)", "strings.ToUpper(name)"},
		{"fmt.Println(|) drops its own closer", "\tfmt.Println(", ")\n}\n", "\"hello\")", "\"hello\""},
		{"quote: the string's closer is dropped", "s := \"", "\"\n", "hello\"", "hello"},
		{"quote: a new string keeps its closer", "s := \"", "\"\n", "a\" + \"b\"", "a\" + \"b\""},
		{"quote: brackets inside a string do not count", "f(\"", "\")\n", "a)b\")", "a)b"},
		{"{|}: the literal's closer is dropped", "v := T{", "}\n", "A: 1}", "A: 1"},
		{"{|}: an inner literal keeps its closer", "v := T{", "}\n", "A: U{}", "A: U{}"},
		{"[|]: the index's closer is dropped", "x := a[", "]\n", "i+1]", "i+1"},
		{"[|]: an inner index keeps its closer", "x := a[", "]\n", "b[i]", "b[i]"},
		{"closer of an opener out of sight is dropped", "\tb, ", ")\n", "c)", "c"},
		{"kept text closes the old opener and opens a new one", "f(", ")\n", "a), g(b)", "a), g(b)"},
		{"semicolon overlap", "f(", ");\n", "a, b);", "a, b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh := newShaper(FIMRequest{Prefix: tt.prefix, Suffix: tt.suffix, Trigger: Automatic, Multiline: true}, nil)
			text, _ := sh.cut(tt.out, true)
			if got := sh.finish(text); got != tt.want {
				t.Errorf("prefix %q suffix %q: %q shaped to %q, want %q", tt.prefix, tt.suffix, tt.out, got, tt.want)
			}
		})
	}
}

func TestShaperCaps(t *testing.T) {
	sh := newShaper(FIMRequest{Prefix: "func f() {", Trigger: Invoked}, nil)
	long := "\n" + strings.Repeat("\tx++\n", 100)
	text, done := sh.cut(long, false)
	if !done || strings.Count(text, "\n") != maxSuggestionLines-1 {
		t.Errorf("cut kept %d lines (done %v), want %d", strings.Count(text, "\n")+1, done, maxSuggestionLines)
	}
	sh = newShaper(FIMRequest{Prefix: "s := \"", Trigger: Automatic}, nil)
	text, done = sh.cut(strings.Repeat("é", 3000), false)
	if !done || len(text) > maxSuggestionBytes || !strings.HasSuffix(text, "é") {
		t.Errorf("cut to %d bytes (done %v), want ≤ %d on a rune boundary", len(text), done, maxSuggestionBytes)
	}
}

func TestBuildContext(t *testing.T) {
	text := "aaaa\nbbbb\ncccc" + "dddd\neeee\nffff\n"
	cursor := len("aaaa\nbbbb\ncccc")
	tests := []struct {
		name           string
		budget         int
		prefix, suffix string
	}{
		{"window cut on lines", 16, "bbbb\ncccc", "dddd"},
		{"suffix gets the prefix's spare share", 40, "aaaa\nbbbb\ncccc", "dddd\neeee\nffff\n"},
		{"no limit", 0, "aaaa\nbbbb\ncccc", "dddd\neeee\nffff\n"},
		{"a line longer than its share is cut mid-line", 6, "cccc", "d"},
		{"prefix line longer than its share", 3, "ccc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s, _ := BuildContext(text, cursor, tt.budget, nil, 0)
			if p != tt.prefix || s != tt.suffix {
				t.Errorf("BuildContext = %q | %q, want %q | %q", p, s, tt.prefix, tt.suffix)
			}
			if tt.budget > 0 && len(p)+len(s) > tt.budget {
				t.Errorf("window %d bytes exceeds budget %d", len(p)+len(s), tt.budget)
			}
		})
	}
	// A cursor inside a UTF-8 sequence moves to its start; cuts never split one.
	p, s, _ := BuildContext("ééé", 3, 0, nil, 0)
	if p != "é" || s != "éé" {
		t.Errorf("mid-rune cursor: %q | %q", p, s)
	}
	p, s, _ = BuildContext("éééééé", 6, 5, nil, 0)
	if !validCut(p) || !validCut(s) {
		t.Errorf("split a rune: %q | %q", p, s)
	}
	p, _, _ = BuildContext("abc", 99, 0, nil, 0)
	if p != "abc" {
		t.Errorf("cursor past the end: prefix %q", p)
	}
}

func validCut(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestBuildContextNeighbors(t *testing.T) {
	var long strings.Builder
	for i := range 40 {
		long.WriteString("func filler" + string(rune('A'+i%26)) + "() {}\n")
	}
	long.WriteString("func parseInvoice(raw []byte) (Invoice, error) {\n\treturn decodeInvoice(raw)\n}\n")
	for range 40 {
		long.WriteString("var unrelated = 1\n")
	}
	neighbors := []Snippet{
		{Path: "empty.go", Text: "  \n"},
		{Path: "billing/invoice.go", Text: long.String()},
		{Path: "small.go", Text: "package small\n"},
	}
	doc := "package billing\n\nfunc handle(raw []byte) {\n\tinv, err := parseInvoice(raw)\n\t"
	_, _, snips := BuildContext(doc, len(doc), 0, neighbors, 300)
	if len(snips) != 2 || snips[0].Path != "billing/invoice.go" || snips[1].Path != "small.go" {
		t.Fatalf("snippets = %+v, want invoice.go then small.go", snips)
	}
	total := 0
	for _, s := range snips {
		total += len(s.Text)
	}
	if total > 300 {
		t.Errorf("neighbour text %d bytes, budget 300", total)
	}
	if !strings.Contains(snips[0].Text, "func parseInvoice(raw []byte) (Invoice, error) {\n") {
		t.Errorf("window of invoice.go = %q, want the lines about parseInvoice", snips[0].Text)
	}
	if !strings.HasSuffix(snips[0].Text, "\n") {
		t.Errorf("window %q does not end on a line boundary", snips[0].Text)
	}
	if _, _, none := BuildContext(doc, len(doc), 0, neighbors, 0); none != nil {
		t.Errorf("neighborBudget 0 gave %d snippets", len(none))
	}
}

func TestScrubServerMessage(t *testing.T) {
	sent := "const apiBase = TOKEN_URL_1 // the service"
	if got := scrubServerMessage("invalid prompt near 'TOKEN_URL_1 // the service'", sent); !strings.Contains(got, "withheld") {
		t.Errorf("a quoting message was kept: %q", got)
	}
	if got := scrubServerMessage("model is loading,\n  retry later", sent); got != "model is loading, retry later" {
		t.Errorf("scrub = %q", got)
	}
	if got := scrubServerMessage(strings.Repeat("é", 300)); len(got) > maxServerMessage+len("…") || !validCut(got) {
		t.Errorf("long message not capped on a rune boundary: %d bytes", len(got))
	}
}

// FuzzShaper checks the shaper's promises on any model output: the
// suggestion is a prefix of the output, capped, never only whitespace, and
// streaming agrees with the whole output: once a partial output is done,
// more output does not change the suggestion.
func FuzzShaper(f *testing.F) {
	f.Add("func f() {", "\n}", "\n\treturn 1\n}\n\nfunc g() {", uint8(1), 5)
	f.Add("x := ", "", "f(1)\ny := 2\n", uint8(2), 3)
	f.Add("\tx := 1", ")\n", "\n\ty := 2\n}\n", uint8(1), 7)
	f.Add("if ok {", "", "\n\n\n  a<|endoftext|>b", uint8(2), 4)
	f.Fuzz(func(t *testing.T, prefix, suffix, out string, trig uint8, split int) {
		req := FIMRequest{Prefix: prefix, Suffix: suffix, Trigger: Trigger(trig % 3)}
		sh := newShaper(req, []string{"<|endoftext|>"})
		text, _ := sh.cut(out, true)
		got := sh.finish(text)
		if !strings.HasPrefix(out, got) {
			t.Fatalf("suggestion %q is not a prefix of the output %q", got, out)
		}
		if got != "" && strings.TrimSpace(got) == "" {
			t.Fatalf("whitespace-only suggestion %q", got)
		}
		if len(got) > maxSuggestionBytes || strings.Count(got, "\n") >= maxSuggestionLines {
			t.Fatalf("suggestion over the caps: %d bytes, %d lines", len(got), strings.Count(got, "\n")+1)
		}
		if split < 0 || split > len(out) {
			return
		}
		part, done := sh.cut(out[:split], false)
		if done && sh.finish(part) != got {
			t.Fatalf("streaming stopped at %d with %q, the whole output gives %q", split, sh.finish(part), got)
		}
	})
}

// FuzzBuildContext checks the window's promises: it is the text around the
// cursor, within budget, never splits a UTF-8 sequence, and neighbour
// snippets are pieces of their documents within their budget.
func FuzzBuildContext(f *testing.F) {
	f.Add("aaaa\nbbbb\ncccc\n", 7, 8, "x\ny\nz\n", 3)
	f.Add("héllo\nwörld\n", 3, 5, "ünï\ncode\n", 4)
	f.Fuzz(func(t *testing.T, text string, cursor, budget int, neighbor string, nbudget int) {
		if !utf8.ValidString(text) || !utf8.ValidString(neighbor) {
			return
		}
		p, s, snips := BuildContext(text, cursor, budget, []Snippet{{Path: "n", Text: neighbor}, {Path: "m", Text: neighbor}}, nbudget)
		at := max(0, min(cursor, len(text)))
		for at > 0 && at < len(text) && !utf8.RuneStart(text[at]) {
			at--
		}
		if !strings.HasSuffix(text[:at], p) || !strings.HasPrefix(text[at:], s) {
			t.Fatalf("window %q|%q is not around the cursor %d", p, s, at)
		}
		if budget > 0 && len(p)+len(s) > budget {
			t.Fatalf("window %d bytes, budget %d", len(p)+len(s), budget)
		}
		if !utf8.ValidString(p) || !utf8.ValidString(s) {
			t.Fatalf("window splits a rune: %q|%q", p, s)
		}
		total := 0
		for _, sn := range snips {
			total += len(sn.Text)
			if !strings.Contains(neighbor, sn.Text) || !utf8.ValidString(sn.Text) {
				t.Fatalf("snippet %q is not a whole-rune piece of its document", sn.Text)
			}
		}
		if total > max(nbudget, 0) {
			t.Fatalf("snippets %d bytes, budget %d", total, nbudget)
		}
	})
}
