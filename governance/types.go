package governance

import (
	"time"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

// Audit event kinds.
const (
	EventProposal   = records.KindWhitelistProposal
	EventApproval   = records.KindWhitelistApproval
	EventRejection  = records.KindWhitelistRejection
	EventActivation = records.KindWhitelistActivation
	EventFreeze     = records.KindFreeze
	EventUnfreeze   = records.KindUnfreeze
	EventAllowance  = records.KindAllowanceOpen
	// EventRevokeRequest records an authenticated request to revoke a
	// decision; package decision records the revocation itself.
	EventRevokeRequest = records.KindDecisionRevokeRequest
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
// fields stay empty / zero for an action. Its shape is the audit schema's
// (package audit/records), so the audited proposal is the stored one.
type ProposalContent = records.ProposalContent

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

// ApprovalRecord is one stored approval (audit schema type).
type ApprovalRecord = records.Approval

// RejectionRecord is the stored rejection (audit schema type).
type RejectionRecord = records.Rejection

// Proposal is a stored proposal (audit schema type).
type Proposal = records.Proposal

// Entry is a whitelist entry (audit schema type). Destination kinds carry
// Address and PkScript; key kinds carry the key's hex in Address and its
// bytes in PubKey.
type Entry = records.WhitelistEntry

// EntryInput is an entry to bootstrap.
type EntryInput struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	Label   string `json:"label,omitempty"`
}

// FreezeState is the emergency freeze (audit schema type).
type FreezeState = records.FreezeState

// AllowanceRecord is a plan-redemption allowance (audit schema type).
type AllowanceRecord = records.Allowance

// Snapshot is the governance part of the policy engine's view.
type Snapshot struct {
	Whitelist   policy.Whitelist   `json:"whitelist"`
	Frozen      bool               `json:"frozen"`
	FreezeEpoch uint64             `json:"freeze_epoch"`
	Allowances  []policy.Allowance `json:"allowances"`
}
