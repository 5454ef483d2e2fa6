package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/chatlog"
	"github.com/veil-dev/veil/localmodel"
	"github.com/veil-dev/veil/policy"
	"github.com/veil-dev/veil/redact"
)

// Chat: veil/chat {sessionId?, message, references?: [{uri, range?}]} and
// workspace/executeCommand veil.chat. The message and every reference are
// redacted; a reference is taken from the open document, or read from disk
// only after policy has allowed its path. The reply streams through
// $/progress on the request's workDoneToken with tokens restored, and the
// full reply is the result.

// ChatParams are veil/chat's params (and veil.chat's first argument).
type ChatParams struct {
	SessionID     string          `json:"sessionId,omitempty"`
	Message       string          `json:"message"`
	References    []ChatReference `json:"references,omitempty"`
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
}

// ChatReference names a document, or a range of it, to attach.
type ChatReference struct {
	URI   string `json:"uri"`
	Range *Range `json:"range,omitempty"`
}

// ChatResult is veil/chat's result.
type ChatResult struct {
	Reply string `json:"reply"`
	// Blocked is the policy reason when the whole request was blocked.
	Blocked string `json:"blocked,omitempty"`
	// Skipped lists references left out, each with the reason.
	Skipped []string `json:"skipped,omitempty"`
}

// tokenPattern matches the vault's tokens; the built-in model counts them.
var tokenPattern = regexp.MustCompile(`(?:VEIL|veil)_(?P<category>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*)_[0-9]{1,12}_[a-z0-9]{3}`)

// maxReferenceFile bounds a reference read from disk.
const maxReferenceFile = 1 << 20

func (s *Server) chat(msg *message) (requestFunc, string, error) {
	var p ChatParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, "", err
	}
	return s.prepareChat(string(msg.ID), p)
}

// prepareChat snapshots the referenced open documents on the read loop.
func (s *Server) prepareChat(id string, p ChatParams) (requestFunc, string, error) {
	if strings.TrimSpace(p.Message) == "" {
		return nil, "", invalidParams("veil/chat: message is empty")
	}
	refs := make([]chatRef, len(p.References))
	for i, r := range p.References {
		refs[i] = chatRef{ChatReference: r, doc: s.docs.get(r.URI), scannedBy: s.ai.scannedBy.Load()}
	}
	return func(ctx context.Context) (any, error) {
		return s.ai.chat(ctx, id, p, refs)
	}, "", nil
}

type chatRef struct {
	ChatReference
	doc       *Document       // nil: not open
	scannedBy *detectorFuture // the detector doc's findings came from
}

// chat runs one chat request: policy on the message, then each reference
// redacted or left out (res.Skipped says why), the leak guard, the model
// streamed through streamChat. A blocked or failed redaction is an answer
// with res.Blocked set; an error is returned only for a model failure or a
// cancelled ctx.
func (p *pipeline) chat(ctx context.Context, id string, cp ChatParams, refs []chatRef) (*ChatResult, error) {
	st := p.settings()
	tr := p.newTrail(id, policy.Chat)
	res := &ChatResult{}
	in := p.chatInput(st, cp, refs)
	res.Skipped = in.skipped
	tr.found(in.findings)
	tr.decided(in.dec)
	if in.dec.Route != policy.Local {
		p.s.blockedChat(in.dec)
		res.Blocked = in.dec.Reason
		tr.finish(audit.OutcomeBlocked)
		return res, nil
	}
	for _, why := range res.Skipped {
		p.s.logMessage(MessageWarning, "veil: chat reference left out: "+why)
	}
	if in.err != nil {
		return p.chatFailed(res, tr, in.err)
	}
	req := in.req
	if err := p.chatLeakCheck(req, in.values); err != nil {
		return p.chatFailed(res, tr, err)
	}
	if err := p.ready(ctx); err != nil {
		if ctx.Err() != nil {
			tr.finish(audit.OutcomeCancelled)
			return nil, context.Cause(ctx)
		}
		d := modelCheckFailed(err)
		p.s.blockedChat(d)
		res.Blocked = d.Reason
		tr.end(d, audit.OutcomeBlocked)
		return res, nil
	}
	sent := len(req.Message)
	for _, s := range req.References {
		sent += len(s.Text) + len(s.Path)
	}
	for _, t := range req.History {
		sent += len(t.User) + len(t.Assistant)
	}
	tr.sent(p.opts.Model.ID(), sent)

	reply, err := p.streamChat(ctx, id, req, cp.WorkDoneToken)
	if err != nil {
		if ctx.Err() != nil {
			tr.finish(audit.OutcomeCancelled)
			return nil, context.Cause(ctx)
		}
		p.s.logMessage(MessageWarning, "veil: "+err.Error())
		tr.finish(audit.OutcomeError)
		return nil, fmt.Errorf("lspproxy: chat: %w", err)
	}
	res.Reply = reply
	p.chats.Add(cp.SessionID, chatlog.Turn{User: cp.Message, Assistant: reply})
	tr.finish(audit.OutcomeOK)
	return res, nil
}

// chatTurnInput is one chat turn redacted under the settings in force:
// the decision on the message, what goes to the model, and what the leak
// guard checks it against. err is set when redaction failed.
type chatTurnInput struct {
	dec      policy.Decision
	findings []redact.Finding
	req      localmodel.ChatRequest
	values   []string
	skipped  []string
	err      error
}

// chatInput decides on the message and, when it may go, masks it (first:
// its values become known, and so are masked in the references too), the
// references and the session's history. Path "": veil:allow never counts
// in chat.
func (p *pipeline) chatInput(st *settings, cp ChatParams, refs []chatRef) chatTurnInput {
	msgFindings := append(st.detector().Scan("", []byte(cp.Message)), p.vault.Known([]byte(cp.Message))...)
	in := chatTurnInput{findings: slices.Clone(msgFindings)}
	in.dec = st.policy.Decide(policy.Request{Kind: policy.Chat, Findings: msgFindings})
	for _, f := range msgFindings {
		in.values = append(in.values, cp.Message[f.Start:f.End])
	}
	if in.dec.Route != policy.Local {
		return in
	}
	masked, err := p.vault.Mask(cp.Message, msgFindings)
	var snips []redactedSnippet
	for _, r := range refs {
		snip, fs, vals, why := p.reference(st, r)
		if why != "" {
			in.skipped = append(in.skipped, why)
			continue
		}
		snips = append(snips, snip)
		in.findings = append(in.findings, fs...)
		in.values = append(in.values, vals...)
	}
	if err != nil {
		in.err = err
		return in
	}
	history, hvals, err := p.maskedHistory(st, cp.SessionID)
	in.req, in.err = chatFor(cp.SessionID, masked.Redacted(), snips, history, tokenPattern), err
	in.values = append(in.values, hvals...)
	return in
}

// streamChat asks the model and returns its reply with tokens restored,
// reporting each restored chunk as $/progress on token as it arrives (a
// possible token prefix is held back until it is complete). The progress
// ends before it returns.
func (p *pipeline) streamChat(ctx context.Context, id string, req localmodel.ChatRequest, token json.RawMessage) (string, error) {
	prog := newProgress(p.s, token, "veil chat")
	stream := p.vault.NewStream()
	var reply strings.Builder
	_, err := p.opts.Model.Chat(ctx, req, func(chunk string) error {
		if out := stream.Write(chunk); out != "" {
			reply.WriteString(out)
			prog.report(out)
		}
		return nil
	})
	if tail := stream.Flush(); tail != "" {
		reply.WriteString(tail)
		prog.report(tail)
	}
	for _, pb := range stream.Problems() {
		p.logger.Warn("chat restore: token not restored", "request", id, "token", pb.Token, "reason", pb.Reason)
	}
	if err != nil {
		prog.end("failed")
		return "", err
	}
	prog.end("done")
	return reply.String(), nil
}

// chatFailed answers a chat whose redaction or leak check failed: blocked,
// recorded as an error with route block, as a failed completion is.
func (p *pipeline) chatFailed(res *ChatResult, tr *trail, err error) (*ChatResult, error) {
	p.s.refusedChat(err)
	d := refusal()
	res.Blocked = d.Reason
	tr.end(d, audit.OutcomeError)
	return res, nil
}

// reference redacts one chat reference. skip is non-empty when it is left
// out: not open and not readable, or blocked by policy.
func (p *pipeline) reference(st *settings, r chatRef) (snip redactedSnippet, fs []redact.Finding, values []string, skip string) {
	doc := r.doc
	if doc == nil {
		path := uriPath(r.URI)
		if path == "" {
			return snip, nil, nil, fmt.Sprintf("%s is not open and not a file", r.URI)
		}
		// The path alone goes through policy before the file is read, and
		// so does where it leads when it is a symlink; the file read is
		// the one policy saw.
		target := realPath(path)
		pre := p.s.decide(st.policy, policy.Request{Kind: policy.Chat, Path: path, WorkspaceRoot: p.s.workspaceRoot(path)}, target)
		if pre.Route != policy.Local {
			return snip, nil, nil, fmt.Sprintf("%s: %s", p.s.relPath(&Document{URI: r.URI, Path: path}), why(pre.Reason))
		}
		read := filepath.ToSlash(filepath.Clean(path))
		if target != "" {
			read = target
		}
		// Only files inside a workspace folder are read: not veil's own
		// environment (/proc/self/environ), devices or the user's home.
		if p.s.workspaceRoot(read) == "" || systemPath(read) {
			return snip, nil, nil, fmt.Sprintf("%s: not open and outside the workspace folders", p.s.relPath(&Document{URI: r.URI, Path: path}))
		}
		data, err := readLimited(read, maxReferenceFile)
		if err != nil {
			return snip, nil, nil, fmt.Sprintf("%s: %v", p.s.relPath(&Document{URI: r.URI, Path: path}), err)
		}
		doc = newDocument(Document{URI: r.URI, Path: path, Target: target}, data, scanner{det: st.detector(), path: p.s.scanPath})
	}
	start, end := 0, doc.Text.Len()
	if r.Range != nil {
		var err error
		if start, end, err = doc.Text.OffsetRange(*r.Range, p.s.encoding()); err != nil {
			return snip, nil, nil, fmt.Sprintf("%s: %v", p.s.relPath(doc), err)
		}
	}
	w, fs := findingsWindow(doc, start, end)
	if r.doc != nil { // an open document's findings may predate the settings
		fs = freshFindings(st, r.scannedBy, p.s.scanPath(doc.Path), w, fs)
	}
	fs = p.withTyped(st, doc, w, fs)
	w, fs, err := p.withKnown(doc, w, fs, -1)
	if err != nil {
		return snip, nil, nil, fmt.Sprintf("%s: redaction failed", p.s.relPath(doc))
	}
	start = w.base
	for _, f := range fs {
		values = append(values, string(w.slice(f.Start, f.End)))
	}
	dec := p.s.decide(st.policy, policy.Request{Kind: policy.Chat, Path: doc.Path, WorkspaceRoot: p.s.workspaceRoot(doc.Path),
		LanguageID: doc.LanguageID, Findings: fs}, doc.Target)
	if dec.Route != policy.Local {
		return snip, nil, nil, fmt.Sprintf("%s: %s", p.s.relPath(doc), why(dec.Reason))
	}
	m, err := p.vault.MaskBytes(w.text, rebase(fs, start))
	if err != nil {
		return snip, nil, nil, fmt.Sprintf("%s: redaction failed", p.s.relPath(doc))
	}
	name, err := p.maskString(st, p.s.relPath(doc))
	if err != nil {
		return snip, nil, nil, fmt.Sprintf("%s: redaction failed", p.s.relPath(doc))
	}
	return redactedSnippet{path: name, text: m.Redacted()}, fs, values, ""
}

// systemPath reports a path under /proc, /sys or /dev: never a workspace
// file, even when a workspace folder is "/" (/proc/self/environ is veil's
// own environment).
func systemPath(p string) bool {
	for _, dir := range []string{"/proc", "/sys", "/dev"} {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

// readLimited reads a regular file of at most limit bytes. Anything else (a
// FIFO whose open never returns, a device that never ends) is refused
// before it is opened, and the read stops past limit whatever the size
// said.
func readLimited(path string, limit int) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if info.Size() > int64(limit) {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("not UTF-8 text")
	}
	return data, nil
}

func (p *pipeline) chatLeakCheck(req localmodel.ChatRequest, values []string) error {
	parts := []string{req.Message}
	for _, s := range req.References {
		parts = append(parts, s.Text, s.Path)
	}
	for _, t := range req.History {
		parts = append(parts, t.User, t.Assistant)
	}
	return p.guard("chat request", values, parts)
}

// blockedChat tells the user a chat request was blocked.
func (s *Server) blockedChat(dec policy.Decision) {
	s.logger.Info("chat blocked", "rule", dec.Rule, "reason", dec.Reason)
	s.logMessage(MessageWarning, "veil: chat request blocked: "+why(dec.Reason))
	s.showMessage(MessageWarning, "veil: chat request blocked: "+why(dec.Reason))
}
