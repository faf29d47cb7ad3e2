package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bitlayer-org/policyd/babylon/cosign"
)

// The MuSig2 staker key (/v1/musig, custody role): the key ceremony, the
// co-signing requests and the two rounds of each session. The custody
// node's half of a session is cosign.CoSign, with this client as its
// Transport.

// MuSigKeygen is POST /v1/musig/keygen: the custody node's public key
// (33-byte compressed) in, the staker key out.
func (c *Client) MuSigKeygen(ctx context.Context, custodyKey []byte) (*cosign.KeyView, error) {
	var v cosign.KeyView
	if err := c.do(ctx, http.MethodPost, "/v1/musig/keygen", nil, cosign.KeygenRequest{CustodyKey: hex.EncodeToString(custodyKey)}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// MuSigKey is GET /v1/musig/key.
func (c *Client) MuSigKey(ctx context.Context) (*cosign.KeyView, error) {
	var v cosign.KeyView
	if err := c.do(ctx, http.MethodGet, "/v1/musig/key", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// MuSigRequest is POST /v1/musig/requests. An allow returns the decision;
// a deny returns the decision AND an *Error matching ErrDenied (403
// "policy_denied"); a malformed request returns only the *Error.
func (c *Client) MuSigRequest(ctx context.Context, req cosign.Request) (*cosign.View, error) {
	resp, err := c.send(ctx, http.MethodPost, "/v1/musig/requests", nil, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusForbidden {
		return nil, readError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	var v cosign.Response
	if err := json.Unmarshal(b, &v); err != nil || v.View == nil || v.ID == "" || v.Outcome == "" {
		e := &Error{Status: resp.StatusCode, Message: string(bytes.TrimSpace(b))}
		if v.Error != nil {
			e.Code, e.Message = v.Error.Code, v.Error.Message
		}
		return nil, e
	}
	if resp.StatusCode == http.StatusOK {
		return v.View, nil
	}
	e := &Error{Status: resp.StatusCode, Code: cosign.CodeDenied}
	if v.Error != nil {
		e.Code, e.Message = v.Error.Code, v.Error.Message
	}
	return v.View, e
}

// MuSigDecision is GET /v1/musig/requests/{id}.
func (c *Client) MuSigDecision(ctx context.Context, id string) (*cosign.View, error) {
	var v cosign.Response
	if err := c.do(ctx, http.MethodGet, "/v1/musig/requests/"+url.PathEscape(id), nil, nil, &v); err != nil {
		return nil, err
	}
	if v.View == nil {
		return nil, fmt.Errorf("client: GET musig decision %s: empty answer", id)
	}
	return v.View, nil
}

// MuSigRound1 posts the custody node's Round1 of a session and returns
// policyd's.
func (c *Client) MuSigRound1(ctx context.Context, id string, input int, msg []byte) ([]byte, error) {
	return c.round(ctx, id, input, "round1", msg)
}

// MuSigRound2 posts the custody node's Round2 and returns policyd's
// (released only once policyd recorded the signature).
func (c *Client) MuSigRound2(ctx context.Context, id string, input int, msg []byte) ([]byte, error) {
	return c.round(ctx, id, input, "round2", msg)
}

func (c *Client) round(ctx context.Context, id string, input int, round string, msg []byte) ([]byte, error) {
	u := c.base + "/v1/musig/requests/" + url.PathEscape(id) + "/inputs/" + strconv.Itoa(input) + "/" + round
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.httpc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1024))
}
