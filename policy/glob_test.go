package policy

import (
	"path"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// TestGlobFastPathsAgree checks that every fast path gives doublestar's
// answer, over the default globs and a few more shapes, on names built to
// sit on the edges (prefixes, suffixes, the element itself, deeper paths).
func TestGlobFastPathsAgree(t *testing.T) {
	pats := []string{"**/a.b", "**/x*", "**/*.k", "**/*.t*", "**/d/f", "**/d/**", "**/d/e/**", "**/[ab].c", "**/?x", "**/{a,b}.c", "**/x{y,}"}
	for _, r := range DefaultRules() {
		pats = append(pats, r.Paths...)
	}
	elems := []string{"a.b", "xa.b", "a.bx", "x", "xy", "y.k", ".k", "k", "z.t", "z.tx", "d", "dd", "f", "e", "b.c", "c.c", ".c", "ax", "a.c", "{a,b}.c", "env.prod", "env.ts"}
	for _, r := range DefaultRules() {
		for _, p := range r.Paths {
			elems = append(elems, p[3:]) // the literal part, e.g. ".aws/credentials"
		}
	}
	var names []string
	for _, a := range elems {
		names = append(names, a, "/"+a, "/h/"+a, "p/q/"+a)
		for _, b := range elems {
			names = append(names, a+"/"+b, "/r/"+a+"/"+b, "r/"+a+"/s/"+b)
		}
	}
	fast := 0
	for _, p := range pats {
		g := newGlob(p)
		if g.kind != globFull {
			fast++
		}
		for _, n := range names {
			if got, want := g.match(n, path.Base(n)), doublestar.MatchUnvalidated(p, n); got != want {
				t.Errorf("glob %q (kind %d) on %q = %v, doublestar says %v", p, g.kind, n, got, want)
			}
		}
	}
	if fast != len(pats) {
		t.Errorf("%d of %d patterns took a fast path, want all", fast, len(pats))
	}
	for _, p := range []string{"src/*.go", "**/a/**/b", "**/{a*,b}.c", "**/{a,b}/c", "**/a\\*b", "/abs/**"} {
		if g := newGlob(p); g.kind != globFull {
			t.Errorf("%q took fast path %d", p, g.kind)
		}
	}
}

func TestMatchIDAgrees(t *testing.T) {
	pats := []string{"private-key*", "aws-access-key", "aws-*-key", "*", "pii-?mail", "[ab]*", "x*"}
	ids := []string{"private-key", "private-key-block", "privatekey", "aws-access-key", "aws-secret-key", "pii-email", "a", "b-c", "x/y", "", "x"}
	for _, p := range pats {
		for _, id := range ids {
			want, _ := path.Match(p, id)
			if got := matchID(p, id); got != want {
				t.Errorf("matchID(%q, %q) = %v, path.Match says %v", p, id, got, want)
			}
		}
	}
}
