package localmodel

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/internal/lsptest"
)

// TestRedteamEndpointErrorHidesQuery: an endpoint refused for carrying a
// query (some gateways take their API key as ?key=) or a fragment is named
// in the error without them, as a password in it is.
func TestRedteamEndpointErrorHidesQuery(t *testing.T) {
	tok := lsptest.NewSecrets(151).GitHubPAT()
	for _, ep := range []string{
		"http://127.0.0.1:9/v1?key=" + tok,
		"https://gw.example/v1?api-version=1&key=" + tok,
		"http://127.0.0.1:9/v1#" + tok,
		"http://u:" + tok + "@127.0.0.1:9/v1?x=1",
	} {
		_, err := New(config.Model{Backend: "openai", Endpoint: ep, Name: "m"}, func(string) string { return "" }, nil)
		if err == nil {
			t.Fatalf("endpoint with a query accepted")
		}
		for i := 0; i+10 <= len(tok); i++ {
			if strings.Contains(err.Error(), tok[i:i+10]) {
				t.Errorf("the error names the endpoint's query or fragment (%d bytes)", len(ep))
				break
			}
		}
		if !strings.Contains(err.Error(), "127.0.0.1:9") && !strings.Contains(err.Error(), "gw.example") {
			t.Errorf("the error lost the host: %v", err)
		}
	}
}
