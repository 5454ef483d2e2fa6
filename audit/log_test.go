package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
)

func openLog(t *testing.T, c config.Audit) *Log {
	t.Helper()
	l, err := Open(c, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func rec(i int) Record {
	return Record{
		Session: "s1", Request: fmt.Sprint(i), Kind: "inline", Document: "src/main.go", Language: "go",
		Route: "local", Rule: "no rule matched", Reason: "local: findings masked (no rule matched)",
		Findings: map[string]int{"secret": 1}, Rules: map[string]int{"github-pat": 1},
		BytesSent: 100 + i, Model: "builtin", LatencyMS: float64(i), Outcome: OutcomeOK,
	}
}

func writeN(t *testing.T, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Write(rec(i)); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(string(b), "\n")
}

func mode(t *testing.T, name string) os.FileMode {
	t.Helper()
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestWriteFillsChainFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, config.Audit{Path: path})
	r := rec(1)
	r.Seq, r.Prev = 99, "forged" // the log decides these
	if err := l.Write(r); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	r = rec(2)
	r.Time = when
	if err := l.Write(r); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	var a, b Record
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &b); err != nil {
		t.Fatal(err)
	}
	if a.Seq != 1 || a.Prev != "" || a.Time.IsZero() || time.Since(a.Time) > time.Minute {
		t.Errorf("first record: seq %d prev %q time %v", a.Seq, a.Prev, a.Time)
	}
	if b.Seq != 2 || b.Prev != lineHash([]byte(strings.TrimSuffix(lines[0], "\n"))) {
		t.Errorf("second record: seq %d prev %q", b.Seq, b.Prev)
	}
	if !b.Time.Equal(when) || b.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC", b.Time, when)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "veil")
	path := filepath.Join(dir, "audit.jsonl")
	l := openLog(t, config.Audit{Path: path, MaxBytes: 600})
	writeN(t, l, 1, 5)
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, m)
		}
	}
	files, err := RotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("want a rotation, got files %v", files)
	}
	for _, f := range append(files, filepath.Join(dir, ".audit.jsonl.lock")) {
		if m := mode(t, f); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, m)
		}
	}

	// An existing file left readable by others is tightened.
	loose := filepath.Join(t.TempDir(), "loose.jsonl")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(loose, 0o644)
	openLog(t, config.Audit{Path: loose})
	if m := mode(t, loose); m != 0o600 {
		t.Errorf("existing file: mode %v, want 0600", m)
	}
}

func TestResumeChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for round := 0; round < 3; round++ {
		l, err := Open(config.Audit{Path: path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		writeN(t, l, round*4, 4)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Write(rec(0)); err != ErrClosed {
			t.Errorf("Write after Close: %v, want ErrClosed", err)
		}
	}
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Records != 12 || rep.First != 1 || rep.Last != 12 {
		t.Errorf("report %+v", rep)
	}
}

func TestHashPaths(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(config.Audit{Path: filepath.Join(dir, "a"), HashPaths: true}, []byte("short")); err == nil {
		t.Error("hash_paths with a 5-byte key: want an error")
	}
	key, err := LoadKey(filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadKey(filepath.Join(dir, "audit.key"))
	if err != nil || !bytes.Equal(key, again) {
		t.Fatalf("LoadKey is not stable: %v", err)
	}
	if m := mode(t, filepath.Join(dir, "audit.key")); m != 0o600 {
		t.Errorf("key mode %v", m)
	}
	docs := func(key []byte, name string) []string {
		path := filepath.Join(dir, name)
		l, err := Open(config.Audit{Path: path, HashPaths: true}, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"src/main.go", "src/main.go", "internal/billing/acme.go"} {
			r := rec(1)
			r.Document = d
			if err := l.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte("main.go")) || bytes.Contains(b, []byte("billing")) {
			t.Errorf("hashed log shows a path:\n%s", b)
		}
		var out []string
		for _, line := range readLines(t, path) {
			var r Record
			if json.Unmarshal([]byte(line), &r) == nil {
				out = append(out, r.Document)
			}
		}
		return out
	}
	a := docs(key, "a.jsonl")
	if len(a) != 3 || a[0] != a[1] || a[0] == a[2] || !strings.HasPrefix(a[0], "hmac-sha256:") || len(a[0]) != len("hmac-sha256:")+32 {
		t.Errorf("hashed documents %q", a)
	}
	other := docs(bytes.Repeat([]byte{7}, 32), "b.jsonl")
	if other[0] == a[0] {
		t.Error("a different key gives the same hash")
	}
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	const max = 1000
	l := openLog(t, config.Audit{Path: path, MaxBytes: max})
	writeN(t, l, 1, 40)
	files, err := RotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("files %v: want several rotations", files)
	}
	for i, f := range files[:len(files)-1] {
		if want := fmt.Sprintf("%s.%d", path, i+1); f != want {
			t.Errorf("rotated file %d is %s, want %s", i, f, want)
		}
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		if st.Size() > max {
			t.Errorf("%s has %d bytes > max_bytes %d", f, st.Size(), max)
		}
	}
	// Any order on the command line: the chain decides.
	shuffled := append([]string{files[len(files)-1]}, files[:len(files)-1]...)
	shuffled[1], shuffled[2] = shuffled[2], shuffled[1]
	rep, err := Verify(shuffled...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Records != 40 || rep.First != 1 || rep.Last != 40 {
		t.Errorf("report %+v", rep)
	}
	if rep.Files[0] != files[0] || rep.Files[len(rep.Files)-1] != path {
		t.Errorf("chain order %v", rep.Files)
	}
	// A reopened log continues the chain in the current file.
	l.Close()
	l2 := openLog(t, config.Audit{Path: path, MaxBytes: max})
	writeN(t, l2, 41, 3)
	files, _ = RotatedFiles(path)
	if rep, _ := Verify(files...); !rep.OK() || rep.Last != 43 {
		t.Errorf("after reopen: %+v", rep)
	}
}

// TestRotatedThenEmpty: the current file was just rotated away (or is
// missing); the chain continues from the newest rotated file.
func TestResumeFromRotated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, config.Audit{Path: path})
	writeN(t, l, 1, 3)
	l.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, config.Audit{Path: path})
	writeN(t, l2, 4, 2)
	rep, err := Verify(path, path+".1")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Last != 5 {
		t.Errorf("%+v", rep)
	}
}

// TestConcurrentWrites: goroutines on one Log, and two Logs on the same
// file (as two veil processes would be), with rotation; run under -race.
func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := config.Audit{Path: path, MaxBytes: 8 << 10}
	a := openLog(t, c)
	b := openLog(t, c)
	const writers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		l := a
		if w%2 == 1 {
			l = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.Write(rec(w*each + i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	files, err := RotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(files...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Records != writers*each || rep.First != 1 || rep.Last != writers*each {
		t.Errorf("files %d, report %+v", len(files), rep)
	}
	if len(files) < 3 {
		t.Errorf("want rotations during the run, got %v", files)
	}
}
