package lspproxy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// TestModelRequestsOnlyFromText: no file of the package but modelreq.go
// builds a localmodel request or snippet, so everything the model receives
// passes through fimFor/chatFor, which take only redact.Text.
func TestModelRequestsOnlyFromText(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "modelreq.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "localmodel" {
					switch sel.Sel.Name {
					case "FIMRequest", "ChatRequest", "Snippet", "Turn":
						t.Errorf("%s builds localmodel.%s: build model requests in modelreq.go from redact.Text", f, sel.Sel.Name)
					}
				}
			}
			return true
		})
	}
}

// TestCutContextKeepsText: the cut prefix, suffix and neighbour pieces are
// exactly what BuildContext picks, the neighbours' as slices of their
// redacted text, and the prefix and suffix stay as they were when the
// draft's scratch is reused.
func TestCutContextKeepsText(t *testing.T) {
	v := redact.NewVault(make([]byte, 32), 16)
	mask := func(s string) redact.Text {
		m, err := v.Mask(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.Redacted()
	}
	text := strings.Repeat("line of text\n", 40) + "x := é"
	nb := []redactedSnippet{{path: mask("b.go"), text: mask(strings.Repeat("func helper() {}\n", 50))}}
	var sc redact.Scratch
	d, err := v.MaskDraft(&sc, []byte(text), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	pre, suf, picked, err := cutContext(d, len(text)-1, 200, nb, 60, new(cutRoom)) // inside é: moved back
	if err != nil {
		t.Fatal(err)
	}
	wp, ws, wn := localmodel.BuildContext(text, len(text)-1, 200, snippets(nb), 60)
	if pre.String() != wp || suf.String() != ws || len(picked) != len(wn) {
		t.Fatalf("cut %q|%q|%d, BuildContext %q|%q|%d", pre, suf, len(picked), wp, ws, len(wn))
	}
	for i := range wn {
		if picked[i].snippet() != wn[i] {
			t.Errorf("neighbour %d: %+v, want %+v", i, picked[i].snippet(), wn[i])
		}
	}
	if _, err := v.MaskDraft(&sc, []byte(strings.Repeat("z", len(text))), 0, nil); err != nil {
		t.Fatal(err)
	}
	if pre.String() != wp || suf.String() != ws {
		t.Fatal("the cut prefix or suffix changed when the draft's scratch was reused")
	}
}
