package egress

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/veil-dev/veil/internal/lsptest"
)

// TestRedteamUnmaskablePlaces: a token, a card number or an identifier
// term where masking would change the request's meaning (a JSON object
// key, a JSON number, a header name) refuses the request; nothing of it
// reaches the upstream, and ordinary keys, numbers and headers still pass.
func TestRedteamUnmaskablePlaces(t *testing.T) {
	pat := fakePAT(t)
	card := lsptest.NewSecrets(161).Card("4539", 16)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[]}`)
	})
	f := newGate(t, up)
	chat := "https://api.individual.githubcopilot.com/chat/completions"
	send := func(body string, headers map[string]string) error {
		if headers == nil {
			headers = map[string]string{}
		}
		headers["Content-Type"] = "application/json"
		_, _, err := f.fetch(t, Request{URL: chat, Method: "POST", Headers: headers, Body: &body})
		return err
	}
	for name, c := range map[string]struct {
		body    string
		headers map[string]string
	}{
		"key":         {body: `{"messages":[{"role":"user","content":"hi"}],"` + pat + `":1}`},
		"nested key":  {body: `{"messages":[{"role":"user","content":"hi","metadata":{"` + pat + `":"x"}}]}`},
		"term key":    {body: `{"messages":[{"role":"user","content":"hi"}],"Zephyrine":true}`},
		"number":      {body: `{"messages":[{"role":"user","content":"hi"}],"n":` + card + `}`},
		"header name": {body: `{"messages":[{"role":"user","content":"hi"}]}`, headers: map[string]string{"X-" + pat: "1"}},
	} {
		if err := send(c.body, c.headers); !errors.Is(err, ErrUnmaskable) {
			t.Errorf("%s: err %v, want ErrUnmaskable", name, err)
		}
	}
	all := up.everything()
	for _, p := range []string{pat, pat[:20], card, "Zephyrine"} {
		if strings.Contains(all, p) {
			t.Errorf("upstream got %s", preview(p))
		}
	}
	if err := send(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":4096,"temperature":0.1,"n":1}`,
		map[string]string{"X-Request-Id": "abc-123", "Openai-Intent": "conversation-panel"}); err != nil {
		t.Errorf("an ordinary request was refused: %v", err)
	}
	if len(up.requests()) != 1 {
		t.Errorf("upstream got %d requests, want only the ordinary one", len(up.requests()))
	}
}
