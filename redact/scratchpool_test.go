package redact

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// escapedJS is a JavaScript line assigning tok written as \xNN escapes,
// after pad bytes of minified code: the decoding pass scans the line's
// decoded view, which holds tok in clear.
func escapedJS(tok string, pad int) []byte {
	var b strings.Builder
	for b.Len() < pad {
		b.WriteString("a=b+1;")
	}
	b.WriteString(`var s="`)
	for i := range len(tok) {
		fmt.Fprintf(&b, `\x%02x`, tok[i])
	}
	b.WriteString("\";\n")
	return []byte(b.String())
}

// collectInto runs a scan's collection into a scratch from d's pool, as
// Scan does, and returns it still held.
func collectInto(d *Detector, path string, text []byte) *scratch {
	sc := d.scratch.Get().(*scratch)
	sc.cands = sc.cands[:0]
	d.collect(path, text, sc)
	return sc
}

// A scratch goes back to the detector's pool, which every session of a
// process shares (lspproxy.Detectors), holding no decoded value and no
// term chunk of the text it scanned: the next scan, maybe another
// session's, gets clean room.
func TestPutScratchKeepsNoValue(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Halcyon"}})
	tok, plain := genGitHubToken(t, "ghp_"), genGitHubToken(t, "ghp_")
	text := append(escapedJS(tok, 200), `var t = "`+plain+"\";\n"...)
	sc := collectInto(d, "app.js", text)
	if !bytes.Contains(sc.view.text, []byte(tok)) {
		t.Fatal("setup: the decoded view does not hold the value")
	}
	d.putScratch(sc)
	if bytes.Contains(sc.view.text[:cap(sc.view.text)], []byte(tok[:12])) {
		t.Fatalf("a pooled scratch's view still holds the decoded value (%s)", Preview(tok))
	}
	if bytes.Contains(sc.chunk[:], []byte(strings.ToLower(plain[:12]))) {
		t.Fatalf("a pooled scratch's term chunk still holds the value (%s)", Preview(plain))
	}
}

// One huge input does not leave its working memory in the pool: a
// minified line of 1 MB with an escape (a decoded view of 9 bytes per
// byte) and a text with tens of thousands of keyword hits give their
// room up when the scratch goes back.
func TestPutScratchBoundsRoom(t *testing.T) {
	d := newTestDetector(t, Options{})
	sc := collectInto(d, "app.min.js", escapedJS(genGitHubToken(t, "ghp_"), 1<<20))
	if cap(sc.view.text) < 1<<20 {
		t.Fatalf("setup: the view has room for %d bytes, want the whole line", cap(sc.view.text))
	}
	d.putScratch(sc)
	if n := cap(sc.view.text) + 4*cap(sc.view.start) + 4*cap(sc.view.end); n > 9*maxPooledView {
		t.Fatalf("a pooled scratch keeps a view of %d bytes, want at most %d", n, 9*maxPooledView)
	}
	sc = collectInto(d, "notes.txt", bytes.Repeat([]byte("token pass auth\n"), 20000))
	if cap(sc.hits) <= maxPooledHits {
		t.Fatalf("setup: %d keyword hits, want more than %d", cap(sc.hits), maxPooledHits)
	}
	d.putScratch(sc)
	if cap(sc.hits) > maxPooledHits {
		t.Fatalf("a pooled scratch keeps room for %d keyword hits, want at most %d", cap(sc.hits), maxPooledHits)
	}
}
