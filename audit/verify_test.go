package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
)

// chainFile writes n records to a fresh log and returns its path.
func chainFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(config.Audit{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 1, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// forge builds a line that looks right: seq and prev of a real successor.
func forge(t *testing.T, after string, seq int64) string {
	r := rec(999)
	r.Seq, r.Prev, r.Outcome = seq, lineHash([]byte(strings.TrimSuffix(after, "\n"))), OutcomeBlocked
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

type wantBreak struct {
	line int
	seq  int64
	kind BreakKind
}

func TestVerifyTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, lines []string) []string // lines keep their '\n'
		want   []wantBreak
	}{
		{"intact", func(t *testing.T, l []string) []string { return l }, nil},
		{"edit a field", func(t *testing.T, l []string) []string {
			l[4] = strings.Replace(l[4], `"outcome":"ok"`, `"outcome":"error"`, 1)
			return l
		}, []wantBreak{{5, 5, Edited}}},
		{"edit the seq", func(t *testing.T, l []string) []string {
			l[4] = strings.Replace(l[4], `"seq":5,`, `"seq":7,`, 1)
			return l
		}, []wantBreak{{5, 7, Edited}}},
		{"edit into garbage", func(t *testing.T, l []string) []string {
			l[4] = `{"note":"nothing to see"}` + "\n"
			return l
		}, []wantBreak{{5, 0, Edited}}},
		{"delete one", func(t *testing.T, l []string) []string {
			return append(l[:4:4], l[5:]...)
		}, []wantBreak{{5, 6, Deleted}}},
		{"delete three", func(t *testing.T, l []string) []string {
			return append(l[:3:3], l[6:]...)
		}, []wantBreak{{4, 7, Deleted}}},
		{"delete the first", func(t *testing.T, l []string) []string {
			return l[1:]
		}, []wantBreak{{1, 2, Deleted}}},
		{"insert a forged record", func(t *testing.T, l []string) []string {
			x := forge(t, l[3], 5)
			return append(l[:4:4], append([]string{x}, l[4:]...)...)
		}, []wantBreak{{5, 5, Inserted}}},
		{"insert a copy", func(t *testing.T, l []string) []string {
			return append(l[:4:4], append([]string{l[2]}, l[4:]...)...)
		}, []wantBreak{{5, 3, Inserted}}},
		{"swap two", func(t *testing.T, l []string) []string {
			l[3], l[4] = l[4], l[3]
			return l
		}, []wantBreak{{4, 5, Reordered}, {5, 4, Reordered}}},
		{"move one to the end", func(t *testing.T, l []string) []string {
			moved := l[1]
			l = append(l[:1:1], l[2:]...)
			return append(l, moved)
		}, []wantBreak{{2, 3, Reordered}, {10, 2, Reordered}}},
		{"truncate mid-line", func(t *testing.T, l []string) []string {
			l[9] = l[9][:len(l[9])/2]
			return l
		}, []wantBreak{{10, 0, Truncated}}},
		{"cut mid-line, later lines kept", func(t *testing.T, l []string) []string {
			l[6] = l[6][:40] + "\n"
			return l
		}, []wantBreak{{7, 0, Truncated}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := chainFile(t, 10)
			lines := readLines(t, path)
			lines = lines[:len(lines)-1] // SplitAfter leaves "" after the last '\n'
			out := c.tamper(t, lines)
			if err := os.WriteFile(path, []byte(strings.Join(out, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []wantBreak
			for _, b := range rep.Breaks {
				got = append(got, wantBreak{b.Line, b.Seq, b.Kind})
				if !strings.HasPrefix(b.String(), fmt.Sprintf("%s:%d:", path, b.Line)) || b.Detail == "" {
					t.Errorf("break text %q", b)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("breaks %v\nwant %v\n%s", got, c.want, breaks(rep))
			}
			if rep.OK() != (len(c.want) == 0) {
				t.Errorf("OK() = %v", rep.OK())
			}
		})
	}
}

func breaks(r Report) string {
	var b strings.Builder
	for _, x := range r.Breaks {
		fmt.Fprintln(&b, x)
	}
	return b.String()
}

// TestVerifyAfterCrash: a writer died mid-line; the next Open ends that
// line and chains past it. Verify names the cut-off record and nothing else.
func TestVerifyAfterCrash(t *testing.T) {
	path := chainFile(t, 5)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-30], 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(config.Audit{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 6, 3)
	l.Close()
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Truncated || rep.Breaks[0].Line != 5 || rep.Last != 7 {
		t.Errorf("report %+v\n%s", rep, breaks(rep))
	}
}

func TestVerifyRotatedFiles(t *testing.T) {
	setup := func(t *testing.T) []string {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		l, err := Open(config.Audit{Path: path, MaxBytes: 1200}, nil)
		if err != nil {
			t.Fatal(err)
		}
		writeN(t, l, 1, 20)
		l.Close()
		files, err := RotatedFiles(path)
		if err != nil || len(files) < 4 {
			t.Fatalf("files %v, %v", files, err)
		}
		return files
	}
	t.Run("missing middle file", func(t *testing.T) {
		files := setup(t)
		n := len(readLines(t, files[1])) - 1
		rep, err := Verify(append(files[:1:1], files[2:]...)...)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Deleted || rep.Breaks[0].File != files[2] || rep.Breaks[0].Line != 1 ||
			!strings.Contains(rep.Breaks[0].Detail, fmt.Sprintf("(%d records deleted", n)) {
			t.Errorf("%s", breaks(rep))
		}
	})
	t.Run("last record of a rotated file deleted", func(t *testing.T) {
		files := setup(t)
		lines := readLines(t, files[0])
		os.WriteFile(files[0], []byte(strings.Join(lines[:len(lines)-2], "")), 0o600)
		rep, _ := Verify(files...)
		if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Deleted || rep.Breaks[0].File != files[1] {
			t.Errorf("%s", breaks(rep))
		}
	})
	t.Run("edit in a rotated file", func(t *testing.T) {
		files := setup(t)
		lines := readLines(t, files[1])
		lines[0] = strings.Replace(lines[0], `"bytes_sent":1`, `"bytes_sent":9`, 1)
		os.WriteFile(files[1], []byte(strings.Join(lines, "")), 0o600)
		rep, _ := Verify(files...)
		if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Edited || rep.Breaks[0].File != files[1] || rep.Breaks[0].Line != 1 {
			t.Errorf("%s", breaks(rep))
		}
	})
	t.Run("only the newest file given", func(t *testing.T) {
		files := setup(t)
		rep, _ := Verify(files[len(files)-1])
		if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Deleted || !strings.Contains(rep.Breaks[0].Detail, "file was not given") {
			t.Errorf("%s", breaks(rep))
		}
	})
}

func TestVerifyRestartedLog(t *testing.T) {
	path := chainFile(t, 5)
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	l, err := Open(config.Audit{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, l, 1, 2)
	l.Close()
	rep, err := Verify(path+".old", path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Breaks) != 1 || rep.Breaks[0].Kind != Restarted || rep.Breaks[0].File != path || rep.Breaks[0].Line != 1 {
		t.Errorf("%s", breaks(rep))
	}
}
