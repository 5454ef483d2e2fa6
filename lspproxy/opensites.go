package lspproxy

import (
	"bytes"
	"slices"

	"github.com/veil-dev/veil/textbuf"
)

// Open sites: a line that ends inside an unfinished value (value = "Quill#...
// with no closing quote) is masked by structure only while a typing site
// lies on it, since the detector judges an unclosed string by its name and
// "value" says nothing. Such a site is therefore kept after maxTypedSites
// newer edits (up to maxOpenSites of them), and a document opened or
// replaced whole gets a site at the end of every such line. Only lines that
// hold a quote are looked at, and on those the detector's Unfinished
// decides (a value shaped like a password, or owned by a secret name).

// maxOpenSites bounds the sites kept beyond maxTypedSites because their
// line still ends inside an unfinished value.
const maxOpenSites = 8

// maxOpenChecks bounds the lines a whole document's check hands to the
// detector (lines with an odd count of one quote character).
const maxOpenChecks = 4096

// openLookback is how far before a line the detector is shown, so a string
// opened on an earlier line is seen from its quote.
const openLookback = 2048

// openCheck reports whether the line holding an offset of t ends inside an
// unfinished value; nil when there is no detector. It reads the text into
// *scratch, which it reuses (nothing keeps what it reads).
func openCheck(t *textbuf.Text, sc scanner, path string, scratch *[]byte) func(int) bool {
	if sc.det == nil {
		return nil
	}
	return func(off int) bool {
		ls, le := t.LineRange(int(t.OffsetPosition(off, textbuf.UTF8).Line))
		*scratch = t.AppendSlice((*scratch)[:0], ls, le)
		if !oddQuotes(*scratch) {
			return false
		}
		ws := t.RuneStart(max(0, ls-openLookback))
		*scratch = t.AppendSlice((*scratch)[:0], ws, le)
		_, ok := sc.det.Unfinished(sc.path(path), *scratch, le-ws)
		return ok
	}
}

// oddQuotes reports a line with an odd count of ", ' or `: one a string
// may be left open by.
func oddQuotes(line []byte) bool {
	return bytes.Count(line, []byte{'"'})%2 == 1 || bytes.Count(line, []byte{'\''})%2 == 1 ||
		bytes.Count(line, []byte{'`'})%2 == 1
}

// keepOpen drops the sites beyond the newest maxTypedSites, except up to
// maxOpenSites of them (the newest) whose line open reports as ending
// inside an unfinished value. sites is reused.
func keepOpen(sites []int, open func(int) bool) []int {
	old := len(sites) - maxTypedSites
	if old <= 0 {
		return sites
	}
	keep := make([]bool, old)
	kept := 0
	for i := old - 1; i >= 0 && kept < maxOpenSites && open != nil; i-- {
		if open(sites[i]) {
			keep[i] = true
			kept++
		}
	}
	out := sites[:0]
	for i, s := range sites {
		if i >= old || keep[i] {
			out = append(out, s)
		}
	}
	return out
}

// typedKeeping is typed with open sites kept (see keepOpen); open judges
// offsets in the text after the edit.
func typedKeeping(sites []int, start, end, n int, open func(int) bool) []int {
	out := moveSites(make([]int, 0, len(sites)+1), sites, start, end, n)
	return keepOpen(out, open)
}

// openSites returns a site at the end of every line of text (at most
// maxOpenSites, the last ones) that ends inside an unfinished value.
func openSites(text []byte, sc scanner, path string) []int {
	if sc.det == nil {
		return nil
	}
	var sites []int
	checks := 0
	for ls := 0; ls < len(text) && checks < maxOpenChecks; {
		le := ls + bytes.IndexByte(text[ls:], '\n')
		next := le + 1
		if le < ls {
			le, next = len(text), len(text)
		}
		e := le
		if e > ls && text[e-1] == '\r' {
			e--
		}
		if oddQuotes(text[ls:e]) {
			checks++
			ws := max(0, ls-openLookback)
			if _, ok := sc.det.Unfinished(sc.path(path), text[ws:e], e-ws); ok {
				sites = append(sites, e)
			}
		}
		ls = next
	}
	return sites[max(0, len(sites)-maxOpenSites):]
}

// mergeSites is the open sites of a new text (older) followed by the sites
// moved through the change, each once.
func mergeSites(open, moved []int) []int {
	if len(open) == 0 {
		return moved
	}
	out := make([]int, 0, len(open)+len(moved))
	for _, s := range open {
		if !slices.Contains(moved, s) {
			out = append(out, s)
		}
	}
	return append(out, moved...)
}
