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
	// dryRun, commits the decision together with the claim of its reqIds and
	// its audit record in one transaction. The same unsigned transaction
	// submitted again returns the stored decision.
	Submit(ctx context.Context, psbt []byte, dryRun bool) (*DecisionView, error)
	// Decision returns a stored decision by id.
	Decision(ctx context.Context, id string) (*DecisionView, error)
	// Cancel releases an allowed decision's claims before any signature was
	// produced (audited); it fails with KindConflict once signing began.
	Cancel(ctx context.Context, id string) (*DecisionView, error)
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
	// Export streams records [from, to) as JSON lines followed by the signed
	// checkpoint and proofs (format documented by package audit).
	Export(ctx context.Context, w io.Writer, from, to uint64) error
	// Checkpoint returns the latest signed checkpoint (a sumdb note).
	Checkpoint(ctx context.Context) ([]byte, error)
	// Inclusion returns the inclusion proof of record index against the
	// latest checkpoint.
	Inclusion(ctx context.Context, index uint64) (json.RawMessage, error)
}

// MPCTransport is the custody node's side of the threshold-signing and key
// generation protocol, mounted by the API under /v1/mpc behind the custody
// role (mutual TLS).
type MPCTransport interface {
	http.Handler
}
