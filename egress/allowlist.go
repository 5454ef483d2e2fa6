package egress

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
)

// Kind is what an allowed request is for.
type Kind string

// The kinds veil knows how to read. SignIn, Token and User pass unmodified;
// Telemetry is dropped; the others are masked.
const (
	SignIn           Kind = "sign-in"           // github.com device flow
	Token            Kind = "token"             // api.github.com /copilot_internal/v2/token
	User             Kind = "user"              // api.github.com /user, /copilot_internal/user
	ContentExclusion Kind = "content-exclusion" // api.github.com /copilot_internal/content_exclusion
	Models           Kind = "models"            // {api}/models, {proxy}/models
	Agents           Kind = "agents"            // {api}/agents
	Chat             Kind = "chat"              // {api}/chat/completions
	Completions      Kind = "completions"       // {proxy}/v1/engines/<engine>/completions
	Telemetry        Kind = "telemetry"         // telemetry hosts: dropped
)

// passes reports the kinds forwarded byte for byte (they carry credentials
// and no code).
func (k Kind) passes() bool { return k == SignIn || k == Token || k == User }

// ErrNotAllowed is the error for a request outside the allowlist.
var ErrNotAllowed = errors.New("egress: not on veil's upstream allowlist")

// hostRole is what a host serves.
type hostRole int

const (
	roleNone hostRole = iota
	roleGitHub
	roleGitHubAPI
	roleCAPI
	roleProxy
	roleTelemetry
)

// Allowlist maps host/path pairs to kinds. The built-in hosts are GitHub's;
// Learn adds the hosts a token exchange advertises. Safe for concurrent use.
type Allowlist struct {
	// mu guards learned.
	mu      sync.Mutex
	learned map[string]hostRole
}

// NewAllowlist returns the built-in list.
func NewAllowlist() *Allowlist { return &Allowlist{learned: map[string]hostRole{}} }

var builtinHosts = map[string]hostRole{
	"github.com":                                  roleGitHub,
	"api.github.com":                              roleGitHubAPI,
	"api.githubcopilot.com":                       roleCAPI,
	"api.individual.githubcopilot.com":            roleCAPI,
	"api.business.githubcopilot.com":              roleCAPI,
	"api.enterprise.githubcopilot.com":            roleCAPI,
	"copilot-proxy.githubusercontent.com":         roleProxy,
	"proxy.individual.githubcopilot.com":          roleProxy,
	"proxy.business.githubcopilot.com":            roleProxy,
	"proxy.enterprise.githubcopilot.com":          roleProxy,
	"copilot-telemetry.githubusercontent.com":     roleTelemetry,
	"telemetry.individual.githubcopilot.com":      roleTelemetry,
	"telemetry.business.githubcopilot.com":        roleTelemetry,
	"telemetry.enterprise.githubcopilot.com":      roleTelemetry,
	"origin-tracker.githubusercontent.com":        roleTelemetry,
	"origin-tracker.individual.githubcopilot.com": roleTelemetry,
	"default.exp-tas.com":                         roleTelemetry,
}

func (a *Allowlist) role(host string) hostRole {
	if r, ok := builtinHosts[host]; ok {
		return r
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.learned[host]
}

// Classify says what a request to u with method is for, or ErrNotAllowed.
// Only https URLs on the default port qualify, without user info.
func (a *Allowlist) Classify(method string, u *url.URL) (Kind, error) {
	if u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") {
		return "", ErrNotAllowed
	}
	if method == "" {
		method = "GET"
	}
	host := strings.ToLower(u.Hostname())
	p := u.EscapedPath()
	switch a.role(host) {
	case roleGitHub:
		if method == "POST" && (p == "/login/device/code" || p == "/login/oauth/access_token") {
			return SignIn, nil
		}
	case roleGitHubAPI:
		return githubAPIKind(method, p)
	case roleCAPI:
		switch {
		case method == "GET" && (p == "/models" || strings.HasPrefix(p, "/models/")):
			return Models, nil
		case method == "GET" && p == "/agents":
			return Agents, nil
		case method == "POST" && p == "/chat/completions":
			return Chat, nil
		}
	case roleProxy:
		switch {
		case method == "POST" && isEngineCompletions(p):
			return Completions, nil
		case method == "GET" && p == "/models":
			return Models, nil
		}
	case roleTelemetry:
		return Telemetry, nil
	}
	return "", ErrNotAllowed
}

func githubAPIKind(method, p string) (Kind, error) {
	if method != "GET" {
		return "", ErrNotAllowed
	}
	switch p {
	case "/copilot_internal/v2/token":
		return Token, nil
	case "/user", "/copilot_internal/user":
		return User, nil
	case "/copilot_internal/content_exclusion":
		return ContentExclusion, nil
	}
	return "", ErrNotAllowed
}

// isEngineCompletions matches /v1/engines/<engine>/completions.
func isEngineCompletions(p string) bool {
	rest, ok := strings.CutPrefix(p, "/v1/engines/")
	if !ok {
		return false
	}
	engine, ok := strings.CutSuffix(rest, "/completions")
	return ok && engine != "" && !strings.Contains(engine, "/")
}

// Learn reads a token exchange reply and adds the https hosts it advertises
// under "endpoints" (api, proxy, telemetry, origin-tracker). A host already
// known keeps its role; anything unreadable is ignored.
func (a *Allowlist) Learn(tokenReply []byte) {
	var r struct {
		Endpoints map[string]string `json:"endpoints"`
	}
	if json.Unmarshal(tokenReply, &r) != nil {
		return
	}
	roles := map[string]hostRole{"api": roleCAPI, "proxy": roleProxy, "telemetry": roleTelemetry, "origin-tracker": roleTelemetry}
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, raw := range r.Endpoints {
		role, ok := roles[name]
		u, err := url.Parse(raw)
		if !ok || err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			continue
		}
		host := strings.ToLower(u.Hostname())
		if _, known := builtinHosts[host]; known {
			continue
		}
		if _, known := a.learned[host]; !known {
			a.learned[host] = role
		}
	}
}
