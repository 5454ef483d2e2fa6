package egress

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

// FuzzSSERestorer: any byte stream, split anywhere, never panics; a stream
// without tokens comes out with the same events' text.
func FuzzSSERestorer(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"text\":\"hi VEIL_X_1_abc\"}]}\n\ndata: [DONE]\n\n"), 3, true)
	f.Add([]byte("event: x\ndata: not json\n\n"), 1, false)
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":7,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":\"stop\"}]}\n"), 5, true)
	f.Fuzz(func(t *testing.T, in []byte, step int, chat bool) {
		if step <= 0 {
			step = 1
		}
		s := newSSERestorer(redact.NewVault([]byte("k"), 0), chat)
		var out strings.Builder
		for i := 0; i < len(in); i += step {
			out.Write(s.Write(in[i:min(i+step, len(in))]))
		}
		out.Write(s.Flush())
		if !strings.Contains(string(in), "VEIL_") && !strings.Contains(string(in), "veil_") && !strings.Contains(string(in), "data:") && out.String() != string(in)+trailingNewline(in) {
			t.Errorf("a stream without events changed: %q -> %q", in, out.String())
		}
	})
}

func trailingNewline(in []byte) string {
	if len(in) > 0 && in[len(in)-1] != '\n' {
		return "\n"
	}
	return ""
}

// FuzzJSONBody: masking any body never panics and never lets a planted
// secret through, whatever JSON surrounds it.
func FuzzJSONBody(f *testing.F) {
	f.Add(`{"prompt":"x = \"SECRET\"","suffix":"","nwo":"a/b"}`, true)
	f.Add(`{"messages":[{"role":"tool","tool_call_id":"1","content":"SECRET"},{"role":"assistant","tool_calls":[{"id":"1","function":{"name":"read_file","arguments":"{\"filePath\":\"/w/.env\"}"}}]}]}`, false)
	f.Add(`["SECRET", 1, null, {"a": {"b": ["SECRET"]}}]`, false)
	f.Add(`not json SECRET`, true)
	det, err := redact.NewDetector(redact.Options{})
	if err != nil {
		f.Fatal(err)
	}
	pat := fakePAT(f)
	f.Fuzz(func(t *testing.T, body string, completion bool) {
		// The value stands apart from its neighbours, as tokens do in code
		// (where a value starts is the detector's business, not the boundary's).
		body = strings.ReplaceAll(body, "SECRET", " "+pat+" ")
		kind := Chat
		if completion {
			kind = Completions
		}
		m := newMasker(det, redact.NewVault([]byte("k"), 0), func(p string) (string, bool) { return "blocked", strings.HasSuffix(p, ".env") })
		out, err := m.jsonBody(body, kind)
		if err == nil && strings.Contains(out, pat) {
			t.Errorf("the planted token survived masking: %.200q", hide(out, pat))
		}
	})
}
