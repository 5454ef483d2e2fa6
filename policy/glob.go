package policy

import (
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// glob is a validated, lower-cased doublestar pattern. Decide runs per
// keystroke and doublestar backtracks over every directory for a leading
// `**/`, so the shapes the deny list uses get a direct test that gives the
// same answer (TestGlobFastPathsAgree checks that against doublestar):
//
//	**/NAME        last element equals NAME
//	**/*SUF, **/PRE*, **/*MID*   last element ends with, starts with, contains
//	**/PATTERN     last element matches PATTERN (path.Match, no '/' or '{')
//	**/A/B         the path is A/B or ends in /A/B (literal)
//	**/DIR/**      some element (or run of elements) equals DIR (literal)
//	**/PRE{A,B}SUF last element is one of PREASUF, PREBSUF (literals)
//
// Every other pattern goes to doublestar.
type glob struct {
	pat  string
	kind globKind
	arg  string
	set  []string // globBaseSet: the literal names
}

type globKind uint8

const (
	globFull         globKind = iota // doublestar.MatchUnvalidated(pat, name)
	globBaseLit                      // base(name) == arg
	globBasePrefix                   // base(name) starts with arg
	globBaseSuffix                   // base(name) ends with arg
	globBaseContains                 // base(name) contains arg
	globBaseMeta                     // path.Match(arg, base(name))
	globSuffix                       // name == arg || name ends in "/"+arg
	globDir                          // name has a directory element arg
	globBaseSet                      // base(name) is one of set
)

func newGlob(pat string) glob {
	g := glob{pat: pat, kind: globFull}
	rest, ok := strings.CutPrefix(pat, "**/")
	if ok && strings.ContainsAny(rest, "{}") {
		if set := literalSet(rest); set != nil {
			g.kind, g.set = globBaseSet, set
		}
		return g
	}
	if !ok || rest == "" || strings.ContainsAny(rest, `{}\`) || strings.Contains(rest, "**/") {
		return g
	}
	meta := strings.ContainsAny(rest, "*?[")
	switch {
	case !strings.Contains(rest, "/") && !meta:
		g.kind, g.arg = globBaseLit, rest
	case !strings.Contains(rest, "/"):
		if strings.Contains(rest, "**") {
			return g
		}
		g.kind, g.arg = globBaseMeta, rest
		inner := strings.Trim(rest, "*")
		if inner == "" || strings.ContainsAny(inner, "*?[") {
			break
		}
		pre, suf := strings.HasPrefix(rest, "*"), strings.HasSuffix(rest, "*")
		switch {
		case rest == "*"+inner+"*":
			g.kind, g.arg = globBaseContains, inner
		case rest == "*"+inner && pre:
			g.kind, g.arg = globBaseSuffix, inner
		case rest == inner+"*" && suf:
			g.kind, g.arg = globBasePrefix, inner
		}
	case !meta:
		g.kind, g.arg = globSuffix, rest
	default:
		if dir, ok := strings.CutSuffix(rest, "/**"); ok && dir != "" && !strings.ContainsAny(dir, "*?[") {
			g.kind, g.arg = globDir, dir
		}
	}
	return g
}

// match reports whether name (a cleaned slash path) matches; base is
// path.Base(name), computed once per request by the caller.
func (g *glob) match(name, base string) bool {
	switch g.kind {
	case globBaseLit:
		return base == g.arg
	case globBasePrefix:
		return strings.HasPrefix(base, g.arg)
	case globBaseSuffix:
		return strings.HasSuffix(base, g.arg)
	case globBaseContains:
		return strings.Contains(base, g.arg)
	case globBaseSet:
		return slices.Contains(g.set, base)
	case globBaseMeta:
		ok, _ := path.Match(g.arg, base)
		return ok
	case globSuffix:
		return name == g.arg || (strings.HasSuffix(name, g.arg) && name[len(name)-len(g.arg)-1] == '/')
	case globDir:
		// Elements equal to arg, anywhere: "arg", "…/arg", "arg/…", "…/arg/…".
		for i := 0; ; {
			j := strings.Index(name[i:], g.arg)
			if j < 0 {
				return false
			}
			j += i
			end := j + len(g.arg)
			if (j == 0 || name[j-1] == '/') && (end == len(name) || name[end] == '/') {
				return true
			}
			i = j + 1
		}
	default:
		return doublestar.MatchUnvalidated(g.pat, name)
	}
}

// literalSet expands PRE{A,B,...}SUF (one brace group, no other glob
// syntax, no '/') into its names, or returns nil.
func literalSet(rest string) []string {
	open, end := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
	if open < 0 || end < open || strings.ContainsAny(rest, `*?[]/\`) ||
		strings.ContainsAny(rest[open+1:end], "{") || strings.ContainsAny(rest[end+1:], "{}") {
		return nil
	}
	var out []string
	for _, alt := range strings.Split(rest[open+1:end], ",") {
		out = append(out, rest[:open]+alt+rest[end+1:])
	}
	return out
}
