package redact

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// goSources reads up to limit bytes of .go files under GOROOT/src.
func goSources(t testing.TB, limit int) (names []string, files [][]byte) {
	t.Helper()
	root := filepath.Join(runtime.GOROOT(), "src")
	total := 0
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || total >= limit {
			return nil
		}
		if de.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		names = append(names, p)
		files = append(files, b)
		total += len(b)
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Skipf("GOROOT sources not readable: %v", err)
	}
	return names, files
}

// BenchmarkScan scans a ~1 MB mix of real Go files (GOROOT/src) with the
// full rule set.
func BenchmarkScan(b *testing.B) {
	_, files := goSources(b, 1<<20)
	d := newTestDetector(b, Options{})
	mix := bytes.Join(files, []byte("\n"))
	b.SetBytes(int64(len(mix)))
	b.ReportAllocs()
	for b.Loop() {
		d.Scan("mix.go", mix)
	}
}

// knownTestSecrets are GOROOT/src files that hold test keys on purpose
// (crypto test vectors, TLS and x509 test certificates and keys, net test
// addresses). Findings elsewhere fail TestPrecisionGoroot.
var knownTestSecrets = []string{
	"crypto/", "net/", "vendor/golang.org/x/crypto", "encoding/pem/", "cmd/go/testdata", "cmd/vendor",
}

// TestPrecisionGoroot scans the Go standard library: secrets may be found
// only in files that hold test keys. It logs every finding (rule, file,
// preview) so they can be reviewed.
func TestPrecisionGoroot(t *testing.T) {
	if testing.Short() {
		t.Skip("scans ~150 MB")
	}
	names, files := goSources(t, 1<<30)
	d := newTestDetector(t, Options{})
	root := filepath.Join(runtime.GOROOT(), "src") + string(filepath.Separator)
	byRule := map[string]int{}
	var unexpected []string
	for i, b := range files {
		rel := strings.TrimPrefix(names[i], root)
		for _, f := range d.Scan(rel, b) {
			byRule[f.RuleID]++
			line := 1 + bytes.Count(b[:f.Start], []byte{'\n'})
			msg := rel + ":" + itoa(line) + " " + f.RuleID + " " + Preview(string(b[f.Start:f.End]))
			t.Log(msg)
			if f.Category != Secret {
				continue
			}
			known := strings.HasSuffix(rel, "_test.go") || strings.Contains(rel, "/testdata/")
			for _, p := range knownTestSecrets {
				known = known || strings.HasPrefix(rel, p)
			}
			if !known {
				unexpected = append(unexpected, msg)
			}
		}
	}
	var ids []string
	for id := range byRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Logf("rule %s: %d findings", id, byRule[id])
	}
	for _, u := range unexpected {
		t.Errorf("secret outside test files: %s", u)
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n))
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// BenchmarkPathological scans inputs that once cost quadratic time (one long
// line with a keyword every few bytes, many BEGIN lines, many tokens):
// each should scan at a speed of the same order as ordinary code.
func BenchmarkPathological(b *testing.B) {
	d := newTestDetector(b, Options{})
	inputs := map[string]string{
		"key=":    strings.Repeat("token=", 50000),
		"quoted":  strings.Repeat(`token="`, 50000),
		"xml":     strings.Repeat("<password>", 30000),
		"begin":   strings.Repeat("-----BEGIN RSA PRIVATE KEY-----\n", 10000),
		"at":      strings.Repeat("a@b", 100000),
		"digits":  strings.Repeat("1234 5678 ", 30000),
		"escapes": strings.Repeat(`\x41%3D&#65;`, 20000),
		"b64":     strings.Repeat(`"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" `, 8000),
		"nested":  strings.Repeat("%25%34%31", 30000),
		"b64long": "data: " + strings.Repeat("QUJDRGVm", 50000), // one run far longer than maxBlob
	}
	for name, s := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				d.Scan("x.txt", []byte(s))
			}
		})
	}
	v := NewVault(testKey, 10)
	veil := strings.Repeat("VEIL_A_", 50000)
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(int64(len(veil)))
		for b.Loop() {
			v.Restore(veil)
		}
	})
}
