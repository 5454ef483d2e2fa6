package lspproxy

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// recordingEditor is a notifier that records what the pipeline told the
// user, with a real workspace: the pipeline runs without a Server.
type recordingEditor struct {
	roots
	mu   sync.Mutex
	said []string
}

func (e *recordingEditor) say(s string) {
	e.mu.Lock()
	e.said = append(e.said, s)
	e.mu.Unlock()
}

func (e *recordingEditor) encoding() Encoding                       { return UTF16 }
func (e *recordingEditor) notify(method string, _ any)              { e.say("notify " + method) }
func (e *recordingEditor) logMessage(_ int, text string)            { e.say("log " + text) }
func (e *recordingEditor) showMessage(_ int, text string)           { e.say("show " + text) }
func (e *recordingEditor) served(doc *Document)                     { e.say("served " + doc.URI) }
func (e *recordingEditor) blockedChat(dec policy.Decision)          { e.say("blocked chat " + dec.Rule) }
func (e *recordingEditor) refusedChat(error)                        { e.say("refused chat") }
func (e *recordingEditor) configApplied()                           { e.say("config applied") }
func (e *recordingEditor) refused(doc *Document, _ string, _ error) { e.say("refused " + doc.URI) }
func (e *recordingEditor) blocked(doc *Document, _ string, dec policy.Decision) {
	e.say("blocked " + doc.URI + " " + string(dec.Route))
}

func (e *recordingEditor) transcript() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.said, "\n")
}

// TestPipelineWithoutServer runs completions through the pipeline on a
// session made of a workspace and a recording notifier: the model sees
// masked text, the answer comes back restored, and a .env is blocked and
// told to the notifier.
func TestPipelineWithoutServer(t *testing.T) {
	m := &fakeModel{}
	opts := pipelineOptions(m)
	if err := opts.validate(); err != nil {
		t.Fatal(err)
	}
	ed := &recordingEditor{}
	ed.setRoots([]string{"/work/ws"})
	p, err := newPipeline(ed, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	docs := newDocuments(p.scanner(), nil)
	key := newSecrets(41).aws()
	text := "package a\n\nvar k = \"" + key + "\"\n\n"
	doc := docs.open(TextDocumentItem{URI: "file:///work/ws/a.go", LanguageID: "go", Version: 1, Text: text})
	got, err := p.complete(context.Background(), &fimRequest{id: "1", kind: policy.Inline, doc: doc, cursor: len(text)})
	if err != nil {
		t.Fatal(err)
	}
	if got != "use("+key+")" {
		t.Errorf("completion %s, want the key restored in use(...)", redact.Preview(got))
	}
	if strings.Contains(m.seen(), key) || !strings.Contains(m.seen(), "VEIL_AWS") {
		t.Errorf("the model did not see the key masked (key sent %v, placeholder sent %v)", strings.Contains(m.seen(), key), strings.Contains(m.seen(), "VEIL_AWS"))
	}
	env := docs.open(TextDocumentItem{URI: "file:///work/ws/.env", LanguageID: "dotenv", Version: 1, Text: "A=" + key + "\n"})
	if got, err := p.complete(context.Background(), &fimRequest{id: "2", kind: policy.Inline, doc: env, cursor: 2}); got != "" || err != nil {
		t.Errorf(".env: %s, %v; want no completion", redact.Preview(got), err)
	}
	if tr := ed.transcript(); !strings.Contains(tr, "blocked file:///work/ws/.env block") {
		t.Errorf("the notifier was not told about the block:\n%s", tr)
	}
	if m.calls() != 1 {
		t.Errorf("model calls = %d, want 1 (the .env never reaches it)", m.calls())
	}
}
