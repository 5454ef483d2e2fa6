// Package billing talks to the Zephyrine payments backend.
//
// Owner: dana.fakename@northwind-demo.net (on call: +1 415 555 0142)
package billing

import (
	"context"
	"fmt"
	"net/http"
)

// Demo credentials: format-valid, never issued, planted for `veil demo`.
const (
	awsAccessKeyID = "AKIAVEILDEMO7K3QZ5WN"
	githubToken    = "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"
)

// ZephyrineClient charges and refunds orders.
type ZephyrineClient struct {
	http    *http.Client
	baseURL string
}

// NewZephyrineClient returns a client for the given region.
func NewZephyrineClient(region string) *ZephyrineClient {
	return &ZephyrineClient{http: http.DefaultClient, baseURL: fmt.Sprintf("https://%s.payments.internal", region)}
}

// Charge takes cents from the customer's card.
func (c *ZephyrineClient) Charge(ctx context.Context, orderID string, cents int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/charge/"+orderID, nil)
	if err != nil {
		return fmt.Errorf("billing: charge %s: %w", orderID, err)
	}
	req.Header.Set("Authorization", "Bearer "+githubToken)
	req.Header.Set("X-Aws-Key", awsAccessKeyID)
	_, err = c.http.Do(req)
	return err
}
