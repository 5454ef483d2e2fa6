package lspproxy

import (
	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/spanset"
)

// Rescanning after an edit. A finding is decided by the text within the
// detector's Reach of it, except for anchors (a private key block, a
// long-window rule, a veil:allow marker's line and the lexer's lookback
// before it) whose findings depend on all of the anchor. So the findings
// that an edit can change are those starting in its core: the edited span
// widened by Reach on each side and to every finding and anchor it touches. The core's findings are replaced by a scan of the core widened by
// Reach again (full context for each), and everything after it is shifted;
// both sets are persistent, so this is O(log n + core) whatever the size of
// the document.

// editSpan is one edit: the old text's bytes [a, b) replaced by n bytes.
type editSpan struct{ a, b, n int }

func (e editSpan) delta() int { return e.n - (e.b - e.a) }

// oldLo and oldHi map a new-text offset to the old text; an offset inside
// the new bytes maps to the edge of the old span that widens the interval.
func (e editSpan) oldLo(x int) int {
	switch {
	case x <= e.a:
		return x
	case x >= e.a+e.n:
		return x - e.delta()
	}
	return e.a
}

func (e editSpan) oldHi(x int) int {
	switch {
	case x >= e.a+e.n: // first: a deletion's point a maps to b, past what it removed
		return x - e.delta()
	case x <= e.a:
		return x
	}
	return e.b
}

// newLo and newHi map an old-text offset to the new text, widening the
// same way.
func (e editSpan) newLo(x int) int {
	switch {
	case x <= e.a:
		return x
	case x >= e.b:
		return x + e.delta()
	}
	return e.a
}

func (e editSpan) newHi(x int) int {
	switch {
	case x <= e.a:
		return x
	case x >= e.b:
		return x + e.delta()
	}
	return e.a + e.n
}

// rescan sets next's findings and anchors after edit e of old, scanning
// only around the edit (see above). The window is materialised into
// *scratch, which rescan reuses and may grow: nothing it returns or stores
// refers to the window (findings and anchors are offsets, and the
// detector keeps nothing of the text), so the caller may reuse it for the
// next edit.
func rescan(old, next *Document, sc scanner, e editSpan, scratch *[]byte) {
	reach := sc.det.Reach()
	lo, hi := max(0, e.a-reach), min(next.Text.Len(), e.a+e.n+reach)
	var fresh []redact.Finding
	var anchors []redact.Anchor
	for {
		lo, hi = widenByOld(old, next, e, lo, hi)
		ws, we := next.Text.RuneStart(lo-reach), next.Text.RuneStart(hi+reach)
		if hi+reach >= next.Text.Len() {
			we = next.Text.Len()
		}
		*scratch = next.Text.AppendSlice((*scratch)[:0], ws, we)
		window := *scratch
		fresh = sc.det.ScanRange(sc.path(next.Path), window, ws)
		anchors = sc.det.Anchors(window, ws, anchors[:0])
		next.rescanned += we - ws
		nlo, nhi := widenByFresh(next, fresh, anchors, lo, hi)
		if nlo == lo && nhi == hi {
			break
		}
		lo, hi = nlo, nhi
	}
	olo, ohi := e.oldLo(lo), e.oldHi(hi)
	var fs []spanset.Span[*redact.Finding]
	for i, f := range fresh {
		if f.Start >= lo && f.Start < hi {
			fs = append(fs, spanset.Span[*redact.Finding]{Start: f.Start, End: f.End, Value: &fresh[i]})
		}
	}
	var as []spanset.Span[struct{}]
	for _, a := range anchors {
		if a.Start >= lo && a.Start < hi {
			as = append(as, spanset.Span[struct{}]{Start: a.Start, End: a.End})
		}
	}
	if sameFindings(old.findings, e, olo, ohi, fs) {
		// Nothing changed but the offsets after the edit (most
		// keystrokes): no finding starts inside the edit.
		next.findings = old.findings.Shift(e.b, e.delta())
	} else {
		next.FindingsGen++
		next.findings = old.findings.Edit(olo, ohi, e.delta(), fs)
	}
	next.anchors = old.anchors.Edit(olo, ohi, e.delta(), as)
}

// widenByOld widens the core [lo, hi) (new text) until no finding or anchor
// of the old text that touches it reaches outside it.
func widenByOld(old, next *Document, e editSpan, lo, hi int) (int, int) {
	for {
		nlo, nhi := lo, hi
		olo, ohi := e.oldLo(lo), e.oldHi(hi)
		for sp := range old.findings.Overlapping(olo, ohi) {
			nlo, nhi = min(nlo, e.newLo(sp.Start)), max(nhi, e.newHi(sp.End))
		}
		for sp := range old.anchors.Overlapping(olo, ohi) {
			nlo, nhi = min(nlo, e.newLo(sp.Start)), max(nhi, e.newHi(sp.End))
		}
		nlo, nhi = max(0, nlo), min(next.Text.Len(), nhi)
		if nlo == lo && nhi == hi {
			return lo, hi
		}
		lo, hi = nlo, nhi
	}
}

// widenByFresh widens the core by what the scan of its window found: a
// finding that crosses its edges, an anchor that touches it.
func widenByFresh(next *Document, fresh []redact.Finding, anchors []redact.Anchor, lo, hi int) (int, int) {
	nlo, nhi := lo, hi
	for _, f := range fresh {
		if f.Start <= hi && f.End >= lo && (f.Start < lo || f.Start < hi && f.End > hi) {
			nlo, nhi = min(nlo, f.Start), max(nhi, f.End)
		}
	}
	for _, a := range anchors {
		if a.Start <= hi && a.End >= lo {
			nlo, nhi = min(nlo, a.Start), max(nhi, a.End)
		}
	}
	return max(0, nlo), min(next.Text.Len(), nhi)
}

// sameFindings reports whether the old findings starting in [olo, ohi),
// moved to the new text, are exactly fresh.
func sameFindings(old *spanset.Set[*redact.Finding], e editSpan, olo, ohi int, fresh []spanset.Span[*redact.Finding]) bool {
	i := 0
	for sp := range old.Overlapping(olo, ohi) {
		if sp.Start < olo || sp.Start >= ohi {
			continue
		}
		if i == len(fresh) {
			return false
		}
		f := fresh[i]
		if sp.Start < max(e.b, e.a+1) && sp.End > e.a || // the edit was inside it
			e.newLo(sp.Start) != f.Start || e.newHi(sp.End) != f.End || sp.Value.RuleID != f.Value.RuleID {
			return false
		}
		i++
	}
	return i == len(fresh)
}
