package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Record is one AI request. It holds counts, rule ids and outcomes, never
// raw text, a secret value or a token↔value pair: nothing in it can restore
// what was masked. It is written as one JSON line.
type Record struct {
	// Seq numbers records from 1 across rotated files; Write sets it.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"` // Write sets it when zero; stored in UTC
	// Session and Request identify the veil session and the LSP request.
	Session string `json:"session,omitempty"`
	Request string `json:"request,omitempty"`
	Kind    string `json:"kind,omitempty"` // inline | completion | chat; upstream: sign-in | token | completions | chat | ...
	// Host is the upstream host of a wrapped server's request (route upstream).
	Host string `json:"host,omitempty"`
	// Document is the workspace-relative slash path. With audit.hash_paths
	// Write replaces it by "hmac-sha256:" and 32 hex digits of a keyed hash.
	Document string `json:"document,omitempty"`
	// Language is a known LSP language id or "other"; Write makes it so.
	Language string `json:"language,omitempty"`
	// Route, Rule and Reason are the policy decision.
	Route  string `json:"route"`
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Findings counts findings by category, Rules by rule id.
	Findings  map[string]int `json:"findings,omitempty"`
	Rules     map[string]int `json:"rules,omitempty"`
	BytesSent int            `json:"bytes_sent"` // bytes of redacted prompt sent to the model
	// Refused counts file contents (attachments, tool results) replaced by
	// a refusal before an upstream request left.
	Refused   int     `json:"refused,omitempty"`
	Model     string  `json:"model,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
	Outcome   string  `json:"outcome"` // one of the Outcome constants
	// Prev is the hex SHA-256 of the previous record's line (without its
	// newline), "" for the first record of a chain; Write sets it.
	Prev string `json:"prev"`
}

// Outcomes of a request.
const (
	OutcomeOK        = "ok"        // the model answered and the answer was delivered
	OutcomeBlocked   = "blocked"   // policy blocked it; nothing was sent
	OutcomeError     = "error"     // veil or the model failed; the editor got nothing
	OutcomeCancelled = "cancelled" // the client cancelled it
	OutcomeTimeout   = "timeout"   // the latency budget ran out
	OutcomeEmpty     = "empty"     // the model answered nothing usable
)

// lineHash is the chain hash of one record line (without its newline).
func lineHash(line []byte) string {
	s := sha256.Sum256(line)
	return hex.EncodeToString(s[:])
}
