package audit_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randFrom(t *testing.T, alphabet string, n int) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// planted is one generated secret and what the detector must call it
// (category, and a part of the rule id).
type planted struct {
	value    string
	rule     string
	category redact.Category
}

// TestAuditHoldsNoSecrets runs requests whose text carries generated secrets
// through the real detector, policy and the real writer (plain and hashed paths, with
// rotation), building records the way the LSP does, then searches every byte
// written for each planted value and its hex and base64 forms.
func TestAuditHoldsNoSecrets(t *testing.T) {
	seed, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	gen := lsptest.NewSecrets(seed.Uint64())
	term := "Quasar" + randFrom(t, "abcdefghijklmnopqrstuvwxyz", 8)
	secrets := []planted{
		{gen.GitHubPAT(), "github-pat", redact.Secret},
		{gen.AWSAccessKeyID(), "aws", redact.Secret},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\n" + randFrom(t, base62+"+/", 64) + "\n" + randFrom(t, base62+"+/", 40) + "\n-----END OPENSSH PRIVATE KEY-----", "private-key", redact.Secret},
		{"jane.q." + strings.ToLower(randFrom(t, base62, 10)) + "@acme-payments.io", "email", redact.PII},
		{term, "identifier-term", redact.Identifier},
	}
	det, err := redact.NewDetector(redact.Options{Terms: []string{term}})
	if err != nil {
		t.Fatal(err)
	}
	docs := []struct{ path, lang string }{
		{"/home/dev/proj/internal/billing.go", "go"},
		{"/home/dev/proj/.env", "dotenv"},
		{"/home/dev/proj/deploy/id_ed25519", "plaintext"},
		{"/home/dev/proj/README.md", "markdown"},
	}
	pol, err := policy.Compile(config.Policy{Defaults: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, hashPaths := range []bool{false, true} {
		c := config.Audit{Path: filepath.Join(dir, "audit-"+map[bool]string{false: "plain", true: "hashed"}[hashPaths]+".jsonl"), HashPaths: hashPaths, MaxBytes: 2048}
		l, err := audit.Open(c, bytes.Repeat([]byte{0x5a}, 32))
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range docs {
			for k := range secrets {
				// The text the model would see before masking: the secrets
				// of this round, in code.
				var text strings.Builder
				for _, s := range secrets[:k+1] {
					text.WriteString("const x = `" + s.value + "`\n")
				}
				findings := det.Scan("internal/billing.go", []byte(text.String()))
				for _, s := range secrets[:k+1] {
					if !found(text.String(), findings, s) {
						t.Fatalf("the detector missed planted %s %s: the test would prove nothing", s.rule, preview(s.value))
					}
				}
				req := policy.Request{Kind: policy.Chat, Path: d.path, WorkspaceRoot: "/home/dev/proj", LanguageID: d.lang, Findings: findings}
				dec := pol.Decide(req)
				if err := l.Write(recordFor(req, dec, text.Len(), i*10+k)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte(`"route":"block"`)) || !bytes.Contains(all, []byte(`"route":"local"`)) || len(ents) < 4 {
		t.Fatalf("the test did not exercise both routes and rotation (%d files)", len(ents))
	}
	for _, s := range secrets {
		for _, form := range []string{s.value, hex.EncodeToString([]byte(s.value)), base64.StdEncoding.EncodeToString([]byte(s.value))} {
			if bytes.Contains(all, []byte(form)) {
				t.Errorf("audit output holds planted %s %s", s.rule, preview(s.value))
			}
		}
		// No 12-byte stretch of the random part either.
		mid := s.value[len(s.value)/2-6 : len(s.value)/2+6]
		if bytes.Contains(all, []byte(mid)) {
			t.Errorf("audit output holds part of planted %s %s", s.rule, preview(s.value))
		}
	}
}

// found reports whether a finding of s's category covers s's value and has
// a rule id containing s.rule.
func found(text string, fs []redact.Finding, s planted) bool {
	at := strings.Index(text, s.value)
	for _, f := range fs {
		if f.Category == s.category && strings.Contains(f.RuleID, s.rule) && f.Start <= at && f.End >= at+len(s.value)-1 {
			return true
		}
	}
	return false
}

// preview masks a test secret for failure messages: first 4 chars + length.
func preview(v string) string { return fmt.Sprintf("%.4s… (%d chars)", v, len(v)) }

// recordFor builds a record from a request and its decision the way veil lsp
// does: counts by category and rule id, the workspace-relative path.
func recordFor(req policy.Request, d policy.Decision, sent, n int) audit.Record {
	r := audit.Record{
		Session: "session-1", Request: "req-" + string(rune('a'+n%26)), Kind: string(req.Kind),
		Document: strings.TrimPrefix(req.Path, req.WorkspaceRoot+"/"), Language: req.LanguageID,
		Route: string(d.Route), Rule: d.Rule, Reason: d.Reason,
		Findings: map[string]int{}, Rules: map[string]int{}, Model: "builtin", LatencyMS: 3.5, Outcome: audit.OutcomeOK,
	}
	for _, f := range req.Findings {
		r.Findings[string(f.Category)]++
		r.Rules[f.RuleID]++
	}
	if d.Route == policy.Block {
		r.Outcome = audit.OutcomeBlocked
	} else {
		r.BytesSent = sent
	}
	return r
}
