package localmodel

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
)

func TestBuiltinComplete(t *testing.T) {
	reverse := "func Reverse(s string) string {\n" +
		"\tr := []rune(s)\n" +
		"\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n" +
		"\t\tr[i], r[j] = r[j], r[i]\n" +
		"\t}\n" +
		"\treturn string(r)\n" +
		"}\n" +
		"\n" +
		"func Upper(s string) string {\n" +
		"\treturn strings.ToUpper(s)\n" +
		"}\n"
	tests := []struct {
		name string
		req  FIMRequest
		want string
	}{{
		name: "automatic: rest of the line from the latest match in the prefix",
		req: FIMRequest{
			Prefix:  "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"alpha\")\n\tfmt.Pri",
			Suffix:  "\n}\n",
			Trigger: Automatic,
		},
		want: `ntln("alpha")`,
	}, {
		name: "invoked: a block from a neighbour, stopping before the next function",
		req: FIMRequest{
			Prefix:    "package main\n\nfunc Reverse(s string) string {\n",
			Neighbors: []Snippet{{Path: "util/strings.go", Text: reverse}},
			Trigger:   Invoked,
		},
		want: "\tr := []rune(s)\n" +
			"\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {\n" +
			"\t\tr[i], r[j] = r[j], r[i]\n" +
			"\t}\n" +
			"\treturn string(r)\n" +
			"}",
	}, {
		name: "invoked: the block ends at the dedent",
		req: FIMRequest{
			Prefix:  "func add(a, b int) int {\n\treturn a + b\n}\n\nfunc sub(a, b int) int {\n\tret",
			Suffix:  "\n}\n",
			Trigger: Invoked,
		},
		want: "urn a + b",
	}, {
		name: "automatic at the end of a line: the next line",
		req: FIMRequest{
			Prefix:  "if err != nil {\n\treturn err\n}\nif err != nil {",
			Trigger: Automatic,
		},
		want: "\n\treturn err",
	}, {
		name: "the closing bracket already after the cursor is not repeated",
		req: FIMRequest{
			Prefix:  "x := compute(a, b)\ny := compute(",
			Suffix:  ")\n",
			Trigger: Automatic,
		},
		want: "a, b",
	}, {
		name: "a match shorter than 4 bytes suggests nothing",
		req:  FIMRequest{Prefix: "ab ab", Trigger: Automatic},
		want: "",
	}, {
		name: "a match without a word character suggests nothing",
		req:  FIMRequest{Prefix: "x\n\t}\n\ty\n\t}\n\t", Trigger: Automatic},
		want: "",
	}, {
		name: "no earlier occurrence: nothing",
		req:  FIMRequest{Prefix: "package main\n\nfunc main() {\n\tvar total", Trigger: Invoked},
		want: "",
	}, {
		name: "empty request",
		req:  FIMRequest{},
		want: "",
	}}
	m := newBuiltin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Complete(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tt.want || got.Model != BuiltinID {
				t.Errorf("Complete = %q (model %q), want %q (model %q)", got.Text, got.Model, tt.want, BuiltinID)
			}
		})
	}
}

func TestBuiltinCompleteDeterministic(t *testing.T) {
	req := FIMRequest{Prefix: "a := f(1)\nb := f(2)\nc := f(", Trigger: Automatic}
	m := newBuiltin()
	first, _ := m.Complete(context.Background(), req)
	for range 20 {
		if got, _ := m.Complete(context.Background(), req); got != first {
			t.Fatalf("Complete changed its answer: %q then %q", first.Text, got.Text)
		}
	}
	if first.Text != "2)" {
		t.Errorf("Complete = %q, want %q", first.Text, "2)")
	}
}

func TestBuiltinCompleteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newBuiltin().Complete(ctx, FIMRequest{Prefix: "abcd abcd"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestBuiltinChat(t *testing.T) {
	req := ChatRequest{
		SessionID: "s1",
		Message:   "please explain SECRET_1 and IDENT_2 use",
		References: []Snippet{
			{Path: "a.go", Text: "key := SECRET_1\nname := IDENT_2\n"},
			{Path: "b/c.py", Text: "x = SECRET_1"},
		},
		TokenPattern: regexp.MustCompile(`\b(?P<category>SECRET|PII|IDENT)_[0-9]+\b`),
	}
	want := "This is veil's built-in offline model, not a language model: it can only describe what it was sent.\n" +
		"Your message: 6 words.\n" +
		"Files: a.go (2 lines), b/c.py (1 line).\n" +
		"Masked values: 5 placeholders, 2 distinct (IDENT 2, SECRET 3).\n" +
		"Set model.endpoint to chat with a local model (Ollama, llama.cpp, vLLM).\n"
	var chunks []string
	got, err := newBuiltin().Chat(context.Background(), req, func(s string) error {
		chunks = append(chunks, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Chat =\n%s\nwant\n%s", got, want)
	}
	if len(chunks) != 5 || strings.Join(chunks, "") != want {
		t.Errorf("chunks = %q, want the 5 lines of the reply", chunks)
	}
}

func TestBuiltinChatWithoutPattern(t *testing.T) {
	got, err := newBuiltin().Chat(context.Background(), ChatRequest{Message: "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Your message: 1 word.", "Files: none attached.", "Masked values: not counted (no token pattern given)."} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("Chat = %q, want a line %q", got, line)
		}
	}
	got, _ = newBuiltin().Chat(context.Background(), ChatRequest{Message: "hi", TokenPattern: regexp.MustCompile(`TOKEN_\d+`)}, nil)
	if !strings.Contains(got, "Masked values: none.\n") {
		t.Errorf("Chat = %q, want %q", got, "Masked values: none.")
	}
}

func TestBuiltinChatChunkError(t *testing.T) {
	stop := errors.New("client went away")
	calls := 0
	_, err := newBuiltin().Chat(context.Background(), ChatRequest{Message: "hi"}, func(string) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d chunks, want %v after 1", err, calls, stop)
	}
}

func TestNewSelectsBackend(t *testing.T) {
	getenv := func(string) string { return "" }
	tests := []struct {
		name    string
		cfg     config.Model
		wantID  string
		wantErr error
	}{
		{"defaults are builtin", DefaultConfig(), BuiltinID, nil},
		{"explicit builtin ignores the endpoint", config.Model{Backend: "builtin", Endpoint: "http://127.0.0.1:1/v1"}, BuiltinID, nil},
		{"an endpoint selects the client", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "qwen2.5-coder:1.5b"}, "qwen2.5-coder:1.5b", nil},
		{"openai without endpoint is an error", config.Model{Backend: "openai", Name: "x"}, "", ErrConfig},
		{"unknown backend", config.Model{Backend: "remote"}, "", ErrConfig},
		{"no name", config.Model{Endpoint: "http://127.0.0.1:11434/v1"}, "", ErrConfig},
		{"bad scheme", config.Model{Endpoint: "ftp://127.0.0.1/v1", Name: "x"}, "", ErrConfig},
		{"bad fim", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", FIM: "gpt"}, "", ErrConfig},
		{"bad temperature", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", Temperature: 3}, "", ErrConfig},
		{"first token after overall", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", Timeout: 1e9, FirstTokenTimeout: 2e9}, "", ErrConfig},
		{"unset key variable", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", APIKeyEnv: "VEIL_TEST_KEY"}, "", ErrConfig},
		{"bad pin", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", Pin: []string{"x@md5:abc"}}, "", ErrConfig},
		{"name not pinned", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", Pin: []string{"y"}}, "", ErrModelRefused},
		{"pinned without tag", config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x:latest", Pin: []string{"x"}}, "x:latest", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg, getenv, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("New err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ID() != tt.wantID {
				t.Errorf("ID = %q, want %q", m.ID(), tt.wantID)
			}
			if c, ok := m.(*client); ok {
				c.Close()
			}
		})
	}
}

// A key pasted into model.api_key_env must not come back in the error.
func TestNewDoesNotEchoAKey(t *testing.T) {
	key := "sk-" + strings.Repeat("ab12", 8)
	_, err := New(config.Model{Endpoint: "http://127.0.0.1:11434/v1", Name: "x", APIKeyEnv: key}, func(string) string { return "" }, nil)
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
	if strings.Contains(err.Error(), key[:8]) {
		t.Errorf("error quotes the key (preview %s…, %d bytes)", key[:4], len(key))
	}
}
