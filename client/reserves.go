package client

import (
	"context"
	"net/http"

	"github.com/bitlayer-org/policyd/decision"
)

// Reserves is GET /v1/reserves: what the wallet holds on L1 against what
// L2 says it owes, and the deficit (any token role; 503 without an L1 view).
func (c *Client) Reserves(ctx context.Context) (*decision.Reserves, error) {
	var v decision.Reserves
	if err := c.do(ctx, http.MethodGet, "/v1/reserves", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
