package redact

import (
	"bytes"
	"cmp"
	"slices"
)

// Known values in encoded forms: a line holding a percent-encoded,
// \x/\u/\NNN-escaped, HTML-entity or invisible-character form of a known
// value (a password URL-encoded in a query, escaped by a JSON encoder as
// \u0026, split by a zero-width space) is viewed decoded, as the decoding
// pass views it for the detectors, and a known value found there masks the
// encoded span it came from. Lines without such a sequence cost one
// IndexByte pass per escape byte.

// escapedLines appends to lines the starts of text's lines holding a
// sequence that decodes (an escape, an entity, an invisible character, a
// run of percent-encoded letters and digits) and returns them sorted, each
// once.
func escapedLines(text []byte, lines []int) []int {
	for _, t := range []byte{'%', '\\', '&'} {
		for i := 0; i < len(text); {
			k := bytes.IndexByte(text[i:], t)
			if k < 0 {
				break
			}
			k += i
			i = k + 1
			if _, _, ok := decodeAt(text, k); ok || t == '%' && pctAlnumRun(text, k) {
				lines = append(lines, lineStart(text, k))
				i = max(i, lineEnd(text, k))
			}
		}
	}
	lines = appendInvisibleLines(text, lines)
	slices.Sort(lines)
	return slices.Compact(lines)
}

// knownInViews appends to out the known values found in the decoded views
// of text's escaped lines, mapped to the encoded spans in text.
func (k *knownIndex) knownInViews(text []byte, out []Finding) []Finding {
	if k.len() == 0 {
		return out
	}
	var v view
	mapped := func() {
		for _, f := range k.findings(v.text) {
			f.Start, f.End = int(v.start[f.Start]), int(v.end[f.End-1])
			out = append(out, f)
		}
	}
	for _, ls := range escapedLines(text, nil) {
		if decodeLine(&v, text, ls, lineEnd(text, ls)) {
			mapped()
		}
	}
	// Literals joined by + (a value split over a concatenation), read as
	// C-like code whatever the file: known values carry no path.
	joinedViews(text, famCLike, false, &v, mapped)
	out = k.knownInBlobs(text, out)
	return k.knownWrapped(text, out)
}

// findingsAll appends to dst the known values in text, plain and in
// decoded views, sorted by Start, overlapping findings joined (with each
// other, never with dst's own).
func (k *knownIndex) findingsAll(dst []Finding, text []byte) []Finding {
	n0 := len(dst)
	dst = k.appendFindings(dst, text)
	plain := len(dst)
	dst = k.knownInViews(text, dst)
	if len(dst) == plain {
		return dst
	}
	all := dst[n0:]
	slices.SortFunc(all, func(a, b Finding) int { return cmp.Compare(a.Start, b.Start) })
	out := all[:1]
	for _, f := range all[1:] {
		if last := &out[len(out)-1]; f.Start < last.End {
			last.End = max(last.End, f.End)
			continue
		}
		out = append(out, f)
	}
	return dst[:n0+len(out)]
}

// maxScratch bounds the buffers firstAll keeps for reuse.
const maxScratch = 1 << 20

// firstAll is firstKnown, also looking in decoded views. The views are
// decoded from a reused byte copy of text: nothing found keeps a reference
// to it.
func (k *knownIndex) firstAll(text string) (string, bool) {
	if v, ok := firstKnown(k, text); ok {
		return v, true
	}
	if k.len() == 0 {
		return "", false
	}
	bp, _ := k.scratch.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := append((*bp)[:0], text...)
	defer func() {
		if cap(b) <= maxScratch {
			*bp = b[:0]
			k.scratch.Put(bp)
		}
	}()
	found := ""
	look := func(t []byte) {
		if found == "" {
			found, _ = firstKnown(k, t)
		}
	}
	var v view
	for _, ls := range escapedLines(b, nil) {
		if found == "" && decodeLine(&v, b, ls, lineEnd(b, ls)) {
			look(v.text)
		}
	}
	if found == "" {
		joinedViews(b, famCLike, false, &v, func() { look(v.text) })
	}
	if found == "" {
		blobRuns(b, func(_, _ int, dec []byte) { look(dec) })
	}
	if found == "" {
		k.wrappedEach(b, &v, func(int) { look(v.text) })
	}
	return found, found != ""
}
