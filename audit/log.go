package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veil-dev/veil/config"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit: log is closed")

// Log appends hash-chained records to a JSON Lines file.
//
// Rotation: when a record would take the file past audit.max_bytes, the file
// is renamed to the next free number, oldest first: audit.jsonl.1 holds the
// oldest records, audit.jsonl.2 the next, and audit.jsonl always the newest.
// Nothing is renumbered or deleted. The chain runs on from the last record
// of the renamed file into the new one, so `veil audit verify audit.jsonl*`
// checks the whole history.
//
// Several veil processes (one per editor window) may share one log: each
// Write takes an advisory lock on ".<name>.lock" beside the log (hidden, so
// `audit.jsonl*` does not pick it up) and picks up the chain from
// whatever the file ends with, including a rotation another process did.
// (The lock is flock(2) on Unix; elsewhere one process per log is assumed.)
type Log struct {
	path     string
	maxBytes int64
	key      []byte // HMAC key for Document when hash_paths; nil otherwise
	lock     *os.File

	// mu serialises writers in this process; the file lock serialises
	// processes. Both are held while the fields below are read or changed.
	mu     sync.Mutex
	f      *os.File    // the current file, O_APPEND
	fi     os.FileInfo // identity of f, to notice another process's rotation
	size   int64       // size of f after our last write
	prev   string      // hash of the last record line
	seq    int64       // seq of the last record
	closed bool
	// line holds the record being written, encoded by enc (reused:
	// nothing keeps a line once it is in the file).
	line bytes.Buffer
	enc  *json.Encoder
}

// Open opens (creating it, mode 0600, directories 0700) the log at c.Path
// and resumes the chain from its last record, or from the newest rotated
// file when it is empty. pathKey keys the Document hash and must be at
// least 16 bytes when c.HashPaths is on; keep it stable (see LoadKey) or the
// same file hashes differently across sessions.
func Open(c config.Audit, pathKey []byte) (*Log, error) {
	if c.Path == "" {
		return nil, errors.New("audit: opening log: audit.path is empty")
	}
	if c.MaxBytes < 0 {
		return nil, fmt.Errorf("audit: opening log: audit.max_bytes is negative (%d)", c.MaxBytes)
	}
	l := &Log{path: filepath.Clean(c.Path), maxBytes: c.MaxBytes}
	l.enc = json.NewEncoder(&l.line) // as json.Marshal, and a newline
	if c.HashPaths {
		if len(pathKey) < 16 {
			return nil, errors.New("audit: opening log: audit.hash_paths needs a key of at least 16 bytes")
		}
		l.key = bytes.Clone(pathKey)
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: opening log: %w", err)
	}
	lock, err := os.OpenFile(lockPath(l.path), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: opening log: %w", err)
	}
	l.lock = lock
	err = l.locked(l.resync)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("audit: opening log: %w", err)
	}
	return l, nil
}

// lockPath is the lock file of the log at path: ".audit.jsonl.lock".
func lockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// locked runs fn holding the cross-process file lock.
func (l *Log) locked(fn func() error) error {
	if err := lockFile(l.lock); err != nil {
		return fmt.Errorf("locking %s: %w", l.lock.Name(), err)
	}
	err := fn()
	if uerr := unlockFile(l.lock); err == nil && uerr != nil {
		err = fmt.Errorf("unlocking %s: %w", l.lock.Name(), uerr)
	}
	return err
}

// Write appends r. It sets r.Seq and r.Prev (whatever the caller put there),
// r.Time when zero, and hashes r.Document when hash_paths is on. It is safe
// for concurrent use, also across processes sharing the file. The line goes
// to the file in one write(2); it is not fsynced (Close syncs). Write keeps
// nothing of r: the caller may reuse its maps once Write returns.
func (l *Log) Write(r Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	r.Language = KnownLanguage(r.Language)
	if l.key != nil && r.Document != "" {
		m := hmac.New(sha256.New, l.key)
		m.Write([]byte(r.Document))
		r.Document = "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
	}
	err := l.locked(func() error {
		if err := l.resync(); err != nil {
			return err
		}
		r.Seq, r.Prev = l.seq+1, l.prev
		line, err := l.encode(&r)
		if err != nil {
			return fmt.Errorf("encoding record: %w", err)
		}
		if l.maxBytes > 0 && l.size > 0 && l.size+int64(len(line))+1 > l.maxBytes {
			if err := l.rotate(); err != nil {
				return err
			}
		}
		if _, err := l.f.Write(line[:len(line)+1]); err != nil { // with its newline
			// Part of the line may be in the file: reopen on the next
			// Write, which ends that line and rereads the chain tail.
			l.f.Close()
			l.f = nil
			return fmt.Errorf("writing %s: %w", l.path, err)
		}
		l.size += int64(len(line)) + 1
		l.seq, l.prev = r.Seq, lineHash(line)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: writing record: %w", err)
	}
	return nil
}

// encode is r's line, as json.Marshal encodes it, in l.line (valid until
// the next encode); the newline the encoder ends it with is past its end,
// within its capacity. l.mu is held.
func (l *Log) encode(r *Record) ([]byte, error) {
	if l.line.Cap() > maxLineRoom {
		l.line = bytes.Buffer{} // a rare long record: not kept
	}
	l.line.Reset()
	if err := l.enc.Encode(r); err != nil {
		return nil, err
	}
	b := l.line.Bytes()
	return b[:len(b)-1], nil
}

// maxLineRoom bounds the line buffer a Log keeps for the next record.
const maxLineRoom = 64 << 10

// Close syncs and closes the file. Later writes return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	if l.f != nil {
		errs = append(errs, l.f.Sync(), l.f.Close())
	}
	errs = append(errs, l.lock.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("audit: closing log: %w", err)
	}
	return nil
}

// resync makes l.f the current file and l.prev/l.seq its chain tail. It is
// a stat when nothing changed since our last write; otherwise (first call,
// another process wrote or rotated) it reopens and rereads the tail.
func (l *Log) resync() error {
	st, err := os.Stat(l.path)
	if err == nil && l.f != nil && os.SameFile(st, l.fi) && st.Size() == l.size {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil { // an existing file may be looser
		f.Close()
		return err
	}
	t, err := readTail(l.path)
	if err == nil && t.partial {
		// A writer died mid-line. End that line so ours starts clean; verify
		// reports the cut-off record, and the chain links past it.
		_, err = f.Write([]byte{'\n'})
	}
	if err == nil && t.line == nil {
		t, err = l.rotatedTail()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.fi, l.size = f, fi, fi.Size()
	l.prev, l.seq = "", 0
	if t.line != nil {
		l.prev, l.seq = lineHash(t.line), t.seq
	}
	return nil
}

// rotatedTail is the chain tail of the newest rotated file (zero if none).
func (l *Log) rotatedTail() (tail, error) {
	rs, err := rotated(l.path)
	if err != nil || len(rs) == 0 {
		return tail{}, err
	}
	return readTail(rs[len(rs)-1].name)
}

// rotate renames the current file to the next free number and starts a new
// one. The chain state is untouched: the next record links across files.
func (l *Log) rotate() error {
	rs, err := rotated(l.path)
	if err != nil {
		return err
	}
	next := 1
	if len(rs) > 0 {
		next = rs[len(rs)-1].n + 1
	}
	if err := l.f.Close(); err != nil {
		return err
	}
	l.f = nil
	name := l.path + "." + strconv.Itoa(next)
	if err := os.Rename(l.path, name); err != nil {
		return fmt.Errorf("rotating: %w", err)
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("rotating: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.fi, l.size = f, fi, 0
	return nil
}

type rotatedFile struct {
	n    int
	name string
}

// rotated lists path.1, path.2, … in number order (oldest first).
func rotated(path string) ([]rotatedFile, error) {
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path) + "."
	var out []rotatedFile
	for _, e := range ents {
		num, ok := strings.CutPrefix(e.Name(), base)
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 || strconv.Itoa(n) != num {
			continue
		}
		out = append(out, rotatedFile{n, filepath.Join(filepath.Dir(path), e.Name())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n < out[j].n })
	return out, nil
}

// RotatedFiles returns the log at path and its rotated files in chain order
// (oldest first), as `veil audit verify` wants them. Missing files are left
// out.
func RotatedFiles(path string) ([]string, error) {
	rs, err := rotated(path)
	if err != nil {
		return nil, fmt.Errorf("audit: listing rotated files: %w", err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.name)
	}
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	}
	return out, nil
}

// tail is the end of a log file.
type tail struct {
	size    int64
	line    []byte // the last complete line, nil when there is none
	seq     int64  // the seq the chain is at after line
	partial bool   // the file ends in a line without '\n'
}

// readTail reads the last complete line of a file, reading backwards in
// growing blocks so a long file costs one small read. When that line is not
// a record (it was damaged), the seq is worked out from the whole file.
func readTail(name string) (tail, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return tail{}, nil
	}
	if err != nil {
		return tail{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return tail{}, err
	}
	t := tail{size: st.Size()}
	for n := int64(8 << 10); ; n *= 2 {
		off := max(0, t.size-n)
		buf := make([]byte, t.size-off)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return tail{}, err
		}
		line, partial, ok := lastLine(buf, off == 0)
		if ok {
			t.line, t.partial = line, partial
			break
		}
	}
	if t.line == nil {
		return t, nil
	}
	var rec struct {
		Seq int64 `json:"seq"`
	}
	if json.Unmarshal(t.line, &rec) == nil && rec.Seq > 0 {
		t.seq = rec.Seq
		return t, nil
	}
	t.seq, err = seqAtEnd(f)
	return t, err
}

// lastLine finds the last '\n'-terminated line in buf, the end of a file.
// ok is false when buf does not reach back far enough to be sure (and
// atStart is false).
func lastLine(buf []byte, atStart bool) (line []byte, partial, ok bool) {
	if len(buf) == 0 {
		return nil, false, true
	}
	body := buf
	if body[len(body)-1] == '\n' {
		body = body[:len(body)-1]
	} else {
		partial = true
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 {
			return nil, true, atStart
		}
		body = body[:i]
	}
	i := bytes.LastIndexByte(body, '\n')
	if i < 0 && !atStart {
		return nil, partial, false
	}
	return bytes.Clone(body[i+1:]), partial, true
}

// seqAtEnd counts through a whole file whose last line is damaged: the seq of
// the last record that parses plus the lines after it.
func seqAtEnd(f *os.File) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	var seq int64
	err := eachLine(f, func(line []byte, complete bool) {
		if !complete {
			return
		}
		var rec struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Seq > 0 {
			seq = rec.Seq
		} else {
			seq++
		}
	})
	return seq, err
}
