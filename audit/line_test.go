package audit

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
)

// Each line in the file is json.Marshal of its record and a newline,
// whatever was written before it through the same reused buffer: a long
// record (past the room kept) and the short ones around it, HTML
// characters escaped as Marshal escapes them.
func TestLinesAreMarshalledRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, config.Audit{Path: path})
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var want []Record
	for i, reason := range []string{"short <a&b>", strings.Repeat("long reason ", 8000), "x", "after the long one"} {
		r := rec(i)
		r.Time, r.Reason = when, reason
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	lines := readLines(t, path)
	if len(lines) != len(want)+1 || lines[len(want)] != "" {
		t.Fatalf("%d lines, want %d and nothing after the last newline", len(lines)-1, len(want))
	}
	prev := ""
	for i, r := range want {
		r.Seq, r.Prev = int64(i+1), prev
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if lines[i] != string(b)+"\n" {
			t.Fatalf("line %d is not its record as json.Marshal encodes it:\n%.200s\nwant\n%.200s", i+1, lines[i], b)
		}
		prev = lineHash(b)
	}
}
