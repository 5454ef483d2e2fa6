package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veil-dev/veil/internal/lsptest"
	"github.com/veil-dev/veil/redact"
)

var nameToken = regexp.MustCompile(`VEIL_NAME_[0-9]{1,12}_[a-z0-9]{3}[A-Za-z0-9_]*`)

// newModelServer is a model server whose completions echo the first
// codename token of the prompt inside an identifier, the way a model would
// reuse a name it saw, streamed in two chunks.
func newModelServer(t *testing.T) *lsptest.ModelServer {
	m := lsptest.NewModelServer(t, []string{"e2e-model"}, "", "")
	m.Completions = func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Prompt string `json:"prompt"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		text := "nil"
		if tok := nameToken.FindString(req.Prompt); tok != "" {
			text = "New" + tok + "()"
		}
		lsptest.StreamCompletion(w, text[:len(text)/2], text[len(text)/2:], "")
	}
	return m
}

// buildVeil builds cmd/veil into dir.
func buildVeil(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "veil")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/veil")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building veil: %v\n%s", err, out)
	}
	return bin
}

// TestNeovimEndToEnd drives the built `veil lsp` from Neovim 0.7's built-in
// client against a recording model server.
func TestNeovimEndToEnd(t *testing.T) {
	nvim, err := exec.LookPath("nvim")
	if err != nil {
		if os.Getenv("VEIL_REQUIRE_EDITORS") == "1" {
			t.Fatal("nvim not found and VEIL_REQUIRE_EDITORS=1 (apt-get install -y neovim)")
		}
		t.Skip("nvim not found (apt-get install -y neovim; VEIL_REQUIRE_EDITORS=1 fails instead)")
	}
	if testing.Short() {
		t.Skip("builds veil and runs Neovim")
	}
	dir := t.TempDir()
	bin := buildVeil(t, dir)
	srv := newModelServer(t)

	sec := newSecrets(42)
	awsKey, ghToken, envKey := sec.aws(), sec.github(), sec.aws()
	email := "noor.haddad@orchard-mail.net"
	// The typed secret is a Hugging Face token: "hf_" says only what kind
	// it is, so no prefix of 4+ characters may reach the model.
	typed := "hf_" + sec.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)
	// A typed human password: symbols, no digits, nothing a provider rule
	// knows; no 10-character piece of it may reach the model.
	password := "Tide!" + sec.pick("abcdefghijklmnopqrstuvwxyz", 6) + "-Harbor&" + sec.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4)

	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.go", "// Package main is owned by "+email+".\npackage main\n\n"+
		"const awsKey = \""+awsKey+"\"\nconst ghToken = \""+ghToken+"\"\n\n"+
		"// ZephyrineClient talks to the payments service.\ntype ZephyrineClient struct{}\n\n"+
		"func NewZephyrineClient() *ZephyrineClient { return &ZephyrineClient{} }\n")
	write(".env", "AWS_ACCESS_KEY_ID="+envKey+"\nDB_HOST=db.internal\n")
	cfg := filepath.Join(dir, "veil.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`model:
  backend: openai
  endpoint: %s/v1
  name: e2e-model
identifiers:
  terms: [Zephyrine]
audit:
  enabled: false
lsp:
  latency_budget: 10s
`, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "out.json")
	driver, _ := filepath.Abs("../testdata/lsp/nvim_driver.lua")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-c", "luafile "+driver)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VEIL_E2E_BIN="+bin, "VEIL_E2E_CONFIG="+cfg, "VEIL_E2E_WS="+ws,
		"VEIL_E2E_TYPED="+typed, "VEIL_E2E_PASSWORD="+password, "VEIL_E2E_OUT="+outFile, "XDG_STATE_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nvim: %v\n%s", err, out)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatalf("the driver wrote no result: %v", err)
	}
	var res struct {
		Messages      []string        `json:"messages"`
		Errors        []string        `json:"errors"`
		TypedRequests int             `json:"typed_requests"`
		Completion    json.RawMessage `json:"completion"`
		EnvCompletion json.RawMessage `json:"env_completion"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("driver output: %v", err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("driver errors: %v", res.Errors)
	}

	// 1. Nothing planted, and no 4+ character prefix of the typed secret,
	//    reached the model server.
	seen := srv.Received()
	if n := srv.Hits("/v1/completions"); n < res.TypedRequests {
		t.Fatalf("model server got %d completions for %d typed requests: the test did not exercise the model", n, res.TypedRequests)
	}
	for _, v := range []string{awsKey, ghToken, envKey, email, "Zephyrine", "zephyrine"} {
		if strings.Contains(seen, v) {
			t.Errorf("the model server received %s", redact.Preview(v))
		}
	}
	for n := 4; n <= len(typed); n++ {
		if strings.Contains(seen, typed[:n]) {
			t.Fatalf("the model server received a %d-character prefix of the typed secret (%s)", n, redact.Preview(typed))
		}
	}
	for i := 0; i+10 <= len(password); i++ {
		if strings.Contains(seen, password[i:i+10]) {
			t.Fatalf("the model server received a 10-character piece of the typed password (%s)", redact.Preview(password))
		}
	}

	// 2. The completion holds the restored identifier where the model
	//    echoed its token.
	var list CompletionList
	if err := json.Unmarshal(res.Completion, &list); err != nil || len(list.Items) != 1 || list.Items[0].TextEdit == nil {
		t.Fatalf("completion = %s", res.Completion)
	}
	if got := list.Items[0].TextEdit.NewText; got != "NewZephyrineClient()" {
		t.Errorf("completion newText = %q, want NewZephyrineClient()", got)
	}

	// 3. The .env request never reached the model and the editor was told.
	if strings.Contains(seen, "DB_HOST") || strings.Contains(seen, ".env") {
		t.Errorf("the .env reached the model server")
	}
	var envList CompletionList
	if err := json.Unmarshal(res.EnvCompletion, &envList); err != nil || len(envList.Items) != 0 {
		t.Errorf(".env completion = %s, want an empty list", res.EnvCompletion)
	}
	found := false
	for _, m := range res.Messages {
		if strings.Contains(m, ".env") && strings.Contains(m, "blocked") {
			found = true
		}
	}
	if !found {
		t.Errorf("no showMessage about the blocked .env; got %q", res.Messages)
	}
}
