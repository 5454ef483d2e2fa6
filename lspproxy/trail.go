package lspproxy

import (
	"log/slog"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// trail is one AI request's audit record as the pipeline fills it in: it
// starts with the request, learns the findings, the decision and what was
// sent, and is written exactly once, by finish, with the outcome and the
// latency. Completion and chat share it.
type trail struct {
	p     *pipeline
	start time.Time
	rec   audit.Record
	done  bool
}

func (p *pipeline) newTrail(id string, kind policy.Kind) *trail {
	return &trail{p: p, start: time.Now(), rec: audit.Record{Request: id, Kind: string(kind)}}
}

// found counts the findings by category and rule (never their values).
func (t *trail) found(fs []redact.Finding) { t.rec.Findings, t.rec.Rules = countFindings(fs) }

// decided records the route and why.
func (t *trail) decided(d policy.Decision) {
	t.rec.Route, t.rec.Rule, t.rec.Reason = string(d.Route), d.Rule, d.Reason
}

// sent records the model asked and how many bytes it was sent.
func (t *trail) sent(model string, bytes int) { t.rec.Model, t.rec.BytesSent = model, bytes }

// finish writes the record with outcome; later calls do nothing.
func (t *trail) finish(outcome string) {
	if t.done {
		return
	}
	t.done = true
	t.rec.Outcome = outcome
	t.rec.LatencyMS = float64(time.Since(t.start).Microseconds()) / 1000
	t.p.record(t.rec)
}

// end is decided then finish: a request that stops with its own decision
// (a refusal, a failed model check).
func (t *trail) end(d policy.Decision, outcome string) {
	t.decided(d)
	t.finish(outcome)
}

// modelCheckFailed is the decision for a request stopped because the model
// check (model.pin, the model being served) failed.
func modelCheckFailed(err error) policy.Decision {
	return policy.Decision{Route: policy.Block, Rule: "model check", Reason: "blocked: " + err.Error()}
}

// requestLog is a request's logger (the session's, With its "request" and
// "kind"), made on first use: most requests log nothing, and With costs
// allocations on every keystroke.
type requestLog struct {
	base *slog.Logger
	id   string
	kind policy.Kind
	l    *slog.Logger
}

func (r *requestLog) get() *slog.Logger {
	if r.l == nil {
		r.l = r.base.With("request", r.id, "kind", string(r.kind))
	}
	return r.l
}
