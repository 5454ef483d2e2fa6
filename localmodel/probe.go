package localmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxProbeBody caps what the probe reads from /api/tags.
const maxProbeBody = 4 << 20

// probe lists /v1/models and requires model.name among the served ids; when
// model.pin carries a digest for it, it reads Ollama's /api/tags (next to
// /v1) and requires the digest to match. A digest that cannot be checked is a
// refusal, not a pass.
func (c *client) probe(ctx context.Context) error {
	const op = "probe"
	cl := c.start(ctx, deadlines{overall: c.timeout})
	defer cl.end()
	list, err := c.api.ListModels(cl.ctx)
	if err != nil {
		return c.fail(ctx, cl, op, false, err)
	}
	var ids []string
	served := false
	for _, m := range list.Models {
		ids = append(ids, m.ID)
		served = served || sameModel(m.ID, c.name)
	}
	if !served {
		return &Error{Kind: ErrModelRefused, Endpoint: c.endpoint,
			Detail: fmt.Sprintf("model %q is not served at %s (it serves: %s)", c.name, c.endpoint, listSome(ids, 8))}
	}
	want := c.pinnedDigest()
	if want == "" {
		return nil
	}
	got, err := c.ollamaDigest(cl.ctx)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("localmodel: %s: %w", op, ctx.Err())
		}
		return &Error{Kind: ErrModelRefused, Endpoint: c.endpoint,
			Detail: fmt.Sprintf("cannot verify the digest model.pin requires for %q: %v", c.name, err)}
	}
	if !strings.HasPrefix(got, want) {
		return &Error{Kind: ErrModelRefused, Endpoint: c.endpoint,
			Detail: fmt.Sprintf("model %q has digest sha256:%.12s, model.pin requires sha256:%.12s", c.name, got, want)}
	}
	return nil
}

// pinnedDigest is the digest model.pin requires for model.name, or "".
func (c *client) pinnedDigest() string {
	for _, p := range c.pins {
		if p.digest != "" && sameModel(p.name, c.name) {
			return p.digest
		}
	}
	return ""
}

// ensureVerified runs the probe once before the first request when a digest
// is pinned, so no request reaches an unverified model even if the start-up
// probe failed or never ran. Without a digest pin it does nothing: the name
// is checked locally and in every answer.
func (c *client) ensureVerified(ctx context.Context) error {
	if c.pinnedDigest() == "" {
		return nil
	}
	select {
	case c.verify <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("localmodel: verifying the pinned model: %w", ctx.Err())
	}
	defer func() { <-c.verify }()
	if c.verified {
		return nil
	}
	if err := c.probe(ctx); err != nil {
		return err
	}
	c.verified = true
	return nil
}

// ollamaDigest reads the digest of model.name from Ollama's /api/tags.
func (c *client) ollamaDigest(ctx context.Context) (string, error) {
	root := strings.TrimSuffix(c.base, "/v1")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, root+"/api/tags", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.httpc.Do(req)
	if err != nil {
		return "", fmt.Errorf("/api/tags: %s", netDetail(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/api/tags answered HTTP %d (is this Ollama?)", resp.StatusCode)
	}
	var tags struct {
		Models []struct {
			Name   string `json:"name"`
			Model  string `json:"model"`
			Digest string `json:"digest"`
		} `json:"models"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProbeBody)).Decode(&tags); err != nil {
		return "", fmt.Errorf("/api/tags: invalid JSON")
	}
	for _, m := range tags.Models {
		if sameModel(m.Name, c.name) || sameModel(m.Model, c.name) {
			return strings.TrimPrefix(strings.ToLower(m.Digest), "sha256:"), nil
		}
	}
	return "", fmt.Errorf("/api/tags does not list %q", c.name)
}

func listSome(items []string, n int) string {
	if len(items) == 0 {
		return "nothing"
	}
	if len(items) > n {
		return strings.Join(items[:n], ", ") + fmt.Sprintf(", and %d more", len(items)-n)
	}
	return strings.Join(items, ", ")
}
