package governance

import (
	"time"

	"github.com/bitlayer-org/policyd/policy"
)

// Audit event kinds.
const (
	EventProposal   = "whitelist_proposal"
	EventApproval   = "whitelist_approval"
	EventRejection  = "whitelist_rejection"
	EventActivation = "whitelist_activation"
	EventFreeze     = "freeze"
	EventUnfreeze   = "unfreeze"
	EventAllowance  = "allowance_open"
	// EventRevokeRequest records an authenticated request to revoke a
	// decision; package decision records the revocation itself.
	EventRevokeRequest = "decision_revoke_request"
)

// Proposal actions.
const (
	ActionAdd       = "whitelist_add"
	ActionRemove    = "whitelist_remove"
	ActionUnfreeze  = "unfreeze"
	ActionAllowance = "allowance_open"
)

// Proposal statuses.
const (
	StatusPending  = "pending"
	StatusExecuted = "executed"
	StatusRejected = "rejected"
	StatusExpired  = "expired" // computed on read: pending past its expiry
)

// ProposalContent is what a proposer signs (see ProposalTypedData). Unused
// fields stay empty / zero for an action.
type ProposalContent struct {
	Action      string `json:"action"`
	EntryKind   string `json:"entry_kind,omitempty"`
	Address     string `json:"address,omitempty"`
	Label       string `json:"label,omitempty"`
	PlanID      string `json:"plan_id,omitempty"`
	AmountSat   int64  `json:"amount_sat,omitempty"`
	FreezeEpoch uint64 `json:"freeze_epoch,omitempty"`
	Nonce       string `json:"nonce"`
	Expiry      int64  `json:"expiry"` // unix seconds: quorum must be reached before
}

// SignedProposal is a proposal with its proposer's signature.
type SignedProposal struct {
	Proposal  ProposalContent `json:"proposal"`
	Signature string          `json:"signature"`
}

// Approval approves a proposal until Expiry (unix seconds).
type Approval struct {
	Expiry    int64  `json:"expiry"`
	Signature string `json:"signature"`
}

// Rejection cancels a proposal.
type Rejection struct {
	Reason    string `json:"reason"`
	Expiry    int64  `json:"expiry"`
	Signature string `json:"signature"`
}

// FreezeRequest freezes all signing.
type FreezeRequest struct {
	Reason    string `json:"reason"`
	Epoch     uint64 `json:"epoch"`
	Nonce     string `json:"nonce"`
	Expiry    int64  `json:"expiry"`
	Signature string `json:"signature"`
}

// RevokeRequest asks to revoke a live decision, signed by one Bitlayer admin
// (RevokeTypedData). Governance authenticates it (AuthenticateRevoke); package
// decision changes the decision.
type RevokeRequest struct {
	DecisionID string `json:"decision_id"`
	Reason     string `json:"reason"`
	Nonce      string `json:"nonce"`
	Expiry     int64  `json:"expiry"`
	Signature  string `json:"signature"`
}

// RevokeAuth is an authenticated revoke request: who asked, for which
// decision, why, and when governance accepted the request.
type RevokeAuth struct {
	Admin      string    `json:"admin"` // checksummed address of the Bitlayer admin
	DecisionID string    `json:"decision_id"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// ApprovalRecord is one stored approval.
type ApprovalRecord struct {
	Signer    string    `json:"signer"`
	Expiry    int64     `json:"expiry"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// RejectionRecord is the stored rejection.
type RejectionRecord struct {
	Signer    string    `json:"signer"`
	Reason    string    `json:"reason"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// Proposal is a stored proposal.
type Proposal struct {
	ID                string           `json:"id"`
	Content           ProposalContent  `json:"content"`
	Proposer          string           `json:"proposer"`
	ProposerSignature string           `json:"proposer_signature"`
	CreatedAt         time.Time        `json:"created_at"`
	Status            string           `json:"status"`
	Approvals         []ApprovalRecord `json:"approvals"`
	Rejection         *RejectionRecord `json:"rejection,omitempty"`
	ExecutedAt        *time.Time       `json:"executed_at,omitempty"`
	EffectiveAt       *time.Time       `json:"effective_at,omitempty"`
}

// Entry is a whitelist entry. Destination kinds carry Address and PkScript;
// key kinds carry the key's hex in Address and its bytes in PubKey.
type Entry struct {
	Kind       string          `json:"kind"`
	Address    string          `json:"address"`
	PkScript   policy.HexBytes `json:"pk_script,omitempty"`
	PubKey     policy.HexBytes `json:"pub_key,omitempty"`
	Label      string          `json:"label,omitempty"`
	Approvers  []string        `json:"approvers"`
	ProposalID string          `json:"proposal_id,omitempty"`
	Since      time.Time       `json:"since"`       // quorum (or bootstrap) time
	ActiveFrom time.Time       `json:"active_from"` // Since + timelock
}

// EntryInput is an entry to bootstrap.
type EntryInput struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	Label   string `json:"label,omitempty"`
}

// FreezeState is the emergency freeze.
type FreezeState struct {
	Frozen bool      `json:"frozen"`
	Epoch  uint64    `json:"epoch"` // number of unfreezes so far
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at,omitempty"`
}

// AllowanceRecord is a plan-redemption allowance.
type AllowanceRecord struct {
	ID         string          `json:"id"`
	PlanID     string          `json:"plan_id"`
	AmountSat  int64           `json:"amount_sat"`
	Address    string          `json:"address"`
	PkScript   policy.HexBytes `json:"pk_script"`
	OpenedAt   time.Time       `json:"opened_at"`
	ConsumedBy string          `json:"consumed_by,omitempty"`
	ConsumedAt *time.Time      `json:"consumed_at,omitempty"`
}

// Snapshot is the governance part of the policy engine's view.
type Snapshot struct {
	Whitelist   policy.Whitelist   `json:"whitelist"`
	Frozen      bool               `json:"frozen"`
	FreezeEpoch uint64             `json:"freeze_epoch"`
	Allowances  []policy.Allowance `json:"allowances"`
}
