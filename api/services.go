package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
)

// The API holds no business logic: every route calls one of these services,
// which are implemented by the domain packages and wired in cmd/policyd.
// Services return *errs.Error for anything a client should see classified.

// SignService decides sign requests from the custody node
// (*decision.Service implements it). It speaks decision's own types.
type SignService interface {
	// SubmitRequest strictly checks the PSBT, evaluates the policy and,
	// unless req.DryRun, commits the decision together with the claim of
	// its reqIds and its audit record in one transaction. The same unsigned
	// transaction submitted again returns the stored decision.
	SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error)
	// Decision returns a stored decision by id.
	Decision(ctx context.Context, id string) (*decision.View, error)
	// Cancel releases an allowed decision's claims before any signature was
	// produced (audited); it fails with KindConflict once signing began.
	Cancel(ctx context.Context, id string) (*decision.View, error)
}

// RevokeFunc revokes the decision req names, before signing began, on one
// Bitlayer admin's EIP-712 signature (governance.RevokeRequest); the
// authentication, the single-use nonce, the revocation and its audit record
// commit together or not at all.
type RevokeFunc func(ctx context.Context, req governance.RevokeRequest) (*decision.View, error)

// AuditService serves the signed decision log to auditors (*audit.Log
// implements it).
type AuditService interface {
	// ExportRange streams records [q.From, q.To) as JSON lines followed by
	// the signed checkpoint and proofs (format documented by package audit);
	// q.Since > 0 adds a consistency proof from the tree of that size; q.To
	// == 0 means "up to the latest checkpoint".
	ExportRange(ctx context.Context, w io.Writer, q audit.ExportRequest) error
	// Checkpoint returns the latest signed checkpoint (a sumdb note).
	Checkpoint(ctx context.Context) ([]byte, error)
	// Inclusion returns the inclusion proof of record index against the
	// latest checkpoint.
	Inclusion(ctx context.Context, index uint64) (json.RawMessage, error)
}

// L2Service shows the L2 indexer's view to operators (*l2.Indexer
// implements it): its height and freshness, and one request's ledger record.
type L2Service interface {
	StatusView(ctx context.Context) (*l2.StatusView, error)
	RequestView(ctx context.Context, reqID string) (*l2.Request, error)
}

// ReservesService sets the wallet's holdings on L1 against L2 and the
// decisions (*decision.Service implements it; without an L1 view it answers
// unavailable).
type ReservesService interface {
	Reserves(ctx context.Context) (*decision.Reserves, error)
}

// MPCService is policyd's side of the threshold-signing, key generation and
// resharing protocol (*mpc.Server implements it). Each operation is its own
// row of the route table under /v1/mpc behind the custody role (mutual TLS).
// An operation writes its success or protocol answer itself, or writes
// nothing and returns an error, which the API renders with its one envelope
// and its one status map (an unclassified error is 500 "internal").
type MPCService interface {
	HandleSign(w http.ResponseWriter, r *http.Request) error
	HandleSignStatus(w http.ResponseWriter, r *http.Request) error
	HandleKeygen(w http.ResponseWriter, r *http.Request) error
	HandleKeygenStatus(w http.ResponseWriter, r *http.Request) error
	HandleReshare(w http.ResponseWriter, r *http.Request) error
	HandleReshareStatus(w http.ResponseWriter, r *http.Request) error
	HandlePostMessage(w http.ResponseWriter, r *http.Request) error
	HandleFetchMessages(w http.ResponseWriter, r *http.Request) error
	HandleAbort(w http.ResponseWriter, r *http.Request) error
}

// MuSigService is policyd's side of the MuSig2 staker key
// (*cosign.Service implements it): the key ceremony, the co-signing
// decisions and the two rounds of each session, each its own row under
// /v1/musig behind the custody role. Like MPCService, an operation writes
// its answer itself or returns an error for the API to render.
type MuSigService interface {
	HandleKeygen(w http.ResponseWriter, r *http.Request) error
	HandleKey(w http.ResponseWriter, r *http.Request) error
	HandleRequest(w http.ResponseWriter, r *http.Request) error
	HandleDecision(w http.ResponseWriter, r *http.Request) error
	HandleRound1(w http.ResponseWriter, r *http.Request) error
	HandleRound2(w http.ResponseWriter, r *http.Request) error
}

// ReadinessService says whether policyd would sign a valid request now
// (GET /readyz). The report is rendered as JSON as it is; it must hold no
// secret (the route is public).
type ReadinessService interface {
	Readiness(ctx context.Context) (ready bool, report any)
}

// BackupService writes a consistent copy of the whole database to w while
// the server keeps running (*storage.DB implements it).
type BackupService interface {
	Backup(w io.Writer) (int64, error)
}
