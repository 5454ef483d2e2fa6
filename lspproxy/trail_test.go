package lspproxy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// TestTrailWritesOnce: a trail writes one record with what it learned, the
// first outcome wins, and end sets the decision with the outcome.
func TestTrailWritesOnce(t *testing.T) {
	cfg, log := auditedConfig(t)
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

// TestLogsNameSessionAndRequest: a request's log lines carry the session
// and the request id from the loggers' With, in the documented keys.
func TestLogsNameSessionAndRequest(t *testing.T) {
	m := &fakeModel{complete: func(context.Context, localmodel.FIMRequest) (string, error) {
		return "", errors.New("model down")
	}}
	opts, sk := redteamOptions(t, m)
	opts.SessionID = "sess-42"
	c := startClient(t, opts)
	c.initialize(nil)
	uri := "file:///work/ws/a.go"
	c.open(uri, "go", "package a\n\nfunc f() {\n\t\n}\n")
	c.call(7, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": uri},
		"position": map[string]any{"line": 3, "character": 1}, "context": map[string]any{"triggerKind": 1}})
	c.result(7)
	var line string
	for _, l := range strings.Split(sk.logs.String(), "\n") {
		if strings.Contains(l, "msg=model") {
			line = l
		}
	}
	for _, want := range []string{"session=sess-42", "request=7", "kind=inline", "error="} {
		if !strings.Contains(line, want) {
			t.Errorf("model failure log %q lacks %s", line, want)
		}
	}
}
