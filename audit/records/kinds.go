package records

import (
	"errors"
	"fmt"
	"time"

	"github.com/bitlayer-org/policyd/policy"
)

// Record kinds. A kind names what happened; its schema versions are the
// types below (all at version 1 so far).
const (
	KindDecision              = "decision"
	KindDecisionCancel        = "decision_cancel"
	KindDecisionRevoke        = "decision_revoke"
	KindDecisionExpire        = "decision_expire"
	KindDecisionBegin         = "decision_begin"
	KindSignature             = "signature"
	KindAllowanceUsed         = "allowance_used"
	KindStartup               = "startup"
	KindKeygen                = "keygen"
	KindReshare               = "reshare"
	KindWhitelistProposal     = "whitelist_proposal"
	KindWhitelistApproval     = "whitelist_approval"
	KindWhitelistRejection    = "whitelist_rejection"
	KindWhitelistActivation   = "whitelist_activation"
	KindFreeze                = "freeze"
	KindUnfreeze              = "unfreeze"
	KindAllowanceOpen         = "allowance_open"
	KindDecisionRevokeRequest = "decision_revoke_request"
	KindSystemFreeze          = "system_freeze"
)

// ---- decisions (package decision) ----

// Decision is one decision, with everything policy.Evaluate read, so an
// auditor can replay it: Evaluate(Facts, Snapshot, EvaluatedAt) must give
// Decision.
type Decision struct {
	DecisionID       string `json:"decision_id"`
	TxID             string `json:"txid"`
	PSBTHash         string `json:"psbt_hash"` // hex SHA-256 of the PSBT as received
	WhitelistVersion uint64 `json:"whitelist_version"`
	ParamsHash       string `json:"params_hash"` // policy.Params.Hash() of Snapshot.Params
	// EvaluatedAt is the now passed to Evaluate.
	EvaluatedAt time.Time `json:"evaluated_at"`
	// Facts are exactly what Evaluate read (staking declarations attached).
	Facts policy.Facts `json:"facts"`
	// StakingDecls are the declarations as received, by output index.
	StakingDecls map[int]policy.StakingDecl `json:"staking_decls,omitempty"`
	Snapshot     policy.Snapshot            `json:"snapshot"`
	// Decision is Evaluate's result.
	Decision policy.Decision `json:"decision"`
	// Evidence is the L2 evidence of the claimed reqIds.
	Evidence []Evidence `json:"evidence,omitempty"`
	// ExpiresAt is when an allowed decision that has not begun signing
	// expires.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (*Decision) Kind() string { return KindDecision }
func (*Decision) Version() int { return 1 }

func (d *Decision) Validate() error {
	if err := required("decision_id", d.DecisionID, "txid", d.TxID, "params_hash", d.ParamsHash); err != nil {
		return err
	}
	if d.EvaluatedAt.IsZero() {
		return errors.New("evaluated_at is required")
	}
	if d.Facts.TxID != d.TxID {
		return fmt.Errorf("txid %s differs from the facts' %s", d.TxID, d.Facts.TxID)
	}
	if d.Decision.Outcome != policy.Allow && d.Decision.Outcome != policy.Deny {
		return fmt.Errorf("outcome %q", d.Decision.Outcome)
	}
	return nil
}

// Evidence is one reqId's L2 evidence.
type Evidence struct {
	ReqID     string `json:"req_id"`
	Kind      string `json:"kind"`
	AmountSat int64  `json:"amount_sat"`
	AmountWei string `json:"amount_wei"`
	Token     string `json:"token"`
	PlanID    string `json:"plan_id,omitempty"`
	TxHash    string `json:"l2_tx_hash"`
	Block     uint64 `json:"l2_block"`
	BlockHash string `json:"l2_block_hash,omitempty"`
	LogIndex  uint   `json:"l2_log_index"`
	User      string `json:"user,omitempty"`
}

// Transition is a decision's state change after the decision itself: the
// common body of decision_cancel, decision_revoke, decision_expire and
// decision_begin. The record's time is when it happened.
type Transition struct {
	DecisionID string `json:"decision_id"`
	TxID       string `json:"txid"`
	Event      string `json:"event"` // cancel, revoke, expire, begin
	From       string `json:"from"`  // the decision's state before
	To         string `json:"to"`    // and after
	By         string `json:"by,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Reasons are the failed rules of a revoking re-check.
	Reasons []policy.Reason `json:"reasons,omitempty"`
	// Released are the reqIds whose claims the transition released.
	Released []string `json:"released,omitempty"`
	// Recheck is the evaluation at signing (begin, or the revoke it caused).
	Recheck *Recheck `json:"recheck,omitempty"`
}

func (t *Transition) validate(event string) error {
	if err := required("decision_id", t.DecisionID, "txid", t.TxID, "from", t.From, "to", t.To); err != nil {
		return err
	}
	if t.Event != event {
		return fmt.Errorf("event %q, want %q", t.Event, event)
	}
	return nil
}

// Recheck is the re-evaluation of a decision's stored facts when signing
// begins: Evaluate(the decision's Facts, Snapshot, Time) gave Decision.
type Recheck struct {
	Time             time.Time       `json:"time"`
	ParamsHash       string          `json:"params_hash"`
	WhitelistVersion uint64          `json:"whitelist_version"`
	Snapshot         policy.Snapshot `json:"snapshot"`
	Decision         policy.Decision `json:"decision"`
}

// DecisionCancel: the custody node withdrew an allowed decision.
type DecisionCancel struct{ Transition }

func (*DecisionCancel) Kind() string      { return KindDecisionCancel }
func (*DecisionCancel) Version() int      { return 1 }
func (d *DecisionCancel) Validate() error { return d.validate("cancel") }

// DecisionRevoke: an admin revoked an allowed decision, or the re-check at
// signing failed (then Recheck and Reasons say why).
type DecisionRevoke struct{ Transition }

func (*DecisionRevoke) Kind() string      { return KindDecisionRevoke }
func (*DecisionRevoke) Version() int      { return 1 }
func (d *DecisionRevoke) Validate() error { return d.validate("revoke") }

// DecisionExpire: decision_ttl passed before signing began.
type DecisionExpire struct{ Transition }

func (*DecisionExpire) Kind() string      { return KindDecisionExpire }
func (*DecisionExpire) Version() int      { return 1 }
func (d *DecisionExpire) Validate() error { return d.validate("expire") }

// DecisionBegin: signing began; Recheck is the re-evaluation that allowed it.
type DecisionBegin struct{ Transition }

func (*DecisionBegin) Kind() string { return KindDecisionBegin }
func (*DecisionBegin) Version() int { return 1 }
func (d *DecisionBegin) Validate() error {
	if err := d.validate("begin"); err != nil {
		return err
	}
	if d.Recheck == nil {
		return errors.New("recheck is required")
	}
	return nil
}

// Signature is one input's signature (DER || SIGHASH_ALL, hex) over the
// sighash policyd computed (hex).
type Signature struct {
	DecisionID string `json:"decision_id"`
	TxID       string `json:"txid"`
	Input      int    `json:"input"`
	Sighash    string `json:"sighash"`
	Signature  string `json:"signature"`
}

func (*Signature) Kind() string { return KindSignature }
func (*Signature) Version() int { return 1 }
func (s *Signature) Validate() error {
	return required("decision_id", s.DecisionID, "txid", s.TxID, "sighash", s.Sighash, "signature", s.Signature)
}

// AllowanceUsed: an allowed decision consumed an allowance.
type AllowanceUsed struct {
	AllowanceID string `json:"allowance_id"`
	DecisionID  string `json:"decision_id"`
	TxID        string `json:"txid"`
}

func (*AllowanceUsed) Kind() string { return KindAllowanceUsed }
func (*AllowanceUsed) Version() int { return 1 }
func (a *AllowanceUsed) Validate() error {
	return required("allowance_id", a.AllowanceID, "decision_id", a.DecisionID, "txid", a.TxID)
}

// ---- policyd (cmd/policyd) ----

// Startup: policyd started with this configuration (a hash: the
// configuration holds paths and hashes, never secrets).
type Startup struct {
	ConfigSHA256 string `json:"config_sha256"`
	Network      string `json:"network"`
	Wallet       string `json:"wallet_address,omitempty"`
	GroupPubKey  string `json:"group_pubkey,omitempty"`
	Contract     string `json:"l2_contract"`
	ParamsHash   string `json:"policy_params_hash"`
	Schema       uint64 `json:"schema_version"`
}

func (*Startup) Kind() string { return KindStartup }
func (*Startup) Version() int { return 1 }
func (s *Startup) Validate() error {
	return required("config_sha256", s.ConfigSHA256, "network", s.Network, "policy_params_hash", s.ParamsHash)
}

// ---- key ceremonies (package mpc) ----

// Keygen is a completed key generation (mpc.KeygenRecord).
type Keygen struct {
	Session   string   `json:"session"`
	PubKey    string   `json:"pubkey"`
	Address   string   `json:"address"`
	Network   string   `json:"network"`
	Parties   []string `json:"parties"`
	Threshold int      `json:"threshold"`
	Self      string   `json:"self"`
	// The confirmation: both new shares signed ConfirmDigest
	// (KeygenConfirmDigest of the ceremony) before policyd activated its
	// share; hex.
	ConfirmDigest    string `json:"confirm_digest"`
	ConfirmSignature string `json:"confirm_signature"`
}

func (*Keygen) Kind() string { return KindKeygen }
func (*Keygen) Version() int { return 1 }
func (k *Keygen) Validate() error {
	return required("session", k.Session, "pubkey", k.PubKey, "confirm_digest", k.ConfirmDigest, "confirm_signature", k.ConfirmSignature)
}

// Reshare is a completed resharing (mpc.ReshareRecord).
type Reshare struct {
	Ceremony         string   `json:"ceremony"`
	Session          string   `json:"session"`
	PubKey           string   `json:"pubkey"`
	Address          string   `json:"address"`
	Network          string   `json:"network"`
	OldParties       []string `json:"old_parties"`
	NewParties       []string `json:"new_parties"`
	Threshold        int      `json:"threshold"`
	OldEpoch         int      `json:"old_epoch"`
	NewEpoch         int      `json:"new_epoch"`
	Self             string   `json:"self"`
	ConfirmDigest    string   `json:"confirm_digest"`
	ConfirmSignature string   `json:"confirm_signature"` // DER || SIGHASH_ALL, by the new shares
}

func (*Reshare) Kind() string { return KindReshare }
func (*Reshare) Version() int { return 1 }
func (r *Reshare) Validate() error {
	return required("ceremony", r.Ceremony, "session", r.Session, "pubkey", r.PubKey, "confirm_digest", r.ConfirmDigest, "confirm_signature", r.ConfirmSignature)
}

// ---- governance (package governance; its stored types are these) ----

// ProposalContent is what a proposer signs (governance.ProposalContent).
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

// Approval is a security admin's approval (governance.ApprovalRecord).
type Approval struct {
	Signer    string    `json:"signer"`
	Expiry    int64     `json:"expiry"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// Rejection is a stored rejection (governance.RejectionRecord).
type Rejection struct {
	Signer    string    `json:"signer"`
	Reason    string    `json:"reason"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// WhitelistEntry is a whitelist entry (governance.Entry).
type WhitelistEntry struct {
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

// FreezeState is the emergency freeze (governance.FreezeState).
type FreezeState struct {
	Frozen bool      `json:"frozen"`
	Epoch  uint64    `json:"epoch"` // number of unfreezes so far
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at,omitempty"`
}

// Allowance is a plan-redemption allowance (governance.AllowanceRecord).
type Allowance struct {
	ID         string          `json:"id"`
	PlanID     string          `json:"plan_id"`
	AmountSat  int64           `json:"amount_sat"`
	Address    string          `json:"address"`
	PkScript   policy.HexBytes `json:"pk_script"`
	OpenedAt   time.Time       `json:"opened_at"`
	ConsumedBy string          `json:"consumed_by,omitempty"`
	ConsumedAt *time.Time      `json:"consumed_at,omitempty"`
}

// Proposal is a stored proposal (governance.Proposal).
type Proposal struct {
	ID                string          `json:"id"`
	Content           ProposalContent `json:"content"`
	Proposer          string          `json:"proposer"`
	ProposerSignature string          `json:"proposer_signature"`
	CreatedAt         time.Time       `json:"created_at"`
	Status            string          `json:"status"`
	Approvals         []Approval      `json:"approvals"`
	Rejection         *Rejection      `json:"rejection,omitempty"`
	ExecutedAt        *time.Time      `json:"executed_at,omitempty"`
	EffectiveAt       *time.Time      `json:"effective_at,omitempty"`
}

// WhitelistProposal: a proposal was submitted (its stored form).
type WhitelistProposal struct{ Proposal }

func (*WhitelistProposal) Kind() string { return KindWhitelistProposal }
func (*WhitelistProposal) Version() int { return 1 }
func (p *WhitelistProposal) Validate() error {
	return required("id", p.ID, "content.action", p.Content.Action, "proposer", p.Proposer, "proposer_signature", p.ProposerSignature)
}

// WhitelistApproval: an approval; Renews is the expired approval it
// replaces, if any.
type WhitelistApproval struct {
	ProposalID string    `json:"proposal_id"`
	Approval   Approval  `json:"approval"`
	Renews     *Approval `json:"renews,omitempty"`
}

func (*WhitelistApproval) Kind() string { return KindWhitelistApproval }
func (*WhitelistApproval) Version() int { return 1 }
func (a *WhitelistApproval) Validate() error {
	return required("proposal_id", a.ProposalID, "approval.signer", a.Approval.Signer, "approval.signature", a.Approval.Signature)
}

// WhitelistRejection: a proposal was rejected.
type WhitelistRejection struct {
	ProposalID string    `json:"proposal_id"`
	Rejection  Rejection `json:"rejection"`
}

func (*WhitelistRejection) Kind() string { return KindWhitelistRejection }
func (*WhitelistRejection) Version() int { return 1 }
func (r *WhitelistRejection) Validate() error {
	return required("proposal_id", r.ProposalID, "rejection.signer", r.Rejection.Signer, "rejection.signature", r.Rejection.Signature)
}

// Whitelist activation actions: a proposal's action (governance's
// ActionAdd, ActionRemove), or a bootstrap.
const (
	ActivationAdd       = "whitelist_add"
	ActivationRemove    = "whitelist_remove"
	ActivationBootstrap = "bootstrap"
)

// WhitelistActivation: a whitelist change took effect. Action add carries
// ProposalID, Entry and EffectiveAt (Entry.ActiveFrom); remove carries
// ProposalID, EntryKind, Address, Approvers and EffectiveAt; bootstrap
// carries Entries only.
type WhitelistActivation struct {
	Action      string           `json:"action"`
	ProposalID  string           `json:"proposal_id,omitempty"`
	Entry       *WhitelistEntry  `json:"entry,omitempty"`
	Entries     []WhitelistEntry `json:"entries,omitempty"`
	EntryKind   string           `json:"kind,omitempty"`
	Address     string           `json:"address,omitempty"`
	Approvers   []string         `json:"approvers,omitempty"`
	EffectiveAt *time.Time       `json:"effective_at,omitempty"`
}

func (*WhitelistActivation) Kind() string { return KindWhitelistActivation }
func (*WhitelistActivation) Version() int { return 1 }
func (a *WhitelistActivation) Validate() error {
	switch a.Action {
	case ActivationAdd:
		if a.ProposalID == "" || a.Entry == nil || a.EffectiveAt == nil || a.Entries != nil || a.EntryKind != "" || a.Address != "" || a.Approvers != nil {
			return errors.New("add carries exactly proposal_id, entry and effective_at")
		}
	case ActivationRemove:
		if a.ProposalID == "" || a.EntryKind == "" || a.Address == "" || len(a.Approvers) == 0 || a.EffectiveAt == nil || a.Entry != nil || a.Entries != nil {
			return errors.New("remove carries exactly proposal_id, kind, address, approvers and effective_at")
		}
	case ActivationBootstrap:
		if len(a.Entries) == 0 || a.ProposalID != "" || a.Entry != nil || a.EntryKind != "" || a.Address != "" || a.Approvers != nil || a.EffectiveAt != nil {
			return errors.New("bootstrap carries exactly entries")
		}
	default:
		return fmt.Errorf("action %q", a.Action)
	}
	return nil
}

// Freeze: a Bitlayer admin froze signing (nonce, expiry and signature of
// the signed request).
type Freeze struct {
	State     FreezeState `json:"state"`
	Nonce     string      `json:"nonce"`
	Expiry    int64       `json:"expiry"`
	Signature string      `json:"signature"`
}

func (*Freeze) Kind() string { return KindFreeze }
func (*Freeze) Version() int { return 1 }
func (f *Freeze) Validate() error {
	if !f.State.Frozen {
		return errors.New("state.frozen must be true")
	}
	return required("nonce", f.Nonce, "signature", f.Signature)
}

// Unfreeze: a quorum unfroze signing.
type Unfreeze struct {
	ProposalID string      `json:"proposal_id"`
	Approvers  []string    `json:"approvers"`
	Previous   FreezeState `json:"previous"`
	State      FreezeState `json:"state"`
}

func (*Unfreeze) Kind() string { return KindUnfreeze }
func (*Unfreeze) Version() int { return 1 }
func (u *Unfreeze) Validate() error {
	if u.State.Frozen {
		return errors.New("state.frozen must be false")
	}
	return required("proposal_id", u.ProposalID)
}

// AllowanceOpen: a quorum opened an allowance.
type AllowanceOpen struct {
	ProposalID string    `json:"proposal_id"`
	Allowance  Allowance `json:"allowance"`
	Approvers  []string  `json:"approvers"`
}

func (*AllowanceOpen) Kind() string { return KindAllowanceOpen }
func (*AllowanceOpen) Version() int { return 1 }
func (a *AllowanceOpen) Validate() error {
	return required("proposal_id", a.ProposalID, "allowance.id", a.Allowance.ID)
}

// DecisionRevokeRequest: an admin's signed revoke request, authenticated
// (the revocation itself is the decision_revoke record).
type DecisionRevokeRequest struct {
	DecisionID string `json:"decision_id"`
	Admin      string `json:"admin"`
	Reason     string `json:"reason"`
	Nonce      string `json:"nonce"`
	Expiry     int64  `json:"expiry"`
	Signature  string `json:"signature"`
}

func (*DecisionRevokeRequest) Kind() string { return KindDecisionRevokeRequest }
func (*DecisionRevokeRequest) Version() int { return 1 }
func (r *DecisionRevokeRequest) Validate() error {
	return required("decision_id", r.DecisionID, "admin", r.Admin, "nonce", r.Nonce, "signature", r.Signature)
}

// SystemFreeze: policyd froze signing itself on evidence only an admin may
// judge (an unexplained wallet spend, an L2 contract upgrade or role change,
// a log rollback). AlreadyFrozen: the state was left as it was, the alarm
// is recorded all the same.
type SystemFreeze struct {
	Source        string         `json:"source"` // the detector: l1, l2, audit
	Reason        string         `json:"reason"`
	Evidence      FreezeEvidence `json:"evidence"`
	AlreadyFrozen bool           `json:"already_frozen"`
	State         FreezeState    `json:"state"`
}

// FreezeEvidence is what the detector saw: the L2 trust events (l2), the
// log rollback (audit), or named values (txid, block hash) for the others.
type FreezeEvidence struct {
	TrustEvents []TrustEvent      `json:"trust_events,omitempty"`
	Rollback    *Rollback         `json:"rollback,omitempty"`
	Values      map[string]string `json:"values,omitempty"`
}

// Rollback is the evidence of a log smaller than (or forked from) a
// checkpoint its witnesses cosigned.
type Rollback struct {
	LocalSize    uint64   `json:"local_size"`
	CosignedSize uint64   `json:"cosigned_size"`
	Fork         bool     `json:"fork"`
	Cosigned     string   `json:"cosigned_checkpoint"` // the cosigned note, if known
	Cosigners    []string `json:"cosigners"`           // sorted
}

// TrustEvent is an event of the watched L2 contract that changes what it
// is or who controls it (l2.TrustEvent; hashes, addresses and data as 0x
// hex).
type TrustEvent struct {
	Seq         uint64    `json:"seq"`
	Name        string    `json:"name"`
	Topic0      string    `json:"topic0"`
	Topics      []string  `json:"topics"`
	Data        string    `json:"data"`
	Contract    string    `json:"contract"`
	BlockNumber uint64    `json:"block_number"`
	BlockHash   string    `json:"block_hash"`
	TxHash      string    `json:"tx_hash"`
	LogIndex    uint      `json:"log_index"`
	SeenAt      time.Time `json:"seen_at"`
}

func (*SystemFreeze) Kind() string { return KindSystemFreeze }
func (*SystemFreeze) Version() int { return 1 }
func (f *SystemFreeze) Validate() error {
	if !f.State.Frozen {
		return errors.New("state.frozen must be true")
	}
	return required("source", f.Source, "reason", f.Reason)
}
