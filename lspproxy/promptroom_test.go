package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/redact"
)

// roomDocs is two documents with secrets, each with a word of its own.
func roomDocs(sec *secrets) (alpha, beta string) {
	doc := func(word string) string {
		var b strings.Builder
		for i := range 30 {
			fmt.Fprintf(&b, "func %s%d() string { return %q } // %s\n", word, i, sec.github(), sec.aws())
		}
		return b.String()
	}
	return doc("alphaWord"), doc("betaWord")
}

// fimText is what a completion request sends, for comparison.
func fimText(r localmodel.FIMRequest) string {
	var b strings.Builder
	b.WriteString(r.Prefix + "\x00" + r.Suffix + "\x00" + r.Path)
	for _, n := range r.Neighbors {
		b.WriteString("\x00" + n.Path + "\x00" + n.Text)
	}
	return b.String()
}

// A prompt made in a room keeps what it sends intact when the room is
// reused for the next request, and the room's findings and values are the
// next request's own.
func TestPromptRoomReuseKeepsPrompt(t *testing.T) {
	s, err := New(pipelineOptions(&fakeModel{}))
	if err != nil {
		t.Fatal(err)
	}
	s.ctx = context.Background()
	alpha, beta := roomDocs(newSecrets(41))
	a := s.docs.open(TextDocumentItem{URI: "file:///work/ws/a.go", LanguageID: "go", Version: 1, Text: alpha})
	b := s.docs.open(TextDocumentItem{URI: "file:///work/ws/b.go", LanguageID: "go", Version: 1, Text: beta})
	st := s.ai.settings()
	prompt := func(doc *Document, room *promptRoom) *prompt {
		t.Helper()
		r, err := s.newFIMRequest([]byte("1"), "inline", doc.URI, doc.Text.OffsetPosition(doc.Text.Len()/2, UTF16), localmodel.Automatic)
		if err != nil || r == nil {
			t.Fatalf("request: %v", err)
		}
		pr, err := s.ai.prompt(st, r, room)
		if err != nil || pr.skip != "" || len(pr.findings) == 0 {
			t.Fatalf("prompt: %v, skip %q, %d findings", err, pr.skip, len(pr.findings))
		}
		return pr
	}
	room := new(promptRoom)
	fimA := prompt(a, room).fim
	sentA := strings.Clone(fimText(fimA))
	s.ai.putPromptRoom(room)
	prB := prompt(b, room)
	if fimText(fimA) != sentA {
		t.Fatal("the first request's prompt changed when its room was reused")
	}
	if !strings.Contains(fimA.Prefix, "alphaWord") || strings.Contains(fimA.Prefix, "betaWord") {
		t.Fatal("the first prompt is not its own document's")
	}
	fresh := prompt(b, new(promptRoom))
	if fimText(prB.fim) != fimText(fresh.fim) || fmt.Sprint(spans(prB.findings)) != fmt.Sprint(spans(fresh.findings)) ||
		fmt.Sprint(len(prB.values)) != fmt.Sprint(len(fresh.values)) {
		t.Fatal("a request in a reused room differs from one in a new room")
	}
	for _, v := range prB.values {
		if !strings.Contains(beta, v) {
			t.Fatalf("a value in the reused room (%s) is not the second document's", redact.Preview(v))
		}
	}
}

// Completions running at once, and one after another, each send their
// own document's prompt: every prompt the model received (it keeps them
// after the request ended and its room was reused) is one of the two
// prompts a request alone sends.
func TestPromptRoomConcurrentRequests(t *testing.T) {
	m := &fakeModel{}
	cfg := pipelineConfig()
	c := initializedClient(t, Options{Config: cfg, RedactOptions: testRedactOptions, Model: m})
	ctx := context.Background()
	alpha, beta := roomDocs(newSecrets(43))
	texts := []string{alpha, beta}
	for i, text := range texts {
		if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": fmt.Sprintf("file:///work/ws/d%d.go", i), "languageId": "go", "version": 1, "text": text}}); err != nil {
			t.Fatal(err)
		}
	}
	call := func(i int) error {
		_, err := c.Call(ctx, "textDocument/inlineCompletion", map[string]any{
			"textDocument": map[string]any{"uri": fmt.Sprintf("file:///work/ws/d%d.go", i)},
			"position":     map[string]any{"line": 15, "character": 1},
			"context":      map[string]any{"triggerKind": 1},
		})
		return err
	}
	var want [2]string
	for i := range want {
		if err := call(i); err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		want[i] = strings.Clone(fimText(m.fims[len(m.fims)-1]))
		m.mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 20 {
				if err := call((g + k) % 2); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.fims) < 2+8*20 {
		t.Fatalf("the model got %d requests, want %d", len(m.fims), 2+8*20)
	}
	for i, r := range m.fims {
		if got := fimText(r); got != want[0] && got != want[1] {
			t.Fatalf("request %d sent a prompt that is neither document's own", i)
		}
	}
}

// withBudget ends a request's own context with errBudget by a timer (no
// context of its own), ends any other context the same way, and stop
// disarms it.
func TestWithBudget(t *testing.T) {
	for _, own := range []bool{true, false} {
		base, cancel := context.WithCancelCause(context.Background())
		var ctx context.Context = base
		if own {
			ctx = &requestContext{Context: base, cancel: cancel}
		}
		got, stop := withBudget(ctx, 20*time.Millisecond)
		if own != (got == ctx) {
			t.Fatalf("own context %v: withBudget made a context %v", own, got != ctx)
		}
		select {
		case <-got.Done():
		case <-time.After(testTimeout):
			t.Fatal("the budget did not end the context")
		}
		if context.Cause(got) != errBudget {
			t.Fatalf("own context %v: cause %v, want the budget", own, context.Cause(got))
		}
		stop()
		cancel(nil)

		base, cancel = context.WithCancelCause(context.Background())
		ctx = base
		if own {
			ctx = &requestContext{Context: base, cancel: cancel}
		}
		got, stop = withBudget(ctx, 20*time.Millisecond)
		stop()
		time.Sleep(60 * time.Millisecond) // past the budget: a stopped timer must not fire
		if got.Err() != nil && context.Cause(got) == errBudget {
			t.Fatalf("own context %v: the budget ended a context after stop", own)
		}
		cancel(nil)
	}
}

// The audit counts a request makes in its room are its own: requests on
// two documents with different secrets, back to back in one session, each
// leave a record with their document's counts, the same every time.
func TestPromptRoomAuditCounts(t *testing.T) {
	cfg, log := auditedConfig(t)
	c := startClient(t, Options{Config: cfg, RedactOptions: testRedactOptions, Model: &fakeModel{}, Audit: log})
	c.initialize(nil)
	sec := newSecrets(47)
	var a, b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&a, "var tok%d = %q\n", i, sec.github())
		fmt.Fprintf(&b, "var key%d = %q\nvar mail%d = \"ops%d@example.org\"\n", i, sec.aws(), i, i)
	}
	c.open("file:///work/ws/a.go", "go", a.String())
	c.open("file:///work/ws/b.go", "go", b.String())
	for i, uri := range []string{"a", "b", "a", "b"} {
		c.call(i+1, "textDocument/inlineCompletion", inlineParams("file:///work/ws/"+uri+".go", 6, 0))
		c.result(i + 1)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfg.Audit.Path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	counts := func(r audit.Record) string { return fmt.Sprint(r.Findings, r.Rules) }
	if len(recs) != 4 || len(recs[0].Rules) == 0 || len(recs[1].Rules) == 0 {
		t.Fatalf("%d records, want 4 with findings", len(recs))
	}
	if counts(recs[0]) != counts(recs[2]) || counts(recs[1]) != counts(recs[3]) || counts(recs[0]) == counts(recs[1]) {
		t.Fatalf("audit counts are not each document's own: %s / %s / %s / %s", counts(recs[0]), counts(recs[1]), counts(recs[2]), counts(recs[3]))
	}
}

// putPromptRoom leaves a room that refers to nothing of its request: no
// value, no neighbour's snippet or values, no prompt, no pick. And a room
// a huge window grew is not kept for the next request.
func TestPutPromptRoomDropsReferences(t *testing.T) {
	cfg := pipelineConfig()
	cfg.LSP.ContextBytes = 4 << 20
	s, err := New(Options{Config: cfg, RedactOptions: testRedactOptions, Model: &fakeModel{}})
	if err != nil {
		t.Fatal(err)
	}
	s.ctx = context.Background()
	alpha, beta := roomDocs(newSecrets(71))
	a := s.docs.open(TextDocumentItem{URI: "file:///work/ws/a.go", LanguageID: "go", Version: 1, Text: alpha})
	s.docs.open(TextDocumentItem{URI: "file:///work/ws/b.go", LanguageID: "go", Version: 1, Text: beta})
	big := s.docs.open(TextDocumentItem{URI: "file:///work/ws/big.go", LanguageID: "go", Version: 1,
		Text: strings.Repeat("\tresult = append(result, fmt.Sprintf(\"%d: %s\", i, name)) // one line\n", 20000) + alpha})
	st := s.ai.settings()
	prompt := func(doc *Document, room *promptRoom) *prompt {
		t.Helper()
		r, err := s.newFIMRequest([]byte("1"), "inline", doc.URI, doc.Text.OffsetPosition(doc.Text.Len()-len(alpha)/2, UTF16), localmodel.Automatic)
		if err != nil || r == nil {
			t.Fatalf("request: %v", err)
		}
		pr, err := s.ai.prompt(st, r, room)
		if err != nil || pr.skip != "" || len(pr.values) == 0 || len(pr.fim.Neighbors) == 0 {
			t.Fatalf("setup: prompt %v, skip %q, %d values, %d neighbours", err, pr.skip, len(pr.values), len(pr.fim.Neighbors))
		}
		room.count(pr.findings)
		return pr
	}
	room := new(promptRoom)
	prompt(a, room)
	s.ai.putPromptRoom(room)
	if room.pr.fim.Prefix != "" || room.pr.values != nil || room.pr.nbValues != nil || room.pr.findings != nil {
		t.Fatal("a room given back still holds its prompt")
	}
	for _, sn := range room.nbs[:cap(room.nbs)] {
		if sn != (redactedSnippet{}) {
			t.Fatal("a room given back still holds a neighbour's snippet")
		}
	}
	for _, vs := range room.nbVals[:cap(room.nbVals)] {
		if vs != nil {
			t.Fatalf("a room given back still refers to a neighbour's %d values", len(vs))
		}
	}
	for _, sn := range room.cut.snips[:cap(room.cut.snips)] {
		if sn != (localmodel.Snippet{}) {
			t.Fatal("a room given back still holds a snippet it picked from")
		}
	}
	for _, p := range room.cut.picked[:cap(room.cut.picked)] {
		if p != (redactedSnippet{}) {
			t.Fatal("a room given back still holds a piece it picked")
		}
	}

	huge := new(promptRoom)
	prompt(big, huge)
	if huge.maskLen <= maxKnownBuf {
		t.Fatalf("setup: a masked window of %d bytes, want more than %d", huge.maskLen, maxKnownBuf)
	}
	s.ai.putPromptRoom(huge)
	for range 4 {
		if got, _ := s.ai.rooms.Get().(*promptRoom); got == huge {
			t.Fatal("a room a huge window grew was kept for reuse")
		}
	}
}
