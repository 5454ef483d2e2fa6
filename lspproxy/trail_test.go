package lspproxy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// TestTrailWritesOnce: a trail writes one record with what it learned, the
// first outcome wins, and end sets the decision with the outcome.
func TestTrailWritesOnce(t *testing.T) {
	cfg := pipelineConfig()
	cfg.Audit.Enabled = true
	cfg.Audit.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := audit.Open(cfg.Audit, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p := &pipeline{opts: Options{Audit: log, SessionID: "s1"}}
	tr := p.newTrail("7", policy.Inline)
	tr.found([]redact.Finding{{RuleID: "aws-access-key", Category: redact.Secret}})
	tr.sent("m", 42)
	tr.end(modelCheckFailed(errors.New("pin mismatch")), audit.OutcomeBlocked)
	tr.finish(audit.OutcomeOK)
	data, err := os.ReadFile(cfg.Audit.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1:\n%s", len(lines), data)
	}
	var r audit.Record
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Request != "7" || r.Session != "s1" || r.Outcome != audit.OutcomeBlocked || r.Rule != "model check" ||
		r.Route != "block" || r.BytesSent != 42 || r.Rules["aws-access-key"] != 1 {
		t.Fatalf("record = %+v", r)
	}
}
