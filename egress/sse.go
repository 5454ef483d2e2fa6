package egress

import (
	"bytes"
	"encoding/json"

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

	texts    map[int]*redact.StreamRestorer    // by choice index
	args     map[[2]int]*redact.StreamRestorer // by choice and tool call index
	problems int                               // tokens not restored
}

func newSSERestorer(v *redact.Vault, chat bool) *sseRestorer {
	return &sseRestorer{vault: v, chat: chat, texts: map[int]*redact.StreamRestorer{}, args: map[[2]int]*redact.StreamRestorer{}}
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
		restored, probs := s.vault.Restore(string(l))
		s.problems += len(probs)
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
func stream[K comparable](s *sseRestorer, m map[K]*redact.StreamRestorer, key K, jsonText bool, text string, done bool) string {
	r := m[key]
	if r == nil {
		if text == "" && done {
			return ""
		}
		if jsonText {
			r = s.vault.NewJSONStream()
		} else {
			r = s.vault.NewStream()
		}
		m[key] = r
	}
	out := r.Write(text)
	if done {
		out += r.Flush()
		s.problems += len(r.Problems())
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
		if rest := r.Flush(); rest != "" {
			extra = append(extra, map[string]any{"index": k[1], "function": map[string]any{"arguments": rest}})
		}
		s.problems += len(r.Problems())
		delete(s.args, k)
	}
	return extra
}

// rest emits, as events of their own, text still held back when the
// stream ends without finishing its choices.
func (s *sseRestorer) rest() []byte {
	var out []byte
	for idx, r := range s.texts {
		t := r.Flush()
		s.problems += len(r.Problems())
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
