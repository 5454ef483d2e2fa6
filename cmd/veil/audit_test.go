package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
)

func writeAuditLog(t *testing.T, path string, n int, maxBytes int64) {
	t.Helper()
	l, err := audit.Open(config.Audit{Path: path, MaxBytes: maxBytes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := audit.Record{Kind: "inline", Route: "local", Outcome: audit.OutcomeOK, LatencyMS: float64(10 * (i + 1)),
			Findings: map[string]int{"secret": 1}, Rules: map[string]int{"github-pat-classic": 1}}
		if i%4 == 3 {
			r.Route, r.Outcome, r.Reason = "block", audit.OutcomeBlocked, "blocked: path matches **/.env (default policy rule 1)"
		}
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	writeAuditLog(t, path, 12, 1000)
	files, _ := audit.RotatedFiles(path)
	if len(files) < 2 {
		t.Fatalf("want rotated files: %v", files)
	}
	code, out, errOut := runCLI(t, "", append([]string{"audit", "verify"}, files...)...)
	if code != exitOK || !strings.Contains(out, "chain ok: 12 records (seq 1..12)") {
		t.Fatalf("intact: exit %d\n%s%s", code, out, errOut)
	}

	// Without FILEs: audit.path from --config, with its rotated files.
	cfg := filepath.Join(dir, "veil.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("audit:\n  path: %s\n", path)), 0o600)
	code, out, errOut = runCLI(t, "", "audit", "verify", "--config", cfg)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("across %d file(s)", len(files))) {
		t.Fatalf("from config: exit %d\n%s%s", code, out, errOut)
	}

	// Delete the second line of the oldest file.
	b, _ := os.ReadFile(files[0])
	lines := strings.SplitAfter(string(b), "\n")
	os.WriteFile(files[0], []byte(lines[0]+strings.Join(lines[2:], "")), 0o600)
	code, out, _ = runCLI(t, "", append([]string{"audit", "verify"}, files...)...)
	want := files[0] + ":2: seq 3: deleted: seq 2 is missing"
	if code != exitFindings || !strings.Contains(out, want) || !strings.Contains(out, "chain broken: 1 break(s)") {
		t.Errorf("deleted: exit %d, want a line %q in\n%s", code, want, out)
	}

	code, _, errOut = runCLI(t, "", "audit", "verify", filepath.Join(dir, "nope.jsonl"))
	if code != exitError || !strings.Contains(errOut, "nope.jsonl") {
		t.Errorf("missing file: exit %d %s", code, errOut)
	}
}

func TestAuditStatsCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	writeAuditLog(t, path, 8, 0)
	code, out, errOut := runCLI(t, "", "audit", "stats", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"requests     8", "blocked      2", "latency p50  30.0 ms", "latency p95  70.0 ms",
		"6  local", "2  block", "2  blocked: path matches **/.env (default policy rule 1)",
		"8  secret", "8  github-pat-classic", "per day (UTC)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "", "audit", "stats", "--json", path)
	if code != exitOK || !strings.Contains(out, `"Blocked": 2`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
}

func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{{"audit"}, {"audit", "frob"}} {
		if code, _, errOut := runCLI(t, "", args...); code != exitError || !strings.Contains(errOut, "usage: veil audit") {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "", "audit", "verify", "--help"); code != exitOK || !strings.Contains(errOut, "veil audit verify") {
		t.Errorf("verify --help: exit %d %s", code, errOut)
	}
}
