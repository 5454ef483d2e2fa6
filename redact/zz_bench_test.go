package redact

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func BenchmarkZZAll(b *testing.B) {
	var names []string
	var files [][]byte
	n := 0
	filepath.WalkDir(filepath.Join(runtime.GOROOT(), "src"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 1<<20 || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			return nil
		}
		names = append(names, p)
		files = append(files, data)
		n += len(data)
		return nil
	})
	d := newTestDetector(b, Options{})
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		for i, f := range files {
			d.Scan(names[i], f)
		}
	}
}
