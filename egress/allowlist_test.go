package egress

import (
	"errors"
	"net/url"
	"testing"
)

func TestClassify(t *testing.T) {
	a := NewAllowlist()
	cases := []struct {
		method, url string
		want        Kind
	}{
		{"POST", "https://github.com/login/device/code", SignIn},
		{"POST", "https://github.com/login/oauth/access_token", SignIn},
		{"GET", "https://api.github.com/copilot_internal/v2/token", Token},
		{"GET", "https://api.github.com/user", User},
		{"GET", "https://api.github.com/copilot_internal/user", User},
		{"GET", "https://api.github.com/copilot_internal/content_exclusion?repos=a/b", ContentExclusion},
		{"GET", "https://api.githubcopilot.com/models", Models},
		{"GET", "https://api.individual.githubcopilot.com/models/gpt-4o/policy", Models},
		{"GET", "https://api.githubcopilot.com/agents", Agents},
		{"GET", "https://proxy.individual.githubcopilot.com/models", Models},
		{"POST", "https://api.individual.githubcopilot.com/chat/completions", Chat},
		{"POST", "https://proxy.individual.githubcopilot.com/v1/engines/gpt-41-copilot/completions", Completions},
		{"POST", "https://copilot-proxy.githubusercontent.com/v1/engines/copilot-codex/completions", Completions},
		{"POST", "https://copilot-telemetry.githubusercontent.com/telemetry", Telemetry},
		{"", "https://api.github.com/user", User},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.url)
		got, err := a.Classify(c.method, u)
		if err != nil || got != c.want {
			t.Errorf("Classify(%s %s) = %q, %v; want %q", c.method, c.url, got, err, c.want)
		}
	}
}

func TestClassifyRefuses(t *testing.T) {
	a := NewAllowlist()
	for _, c := range []struct{ method, url string }{
		{"POST", "http://github.com/login/device/code"},          // not https
		{"POST", "https://github.com:8443/login/device/code"},    // other port
		{"POST", "https://user:pw@github.com/login/device/code"}, // user info
		{"GET", "https://github.com/login/device/code"},          // wrong method
		{"GET", "https://github.com/acme/repo"},                  // other path
		{"POST", "https://api.github.com/user"},                  // wrong method
		{"GET", "https://api.github.com/repos/acme/repo"},        // other path
		{"POST", "https://api.githubcopilot.com/embeddings"},     // not read by veil
		{"POST", "https://proxy.individual.githubcopilot.com/v1/engines/a/b/completions"},
		{"POST", "https://proxy.individual.githubcopilot.com/v1/engines//completions"},
		{"GET", "https://example.com/models"},
		{"GET", "https://api.githubcopilot.com.example.com/models"},
		{"GET", "https://raw.githubusercontent.com/x/y/z"},
	} {
		u, _ := url.Parse(c.url)
		if got, err := a.Classify(c.method, u); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("Classify(%s %s) = %q, %v; want ErrNotAllowed", c.method, c.url, got, err)
		}
	}
}

func TestLearnAddsAdvertisedHosts(t *testing.T) {
	a := NewAllowlist()
	u, _ := url.Parse("https://copilot-api.acme.ghe.com/chat/completions")
	if _, err := a.Classify("POST", u); err == nil {
		t.Fatal("an unknown host is allowed before the token exchange")
	}
	a.Learn([]byte(`{"token":"x","endpoints":{"api":"https://copilot-api.acme.ghe.com","proxy":"https://copilot-proxy.acme.ghe.com","telemetry":"https://t.acme.ghe.com","evil":"https://evil.example","origin-tracker":"http://plain.example"}}`))
	if k, err := a.Classify("POST", u); err != nil || k != Chat {
		t.Errorf("learned api host: %q, %v", k, err)
	}
	p, _ := url.Parse("https://copilot-proxy.acme.ghe.com/v1/engines/x/completions")
	if k, err := a.Classify("POST", p); err != nil || k != Completions {
		t.Errorf("learned proxy host: %q, %v", k, err)
	}
	for _, raw := range []string{"https://evil.example/chat/completions", "https://plain.example/chat/completions"} {
		e, _ := url.Parse(raw)
		if _, err := a.Classify("POST", e); err == nil {
			t.Errorf("%s allowed: unknown endpoint names and plain http must not be learned", raw)
		}
	}
	// A learned host cannot take over a built-in one's role.
	a.Learn([]byte(`{"endpoints":{"api":"https://github.com"}}`))
	g, _ := url.Parse("https://github.com/chat/completions")
	if _, err := a.Classify("POST", g); err == nil {
		t.Error("github.com became a chat host")
	}
}
