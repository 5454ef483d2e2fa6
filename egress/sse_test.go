package egress

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

// events builds a chat stream whose content and tool-call arguments carry
// tok split into pieces of n bytes.
func chatEvents(content, args string, n int) string {
	var b strings.Builder
	for i := 0; i < len(content); i += n {
		piece, _ := json.Marshal(content[i:min(i+n, len(content))])
		b.WriteString(`data: {"choices":[{"index":0,"delta":{"content":` + string(piece) + `}}]}` + "\n\n")
	}
	for i := 0; i < len(args); i += n {
		piece, _ := json.Marshal(args[i:min(i+n, len(args))])
		b.WriteString(`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":` + string(piece) + `}}]}}]}` + "\n\n")
	}
	b.WriteString(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n")
	return b.String()
}

// collect decodes a restored stream back into its content and arguments.
func collect(t *testing.T, stream string) (content, args string) {
	t.Helper()
	for _, line := range strings.Split(stream, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content   string `json:"content"`
					ToolCalls []struct {
						Function struct{ Arguments string } `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("restored event is not JSON: %v: %s", err, data)
		}
		for _, c := range ev.Choices {
			content += c.Delta.Content
			for _, tc := range c.Delta.ToolCalls {
				args += tc.Function.Arguments
			}
		}
	}
	return content, args
}

func TestSSERestoresAcrossEventsAndChunks(t *testing.T) {
	v := redact.NewVault([]byte("k"), 0)
	secret := `pa"ss\word-` + fakePAT(t)
	m, err := v.Mask(secret, []redact.Finding{{RuleID: "generic-password", Category: redact.Secret, Start: 0, End: len(secret)}})
	if err != nil {
		t.Fatal(err)
	}
	tok := m.Text
	content := "use " + tok + " here"
	args := `{"filePath":"/w/` + tok + `.txt"}`
	for _, n := range []int{1, 2, 5, len(tok)} {
		in := chatEvents(content, args, n)
		for _, chunk := range []int{1, 7, 64, len(in)} {
			s := newSSERestorer(v, true)
			var out strings.Builder
			for i := 0; i < len(in); i += chunk {
				out.Write(s.Write([]byte(in[i:min(i+chunk, len(in))])))
			}
			out.Write(s.Flush())
			gotContent, gotArgs := collect(t, out.String())
			if gotContent != "use "+secret+" here" {
				t.Errorf("piece %d chunk %d: content not restored (%d bytes, want %d)", n, chunk, len(gotContent), len(secret)+9)
			}
			var a map[string]string
			if err := json.Unmarshal([]byte(gotArgs), &a); err != nil || a["filePath"] != "/w/"+secret+".txt" {
				t.Errorf("piece %d chunk %d: arguments not restored as JSON: %v", n, chunk, err)
			}
			if s.problems != 0 {
				t.Errorf("piece %d chunk %d: %d problems", n, chunk, s.problems)
			}
		}
	}
}

func TestSSEHeldTextFlushedWhenStreamIsCut(t *testing.T) {
	v := redact.NewVault([]byte("k"), 0)
	pat := fakePAT(t)
	m, _ := v.Mask(pat, []redact.Finding{{RuleID: "github-pat-classic", Category: redact.Secret, Start: 0, End: len(pat)}})
	half := len(m.Text) / 2
	in := `data: {"choices":[{"index":0,"text":"x ` + m.Text[:half] + `"}]}` + "\n\n" +
		`data: {"choices":[{"index":0,"text":"` + m.Text[half:] + `"}]}` + "\n\n"
	s := newSSERestorer(v, false)
	out := string(s.Write([]byte(in))) + string(s.Flush())
	var text string
	for _, line := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			var ev struct{ Choices []struct{ Text string } }
			if err := json.Unmarshal([]byte(d), &ev); err != nil {
				t.Fatal(err)
			}
			for _, c := range ev.Choices {
				text += c.Text
			}
		}
	}
	if text != "x "+pat {
		t.Errorf("cut stream restored to %d bytes, want %d", len(text), len(pat)+2)
	}
}

func TestSSEDropsInventedAndAlteredTokens(t *testing.T) {
	v := redact.NewVault([]byte("k"), 0)
	pat := fakePAT(t)
	m, _ := v.Mask(pat, []redact.Finding{{RuleID: "github-pat-classic", Category: redact.Secret, Start: 0, End: len(pat)}})
	altered := m.Text[:len(m.Text)-3] + "zzz"
	invented := "VEIL_EMAIL_99_abc"
	content := "a " + altered + " b " + invented + " c " + m.Text
	in := chatEvents(content, "", 4)
	s := newSSERestorer(v, true)
	got, _ := collect(t, string(s.Write([]byte(in)))+string(s.Flush()))
	if got != "a  b  c "+pat {
		t.Errorf("restored %q; want the altered and invented tokens dropped and the real one restored", strings.ReplaceAll(got, pat, "<pat>"))
	}
	if s.problems != 2 {
		t.Errorf("%d problems, want 2", s.problems)
	}
}
