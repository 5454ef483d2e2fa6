package egress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/veil-dev/veil/redact"
)

// masker masks the text of one request with the session vault and counts
// what it masked and what it refused. It holds no values.
type masker struct {
	det     *redact.Detector
	vault   *redact.Vault
	blocked func(path string) (reason string, blocked bool)

	findings map[string]int // by category
	rules    map[string]int // by rule id
	refused  int            // file contents replaced by a refusal
}

func newMasker(det *redact.Detector, vault *redact.Vault, blocked func(string) (string, bool)) *masker {
	return &masker{det: det, vault: vault, blocked: blocked, findings: map[string]int{}, rules: map[string]int{}}
}

// text masks one string: what the detector finds and every value the
// session has masked before, wherever it appears.
func (m *masker) text(s string) (string, error) { return m.mask(s, m.det.Scan("", []byte(s))) }

// prompt masks a completion prompt, whose end is the cursor: the value
// being typed there is masked by structure, whatever the detector says.
func (m *masker) prompt(s string) (string, error) {
	return m.mask(s, m.det.ScanTyping("", []byte(s), len(s)))
}

func (m *masker) mask(s string, fs []redact.Finding) (string, error) {
	if s == "" {
		return s, nil
	}
	fs = append(fs, m.vault.Known([]byte(s))...)
	if len(fs) == 0 {
		return s, nil
	}
	out, err := m.vault.Mask(s, fs)
	if err != nil {
		return "", err
	}
	for _, f := range fs {
		m.findings[string(f.Category)]++
		m.rules[f.RuleID]++
	}
	return out.Text, nil
}

// url masks the path and the query values of u (repository names travel
// there) and returns the new URL.
func (m *masker) url(u *url.URL) (*url.URL, error) {
	c := *u
	p, err := m.text(u.Path)
	if err != nil {
		return nil, err
	}
	c.Path, c.RawPath = p, ""
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i, v := range vs {
				if vs[i], err = m.text(v); err != nil {
					return nil, err
				}
			}
			q[k] = vs
		}
		c.RawQuery = q.Encode()
	}
	return &c, nil
}

// header masks a header value; Authorization is never scanned or changed.
func (m *masker) header(name, value string) (string, error) {
	if strings.EqualFold(name, "authorization") {
		return value, nil
	}
	return m.text(value)
}

// jsonBody masks every string in a JSON body. Chat bodies first get their
// blocked attachments and tool results replaced by a refusal. A body that
// is not JSON is masked as text.
func (m *masker) jsonBody(body string, kind Kind) (string, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return m.text(body)
	}
	if kind == Chat {
		m.refuseBlocked(v)
	}
	obj, _ := v.(map[string]any)
	prompt, isPrompt := obj["prompt"].(string)
	isPrompt = isPrompt && kind == Completions
	if isPrompt {
		delete(obj, "prompt") // masked below by the cursor rule, not twice
	}
	v, err := m.walk(v)
	if err != nil {
		return "", err
	}
	if isPrompt {
		if obj["prompt"], err = m.prompt(prompt); err != nil {
			return "", err
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("egress: encoding masked body: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// ErrUnmaskable is the error for a request holding a value veil would mask
// where masking would change what the request means (a JSON object key or
// number, a header name); it is not sent.
var ErrUnmaskable = errors.New("egress: a value veil would mask is in a JSON key, a JSON number or a header name; not sent")

// plain checks text that is sent as it is: it must hold nothing the
// detector finds and no value the session has masked.
func (m *masker) plain(s string) error {
	if len(m.det.Scan("", []byte(s))) > 0 || len(m.vault.Known([]byte(s))) > 0 {
		return ErrUnmaskable
	}
	return nil
}

// walk masks every string value; object keys and numbers are sent as they
// are, so one that holds anything veil would mask refuses the request.
func (m *masker) walk(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case string:
		return m.text(x)
	case json.Number:
		return v, m.plain(string(x))
	case []any:
		for i := range x {
			if x[i], err = m.walk(x[i]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for k := range x {
			if err := m.plain(k); err != nil {
				return nil, err
			}
			if x[k], err = m.walk(x[k]); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// refusal is what the model reads instead of a blocked file's content. The
// reason names the rule, never the file.
func refusal(reason string) string {
	return "[veil: this file's content is withheld by policy: " + reason + "]"
}

// refuseBlocked replaces, in a chat body, the tool results of read_file
// calls on blocked files and the attachments of blocked files.
func (m *masker) refuseBlocked(v any) {
	body, _ := v.(map[string]any)
	msgs, _ := body["messages"].([]any)
	calls := map[string]string{} // tool call id → arguments
	for _, raw := range msgs {
		msg, _ := raw.(map[string]any)
		if msg == nil {
			continue
		}
		tcs, _ := msg["tool_calls"].([]any)
		for _, rtc := range tcs {
			tc, _ := rtc.(map[string]any)
			fn, _ := tc["function"].(map[string]any)
			id, _ := tc["id"].(string)
			args, _ := fn["arguments"].(string)
			calls[id] = args
		}
		if role, _ := msg["role"].(string); role == "tool" {
			id, _ := msg["tool_call_id"].(string)
			if reason, ok := m.blockedArgs(calls[id]); ok {
				msg["content"] = refusal(reason)
				m.refused++
				continue
			}
		}
		m.refuseAttachments(msg)
	}
}

// blockedArgs reports whether a tool call's arguments name a file policy
// blocks (any of the path-like fields the agent tools use).
func (m *masker) blockedArgs(args string) (string, bool) {
	if args == "" || m.blocked == nil {
		return "", false
	}
	var a map[string]any
	if json.Unmarshal([]byte(args), &a) != nil {
		return "", false
	}
	for _, k := range []string{"filePath", "path", "file", "uri", "filepath", "file_path"} {
		if p, ok := a[k].(string); ok && p != "" {
			if reason, blocked := m.blocked(p); blocked {
				return reason, true
			}
		}
	}
	return "", false
}

// attachmentRE matches one <attachment ...>...</attachment> element of a
// chat message (the Copilot server's format for referenced files).
var attachmentRE = regexp.MustCompile(`(?s)<attachment\b([^>]*)>(.*?)</attachment>`)
var filePathAttrRE = regexp.MustCompile(`\bfilePath="([^"]*)"`)

// refuseAttachments replaces, in a message's content (a string or a list
// of text parts), each attachment of a blocked file by a refusal.
func (m *masker) refuseAttachments(msg map[string]any) {
	switch c := msg["content"].(type) {
	case string:
		msg["content"] = m.attachments(c)
	case []any:
		for _, rp := range c {
			if part, ok := rp.(map[string]any); ok {
				if t, ok := part["text"].(string); ok {
					part["text"] = m.attachments(t)
				}
			}
		}
	}
}

func (m *masker) attachments(s string) string {
	if m.blocked == nil || !strings.Contains(s, "<attachment") {
		return s
	}
	return attachmentRE.ReplaceAllStringFunc(s, func(el string) string {
		sub := attachmentRE.FindStringSubmatch(el)
		fp := filePathAttrRE.FindStringSubmatch(sub[1])
		if fp == nil {
			return el
		}
		reason, blocked := m.blocked(html.UnescapeString(fp[1]))
		if !blocked {
			return el
		}
		m.refused++
		return "<attachment" + sub[1] + ">\n" + refusal(reason) + "\n</attachment>"
	})
}

// ErrLeak is the error for a request that still held a value the session
// has masked after masking; it is not sent.
var ErrLeak = errors.New("egress: leak guard: a masked value is still in the request; not sent")

// guard checks the masked URL, body and header values against every value
// the session knows (Authorization aside). The error carries a preview.
func (m *masker) guard(req *http.Request, body string) error {
	parts := []string{req.URL.String(), body}
	for k, vs := range req.Header {
		if !strings.EqualFold(k, "authorization") {
			parts = append(parts, vs...)
		}
	}
	for _, p := range parts {
		if preview, leaked := m.vault.Leak(p); leaked {
			return fmt.Errorf("%w (%s)", ErrLeak, preview)
		}
	}
	return nil
}
