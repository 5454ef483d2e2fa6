package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// isolatedSession is one --listen connection of TestCompletionSessionsIsolated:
// its client, its document and the secrets planted in its documents.
type isolatedSession struct {
	c       *Client
	uri     string
	secrets []string
}

// openIsolated starts a session with opts and opens its document (name)
// and a neighbour, each holding secrets of their own (seed).
func openIsolated(t *testing.T, opts Options, name string, seed uint64) *isolatedSession {
	t.Helper()
	c := initializedClient(t, opts)
	sec := newSecrets(seed)
	s := &isolatedSession{c: c, uri: "file:///work/ws/" + name + ".go"}
	doc := func(word string) string {
		var b strings.Builder
		for i := range 30 {
			gh, aws := sec.github(), sec.aws()
			s.secrets = append(s.secrets, gh, aws)
			fmt.Fprintf(&b, "func %s%d() string { return %q } // %s\n", word, i, gh, aws)
		}
		return b.String()
	}
	for _, d := range []struct{ uri, text string }{{s.uri, doc(name)}, {"file:///work/ws/" + name + "_nb.go", doc(name + "Nb")}} {
		if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": d.uri, "languageId": "go", "version": 1, "text": d.text}}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// complete asks for an inline completion in s's document and returns its
// insert text ("" for none).
func (s *isolatedSession) complete() (string, error) {
	raw, err := s.c.Call(context.Background(), "textDocument/inlineCompletion", inlineParams(s.uri, 15, 1))
	if err != nil {
		return "", err
	}
	var list InlineCompletionList
	if err := json.Unmarshal(raw, &list); err != nil || len(list.Items) != 1 {
		return "", fmt.Errorf("answer %d items, %v", len(list.Items), err)
	}
	return list.Items[0].InsertText, nil
}

// Sessions of one process (veil lsp --listen) share the detectors (and
// their pooled scratch), the model client (its pooled request bodies and
// stream readers) and the audit log, while each completion reuses its
// session's prompt room. Two sessions completing at the same time each
// send exactly the prompt they send alone, get exactly their own answer
// back, and leave audit records with their own counts: nothing of one
// request, nor of the other session, reaches another through a reused
// buffer.
func TestCompletionSessionsIsolated(t *testing.T) {
	srv := lsptest.NewModelServer(t, []string{"e2e-model"}, "", "")
	srv.Completions = func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Prompt string `json:"prompt"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		text := "done()"
		if toks := tokenPattern.FindAllString(req.Prompt, -1); len(toks) > 0 {
			text = "use(" + toks[len(toks)-1] + ")"
		}
		lsptest.StreamCompletion(w, text[:len(text)/2], text[len(text)/2:])
	}
	mc := config.Defaults().Model
	mc.Backend, mc.Endpoint, mc.Name = "openai", srv.URL+"/v1", "e2e-model"
	model, err := localmodel.New(mc, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, log := auditedConfig(t)
	cfg.LSP.Debounce = 0
	opts := Options{Config: cfg, RedactOptions: testRedactOptions, Detectors: NewDetectors(), Model: model, Audit: log}
	sessions := []*isolatedSession{openIsolated(t, opts, "alpha", 61), openIsolated(t, opts, "beta", 67)}

	// Alone, one after the other: each session's prompt and answer.
	var bodies, answers [2]string
	for i, s := range sessions {
		got, err := s.complete()
		if err != nil || !strings.Contains(got, "use(") {
			t.Fatalf("session %d alone: %v, answer %q", i, err, redact.Preview(got))
		}
		for _, r := range srv.Requests() {
			if r.Path == "/v1/completions" {
				bodies[i] = string(r.Body) // the last one
			}
		}
		answers[i] = got
	}
	if bodies[0] == bodies[1] || answers[0] == answers[1] {
		t.Fatal("setup: the two sessions send or get the same")
	}

	const rounds = 15
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			for k := range rounds {
				got, err := s.complete()
				if err != nil || got != answers[i] {
					t.Errorf("session %d round %d: %v, answer %s, want %s", i, k, err, redact.Preview(got), redact.Preview(answers[i]))
					return
				}
			}
		})
	}
	wg.Wait()

	reqs := srv.Requests()
	var sent [2]int
	for k, r := range reqs {
		if r.Path != "/v1/completions" {
			continue
		}
		body := string(r.Body)
		switch body {
		case bodies[0]:
			sent[0]++
		case bodies[1]:
			sent[1]++
		default:
			t.Fatalf("request %d to the model is neither session's own prompt", k)
		}
		for _, s := range sessions {
			for _, v := range s.secrets {
				if strings.Contains(body, v) {
					t.Fatalf("request %d to the model holds a secret (%s)", k, redact.Preview(v))
				}
			}
		}
	}
	if sent != [2]int{rounds + 1, rounds + 1} {
		t.Fatalf("the model got %v prompts per session, want %d each", sent, rounds+1)
	}
	checkSessionRecords(t, cfg.Audit.Path, log, 2*(rounds+1))
}

// checkSessionRecords reads the audit log at path (closing log first):
// n records, each document's counts the same in every one of its records.
func checkSessionRecords(t *testing.T, path string, log *audit.Log, n int) {
	t.Helper()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != n {
		t.Fatalf("%d audit records, want %d", len(lines), n)
	}
	counts := map[string]string{}
	for _, line := range lines {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(r.Findings, r.Rules, r.Outcome)
		if len(r.Rules) == 0 || r.Outcome != audit.OutcomeOK {
			t.Fatalf("a record of %s has no findings or is not ok: %s", r.Document, got)
		}
		if want, ok := counts[r.Document]; ok && want != got {
			t.Fatalf("records of %s differ: %s, then %s", r.Document, want, got)
		}
		counts[r.Document] = got
	}
	if len(counts) != 2 {
		t.Fatalf("records name %d documents, want 2", len(counts))
	}
}
