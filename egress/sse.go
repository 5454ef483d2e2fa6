package egress

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/veil-dev/veil/redact"
)

// sseRestorer restores tokens in a server-sent-event stream of completion
// or chat chunks. Each choice's text (and each tool call's arguments) is one
// stream of its own: a token split across events is held back and put into
// the event that completes it, or the one that ends the choice. Lines pass
// through as soon as they are complete.
type sseRestorer struct {
	vault   *redact.Vault
	chat    bool   // chat (delta) chunks, else completion (text) chunks
	partial []byte // an incomplete line

	texts    map[int]*tokenStream    // by choice index
	args     map[[2]int]*tokenStream // by choice and tool call index
	problems int                     // tokens not restored (dropped)
}

// tokenStream restores one stream and drops the tokens it cannot restore
// (invented or altered by the model): they never reach the child.
type tokenStream struct {
	r    *redact.StreamRestorer
	seen int // problems already dropped
}

func (t *tokenStream) drop(out string) (string, int) {
	ps := t.r.Problems()
	for _, p := range ps[t.seen:] {
		out = strings.Replace(out, p.Token, "", 1)
	}
	n := len(ps) - t.seen
	t.seen = len(ps)
	return out, n
}

func (t *tokenStream) write(text string) (string, int) { return t.drop(t.r.Write(text)) }
func (t *tokenStream) flush() (string, int)            { return t.drop(t.r.Flush()) }

func newSSERestorer(v *redact.Vault, chat bool) *sseRestorer {
	return &sseRestorer{vault: v, chat: chat, texts: map[int]*tokenStream{}, args: map[[2]int]*tokenStream{}}
}

// Write takes the next piece of the body and returns what is ready.
func (s *sseRestorer) Write(p []byte) []byte {
	s.partial = append(s.partial, p...)
	var out []byte
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			return out
		}
		out = s.line(out, s.partial[:i+1])
		s.partial = s.partial[i+1:]
	}
}

// Flush ends the stream: an unfinished last line, and any text still held
// back (a stream cut before its choices finished).
func (s *sseRestorer) Flush() []byte {
	var out []byte
	if len(s.partial) > 0 {
		out = s.line(out, append(s.partial, '\n'))
		s.partial = nil
	}
	return append(out, s.rest()...)
}

// line restores one line (ending in '\n') and appends it to out.
func (s *sseRestorer) line(out, l []byte) []byte {
	body := bytes.TrimRight(l, "\r\n")
	data, ok := bytes.CutPrefix(body, []byte("data:"))
	if !ok {
		return append(out, l...)
	}
	data = bytes.TrimPrefix(data, []byte(" "))
	if string(data) == "[DONE]" {
		return append(append(out, s.rest()...), l...)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ev map[string]any
	if dec.Decode(&ev) != nil {
		restored := dropProblems(s.vault.Restore(string(l)))
		return append(out, restored...)
	}
	choices, _ := ev["choices"].([]any)
	for _, rc := range choices {
		if c, ok := rc.(map[string]any); ok {
			s.choice(c)
		}
	}
	enc, err := json.Marshal(ev)
	if err != nil {
		return out
	}
	return append(append(append(out, "data: "...), enc...), '\n')
}

// choice restores one choice of an event in place.
func (s *sseRestorer) choice(c map[string]any) {
	idx := intField(c["index"])
	done := c["finish_reason"] != nil
	if !s.chat {
		t, _ := c["text"].(string)
		c["text"] = stream(s, s.texts, idx, false, t, done)
		return
	}
	delta, _ := c["delta"].(map[string]any)
	if delta == nil {
		delta = map[string]any{}
	}
	if t, ok := delta["content"].(string); ok || done {
		if r := stream(s, s.texts, idx, false, t, done); ok || r != "" {
			delta["content"] = r
		}
	}
	tcs, _ := delta["tool_calls"].([]any)
	for _, rtc := range tcs {
		tc, _ := rtc.(map[string]any)
		fn, _ := tc["function"].(map[string]any)
		if a, ok := fn["arguments"].(string); ok {
			fn["arguments"] = stream(s, s.args, [2]int{idx, intField(tc["index"])}, true, a, done)
		}
	}
	if done {
		tcs = append(tcs, s.flushArgs(idx)...)
		if len(tcs) > 0 {
			delta["tool_calls"] = tcs
		}
	}
	c["delta"] = delta
}

// stream feeds text into the restorer for key and returns what is ready;
// with done it also ends that restorer.
func stream[K comparable](s *sseRestorer, m map[K]*tokenStream, key K, jsonText bool, text string, done bool) string {
	t := m[key]
	if t == nil {
		if text == "" && done {
			return ""
		}
		t = &tokenStream{r: s.vault.NewStream()}
		if jsonText {
			t.r = s.vault.NewJSONStream()
		}
		m[key] = t
	}
	out, n := t.write(text)
	s.problems += n
	if done {
		rest, n := t.flush()
		out += rest
		s.problems += n
		delete(m, key)
	}
	return out
}

// flushArgs ends the tool-call argument streams of choice idx that did not
// appear in the finishing event, as tool call deltas.
func (s *sseRestorer) flushArgs(idx int) []any {
	var extra []any
	for k, r := range s.args {
		if k[0] != idx {
			continue
		}
		rest, n := r.flush()
		s.problems += n
		if rest != "" {
			extra = append(extra, map[string]any{"index": k[1], "function": map[string]any{"arguments": rest}})
		}
		delete(s.args, k)
	}
	return extra
}

// rest emits, as events of their own, text still held back when the
// stream ends without finishing its choices.
func (s *sseRestorer) rest() []byte {
	var out []byte
	for idx, r := range s.texts {
		t, n := r.flush()
		s.problems += n
		delete(s.texts, idx)
		if t == "" {
			continue
		}
		c := map[string]any{"index": idx, "text": t}
		if s.chat {
			c = map[string]any{"index": idx, "delta": map[string]any{"content": t}}
		}
		out = appendEvent(out, c)
	}
	for k := range s.args {
		extra := s.flushArgs(k[0])
		if len(extra) > 0 {
			out = appendEvent(out, map[string]any{"index": k[0], "delta": map[string]any{"tool_calls": extra}})
		}
	}
	return out
}

func appendEvent(out []byte, choice map[string]any) []byte {
	enc, err := json.Marshal(map[string]any{"choices": []any{choice}})
	if err != nil {
		return out
	}
	return append(append(append(out, "data: "...), enc...), "\n\n"...)
}

func intField(v any) int {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return int(i)
		}
	}
	return 0
}

// dropProblems removes the tokens a whole-text restore could not restore.
func dropProblems(out string, ps []redact.Problem) string {
	for _, p := range ps {
		out = strings.Replace(out, p.Token, "", 1)
	}
	return out
}
