package audit

import (
	"path/filepath"
	"testing"

	"github.com/veil-dev/veil/config"
)

// BenchmarkWrite is one record per AI request: flock, stat, encode, write.
func BenchmarkWrite(b *testing.B) {
	l, err := Open(config.Audit{Path: filepath.Join(b.TempDir(), "audit.jsonl"), MaxBytes: 64 << 20}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := rec(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify reports the time to verify a 10,000-record log.
func BenchmarkVerify(b *testing.B) {
	path := filepath.Join(b.TempDir(), "audit.jsonl")
	l, err := Open(config.Audit{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 10000; i++ {
		if err := l.Write(rec(i)); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Verify(path)
		if err != nil || !rep.OK() || rep.Records != 10000 {
			b.Fatal(err, rep.Breaks)
		}
	}
}
