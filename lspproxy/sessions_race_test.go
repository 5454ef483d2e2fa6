package lspproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentSessionsTyping: several sessions share one process (veil
// lsp --listen) and with it whatever their buffers are pooled in. In each,
// a secret is typed character by character into a string while inline
// completions and veil/status calls come from other goroutines at once, so
// keystrokes are decoded on the read loop while replies and notifications
// are encoded from request goroutines. Run with -race. No model may see
// any part of any session's secret beyond its public prefix, and no
// session's answers may hold another session's secret.
func TestConcurrentSessionsTyping(t *testing.T) {
	const sessions = 3
	sec := newSecrets(53)
	secretsTyped := make([]string, sessions)
	for i := range secretsTyped {
		secretsTyped[i] = sec.github()
	}
	models := make([]*fakeModel, sessions)
	replies := make([]strings.Builder, sessions)
	var wg sync.WaitGroup
	for i := range sessions {
		models[i] = &fakeModel{}
		wg.Go(func() { typeSecretWhileAsking(t, models[i], secretsTyped[i], &replies[i]) })
	}
	wg.Wait()
	for i, m := range models {
		if m.calls() == 0 {
			t.Fatalf("session %d: the model was never asked; the test tests nothing", i)
		}
		if window8(replies[i].String(), secretsTyped[i]) == "" {
			t.Fatalf("session %d: no answer held its own typed value back; the answers were not captured", i)
		}
		seen := m.seen()
		for j, s := range secretsTyped {
			if w := window8(seen, s); w != "" {
				t.Fatalf("session %d's model saw 8 characters of session %d's secret (%.4s…, %d chars)", i, j, w, len(s))
			}
			if j != i {
				if w := window8(replies[i].String(), s); w != "" {
					t.Fatalf("session %d was answered with part of session %d's secret (%.4s…)", i, j, w)
				}
			}
		}
	}
}

// window8 returns an 8-character part of secret's random part (after its
// 4-character prefix) that text holds, or "".
func window8(text, secret string) string {
	for k := 4; k+8 <= len(secret); k++ {
		if strings.Contains(text, secret[k:k+8]) {
			return secret[k : k+8]
		}
	}
	return ""
}

// typeSecretWhileAsking runs one session: the secret typed one keystroke
// per didChange, each followed by an inline completion and a status call
// from goroutines of their own; every answer is appended to replies.
func typeSecretWhileAsking(t *testing.T, m *fakeModel, secret string, replies *strings.Builder) {
	opts := pipelineOptions(m)
	opts.Config.LSP.LatencyBudget = testTimeout // a loaded machine must not turn answers empty
	c, err := NewClient(opts, nil)
	if err != nil {
		t.Error(err)
		return
	}
	defer func() { _ = c.Close(context.Background()) }()
	ctx := context.Background()
	if _, err := c.Call(ctx, "initialize", map[string]any{"rootUri": "file:///work/ws", "capabilities": map[string]any{}}); err != nil {
		t.Error(err)
		return
	}
	uri := "file:///work/ws/main.go"
	head := "package main\n\nfunc f() {\n\tapiKey := \""
	if err := c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "go", "version": 1, "text": head + "\n}\n"}}); err != nil {
		t.Error(err)
		return
	}
	var mu sync.Mutex
	var asks sync.WaitGroup
	col := len("\tapiKey := \"")
	for k := range len(secret) {
		pos := map[string]any{"line": 3, "character": col + k}
		if err := c.Notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": uri, "version": k + 2},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": pos, "end": pos}, "text": secret[k : k+1]}},
		}); err != nil {
			t.Error(err)
			return
		}
		next := map[string]any{"line": 3, "character": col + k + 1}
		asks.Go(func() {
			r1, err1 := c.Call(ctx, "textDocument/inlineCompletion", map[string]any{
				"textDocument": map[string]any{"uri": uri}, "position": next, "context": map[string]any{"triggerKind": 1}})
			r2, err2 := c.Call(ctx, "veil/status", map[string]any{"uri": uri})
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(replies, "%s %v %s %v\n", r1, err1, r2, err2)
			var st struct{ Findings int }
			if err2 == nil && json.Unmarshal(r2, &st) != nil {
				t.Errorf("veil/status answered %d bytes that are not its struct", len(r2))
			}
		})
	}
	asks.Wait()
	// The last request, alone: nothing supersedes it.
	r, err := c.Call(ctx, "textDocument/inlineCompletion", map[string]any{"textDocument": map[string]any{"uri": uri},
		"position": map[string]any{"line": 3, "character": col + len(secret)}, "context": map[string]any{"triggerKind": 1}})
	fmt.Fprintf(replies, "%s %v\n", r, err)
}
