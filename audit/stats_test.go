package audit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/veil-dev/veil/config"
)

func TestStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(config.Audit{Path: path, MaxBytes: 1500}, nil)
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 11, 24, 23, 59, 0, 0, time.UTC)
	day2 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.FixedZone("CET", 3600)) // 00:00 UTC
	envReason := "blocked: path matches **/.env (default policy rule 1)"
	recs := []Record{
		// day 1: latencies 10..100 on ten local requests, one block
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 10, Findings: map[string]int{"secret": 2}, Rules: map[string]int{"github-pat": 2}, BytesSent: 50},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 20},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 30},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 40},
		{Time: day1, Route: "local", Outcome: OutcomeEmpty, LatencyMS: 50},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 60},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 70},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 80},
		{Time: day1, Route: "local", Outcome: OutcomeTimeout, LatencyMS: 90},
		{Time: day1, Route: "local", Outcome: OutcomeOK, LatencyMS: 100, Findings: map[string]int{"pii": 1}, Rules: map[string]int{"email": 1}},
		{Time: day1, Route: "block", Outcome: OutcomeBlocked, Reason: envReason, LatencyMS: 0.1},
		// day 2: cancelled ones do not count for latency
		{Time: day2, Route: "local", Outcome: OutcomeCancelled, LatencyMS: 1},
		{Time: day2, Route: "local", Outcome: OutcomeOK, LatencyMS: 500, Findings: map[string]int{"secret": 1}},
		{Time: day2, Route: "block", Outcome: OutcomeBlocked, Reason: envReason},
		{Time: day2, Route: "block", Outcome: OutcomeBlocked, Reason: "blocked: finding private-key-rsa matches private-key* (default policy rule 22 (private-key material))", Findings: map[string]int{"secret": 1}},
	}
	for _, r := range recs {
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files, _ := RotatedFiles(path)
	if len(files) < 2 {
		t.Fatalf("want rotation: %v", files)
	}
	s, err := Stats(files...)
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 15 || s.Skipped != 0 || s.Blocked != 3 || s.ByRoute["local"] != 12 || s.ByRoute["block"] != 3 {
		t.Errorf("counts: %+v", s)
	}
	if s.BlockReasons[envReason] != 2 || len(s.BlockReasons) != 2 {
		t.Errorf("reasons %v", s.BlockReasons)
	}
	if s.Findings["secret"] != 4 || s.Findings["pii"] != 1 || s.Rules["github-pat"] != 2 || s.BytesSent != 50 {
		t.Errorf("findings %v rules %v bytes %d", s.Findings, s.Rules, s.BytesSent)
	}
	// 11 latencies: 10..100 and 500; nearest rank p50 = 6th = 60, p95 = 11th = 500.
	if s.LatencyP50 != 60 || s.LatencyP95 != 500 {
		t.Errorf("p50 %v p95 %v", s.LatencyP50, s.LatencyP95)
	}
	if len(s.Days) != 2 {
		t.Fatalf("days %+v", s.Days)
	}
	d1, d2 := s.Days[0], s.Days[1]
	if d1.Date != "2026-11-24" || d1.Requests != 11 || d1.Blocked != 1 || d1.Findings != 3 || d1.LatencyP50 != 50 || d1.LatencyP95 != 100 {
		t.Errorf("day 1 %+v", d1)
	}
	if d2.Date != "2026-11-25" || d2.Requests != 4 || d2.Blocked != 2 || d2.Findings != 2 || d2.LatencyP50 != 500 {
		t.Errorf("day 2 %+v", d2)
	}
	if !s.First.Equal(day1) || !s.Last.Equal(day2) {
		t.Errorf("first %v last %v", s.First, s.Last)
	}
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		xs     []float64
		p, out float64
	}{
		{nil, 50, 0}, {[]float64{7}, 95, 7}, {[]float64{3, 1, 2}, 50, 2}, {[]float64{1, 2, 3, 4}, 50, 2}, {[]float64{1, 2, 3, 4}, 95, 4},
	} {
		if got := percentile(c.xs, c.p); got != c.out {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.xs, c.p, got, c.out)
		}
	}
}

func TestStatsUpstream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(config.Audit{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Record{
		{Route: "upstream", Kind: "chat", Host: "api.githubcopilot.com", Outcome: OutcomeOK, Refused: 2},
		{Route: "upstream", Kind: "completions", Host: "proxy.individual.githubcopilot.com", Outcome: OutcomeOK},
		{Route: "upstream", Kind: "completions", Host: "proxy.individual.githubcopilot.com", Outcome: OutcomeOK, Refused: 1},
		{Route: "upstream", Kind: "telemetry", Outcome: OutcomeBlocked, Reason: "telemetry dropped"},
		{Route: "local", Kind: "inline", Outcome: OutcomeOK},
	} {
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	s, err := Stats(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.ByRoute["upstream"] != 4 || s.Upstream["completions ok"] != 2 || s.Upstream["chat ok"] != 1 || s.Upstream["telemetry blocked"] != 1 || len(s.Upstream) != 3 || s.UpstreamRefused != 3 {
		t.Errorf("upstream %v refused %d routes %v", s.Upstream, s.UpstreamRefused, s.ByRoute)
	}
}
