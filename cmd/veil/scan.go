package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/veil-dev/veil/redact"
	"github.com/veil-dev/veil/textbuf"
)

// runScan walks files and directories and reports what the detector finds.
// Exit 1 when there are findings, 0 when none, 2 on any error.
func runScan(e *env, args []string) int {
	fs := newFlagSet("scan", "PATH...", e)
	format := fs.String("format", "text", "output format: text, json or sarif")
	cfgFile := fs.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	maxSize := fs.Int64("max-size", 0, "skip files larger than this many bytes (default: detect.max_file_bytes)")
	workers := fs.Int("workers", 0, "files scanned in parallel (default: number of CPUs)")
	if code, done := parse(fs, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "veil scan: "+format+"\n", a...)
		return exitError
	}
	switch *format {
	case "text", "json", "sarif":
	default:
		return fail("--format %q: want text, json or sarif", *format)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError
	}
	targets, roots, err := scanTargets(fs.Args())
	if err != nil {
		return fail("%v", err)
	}
	loaded, det, err := loadDetector(e, "scan", *cfgFile, roots)
	if err != nil {
		return fail("%v", err)
	}
	limit := *maxSize
	if limit <= 0 {
		limit = loaded.Config.Detect.MaxFileBytes
	}
	n := *workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	sum := scanAll(det, targets, limit, n, e.stderr)
	elapsed := time.Since(start)
	var werr error
	switch *format {
	case "text":
		werr = writeText(e.stdout, sum.results)
	case "json":
		werr = writeJSON(e.stdout, sum)
	case "sarif":
		werr = writeSARIF(e.stdout, sum.results)
	}
	if werr != nil {
		return fail("writing output: %v", werr)
	}
	mb := float64(sum.bytes) / 1e6
	fmt.Fprintf(e.stderr, "veil scan: %d files, %.1f MB in %.2fs (%.0f MB/s), %d findings; skipped %d binary, %d too large\n",
		sum.files, mb, elapsed.Seconds(), mb/max(elapsed.Seconds(), 1e-9), sum.findings, sum.binary, sum.tooLarge)
	switch {
	case sum.errors > 0:
		return exitError
	case sum.findings > 0:
		return exitFindings
	}
	return exitOK
}

// scanTarget is one PATH argument: what to show and where its workspace is.
type scanTarget struct {
	arg  string // as given, the prefix of every shown path
	abs  string
	root string // workspace root (nearest .git or .veil.yaml), "" if none
}

func scanTargets(args []string) ([]scanTarget, []string, error) {
	var out []scanTarget
	var roots []string
	seen := map[string]bool{}
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, nil, err
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, nil, err
		}
		root := workspaceRoot(abs)
		if st.IsDir() {
			// A directory argument may itself be the workspace root.
			root = workspaceRoot(filepath.Join(abs, "x"))
		}
		if root != "" && !seen[root] {
			seen[root] = true
			roots = append(roots, root)
		}
		out = append(out, scanTarget{arg: a, abs: abs, root: root})
	}
	return out, roots, nil
}

// shownFinding is a finding as printed: position and masked preview, never
// the value.
type shownFinding struct {
	Path        string  `json:"path"`
	Line        int     `json:"line"`
	Column      int     `json:"column"` // 1-based, in characters
	EndLine     int     `json:"end_line"`
	EndColumn   int     `json:"end_column"` // exclusive
	RuleID      string  `json:"rule_id"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Confidence  float64 `json:"confidence"`
	Preview     string  `json:"preview"`
}

type fileResult struct {
	seq      int
	path     string
	findings []shownFinding
	size     int64
	note     string // printed on stderr
	binary   bool
	tooLarge bool
	err      bool
}

type scanSummary struct {
	results                  []fileResult // in walk order, only files with findings
	files, findings          int
	bytes                    int64
	binary, tooLarge, errors int
}

type scanJob struct {
	seq     int
	path    string // shown
	abs     string
	detPath string // handed to the detector
}

// scanBatch is how many files travel together from the walker to a worker
// and back: one channel hand-off per file showed in profiles (goroutine
// wake-ups cost more than scanning a small file).
const scanBatch = 32

// scanAll walks the targets on one goroutine and scans files on `workers`
// others; every goroutine ends before it returns. Notes go to stderr from
// this goroutine only.
func scanAll(det *redact.Detector, targets []scanTarget, limit int64, workers int, stderr io.Writer) scanSummary {
	jobs := make(chan []scanJob, 2*workers)
	results := make(chan []fileResult, 2*workers)
	var walkErrs []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		walkErrs = walkTargets(targets, jobs)
	}()
	var workerWG sync.WaitGroup
	for range workers {
		workerWG.Add(1)
		go func() {
			defer workerWG.Done()
			var buf []byte // reused: findings keep only previews
			for batch := range jobs {
				rs := make([]fileResult, len(batch))
				for i, j := range batch {
					rs[i], buf = scanFile(det, j, limit, buf)
				}
				results <- rs
			}
		}()
	}
	go func() {
		workerWG.Wait()
		close(results)
	}()
	var sum scanSummary
	for rs := range results {
		for _, r := range rs {
			sum.add(r, stderr)
		}
	}
	wg.Wait() // the walker finished before jobs closed; this orders walkErrs
	for _, e := range walkErrs {
		fmt.Fprintf(stderr, "veil scan: %s\n", e)
		sum.errors++
	}
	sort.Slice(sum.results, func(i, j int) bool { return sum.results[i].seq < sum.results[j].seq })
	return sum
}

// walkTargets walks the targets in order and sends the regular files in
// them to jobs in batches of scanBatch (.git directories below a target are
// skipped). It returns the walk errors.
func walkTargets(targets []scanTarget, jobs chan<- []scanJob) []string {
	seq := 0
	var batch []scanJob
	var errs []string
	for _, t := range targets {
		err := filepath.WalkDir(t.abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err.Error())
				return nil
			}
			if d.IsDir() {
				if d.Name() == ".git" && p != t.abs {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(t.abs, p)
			shown := filepath.Join(t.arg, rel)
			if rel == "." {
				shown = t.arg
			}
			batch = append(batch, scanJob{seq: seq, path: shown, abs: p, detPath: scanPath(filepath.ToSlash(p), filepath.ToSlash(t.root))})
			seq++
			if len(batch) == scanBatch {
				jobs <- batch
				batch = nil
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(batch) > 0 {
		jobs <- batch
	}
	return errs
}

// add counts one scanned file, keeping it when it has findings; its note
// goes to stderr.
func (sum *scanSummary) add(r fileResult, stderr io.Writer) {
	switch {
	case r.err:
		sum.errors++
	case r.binary:
		sum.binary++
	case r.tooLarge:
		sum.tooLarge++
	default:
		sum.files++
		sum.bytes += r.size
	}
	if r.note != "" {
		fmt.Fprintf(stderr, "veil scan: %s\n", r.note)
	}
	if len(r.findings) > 0 {
		sum.findings += len(r.findings)
		sum.results = append(sum.results, r)
	}
}

// scanFile reads and scans one file into buf (grown as needed and
// returned for reuse).
func scanFile(det *redact.Detector, j scanJob, limit int64, buf []byte) (fileResult, []byte) {
	r := fileResult{seq: j.seq, path: j.path}
	// O_NONBLOCK: os.Open would otherwise set and clear it around a failed
	// netpoll registration, four fcntl calls per file (a quarter of the
	// scan's system calls). It changes nothing for a regular file, and a
	// file swapped for a FIFO since the walk fails instead of blocking.
	f, err := os.OpenFile(j.abs, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		r.err, r.note = true, err.Error()
		return r, buf
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		r.err, r.note = true, err.Error()
		return r, buf
	}
	r.size = st.Size()
	if limit > 0 && r.size > limit {
		r.tooLarge = true
		r.note = fmt.Sprintf("skipped %s: %d bytes, over the %d-byte limit (--max-size)", j.path, r.size, limit)
		return r, buf
	}
	if int64(cap(buf)) < r.size+1 {
		buf = make([]byte, 0, r.size+r.size/8+512)
	}
	text, err := readAllInto(f, buf[:0])
	if err != nil {
		r.err, r.note = true, fmt.Sprintf("reading %s: %v", j.path, err)
		return r, buf
	}
	buf = text[:0]
	r.size = int64(len(text))
	if bytes.IndexByte(text[:min(len(text), 8000)], 0) >= 0 {
		r.binary = true
		return r, buf
	}
	fs := det.Scan(j.detPath, text)
	pos := textbuf.NewLineCursor(text)
	for _, fd := range fs {
		sl, sc := pos.At(fd.Start)
		el, ec := pos.Peek(fd.End)
		r.findings = append(r.findings, shownFinding{Path: j.path, Line: sl, Column: sc, EndLine: el, EndColumn: ec,
			RuleID: fd.RuleID, Category: string(fd.Category), Description: fd.Description, Confidence: fd.Confidence,
			Preview: redact.Preview(string(text[fd.Start:fd.End]))})
	}
	return r, buf
}

// readAllInto appends all of r to buf, growing it when needed.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func writeText(w io.Writer, results []fileResult) error {
	for _, r := range results {
		for _, f := range r.findings {
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s %s %s\n", f.Path, f.Line, f.Column, f.RuleID, f.Category, f.Preview); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeJSON(w io.Writer, sum scanSummary) error {
	out := struct {
		Findings     []shownFinding `json:"findings"`
		FilesScanned int            `json:"files_scanned"`
		Bytes        int64          `json:"bytes"`
		Skipped      map[string]int `json:"skipped"`
		Errors       int            `json:"errors"`
	}{Findings: []shownFinding{}, FilesScanned: sum.files, Bytes: sum.bytes,
		Skipped: map[string]int{"binary": sum.binary, "too_large": sum.tooLarge}, Errors: sum.errors}
	for _, r := range sum.results {
		out.Findings = append(out.Findings, r.findings...)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
