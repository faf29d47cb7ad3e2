package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// The API holds no business logic: every route calls one of these services,
// which are implemented by the domain packages and wired in cmd/policyd.
// Services return *errs.Error for anything a client should see classified.

// SignService decides sign requests from the custody node.
type SignService interface {
	// Submit strictly checks the PSBT, evaluates the policy and, unless
	// req.DryRun, commits the decision together with the claim of its reqIds
	// and its audit record in one transaction. The same unsigned transaction
	// submitted again returns the stored decision.
	Submit(ctx context.Context, req SubmitRequest) (*DecisionView, error)
	// Decision returns a stored decision by id.
	Decision(ctx context.Context, id string) (*DecisionView, error)
	// Cancel releases an allowed decision's claims before any signature was
	// produced (audited); it fails with KindConflict once signing began.
	Cancel(ctx context.Context, id string) (*DecisionView, error)
}

// SubmitRequest is one sign request as the API received it.
type SubmitRequest struct {
	PSBT []byte
	// Staking declares, per staking output, the Babylon parameters it was
	// built from. Untrusted: the policy rebuilds the output from them and
	// compares it byte for byte.
	Staking []StakingDeclaration
	DryRun  bool
}

// StakingDeclaration names the Babylon parameters of one staking output.
type StakingDeclaration struct {
	OutputIndex       int      `json:"output_index"`
	StakerKey         string   `json:"staker_key"`         // hex, 32-byte x-only or 33-byte compressed
	FinalityProviders []string `json:"finality_providers"` // hex keys
	StakingTime       uint16   `json:"staking_time"`       // blocks
}

// DecisionView is what the API renders for a decision.
type DecisionView struct {
	ID      string          `json:"id"`
	Outcome string          `json:"outcome"` // "allow" or "deny"
	Reasons []string        `json:"reasons,omitempty"`
	DryRun  bool            `json:"dry_run,omitempty"`
	Record  json.RawMessage `json:"record,omitempty"`
}

// AuditService serves the signed decision log to auditors.
type AuditService interface {
	// Export streams records [q.From, q.To) as JSON lines followed by the
	// signed checkpoint and proofs (format documented by package audit);
	// q.Since > 0 adds a consistency proof from the tree of that size.
	Export(ctx context.Context, w io.Writer, q ExportQuery) error
	// Checkpoint returns the latest signed checkpoint (a sumdb note).
	Checkpoint(ctx context.Context) ([]byte, error)
	// Inclusion returns the inclusion proof of record index against the
	// latest checkpoint.
	Inclusion(ctx context.Context, index uint64) (json.RawMessage, error)
}

// ExportQuery selects an audit export. To == 0 means "up to the latest
// checkpoint".
type ExportQuery struct {
	From, To, Since uint64
}

// L2Service shows the L2 indexer's view to operators: its height and
// freshness, and one request's ledger record with its claim state.
type L2Service interface {
	Status(ctx context.Context) (any, error)
	Request(ctx context.Context, reqID string) (any, error)
}

// MPCTransport is the custody node's side of the threshold-signing and key
// generation protocol, mounted by the API under /v1/mpc behind the custody
// role (mutual TLS).
type MPCTransport interface {
	http.Handler
}
