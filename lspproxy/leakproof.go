package lspproxy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// Leak-proofing that holds whatever the detector misses: the value being
// typed is masked by structure (redact.Detector.Unfinished), every value
// the session's vault has masked is masked again wherever it appears
// (redact.Vault.Known), and the leak guard checks every part of every
// request against all of them (redact.Vault.Leak).

// knownMargin bounds how far beyond a span the known values are looked for
// (no further than the longest known value reaches), so a known value that
// crosses the span's edge is seen whole and the span cut before it, rather
// than through it with part of the value left in clear.
const knownMargin = 8 << 10

// unfinishedAt appends the value being typed at `at` (within w) to fs.
func unfinishedAt(st *settings, w textWindow, scanPath string, at int, fs *[]redact.Finding) {
	f, ok := st.detector().Unfinished(scanPath, w.text, at-w.base)
	if !ok {
		return
	}
	f.Start, f.End = f.Start+w.base, f.End+w.base
	*fs = append(*fs, f)
}

// withKnown adds the vault's known values in w to fs (sorted by Start).
// They are looked for beyond w (see knownMargin), so one that crosses an edge is
// seen whole: the window is then cut before it (or after it, on the left),
// never through it. A cut that would leave out the cursor (-1: none) is an
// error, and so is a finding then crossing the new edge (masking fails
// closed on it). The known values are appended to fs's spare room and
// kept there or dropped in place.
func (p *pipeline) withKnown(doc *Document, w textWindow, fs []redact.Finding, cursor int) (textWindow, []redact.Finding, error) {
	margin := min(knownMargin, p.vault.KnownMaxLen())
	lo, hi := max(0, w.base-margin), min(doc.Text.Len(), w.end()+margin)
	n := len(fs)
	if w.around != nil && w.aroundBase <= lo && hi <= w.aroundBase+len(w.around) {
		fs = p.vault.AppendKnown(fs, w.around[lo-w.aroundBase:hi-w.aroundBase])
	} else {
		fs = p.knownAround(fs, doc, lo, hi)
	}
	if len(fs) == n {
		return w, fs, nil
	}
	s, e := w.base, w.end()
	kept := fs[:n]
	for _, f := range fs[n:] { // kept never passes the finding being read
		f.Start += lo
		f.End += lo
		switch {
		case f.End <= w.base || f.Start >= w.end():
			continue
		case f.Start < w.base:
			s = max(s, f.End)
		case f.End > w.end():
			e = min(e, f.Start)
		default:
			kept = append(kept, f)
		}
	}
	fs = kept
	if cursor >= 0 && (cursor < s || cursor > e) || s > e {
		return w, nil, fmt.Errorf("lspproxy: a known value crosses the window at the cursor")
	}
	if s != w.base || e != w.end() {
		w = textWindow{base: s, text: w.slice(s, e)}
		fs = slices.DeleteFunc(fs, func(f redact.Finding) bool { return f.End <= s || f.Start >= e })
	}
	return w, sortedUnique(fs), nil
}

// knownAround appends the vault's known values in doc's text [lo, hi) to
// dst, offsets relative to lo. The text is copied into a reused buffer:
// the findings hold no reference to it.
func (p *pipeline) knownAround(dst []redact.Finding, doc *Document, lo, hi int) []redact.Finding {
	bp := p.textBuf()
	*bp = doc.Text.AppendSlice((*bp)[:0], lo, hi)
	dst = p.vault.AppendKnown(dst, *bp)
	p.putTextBuf(bp)
	return dst
}

// textBuf is a buffer for a window's text from p.knownBufs; putTextBuf
// gives it back once nothing refers to its bytes any more.
func (p *pipeline) textBuf() *[]byte {
	bp, _ := p.knownBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	return bp
}

func (p *pipeline) putTextBuf(bp *[]byte) {
	if cap(*bp) <= maxKnownBuf {
		*bp = (*bp)[:0]
		p.knownBufs.Put(bp)
	}
}

// maxKnownBuf bounds the buffers knownAround keeps for reuse.
const maxKnownBuf = 1 << 20

// cutBefore returns end moved back so that no finding crosses it (a
// neighbour's start is sent, never a value cut in two), with the findings
// that end by it.
func cutBefore(all []redact.Finding, end int) (int, []redact.Finding) {
	for changed := true; changed; {
		changed = false
		for _, f := range all {
			if f.Start < end && f.End > end {
				end, changed = f.Start, true
			}
		}
	}
	var in []redact.Finding
	for _, f := range all {
		if f.End <= end {
			in = append(in, f)
		}
	}
	return end, sortedUnique(in)
}

// maskText masks a short text that is not a document (a chat message, a
// history turn, a document name): the detector's findings with no path, so
// veil:allow never counts, plus every known value. It returns the masked
// text and the values masked, for the leak guard.
func (p *pipeline) maskText(st *settings, s string) (redact.Text, []string, error) {
	if s == "" {
		return redact.Text{}, nil, nil
	}
	fs := append(st.detector().Scan("", []byte(s)), p.vault.Known([]byte(s))...)
	m, err := p.vault.Mask(s, fs)
	if err != nil {
		return redact.Text{}, nil, err
	}
	values := make([]string, 0, len(m.Spans))
	for _, sp := range m.Spans {
		values = append(values, s[sp.Start:sp.End])
	}
	return m.Redacted(), values, nil
}

// guard is the leak guard before every request to the model: no value
// masked for this request (values, 4 bytes or more) and no value the vault
// has ever masked may be in any part. what names the request in the error,
// which shows a value only as a preview.
func (p *pipeline) guard(what string, values, parts []string) error {
	if err := leakGuard(what, values, parts); err != nil {
		return err
	}
	for _, part := range parts {
		if err := p.leakFree(what, part, false); err != nil {
			return err
		}
	}
	return nil
}

// leakFree fails when part holds a value the vault has ever masked. With
// memo, a clean verdict is remembered for the exact text and the vault's
// version, and reused only for the same text at the same version (parts
// sent unchanged on every request: the neighbour snippets).
func (p *pipeline) leakFree(what, part string, memo bool) error {
	v := p.vault.KnownVersion() // before the check: a value known later bumps it
	if memo && p.leakMemo.clean(part, v) {
		return nil
	}
	if pv, leaked := p.vault.Leak(part); leaked {
		return fmt.Errorf("lspproxy: leak guard: a known value (%s) is still in the %s", pv, what)
	}
	if memo {
		p.leakMemo.remember(part, v)
	}
	return nil
}

// Refusals: a request refused because redaction or the leak guard failed is
// told like a policy block.
const (
	reasonRedaction = "blocked: redaction failed"
	ruleLeakGuard   = "leak guard"
)

// refusal is the decision recorded for a refused request.
func refusal() policy.Decision {
	return policy.Decision{Route: policy.Block, Rule: ruleLeakGuard, Reason: reasonRedaction}
}

// refused tells the user that a request for doc was refused: a log line and
// a window/logMessage every time, one window/showMessage per document and
// reason, veil/status, and a diagnostic on the document until a request
// for it succeeds.
func (s *Server) refused(doc *Document, maskedName string, err error) {
	dec := refusal()
	s.logger.Error("request refused", "document", maskedName, "rule", dec.Rule, "error", err)
	name := s.relPath(doc)
	s.logMessage(MessageWarning, fmt.Sprintf("veil: AI request refused for %s: %s", name, why(dec.Reason)))
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	if ui == nil {
		ui = &docUI{}
		s.ui[doc.URI] = ui
	}
	first := !slices.Contains(ui.warnedFor, dec.Reason)
	if first {
		ui.warnedFor = append(ui.warnedFor, dec.Reason)
	}
	changed := ui.refusal != dec.Reason
	ui.refusal = dec.Reason
	s.uiMu.Unlock()
	if first {
		s.showMessage(MessageWarning, fmt.Sprintf("veil: AI requests refused for %s: %s", name, why(dec.Reason)))
	}
	if changed {
		s.notifyStatus(doc.URI, dec)
		if s.ai.settings().cfg.LSP.Diagnostics {
			s.publishDiagnostics(doc, s.decideDocument(doc))
		}
	}
	s.copilotBlocked(doc, name, dec)
}

// served clears a refusal shown for doc once a request for it went
// through.
func (s *Server) served(doc *Document) {
	s.uiMu.Lock()
	ui := s.ui[doc.URI]
	was := ui != nil && ui.refusal != ""
	if was {
		ui.refusal = ""
	}
	s.uiMu.Unlock()
	if was {
		dec := s.decideDocument(doc)
		s.notifyStatus(doc.URI, dec)
		if s.ai.settings().cfg.LSP.Diagnostics {
			s.publishDiagnostics(doc, dec)
		}
	}
}

// refusedChat tells the user a chat request was refused: logged and
// logMessage'd every time, shown once per reason per session.
func (s *Server) refusedChat(err error) {
	dec := refusal()
	s.logger.Error("chat refused", "rule", dec.Rule, "error", err)
	s.logMessage(MessageWarning, "veil: chat request refused: "+why(dec.Reason))
	s.uiMu.Lock()
	first := !slices.Contains(s.chatWarned, dec.Reason)
	if first {
		s.chatWarned = append(s.chatWarned, dec.Reason)
	}
	s.uiMu.Unlock()
	if first {
		s.showMessage(MessageWarning, "veil: chat request refused: "+why(dec.Reason))
	}
}

// refusalDiagnostic is the diagnostic a refused document carries.
func refusalDiagnostic(reason string) Diagnostic {
	return Diagnostic{
		Severity: SeverityWarning,
		Code:     "veil-refused",
		Source:   "veil",
		Message:  "veil refused the last AI request in this file: " + strings.TrimPrefix(reason, "blocked: "),
	}
}

// knownIn reports that a cached neighbour holds a value the vault came to
// know after it was masked (it must be masked again), and the vault's
// version it was checked against.
func (p *pipeline) knownIn(e neighbourEntry) (version uint64, leaks bool) {
	v := p.vault.KnownVersion() // before the check: a value known later bumps it
	if !e.ok || v == e.known {
		return e.known, false // no value became known since
	}
	_, inText := p.vault.Leak(e.snip.text.String())
	_, inPath := p.vault.Leak(e.snip.path.String())
	return v, inText || inPath
}

// checkedAt records that the cached neighbour e of uri holds no value known
// at version v, so the next request checks it again only after values
// become known later (each check reads the whole snippet). An entry
// replaced meanwhile is left alone.
func (p *pipeline) checkedAt(uri string, e neighbourEntry, v uint64) {
	if v == e.known {
		return
	}
	p.nbMu.Lock()
	defer p.nbMu.Unlock()
	if cur, ok := p.nbCache[uri]; ok && cur.doc == e.doc && cur.st == e.st && cur.known == e.known {
		cur.known = v
		p.nbCache[uri] = cur
	}
}

// freshFindings adds to fs what st's detector finds in w when the
// snapshot's findings came from another detector: a request that arrived
// before the rescan following a reload still masks what the new settings
// mask (a term just added).
func freshFindings(st *settings, scannedBy *detectorFuture, scanPath string, w textWindow, fs []redact.Finding) []redact.Finding {
	if scannedBy == st.det {
		return fs
	}
	for _, f := range st.detector().Scan(scanPath, w.text) {
		f.Start += w.base
		f.End += w.base
		fs = append(fs, f)
	}
	return sortedUnique(fs)
}

// valueFilter lets the leak guard read a part once for all the values it
// looks for (rather than strings.Contains once for each, the prompt's main
// cost before): a value of 4 bytes or more starting at p covers one of
// the positions 0, 3, 6, … in [p, p+2], where the part's next two bytes
// are one of the value's first three pairs. So the part is probed every
// third byte in a table of those pairs; a hit checks the (up to three)
// starts it stands for in a filter over the values' first four bytes, and
// a hit there searches the sorted values. A miss is exact.
type valueFilter struct {
	pairs [1 << 16 / 64]uint64
	heads [1 << valueFilterBits / 64]uint64
}

// valueFilterBits sizes the filter over first four bytes: a few percent of
// bits set for a few hundred values.
const valueFilterBits = 12

func valueBit(x uint32) uint32 { return x * 0x9E3779B1 >> (32 - valueFilterBits) }

// head4 is s's first four bytes, little-endian.
func head4(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// pairAt is the two bytes of s at i, little-endian.
func pairAt(s string, i int) uint16 { return uint16(s[i]) | uint16(s[i+1])<<8 }

// add sets the bits of values (each 4 bytes or more).
func (f *valueFilter) add(values []string) {
	for _, v := range values {
		for o := range 3 {
			g := pairAt(v, o)
			f.pairs[g/64] |= 1 << (g % 64)
		}
		b := valueBit(head4(v))
		f.heads[b/64] |= 1 << (b % 64)
	}
}

// anyIn reports whether one of the values in groups (each as
// checkedValues returns it, all added) is in part.
func (f *valueFilter) anyIn(part string, groups [][]string) bool {
	if len(part) < 4 || !slices.ContainsFunc(groups, func(vs []string) bool { return len(vs) > 0 }) {
		return false
	}
	for i := 0; i+2 <= len(part); i += 3 {
		if g := pairAt(part, i); f.pairs[g/64]&(1<<(g%64)) == 0 {
			continue
		}
		for p := max(0, i-2); p <= i && p+4 <= len(part); p++ {
			if b := valueBit(head4(part[p:])); f.heads[b/64]&(1<<(b%64)) != 0 && startsWithAny(part[p:], groups) {
				return true
			}
		}
	}
	return false
}

// startsWithAny reports whether s (4 bytes or more) starts with one of
// the values in groups (each sorted, each value 4 bytes or more: those
// sharing s's first four bytes are next to each other).
func startsWithAny(s string, groups [][]string) bool {
	head := s[:4]
	for _, values := range groups {
		j, _ := slices.BinarySearchFunc(values, head, func(v, h string) int { return strings.Compare(v[:4], h) })
		for ; j < len(values) && values[j][:4] == head; j++ {
			if strings.HasPrefix(s, values[j]) {
				return true
			}
		}
	}
	return false
}
