package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/uri"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/lspproxy"
	"github.com/veil-dev/veil/testdata"
	"github.com/veil-dev/veil/textbuf"
)

// veil demo: a scripted editor session over testdata/demo, driven through
// an in-process LSP client against the same lspproxy server `veil lsp` runs.
// It prints what the editor sent, what the model saw, what came back and
// what was blocked, then checks every string the model received against the
// planted values.

func runDemo(e *env, args []string) int {
	fset := newFlagSet("demo", "", e)
	cfgFile := fset.String("config", "", "user config file (default $VEIL_CONFIG, else $XDG_CONFIG_HOME/veil/veil.yaml)")
	modelFlags(fset)
	var lf logFlags
	lf.register(fset)
	if code, done := parse(fset, args); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "veil demo: "+format+"\n", a...)
		return exitError
	}
	ws, err := os.MkdirTemp("", "veil-demo-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(ws)
	planted, err := copyDemo(ws)
	if err != nil {
		return fail("%v", err)
	}
	load := config.LoadOptions{UserFile: *cfgFile, WorkspaceRoots: []string{ws}, Getenv: e.getenv, Environ: os.Environ(), Flags: fset}
	loaded, err := config.Load(load)
	if err != nil {
		return fail("%v", err)
	}
	if !fset.Changed("log-level") && loaded.Config.Log.Level == "info" {
		loaded.Config.Log.Level = "warn" // keep the demo's own output readable
	}
	logger, closeLog, err := sessionLogger(&lf, fset, loaded.Config, e.stderr)
	if err != nil {
		return fail("%v", err)
	}
	defer closeLog()
	deps, err := openDeps(loaded.Config, e.getenv, logger)
	if err != nil {
		return fail("%v", err)
	}
	defer deps.close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := localmodel.Probe(ctx, deps.model); err != nil {
		return fail("model check (model.pin, model.name): %v", err)
	}
	d := &demo{out: e.stdout, ws: ws, planted: planted, model: &recordingModel{Model: deps.model},
		cfg: loaded.Config, auditOn: deps.audit != nil, progress: map[string][]string{}}
	client, err := lspproxy.NewClient(lspproxy.Options{
		Config: &loaded.Config, Load: &load, Model: d.model,
		Audit: deps.audit, SessionID: "demo-" + time.Now().UTC().Format("20060102T150405"), Version: version, Logger: logger,
	}, d.onNotify)
	if err != nil {
		return fail("%v", err)
	}
	d.client = client
	if err := d.run(ctx); err != nil {
		_ = client.Close(ctx)
		return fail("%v", err)
	}
	if err := client.Close(ctx); err != nil {
		return fail("ending the session: %v", err)
	}
	if d.summary() > 0 {
		return exitFindings
	}
	return exitOK
}

// plantedValue is one line of testdata/demo/.planted.
type plantedValue struct{ category, what, value string }

// copyDemo writes the embedded workspace to dir and returns the planted
// values (.planted itself is not copied).
func copyDemo(dir string) ([]plantedValue, error) {
	var planted []plantedValue
	err := fs.WalkDir(testdata.Demo, "demo", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "demo"), "/")
		data := []byte(nil)
		if !de.IsDir() {
			if data, err = fs.ReadFile(testdata.Demo, p); err != nil {
				return err
			}
		}
		switch {
		case de.IsDir():
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		case rel == ".planted":
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Split(line, "\t"); len(f) == 3 && !strings.HasPrefix(line, "#") {
					planted = append(planted, plantedValue{f[0], f[1], f[2]})
				}
			}
			return nil
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("copying the demo workspace: %w", err)
	}
	return planted, nil
}

// recordingModel keeps every request the model received and every answer.
type recordingModel struct {
	localmodel.Model
	mu      sync.Mutex
	fims    []localmodel.FIMRequest
	chats   []localmodel.ChatRequest
	answers []string
}

func (m *recordingModel) Complete(ctx context.Context, req localmodel.FIMRequest) (localmodel.Completion, error) {
	m.mu.Lock()
	m.fims = append(m.fims, req)
	m.mu.Unlock()
	c, err := m.Model.Complete(ctx, req)
	m.mu.Lock()
	m.answers = append(m.answers, c.Text)
	m.mu.Unlock()
	return c, err
}

func (m *recordingModel) Chat(ctx context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
	m.mu.Lock()
	m.chats = append(m.chats, req)
	m.mu.Unlock()
	reply, err := m.Model.Chat(ctx, req, onChunk)
	m.mu.Lock()
	m.answers = append(m.answers, reply)
	m.mu.Unlock()
	return reply, err
}

// received is every string the model was given.
func (m *recordingModel) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, r := range m.fims {
		out = append(out, r.Prefix, r.Suffix, r.Path)
		for _, n := range r.Neighbors {
			out = append(out, n.Path, n.Text)
		}
	}
	for _, r := range m.chats {
		out = append(out, r.Message)
		for _, n := range r.References {
			out = append(out, n.Path, n.Text)
		}
	}
	return out
}

func (m *recordingModel) last() (localmodel.FIMRequest, string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.fims) == 0 {
		return localmodel.FIMRequest{}, "", 0
	}
	return m.fims[len(m.fims)-1], m.answers[len(m.answers)-1], len(m.fims) + len(m.chats)
}

func (m *recordingModel) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.fims) + len(m.chats)
}

// demo is the scripted session.
type demo struct {
	out     io.Writer
	ws      string
	planted []plantedValue
	model   *recordingModel
	client  *lspproxy.Client
	cfg     config.Config
	auditOn bool

	step     int
	requests int             // AI requests the editor made
	refused  int             // of them, blocked before the model
	blocked  []string        // what was blocked or left out, and why
	typing   map[string]bool // tokens first seen while a token was typed

	// mu guards what the server told the editor (onNotify runs on the
	// client's read goroutine).
	mu       sync.Mutex
	diags    map[string][]lspproxy.Diagnostic
	shown    []string
	progress map[string][]string
	docs     map[string]*demoDoc
}

type demoDoc struct {
	uri, lang string
	text      string
	version   int
}

func (d *demo) onNotify(method string, params json.RawMessage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch method {
	case "textDocument/publishDiagnostics":
		var p lspproxy.PublishDiagnosticsParams
		if json.Unmarshal(params, &p) == nil {
			if d.diags == nil {
				d.diags = map[string][]lspproxy.Diagnostic{}
			}
			d.diags[p.URI] = p.Diagnostics
		}
	case "window/showMessage":
		var p lspproxy.ShowMessageParams
		if json.Unmarshal(params, &p) == nil {
			d.shown = append(d.shown, p.Message)
		}
	case "$/progress":
		var p struct {
			Token string                    `json:"token"`
			Value lspproxy.WorkDoneProgress `json:"value"`
		}
		if json.Unmarshal(params, &p) == nil && p.Value.Kind == "report" {
			d.progress[p.Token] = append(d.progress[p.Token], p.Value.Message)
		}
	}
}

func (d *demo) printf(format string, a ...any) { fmt.Fprintf(d.out, format, a...) }

func (d *demo) title(s string) {
	d.step++
	head := fmt.Sprintf("── %d. %s ", d.step, s)
	d.printf("\n%s%s\n", head, strings.Repeat("─", max(3, 78-len([]rune(head)))))
}

// show prints a labelled block, one line per text line, long lines cut.
func (d *demo) show(label, text string) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		l = strings.ReplaceAll(l, "\t", "    ")
		if r := []rune(l); len(r) > 96 {
			l = string(r[:95]) + "…"
		}
		if i == 0 {
			d.printf("  %-15s %s\n", label, l)
		} else {
			d.printf("  %-15s %s\n", "", l)
		}
	}
}

func (d *demo) uri(rel string) string { return string(uri.File(filepath.Join(d.ws, rel))) }

func (d *demo) run(ctx context.Context) error {
	d.docs = map[string]*demoDoc{}
	d.printf("veil demo — a scripted editor session; every AI request goes policy → redact → model → restore\n")
	d.printf("  %-15s %s (a copy of testdata/demo)\n", "workspace", d.ws)
	d.printf("  %-15s %s\n", "model", d.model.ID())
	audit := "off"
	if d.auditOn {
		audit = d.cfg.Audit.Path
	}
	d.printf("  %-15s %s\n", "audit log", audit)
	if _, err := d.client.Call(ctx, "initialize", map[string]any{
		"processId": os.Getpid(), "rootUri": d.uri(""),
		"workspaceFolders": []any{map[string]any{"uri": d.uri(""), "name": "demo"}},
		"clientInfo":       map[string]any{"name": "veil demo"},
		"capabilities":     map[string]any{"window": map[string]any{"workDoneProgress": true}},
	}); err != nil {
		return err
	}
	if err := d.client.Notify("initialized", map[string]any{}); err != nil {
		return err
	}
	for _, s := range []func(context.Context) error{
		d.openClient, d.completeKey, d.completeIdentifier, d.typeSecret, d.openPython, d.chat, d.openEnv,
	} {
		if err := s(ctx); err != nil {
			return err
		}
	}
	return nil
}

// open sends didOpen and reports the diagnostics and route veil answered.
func (d *demo) open(ctx context.Context, rel, lang string) (*demoDoc, error) {
	data, err := os.ReadFile(filepath.Join(d.ws, rel))
	if err != nil {
		return nil, err
	}
	doc := &demoDoc{uri: d.uri(rel), lang: lang, text: string(data), version: 1}
	d.docs[rel] = doc
	if err := d.client.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": doc.uri, "languageId": lang, "version": 1, "text": doc.text}}); err != nil {
		return nil, err
	}
	d.show("editor → veil", fmt.Sprintf("textDocument/didOpen %s (%s, %d bytes)", rel, lang, len(data)))
	st, err := d.status(ctx, doc.uri)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	diags := d.diags[doc.uri]
	d.mu.Unlock()
	var order []string
	lines := map[string][]string{}
	for _, dg := range diags {
		if lines[dg.Message] == nil {
			order = append(order, dg.Message)
		}
		if l := fmt.Sprint(dg.Range.Start.Line + 1); !slices.Contains(lines[dg.Message], l) {
			lines[dg.Message] = append(lines[dg.Message], l)
		}
	}
	var out []string
	for _, m := range order {
		l := "line " + lines[m][0]
		if len(lines[m]) > 1 {
			l = "lines " + strings.Join(lines[m], ", ")
		}
		out = append(out, l+": "+m)
	}
	if len(out) > 0 {
		d.show("diagnostics", strings.Join(out, "\n"))
	}
	d.show("route", st)
	return doc, nil
}

// status asks veil/status; it doubles as a barrier (notifications sent
// before the answer have been seen when it returns).
func (d *demo) status(ctx context.Context, u string) (string, error) {
	res, err := d.client.Call(ctx, "veil/status", map[string]any{"uri": u})
	if err != nil {
		return "", err
	}
	var st struct{ Route, Reason string }
	_ = json.Unmarshal(res, &st)
	return st.Reason, nil
}

// typeText appends text to a document, one didChange per chunk.
func (d *demo) typeText(doc *demoDoc, text string, perChar bool, each func() error) error {
	chunks := []string{text}
	if perChar {
		chunks = strings.Split(text, "")
	}
	for _, ch := range chunks {
		end := endPosition(doc.text)
		doc.text += ch
		doc.version++
		if err := d.client.Notify("textDocument/didChange", map[string]any{
			"textDocument": map[string]any{"uri": doc.uri, "version": doc.version},
			"contentChanges": []any{map[string]any{
				"range": map[string]any{"start": end, "end": end}, "text": ch}},
		}); err != nil {
			return err
		}
		if each != nil {
			if err := each(); err != nil {
				return err
			}
		}
	}
	return nil
}

// endPosition is the LSP position (UTF-16) of the end of text.
func endPosition(text string) map[string]int {
	p := textbuf.FromString(text).OffsetPosition(len(text), textbuf.UTF16)
	return map[string]int{"line": int(p.Line), "character": int(p.Character)}
}

// inline asks for an inline completion at the end of doc.
func (d *demo) inline(ctx context.Context, doc *demoDoc, trigger int) (string, error) {
	d.requests++
	res, err := d.client.Call(ctx, "textDocument/inlineCompletion", map[string]any{
		"textDocument": map[string]any{"uri": doc.uri},
		"position":     endPosition(doc.text),
		"context":      map[string]any{"triggerKind": trigger},
	})
	if err != nil {
		return "", err
	}
	var list lspproxy.InlineCompletionList
	if err := json.Unmarshal(res, &list); err != nil {
		return "", err
	}
	if len(list.Items) == 0 {
		return "", nil
	}
	return list.Items[0].InsertText, nil
}

// exchange asks for an inline completion and prints the round trip.
func (d *demo) exchange(ctx context.Context, doc *demoDoc, rel string) error {
	pos := endPosition(doc.text)
	before := d.model.calls()
	got, err := d.inline(ctx, doc, 1)
	if err != nil {
		return err
	}
	d.show("editor → veil", fmt.Sprintf("textDocument/inlineCompletion %s %d:%d (invoked)", rel, pos["line"]+1, pos["character"]+1))
	if d.model.calls() == before {
		d.show("model saw", "nothing")
		return nil
	}
	req, answer, _ := d.model.last()
	d.show("model saw", fmt.Sprintf("file %s, %d bytes of prefix, %d of suffix, %d neighbour file(s); the prefix ends:",
		req.Path, len(req.Prefix), len(req.Suffix), len(req.Neighbors)))
	d.show("", lastLines(req.Prefix, 4)+"▌")
	d.show("model answered", answer)
	d.show("editor got", got)
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (d *demo) openClient(ctx context.Context) error {
	d.title("open billing/client.go")
	_, err := d.open(ctx, "billing/client.go", "go")
	return err
}

func (d *demo) completeKey(ctx context.Context) error {
	d.title("type a line that repeats a key, ask for a completion")
	doc := d.docs["billing/client.go"]
	typed := "\n// The previous key, kept for the rotation script.\nvar oldAwsAccessKeyID = \""
	if err := d.typeText(doc, typed, false, nil); err != nil {
		return err
	}
	d.show("editor typed", strings.TrimPrefix(typed, "\n"))
	return d.exchange(ctx, doc, "billing/client.go")
}

func (d *demo) completeIdentifier(ctx context.Context) error {
	d.title("a codename inside identifiers")
	doc := d.docs["billing/client.go"]
	typed := "\"\n\n// A second constructor, for the default region.\nfunc New"
	if err := d.typeText(doc, typed, false, nil); err != nil {
		return err
	}
	d.show("editor typed", strings.TrimPrefix(typed, "\"\n\n"))
	return d.exchange(ctx, doc, "billing/client.go")
}

func (d *demo) typeSecret(ctx context.Context) error {
	d.title("type a new token one character at a time")
	doc := d.docs["billing/client.go"]
	var typed string
	for _, p := range d.planted {
		if p.category == "typed" {
			typed = p.value
		}
	}
	if err := d.typeText(doc, "{}\n\nconst deployToken = \"", false, nil); err != nil {
		return err
	}
	known := d.tokens()
	before, asked := d.model.calls(), 0
	var seen []string
	err := d.typeText(doc, typed, true, func() error {
		asked++
		if _, err := d.inline(ctx, doc, 2); err != nil {
			return err
		}
		if asked == 3 || asked == 12 || asked == len(typed) {
			req, _, _ := d.model.last()
			seen = append(seen, fmt.Sprintf("after %2d chars: %s▌", asked, lastLines(req.Prefix, 1)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.typing = map[string]bool{}
	for tok := range d.tokens() {
		if !known[tok] {
			d.typing[tok] = true
		}
	}
	d.show("editor typed", fmt.Sprintf("const deployToken = \"%s\"", typed))
	d.show("", fmt.Sprintf("(%d didChange, an automatic inline completion after each)", len(typed)))
	d.show("model saw", fmt.Sprintf("%d requests; the line as the model saw it", d.model.calls()-before))
	d.show("", strings.Join(seen, "\n"))
	return nil
}

func (d *demo) openPython(ctx context.Context) error {
	d.title("open scripts/notify.py, ask for a completion")
	doc, err := d.open(ctx, "scripts/notify.py", "python")
	if err != nil {
		return err
	}
	typed := "\n\ndef send_copy(body: str) -> None:\n    with smtplib.SMTP("
	if err := d.typeText(doc, typed, false, nil); err != nil {
		return err
	}
	d.show("editor typed", strings.TrimPrefix(typed, "\n\n"))
	return d.exchange(ctx, doc, "scripts/notify.py")
}

func (d *demo) chat(ctx context.Context) error {
	d.title("open .env, then chat about the code with references")
	doc, err := d.open(ctx, ".env", "dotenv")
	if err != nil {
		return err
	}
	_ = doc
	msg := "What does ZephyrineClient do, and whom do I page (dana.fakename@northwind-demo.net?) when Charge fails?"
	refs := []any{
		map[string]any{"uri": d.uri("billing/client.go")},
		map[string]any{"uri": d.uri("scripts/notify.py")},
		map[string]any{"uri": d.uri("web/zephyrineApi.ts")}, // not open: read from disk after policy allows it
		map[string]any{"uri": d.uri(".env")},
	}
	d.show("editor → veil", "veil/chat: "+msg)
	d.show("references", "billing/client.go, scripts/notify.py, web/zephyrineApi.ts (not open), .env")
	d.requests++
	before := d.model.calls()
	res, err := d.client.Call(ctx, "veil/chat", map[string]any{"sessionId": "demo", "message": msg, "references": refs, "workDoneToken": "demo-chat"})
	if err != nil {
		return err
	}
	var r lspproxy.ChatResult
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if d.model.calls() > before {
		d.model.mu.Lock()
		req := d.model.chats[len(d.model.chats)-1]
		d.model.mu.Unlock()
		var names []string
		for _, s := range req.References {
			names = append(names, s.Path)
		}
		d.show("model saw", req.Message)
		d.show("", "references: "+strings.Join(names, ", "))
	}
	for _, s := range r.Skipped {
		d.show("left out", s)
		d.blocked = append(d.blocked, "chat reference "+s)
	}
	d.mu.Lock()
	chunks := len(d.progress["demo-chat"])
	d.mu.Unlock()
	d.show("editor got", fmt.Sprintf("%d $/progress reports, then the reply:", chunks))
	d.show("", r.Reply)
	return nil
}

func (d *demo) openEnv(ctx context.Context) error {
	d.title("ask for a completion in .env")
	doc := d.docs[".env"]
	before := d.model.calls()
	d.mu.Lock()
	shownBefore := len(d.shown)
	d.mu.Unlock()
	got, err := d.inline(ctx, doc, 1)
	if err != nil {
		return err
	}
	reason, err := d.status(ctx, doc.uri)
	if err != nil {
		return err
	}
	d.show("editor → veil", "textDocument/inlineCompletion .env (invoked)")
	d.show("model saw", map[bool]string{true: "nothing: the request never reached it", false: "SOMETHING (a bug)"}[d.model.calls() == before])
	d.show("editor got", fmt.Sprintf("%d item(s)", map[bool]int{true: 0, false: 1}[got == ""]))
	d.mu.Lock()
	for _, m := range d.shown[shownBefore:] {
		d.show("message", m)
	}
	d.mu.Unlock()
	d.blocked = append(d.blocked, ".env inline completion: "+strings.TrimPrefix(reason, "blocked: "))
	d.refused++
	return nil
}

// tokenLabelRE matches a token and captures its label: VEIL_EMAIL_3_k2j → EMAIL.
var tokenLabelRE = regexp.MustCompile(`(?i)veil_([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*)_[0-9]{1,12}_[a-z0-9]{3}`)

// tokens is every token the model has seen, by token.
func (d *demo) tokens() map[string]bool {
	out := map[string]bool{}
	for _, s := range d.model.received() {
		for _, m := range tokenLabelRE.FindAllString(s, -1) {
			out[strings.ToLower(m)] = true
		}
	}
	return out
}

// category of a token label, as redact names them.
func tokenCategory(label string) string {
	switch strings.ToUpper(label) {
	case "NAME":
		return "identifier"
	case "EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP":
		return "pii"
	}
	return "secret"
}

// summary prints the totals and returns the number of leaks.
func (d *demo) summary() int {
	received := d.model.received()
	count := map[string]int{}
	for tok := range d.tokens() {
		if !d.typing[tok] {
			count[tokenCategory(tokenLabelRE.FindStringSubmatch(tok)[1])]++
		}
	}
	var leaks []string
	for _, p := range d.planted {
		for _, s := range received {
			if leaked(s, p) {
				leaks = append(leaks, fmt.Sprintf("%s %s reached the model", p.category, p.what))
				break
			}
		}
	}
	d.printf("\n── summary %s\n", strings.Repeat("─", 67))
	d.printf("  %-15s %d AI requests: %d answered by the model, %d blocked\n", "requests", d.requests, d.requests-d.refused, d.refused)
	d.printf("  %-15s secret %d, pii %d, identifier %d (distinct values the model saw only as tokens)\n",
		"masked", count["secret"], count["pii"], count["identifier"])
	d.printf("  %-15s plus %d partial values while a token was typed, each masked whole\n", "", len(d.typing))
	for i, b := range d.blocked {
		label := ""
		if i == 0 {
			label = "blocked"
		}
		d.show(label, b)
	}
	d.printf("  %-15s %d (checked %d strings the model received against %d planted values)\n", "leaks", len(leaks), len(received), len(d.planted))
	for _, l := range leaks {
		d.show("LEAK", l)
	}
	return len(leaks)
}

// leaked reports whether s holds a planted value: the identifier in any
// case, a typed token by any prefix longer than its public format prefix.
func leaked(s string, p plantedValue) bool {
	switch p.category {
	case "identifier":
		return strings.Contains(strings.ToLower(s), strings.ToLower(p.value))
	case "typed":
		pub := strings.IndexByte(p.value, '_') + 1 // "ghp_" says only what kind of token it is
		for n := max(pub+1, 4); n <= len(p.value); n++ {
			if strings.Contains(s, p.value[:n]) {
				return true
			}
		}
		return false
	}
	return strings.Contains(s, p.value)
}
