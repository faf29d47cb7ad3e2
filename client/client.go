// Package client is the one Go client of policyd's REST API, used by the
// custody node, policyctl, the demo and the end-to-end tests. In the spirit
// of step-ca's ca/client.go it speaks the server's own request and response
// types (api.SignRequest, decision.View, governance's types, api.ErrorBody),
// so a field renamed on the server is a compile error here, and a contract
// test (client_test.go) runs every method against the real api handler over
// TLS.
//
// Trust model: the client trusts the TLS configuration it is given (the
// server's CA, and for the custody role its own client certificate) and
// nothing else: every non-2xx answer becomes an *Error carrying the
// server's stable code; a body that does not decode into the expected type
// is an error, never a zero value taken for an answer.
//
// The MPC protocol (/v1/mpc) is run by mpc.Client over the same
// *http.Client; MPCURL gives its base.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
)

// ErrDenied matches (errors.Is) the *Error of a sign request the policy
// denied: 403 "policy_denied". The *Error carries the decision.
var ErrDenied = errors.New("client: policyd denied the sign request")

// Error is a non-2xx answer: the status and the API's error envelope.
type Error struct {
	Status  int
	Code    string // stable, e.g. "policy_denied", "psbt_trailing_bytes"
	Message string // for people; for a refused PSBT, the check that failed
	// Decision is the denied decision of a 403 "policy_denied".
	Decision *decision.View
}

func (e *Error) Error() string {
	if e.Code == "" { // not the API's envelope (a proxy, another server)
		return strings.TrimSuffix(fmt.Sprintf("policyd answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message), ": ")
	}
	return fmt.Sprintf("policyd answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Is reports ErrDenied for a policy denial.
func (e *Error) Is(target error) bool {
	return target == ErrDenied && e.Code == "policy_denied"
}

// Client calls one policyd.
type Client struct {
	base         string
	httpc        *http.Client
	token        string
	loopbackHTTP bool
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient sets the *http.Client (its TLS configuration: the server's
// CA, and the custody node's client certificate). Default: a client with
// the system roots.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.httpc = h } }

// WithToken sends "Authorization: Bearer token" (auditor and reader roles).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// AllowLoopbackHTTP accepts a plain http:// server URL whose host is a
// loopback address (127.0.0.0/8, ::1, localhost): development set-ups only.
// Any other http:// URL is still refused.
func AllowLoopbackHTTP() Option { return func(c *Client) { c.loopbackHTTP = true } }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New returns a client of the server at serverURL (https://host:port).
func New(serverURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("client: server %q must be an https:// URL", serverURL)
	}
	c := &Client{base: strings.TrimRight(serverURL, "/"), httpc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	if u.Scheme == "http" && !(c.loopbackHTTP && isLoopback(u.Hostname())) {
		return nil, fmt.Errorf("client: server %q must be an https:// URL (plain http only on loopback, with AllowLoopbackHTTP)", serverURL)
	}
	return c, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base }

// MPCURL is the base of the MPC protocol routes, for mpc.ClientConfig.
func (c *Client) MPCURL() string { return c.base + "/v1/mpc" }

// HTTP is the underlying *http.Client (shared with mpc.Client).
func (c *Client) HTTP() *http.Client { return c.httpc }

// maxBody bounds any JSON answer (audit exports are streamed instead).
const maxBody = 64 << 20

// send issues one request; body is JSON-encoded unless nil.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.httpc.Do(req)
}

// readError turns a non-2xx answer into an *Error.
func readError(resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode}
	var env api.ErrorBody
	if json.Unmarshal(b, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	}
	if e.Code == "" {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}

// do sends the request and decodes a 2xx answer into out (unless nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return readError(resp)
	}
	if out == nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], bytes.TrimSpace(b)...)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("client: %s %s: bad answer: %w", method, path, err)
	}
	return nil
}

// Health is GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	var v map[string]string
	if err := c.do(ctx, http.MethodGet, "/healthz", nil, nil, &v); err != nil {
		return err
	}
	if v["status"] != "ok" {
		return fmt.Errorf("client: health %v", v)
	}
	return nil
}

// NewSignRequest encodes packet (and the staking declarations) as the body
// of a sign request.
func NewSignRequest(packet *psbt.Packet, staking ...decision.StakingDeclaration) (api.SignRequest, error) {
	var buf bytes.Buffer
	if err := packet.Serialize(&buf); err != nil {
		return api.SignRequest{}, err
	}
	return api.SignRequest{PSBT: base64.StdEncoding.EncodeToString(buf.Bytes()), Staking: staking}, nil
}

// Sign is POST /v1/sign-requests. An allow returns the decision. A deny
// returns the decision AND an *Error matching ErrDenied (the server answers
// 403 "policy_denied"); a PSBT refused before any decision (422, 400)
// returns only the *Error, whose Code and Message name the failed check.
func (c *Client) Sign(ctx context.Context, req api.SignRequest) (*decision.View, error) {
	return c.sign(ctx, "/v1/sign-requests", req, false)
}

// DryRun is POST /v1/sign-requests/dry-run: the decision, nothing claimed
// or stored (the server answers 200 for allow and deny alike).
func (c *Client) DryRun(ctx context.Context, req api.SignRequest) (*decision.View, error) {
	return c.sign(ctx, "/v1/sign-requests/dry-run", req, true)
}

// sign posts req. A decision has an outcome, and an id unless it is a dry
// run's (nothing is stored).
func (c *Client) sign(ctx context.Context, path string, req api.SignRequest, dry bool) (*decision.View, error) {
	resp, err := c.send(ctx, http.MethodPost, path, nil, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusForbidden:
	default:
		return nil, readError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	var v api.SignResponse
	if err := json.Unmarshal(b, &v); err != nil || v.View == nil || v.Outcome == "" || (v.ID == "" && !dry) {
		if resp.StatusCode == http.StatusForbidden { // a role refusal, not a decision
			e := &Error{Status: resp.StatusCode}
			if v.Error != nil {
				e.Code, e.Message = v.Error.Code, v.Error.Message
			}
			return nil, e
		}
		return nil, fmt.Errorf("client: POST %s: bad decision answer: %s", path, bytes.TrimSpace(b))
	}
	if resp.StatusCode == http.StatusOK {
		return v.View, nil
	}
	e := &Error{Status: resp.StatusCode, Code: "policy_denied", Decision: v.View}
	if v.Error != nil {
		e.Code, e.Message = v.Error.Code, v.Error.Message
	}
	return v.View, e
}

// Decision is GET /v1/decisions/{id}.
func (c *Client) Decision(ctx context.Context, id string) (*decision.View, error) {
	var v decision.View
	if err := c.do(ctx, http.MethodGet, "/v1/decisions/"+url.PathEscape(id), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Cancel is POST /v1/decisions/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, id string) (*decision.View, error) {
	var v decision.View
	if err := c.do(ctx, http.MethodPost, "/v1/decisions/"+url.PathEscape(id)+"/cancel", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Revoke is POST /v1/decisions/{id}/revoke: one Bitlayer admin's signed
// revocation of a decision that has not begun signing.
func (c *Client) Revoke(ctx context.Context, req governance.RevokeRequest) (*decision.View, error) {
	var v decision.View
	if err := c.do(ctx, http.MethodPost, "/v1/decisions/"+url.PathEscape(req.DecisionID)+"/revoke", nil, req, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Domain is GET /v1/governance/domain: what admins sign for.
func (c *Client) Domain(ctx context.Context) (*api.DomainInfo, error) {
	var v api.DomainInfo
	if err := c.do(ctx, http.MethodGet, "/v1/governance/domain", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Whitelist is GET /v1/whitelist.
func (c *Client) Whitelist(ctx context.Context) (*governance.WhitelistView, error) {
	var v governance.WhitelistView
	if err := c.do(ctx, http.MethodGet, "/v1/whitelist", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Proposals is GET /v1/whitelist/proposals, filtered by status unless "".
func (c *Client) Proposals(ctx context.Context, status string) ([]governance.Proposal, error) {
	var q url.Values
	if status != "" {
		q = url.Values{"status": {status}}
	}
	var v []governance.Proposal
	if err := c.do(ctx, http.MethodGet, "/v1/whitelist/proposals", q, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// Proposal is GET /v1/whitelist/proposals/{id}.
func (c *Client) Proposal(ctx context.Context, id string) (*governance.Proposal, error) {
	var v governance.Proposal
	if err := c.do(ctx, http.MethodGet, "/v1/whitelist/proposals/"+url.PathEscape(id), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Propose is POST /v1/whitelist/proposals.
func (c *Client) Propose(ctx context.Context, sp governance.SignedProposal) (*governance.Proposal, error) {
	var v governance.Proposal
	if err := c.do(ctx, http.MethodPost, "/v1/whitelist/proposals", nil, sp, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Approve is POST /v1/whitelist/proposals/{id}/approve.
func (c *Client) Approve(ctx context.Context, id string, a governance.Approval) (*governance.Proposal, error) {
	var v governance.Proposal
	if err := c.do(ctx, http.MethodPost, "/v1/whitelist/proposals/"+url.PathEscape(id)+"/approve", nil, a, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Reject is POST /v1/whitelist/proposals/{id}/reject.
func (c *Client) Reject(ctx context.Context, id string, r governance.Rejection) (*governance.Proposal, error) {
	var v governance.Proposal
	if err := c.do(ctx, http.MethodPost, "/v1/whitelist/proposals/"+url.PathEscape(id)+"/reject", nil, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// FreezeState is GET /v1/freeze.
func (c *Client) FreezeState(ctx context.Context) (*governance.FreezeState, error) {
	var v governance.FreezeState
	if err := c.do(ctx, http.MethodGet, "/v1/freeze", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Freeze is POST /v1/freeze.
func (c *Client) Freeze(ctx context.Context, f governance.FreezeRequest) (*governance.FreezeState, error) {
	var v governance.FreezeState
	if err := c.do(ctx, http.MethodPost, "/v1/freeze", nil, f, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Allowances is GET /v1/allowances.
func (c *Client) Allowances(ctx context.Context) ([]governance.AllowanceRecord, error) {
	var v []governance.AllowanceRecord
	if err := c.do(ctx, http.MethodGet, "/v1/allowances", nil, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// L2Status is GET /v1/l2/status: the indexer's status view, as the server
// rendered it (operators print it).
func (c *Client) L2Status(ctx context.Context) (json.RawMessage, error) {
	var v json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/l2/status", nil, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// L2Request is GET /v1/l2/requests/{id}: one ledger record, as the server
// rendered it.
func (c *Client) L2Request(ctx context.Context, reqID string) (json.RawMessage, error) {
	var v json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/l2/requests/"+url.PathEscape(reqID), nil, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// AuditExport is GET /v1/audit/export: it streams the export (format of
// package audit) into w and returns the bytes written. An error after the
// first byte means a truncated export.
func (c *Client) AuditExport(ctx context.Context, w io.Writer, q audit.ExportRequest) (int64, error) {
	v := url.Values{"from": {strconv.FormatUint(q.From, 10)}}
	if q.To != 0 {
		v.Set("to", strconv.FormatUint(q.To, 10))
	}
	if q.Since != 0 {
		v.Set("since_size", strconv.FormatUint(q.Since, 10))
	}
	resp, err := c.send(ctx, http.MethodGet, "/v1/audit/export", v, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, readError(resp)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("client: audit export: %w", err)
	}
	return n, nil
}

// AuditCheckpoint is GET /v1/audit/checkpoint: the latest signed
// checkpoint (a note; verify it before use).
func (c *Client) AuditCheckpoint(ctx context.Context) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/audit/checkpoint", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// AuditProof is GET /v1/audit/proof/{index}: an inclusion proof against the
// latest checkpoint (format of package audit).
func (c *Client) AuditProof(ctx context.Context, index uint64) (json.RawMessage, error) {
	var v json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/v1/audit/proof/"+strconv.FormatUint(index, 10), nil, nil, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// Readiness is GET /readyz: ready is true on 200, false on 503 (the checks
// say why); any other answer or a transport failure is an error.
func (c *Client) Readiness(ctx context.Context) (ready bool, report json.RawMessage, err error) {
	resp, err := c.send(ctx, http.MethodGet, "/readyz", nil, nil)
	if err != nil {
		return false, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return false, nil, readError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return false, nil, fmt.Errorf("client: readyz: %w", err)
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return false, nil, fmt.Errorf("client: readyz: bad answer %q", b)
	}
	return resp.StatusCode == http.StatusOK, b, nil
}

// Backup is GET /v1/backup (operator token): it streams a consistent copy
// of the server's database into w and checks it against the SHA-256 and
// size trailers the server sends after the body. It returns the bytes
// written and the hex SHA-256; any error means w holds no valid copy.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, string, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/backup", nil, nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", readError(resp)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), resp.Body)
	if err != nil {
		return n, "", fmt.Errorf("client: backup cut short after %d bytes: %w", n, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	want, size := resp.Trailer.Get(api.BackupSHA256Trailer), resp.Trailer.Get(api.BackupSizeTrailer)
	switch {
	case want == "" || size == "":
		return n, "", fmt.Errorf("client: backup: the server sent no checksum (copy incomplete, %d bytes)", n)
	case want != sum:
		return n, "", fmt.Errorf("client: backup: SHA-256 %s, the server announced %s", sum, want)
	case size != strconv.FormatInt(n, 10):
		return n, "", fmt.Errorf("client: backup: %d bytes, the server announced %s", n, size)
	}
	return n, sum, nil
}
