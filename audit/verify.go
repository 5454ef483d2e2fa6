package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// BreakKind says what kind of damage a Break is.
type BreakKind string

const (
	Edited    BreakKind = "edited"    // a record's content changed after the next one was written
	Deleted   BreakKind = "deleted"   // records are missing (a gap in seq, or the chain starts late)
	Inserted  BreakKind = "inserted"  // a record is not part of the chain
	Reordered BreakKind = "reordered" // records are in the wrong order
	Truncated BreakKind = "truncated" // a record is cut off mid-line
	Restarted BreakKind = "restarted" // a new chain starts mid-file: the log was recreated
)

// Break is one place where the chain does not hold.
type Break struct {
	File   string
	Line   int   // 1-based line in File
	Seq    int64 // the record's seq, 0 when the line does not parse
	Kind   BreakKind
	Detail string
}

func (b Break) String() string {
	seq := ""
	if b.Seq > 0 {
		seq = fmt.Sprintf(" seq %d:", b.Seq)
	}
	return fmt.Sprintf("%s:%d:%s %s: %s", b.File, b.Line, seq, b.Kind, b.Detail)
}

// Report is what Verify found.
type Report struct {
	Files       []string // in chain order
	Records     int      // lines that parse as records
	First, Last int64    // lowest and highest seq seen
	Breaks      []Break  // in file and line order
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return len(r.Breaks) == 0 }

// entry is one line of the files being verified.
type entry struct {
	file     string
	line     int
	hash     string
	raw      string // kept only to tell a cut-off line from an edited one
	complete bool   // ended in '\n'
	ok       bool   // parsed as a record with seq > 0
	seq      int64
	prev     string
}

// Verify checks the hash chain across files: each record's prev must be the
// SHA-256 of the line before it and seqs must run on by one, across rotated
// files too. Files may be given in any order (a shell glob sorts
// audit.jsonl.10 before audit.jsonl.2); they are put in chain order by their
// first seq. The error is for files that cannot be read; damage is reported
// in Report.Breaks, each saying which record and what kind of break.
//
// What a bare hash chain cannot show: an edit of the newest record (no
// later record holds its hash), records appended with a correct prev, whole
// records cut from the end of the newest file, and a chain rewritten from
// some point on (recomputing every later hash). Keep a copy of the last
// line elsewhere (e.g. ship the log) if that matters.
func Verify(files ...string) (Report, error) {
	var rep Report
	ents, order, err := readEntries(files)
	if err != nil {
		return rep, err
	}
	rep.Files = order
	v := newVerifier(ents)
	for j := range ents {
		v.check(j)
	}
	for j, e := range ents {
		if e.ok {
			rep.Records++
			if rep.First == 0 || e.seq < rep.First {
				rep.First = e.seq
			}
			rep.Last = max(rep.Last, e.seq)
		}
		if b, found := v.breaks[j]; found {
			rep.Breaks = append(rep.Breaks, b)
		}
	}
	return rep, nil
}

// readEntries reads every line of every file, files in chain order.
func readEntries(files []string) ([]entry, []string, error) {
	type fileEntries struct {
		name  string
		first int64
		ents  []entry
	}
	var fs []fileEntries
	for _, name := range files {
		fe := fileEntries{name: name, first: 1<<63 - 1}
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fmt.Errorf("audit: verifying: %w", err)
		}
		n := 0
		err = eachLine(f, func(line []byte, complete bool) {
			n++
			e := entry{file: name, line: n, hash: lineHash(line), complete: complete}
			var rec struct {
				Seq  int64   `json:"seq"`
				Prev *string `json:"prev"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Seq > 0 && rec.Prev != nil {
				e.ok, e.seq, e.prev = true, rec.Seq, *rec.Prev
				if fe.first == 1<<63-1 {
					fe.first = rec.Seq
				}
			} else {
				e.raw = string(line)
			}
			fe.ents = append(fe.ents, e)
		})
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("audit: verifying %s: %w", name, err)
		}
		fs = append(fs, fe)
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].first < fs[j].first })
	var ents []entry
	var order []string
	for _, fe := range fs {
		ents = append(ents, fe.ents...)
		order = append(order, fe.name)
	}
	return ents, order, nil
}

type verifier struct {
	ents   []entry
	pred   []int // index of the line a record's prev names; -1 genesis, -2 unknown
	succ   []int // how many records name this line as prev
	prevOK []int // index of the nearest earlier record that parses, -1 none
	lastOK int
	breaks map[int]Break
}

func newVerifier(ents []entry) *verifier {
	v := &verifier{
		ents:   ents,
		pred:   make([]int, len(ents)),
		succ:   make([]int, len(ents)),
		prevOK: make([]int, len(ents)),
		lastOK: -1,
		breaks: map[int]Break{},
	}
	byHash := make(map[string]int, len(ents))
	for i, e := range ents {
		if _, dup := byHash[e.hash]; !dup {
			byHash[e.hash] = i
		}
	}
	for j, e := range ents {
		v.prevOK[j] = v.lastOK
		if e.ok {
			v.lastOK = j
		}
		v.pred[j] = -2
		if !e.ok {
			continue
		}
		if e.prev == "" {
			v.pred[j] = -1
		} else if i, found := byHash[e.prev]; found && i != j {
			v.pred[j] = i
			v.succ[i]++
		}
	}
	return v
}

// report records a break at line j; a later, more specific kind (inserted)
// replaces an earlier guess at the same line.
func (v *verifier) report(j int, kind BreakKind, format string, args ...any) {
	if old, found := v.breaks[j]; found && !(kind == Inserted && old.Kind != Inserted) {
		return
	}
	e := v.ents[j]
	v.breaks[j] = Break{File: e.file, Line: e.line, Seq: e.seq, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

func (v *verifier) at(i int) string {
	return fmt.Sprintf("%s:%d", v.ents[i].file, v.ents[i].line)
}

func (v *verifier) check(j int) {
	e := v.ents[j]
	if !e.ok {
		switch {
		case !e.complete:
			v.report(j, Truncated, "the last line is cut off after %d bytes (no newline)", len(e.raw))
		case !strings.HasSuffix(strings.TrimSpace(e.raw), "}"):
			v.report(j, Truncated, "the line is cut off mid-record (%d bytes)", len(e.raw))
		default:
			v.report(j, Edited, "the line is not a valid audit record")
		}
		return
	}
	p, i := v.prevOK[j], v.pred[j]
	if p < 0 { // the first record
		switch {
		case i == -1 && e.seq != 1:
			v.report(j, Edited, "the chain starts with seq %d but has no prev", e.seq)
		case i == -2:
			v.report(j, Deleted, "records before seq %d are missing (deleted, or their file was not given)", e.seq)
		case i >= 0:
			v.report(j, Reordered, "its predecessor seq %d is at %s, after it", v.ents[i].seq, v.at(i))
		}
		return
	}
	pe := v.ents[p]
	switch {
	case i == p:
		if e.seq != pe.seq+1 {
			v.report(j, Edited, "seq %d follows seq %d (prev hash matches, so the seq was changed)", e.seq, pe.seq)
		}
	case i == -1:
		v.report(j, Restarted, "a new chain starts at seq %d after seq %d: the log was deleted or recreated", e.seq, pe.seq)
	case i == -2:
		v.unknownPrev(j, p)
	case i > j:
		v.report(j, Reordered, "its predecessor seq %d is at %s, after it", v.ents[i].seq, v.at(i))
	default: // i < p: the lines between i and j are skipped by the chain
		inserted := true
		for k := i + 1; k < j; k++ {
			if v.ents[k].ok && v.succ[k] > 0 {
				inserted = false
			}
		}
		if inserted {
			for k := i + 1; k < j; k++ {
				if v.ents[k].ok {
					v.report(k, Inserted, "not part of the chain: seq %d at %s links to %s directly", e.seq, v.at(j), v.at(i))
				}
			}
			pe = v.ents[i]
		}
		switch {
		case !inserted && e.seq <= pe.seq:
			v.report(j, Reordered, "seq %d comes after seq %d at %s", e.seq, pe.seq, v.at(p))
		case e.seq != v.ents[i].seq+1:
			v.report(j, Edited, "seq %d links to seq %d", e.seq, v.ents[i].seq)
		}
	}
}

// unknownPrev handles a record whose prev names no line in the files.
func (v *verifier) unknownPrev(j, p int) {
	e, pe := v.ents[j], v.ents[p]
	damaged := j - p - 1 // lines between that do not parse, reported already
	lastRecord := j == v.lastOK
	if b, found := v.breaks[p]; found && b.Kind == Edited && (v.succ[j] > 0 || lastRecord) {
		return // this record is intact; the edit of the one before explains it
	}
	switch {
	case damaged > 0 && e.seq == pe.seq+1+int64(damaged):
		// The damaged line between was the predecessor; reported already.
	case e.seq == pe.seq+1 && (v.succ[j] > 0 || lastRecord):
		// This record is intact (the next one links to it): the previous
		// record's line changed after this one was written.
		v.report(p, Edited, "the record changed after it was written: seq %d at %s does not link to it", e.seq, v.at(j))
	case e.seq == pe.seq+1:
		v.report(j, Edited, "its prev does not match seq %d at %s, and no later record links to it", pe.seq, v.at(p))
	case e.seq > pe.seq+1:
		if e.seq == pe.seq+2 {
			v.report(j, Deleted, "seq %d is missing (1 record deleted after %s)", pe.seq+1, v.at(p))
		} else {
			v.report(j, Deleted, "seq %d..%d are missing (%d records deleted after %s)", pe.seq+1, e.seq-1, e.seq-pe.seq-1, v.at(p))
		}
	case v.succ[j] == 0:
		v.report(j, Inserted, "seq %d after seq %d links to no record in the files", e.seq, pe.seq)
	default:
		v.report(j, Edited, "seq %d after seq %d links to no record in the files", e.seq, pe.seq)
	}
}
