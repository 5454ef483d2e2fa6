package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// copilotHosts are the names the mock answers for (an /etc/hosts inside
// the test's network namespace points them at 127.0.0.1).
var copilotHosts = []string{"github.com", "api.github.com", "api.githubcopilot.com", "api.individual.githubcopilot.com",
	"proxy.individual.githubcopilot.com", "copilot-proxy.githubusercontent.com", "copilot-telemetry.githubusercontent.com",
	"telemetry.individual.githubcopilot.com", "origin-tracker.individual.githubcopilot.com", "default.exp-tas.com"}

// testCA makes a CA and a leaf certificate for every copilot host and
// 127.0.0.1; it returns the CA's PEM and the server certificate.
func testCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "veil test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "copilot mock"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: copilotHosts,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mockRequest is what reached the mock.
type mockRequest struct {
	Host, Method, URL, Body string
	Header                  http.Header
	At                      time.Time
	Took                    time.Duration // in the mock's handler
}

// copilotMock plays GitHub's and Copilot's hosts: device-flow sign-in,
// token exchange, user, models, agents, completions and chat (with one
// agent round that asks for read_file of .env).
type copilotMock struct {
	envPath string // the file the agent round asks to read

	mu       sync.Mutex
	requests []mockRequest
}

func (m *copilotMock) record(r *http.Request, body string, at time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, mockRequest{Host: r.Host, Method: r.Method, URL: r.URL.String(), Body: body, Header: r.Header.Clone(), At: at})
	return len(m.requests) - 1
}

func (m *copilotMock) all() []mockRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mockRequest(nil), m.requests...)
}

// ServeHTTP routes by host and path.
func (m *copilotMock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	b, _ := io.ReadAll(r.Body)
	body := string(b)
	i := m.record(r, body, start)
	defer func() {
		m.mu.Lock()
		m.requests[i].Took = time.Since(start)
		m.mu.Unlock()
	}()
	host, _, _ := strings.Cut(r.Host, ":")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("MOCK:%d", time.Now().UnixNano()))
	switch {
	case host == "github.com" && r.URL.Path == "/login/device/code":
		io.WriteString(w, `{"device_code":"dc-123","user_code":"WXYZ-1234","verification_uri":"https://github.com/login/device","expires_in":900,"interval":1}`)
	case host == "github.com" && r.URL.Path == "/login/oauth/access_token":
		io.WriteString(w, `{"access_token":"gho_`+strings.Repeat("m", 36)+`","token_type":"bearer","scope":"read:user"}`)
	case host == "api.github.com" && r.URL.Path == "/user":
		io.WriteString(w, `{"login":"octo-dev","id":4242,"name":"Octo Dev"}`)
	case host == "api.github.com" && r.URL.Path == "/copilot_internal/v2/token":
		exp := time.Now().Add(time.Hour).Unix()
		fmt.Fprintf(w, `{"token":"tid=mock;exp=%d;sku=copilot_for_individuals;chat=1;8kp=1","expires_at":%d,"refresh_in":1500,"sku":"copilot_for_individuals","individual":true,"chat_enabled":true,"telemetry":"disabled","endpoints":{"api":"https://api.individual.githubcopilot.com","proxy":"https://proxy.individual.githubcopilot.com","telemetry":"https://telemetry.individual.githubcopilot.com","origin-tracker":"https://origin-tracker.individual.githubcopilot.com"}}`, exp, exp)
	case host == "api.github.com" && r.URL.Path == "/copilot_internal/user":
		io.WriteString(w, `{"login":"octo-dev","copilot_plan":"individual","access_type_sku":"copilot_for_individuals","chat_enabled":true,"endpoints":{"api":"https://api.individual.githubcopilot.com"}}`)
	case r.URL.Path == "/models":
		io.WriteString(w, mockModels)
	case r.URL.Path == "/agents":
		io.WriteString(w, `{"agents":[]}`)
	case r.URL.Path == "/chat/completions":
		m.chat(w, body)
	case strings.HasPrefix(r.URL.Path, "/v1/engines/") && strings.HasSuffix(r.URL.Path, "/completions"):
		m.completion(w, body)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"not in the mock"}`)
	}
}

const mockModels = `{"data":[` +
	`{"id":"gpt-4.1","name":"GPT-4.1","object":"model","vendor":"Azure OpenAI","version":"gpt-4.1-2025-04-14","preview":false,"model_picker_enabled":true,"is_chat_default":true,"is_chat_fallback":true,` +
	`"capabilities":{"type":"chat","family":"gpt-4.1","tokenizer":"o200k_base","object":"model_capabilities","limits":{"max_prompt_tokens":64000,"max_output_tokens":8000,"max_context_window_tokens":128000},"supports":{"streaming":true,"tool_calls":true,"parallel_tool_calls":true}},"policy":{"state":"enabled","terms":""}},` +
	`{"id":"gpt-41-copilot","name":"GPT-4.1 Copilot","object":"model","vendor":"Azure OpenAI","version":"gpt-41-copilot","preview":false,"model_picker_enabled":false,` +
	`"capabilities":{"type":"completion","family":"gpt-41-copilot","tokenizer":"o200k_base","object":"model_capabilities","limits":{},"supports":{"streaming":true}}}]}`

// tokenRE finds veil's tokens in what the mock received.
var tokenRE = regexp.MustCompile(`(?:VEIL|veil)_[A-Za-z0-9_]+?_[0-9]+_[a-z0-9]{3}`)

// completion answers with a suggestion that repeats the last token of the
// prompt (so the editor only gets the real value back if veil restores
// it), streamed with the token split across events.
func (m *copilotMock) completion(w http.ResponseWriter, body string) {
	var req struct {
		Prompt string `json:"prompt"`
	}
	_ = json.Unmarshal([]byte(body), &req)
	toks := tokenRE.FindAllString(req.Prompt, -1)
	text := `fmt.Println("done")`
	if len(toks) > 0 {
		text = `fmt.Println("` + toks[len(toks)-1] + `")`
	}
	w.Header().Set("Content-Type", "text/event-stream")
	half := len(text) / 2
	for _, piece := range []string{text[:half], text[half:]} {
		p, _ := json.Marshal(piece)
		fmt.Fprintf(w, "data: {\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":%s,\"finish_reason\":null}]}\n\n", p)
		w.(http.Flusher).Flush()
	}
	io.WriteString(w, "data: {\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":\"\\n\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
}

// chat streams an answer. With tools offered and no tool result yet it
// asks for read_file of the .env file; otherwise it answers with the
// tokens it received, so a restored answer shows veil put them back.
func (m *copilotMock) chat(w http.ResponseWriter, body string) {
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
		Tools []any `json:"tools"`
	}
	_ = json.Unmarshal([]byte(body), &req)
	hasTool := false
	for _, msg := range req.Messages {
		if msg.Role == "tool" {
			hasTool = true
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	if len(req.Tools) > 0 && !hasTool && strings.Contains(body, "read the env file") {
		args, _ := json.Marshal(map[string]any{"filePath": m.envPath, "startLine": 1, "endLine": 20})
		a, _ := json.Marshal(string(args))
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_env1\",\"type\":\"function\",\"function\":{\"name\":\"read_file\",\"arguments\":%s}}]}}]}\n\n", a)
		io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n")
		return
	}
	answer := "Noted."
	if toks := tokenRE.FindAllString(body, -1); len(toks) > 0 {
		answer = "You wrote " + toks[len(toks)-1] + " there."
	}
	for i := 0; i < len(answer); i += 7 {
		p, _ := json.Marshal(answer[i:min(i+7, len(answer))])
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":%s}}]}\n\n", p)
		w.(http.Flusher).Flush()
	}
	io.WriteString(w, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
}
