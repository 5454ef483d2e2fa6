package egress

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veil-dev/veil/redact"
)

// completionBody is a Copilot completion request of about 6 KB: a Go
// prompt with a token, an e-mail and the identifier term, and its suffix.
func completionBody(b *testing.B) string {
	var p strings.Builder
	p.WriteString("// Path: internal/billing/client.go\npackage billing\n\n")
	for i := 0; len(p.String()) < 5500; i++ {
		fmt.Fprintf(&p, "func (c *ZephyrineClient) step%d(ctx context.Context) error {\n\treturn c.do(ctx, %d)\n}\n\n", i, i)
	}
	p.WriteString("const token = \"" + fakePAT(b) + "\"\nvar owner = \"noor.haddad@acmecorp.io\"\nfunc (c *ZephyrineClient) next() {\n\t")
	return fmt.Sprintf(`{"prompt":%q,"suffix":"\n}\n","max_tokens":500,"temperature":0,"stop":["\n\n"],"stream":true,"extra":{"language":"go","next_indent":1},"nwo":"acme/zephyrine-billing"}`, p.String())
}

// BenchmarkMaskCompletion is veil's outgoing work per completion request:
// decode, mask every string (prompt by the cursor rule), leak-check inputs,
// encode.
func BenchmarkMaskCompletion(b *testing.B) {
	det, err := redact.NewDetector(redact.Options{Terms: []string{"Zephyrine"}})
	if err != nil {
		b.Fatal(err)
	}
	v := redact.NewVault([]byte("k"), 0)
	body := completionBody(b)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		m := newMasker(det, v, nil)
		if _, err := m.jsonBody(body, Completions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestoreCompletionStream is veil's work on the way back: a
// 40-event completion stream with a token split across events.
func BenchmarkRestoreCompletionStream(b *testing.B) {
	v := redact.NewVault([]byte("k"), 0)
	pat := fakePAT(b)
	m, _ := v.Mask(pat, []redact.Finding{{RuleID: "github-pat-classic", Category: redact.Secret, Start: 0, End: len(pat)}})
	var in strings.Builder
	for i := 0; i < 38; i++ {
		fmt.Fprintf(&in, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"text\":\"tok%d \",\"finish_reason\":null}]}\n\n", i)
	}
	half := len(m.Text) / 2
	fmt.Fprintf(&in, "data: {\"choices\":[{\"index\":0,\"text\":%q}]}\n\ndata: {\"choices\":[{\"index\":0,\"text\":%q,\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", m.Text[:half], m.Text[half:])
	stream := []byte(in.String())
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for b.Loop() {
		s := newSSERestorer(v, false)
		for i := 0; i < len(stream); i += 512 {
			s.Write(stream[i:min(i+512, len(stream))])
		}
		s.Flush()
	}
}
