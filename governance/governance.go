// Package governance keeps the dedicated wallet's whitelist and the emergency
// freeze, and changes them only through EIP-712 signed governance actions:
// proposals (whitelist add/remove, unfreeze, plan-redemption allowances),
// approvals by a quorum k of m Bitlayer security admins, rejections, and a
// single-admin freeze.
//
// Trust model: governance trusts its Config (the admin address sets, the
// quorum, the EIP-712 domain, the Bitcoin network, the clock) and the bbolt
// file. It trusts nothing in a request: every write carries a signature whose
// signer is recovered from the EIP-712 digest of data rebuilt here from the
// request's fields and the configured domain (name, version, chain id, and the
// dedicated wallet id as salt), so a signature made for another deployment,
// chain or wallet recovers a different address and is refused.
//
// Guarantees: every change and its audit event (Config.Audit.Append) commit in
// one bbolt transaction, or neither does. A proposal executes at most once
// (bbolt serializes writers and the status is checked inside the writer). An
// addition is active only once quorum was reached AND the timelock has passed;
// removals, unfreezes and allowances take effect at quorum. Reads for the
// policy engine run inside the caller's transaction (Snapshot, Whitelist,
// Frozen, OpenAllowances), and ConsumeAllowance marks an allowance used once.
package governance

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// Appender is the audit log as governance uses it: Append adds one event
// inside the caller's transaction. package audit's *Log implements it.
type Appender interface {
	Append(tx *bolt.Tx, kind string, at time.Time, body any) (uint64, error)
}

// DB is the store as governance uses it; *storage.DB implements it.
type DB interface {
	Update(fn func(*bolt.Tx) error) error
	View(fn func(*bolt.Tx) error) error
}

// Audit event kinds.
const (
	EventProposal   = "whitelist_proposal"
	EventApproval   = "whitelist_approval"
	EventRejection  = "whitelist_rejection"
	EventActivation = "whitelist_activation"
	EventFreeze     = "freeze"
	EventUnfreeze   = "unfreeze"
	EventAllowance  = "allowance_open"
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

// DefaultTimelock is the delay between quorum and activation of an addition.
const DefaultTimelock = 24 * time.Hour

// Config configures New.
type Config struct {
	DB    DB
	Audit Appender
	// Net is the Bitcoin network addresses must belong to.
	Net *chaincfg.Params
	// Domain binds every signature to this deployment, chain and wallet.
	Domain Domain
	// BitlayerAdmins are the security admins: they approve (quorum), reject,
	// freeze, and may propose.
	BitlayerAdmins []common.Address
	// ProjectAdmins may propose only.
	ProjectAdmins []common.Address
	// Quorum is k in k-of-len(BitlayerAdmins).
	Quorum int
	// Timelock delays additions after quorum. Zero means DefaultTimelock
	// unless NoTimelock is set (dev mode).
	Timelock   time.Duration
	NoTimelock bool
	// MaxSignatureTTL bounds how far in the future an approval, rejection or
	// freeze may expire (default 7 days); MaxProposalTTL does the same for
	// proposals (default 30 days).
	MaxSignatureTTL time.Duration
	MaxProposalTTL  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Governance is the whitelist and freeze state machine.
type Governance struct {
	cfg      Config
	bitlayer map[common.Address]bool
	project  map[common.Address]bool
	timelock time.Duration
}

// New validates cfg.
func New(cfg Config) (*Governance, error) {
	if cfg.DB == nil || cfg.Audit == nil || cfg.Net == nil {
		return nil, errors.New("governance: Config needs DB, Audit and Net")
	}
	if cfg.Domain.Name == "" || cfg.Domain.Version == "" || cfg.Domain.ChainID <= 0 || cfg.Domain.WalletID == "" {
		return nil, errors.New("governance: Config.Domain needs name, version, chain id and wallet id")
	}
	g := &Governance{cfg: cfg, bitlayer: map[common.Address]bool{}, project: map[common.Address]bool{}}
	for _, a := range cfg.BitlayerAdmins {
		if a == (common.Address{}) {
			return nil, errors.New("governance: zero Bitlayer admin address")
		}
		g.bitlayer[a] = true
	}
	for _, a := range cfg.ProjectAdmins {
		if a == (common.Address{}) {
			return nil, errors.New("governance: zero project admin address")
		}
		g.project[a] = true
	}
	if len(g.bitlayer) == 0 || cfg.Quorum < 1 || cfg.Quorum > len(g.bitlayer) {
		return nil, fmt.Errorf("governance: quorum %d of %d Bitlayer admins is impossible", cfg.Quorum, len(g.bitlayer))
	}
	g.timelock = cfg.Timelock
	if cfg.NoTimelock {
		g.timelock = 0
	} else if g.timelock == 0 {
		g.timelock = DefaultTimelock
	}
	if g.timelock < 0 {
		return nil, errors.New("governance: negative timelock")
	}
	if g.cfg.MaxSignatureTTL <= 0 {
		g.cfg.MaxSignatureTTL = 7 * 24 * time.Hour
	}
	if g.cfg.MaxProposalTTL <= 0 {
		g.cfg.MaxProposalTTL = 30 * 24 * time.Hour
	}
	if g.cfg.Now == nil {
		g.cfg.Now = time.Now
	}
	return g, nil
}

// Domain is the EIP-712 domain clients must sign for.
func (g *Governance) Domain() Domain { return g.cfg.Domain }

// Quorum returns k and m.
func (g *Governance) Quorum() (k, m int) { return g.cfg.Quorum, len(g.bitlayer) }

// Timelock is the effective addition timelock.
func (g *Governance) Timelock() time.Duration { return g.timelock }

func (g *Governance) now() time.Time { return g.cfg.Now().UTC() }

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

// Sentinel errors; the API sees them wrapped in *errs.Error.
var (
	ErrInvalid           = errors.New("governance: invalid request")
	ErrBadSignature      = errors.New("governance: malformed signature")
	ErrNotAuthorized     = errors.New("governance: signer is not authorized")
	ErrExpired           = errors.New("governance: signature expired")
	ErrExpiryTooFar      = errors.New("governance: expiry too far in the future")
	ErrProposalNotFound  = errors.New("governance: proposal not found")
	ErrProposalExists    = errors.New("governance: proposal exists")
	ErrNotPending        = errors.New("governance: proposal is not pending")
	ErrDuplicateApproval = errors.New("governance: signer already approved")
	ErrEntryExists       = errors.New("governance: entry exists")
	ErrEntryNotFound     = errors.New("governance: entry not found")
	ErrFrozen            = errors.New("governance: already frozen")
	ErrNotFrozen         = errors.New("governance: not frozen")
	ErrEpoch             = errors.New("governance: freeze epoch mismatch")
	ErrNonceUsed         = errors.New("governance: nonce already used")
	ErrNotEmpty          = errors.New("governance: whitelist is not empty")
	ErrAllowanceNotFound = errors.New("governance: allowance not found")
	ErrAllowanceUsed     = errors.New("governance: allowance already used")
)

func fail(kind errs.Kind, code string, sentinel error, format string, a ...any) error {
	return errs.New(kind, code, fmt.Sprintf(format, a...), sentinel)
}

func invalid(format string, a ...any) error {
	return fail(errs.KindInvalid, "invalid_request", ErrInvalid, format, a...)
}

func notAuthorized(role string) error {
	return fail(errs.KindForbidden, "not_authorized", ErrNotAuthorized,
		"signer is not a %s (or the signature is over other data or another domain)", role)
}

// --- storage keys ---

var (
	keyFreeze     = []byte("freeze")
	keyChangeSeq  = []byte("change_seq")
	prefixChange  = []byte("change/")
	prefixNonce   = []byte("freeze_nonce/")
	prefixConsume = []byte("consumed/")
)

func entryKey(kind, addr string) []byte { return []byte(kind + "\x00" + addr) }

func buckets(tx *bolt.Tx) (wl, props, gov, allow *bolt.Bucket, err error) {
	wl, props = tx.Bucket(storage.BucketWhitelist), tx.Bucket(storage.BucketWhitelistProposals)
	gov, allow = tx.Bucket(storage.BucketGovernance), tx.Bucket(storage.BucketAllowances)
	if wl == nil || props == nil || gov == nil || allow == nil {
		return nil, nil, nil, nil, errors.New("governance: buckets missing (storage not migrated)")
	}
	return wl, props, gov, allow, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("governance: corrupt record %q: %w", k, err)
	}
	return true, nil
}

// --- validation ---

// Destination kinds carry a Bitcoin address; key kinds a public key.
var (
	destinationKinds = map[string]bool{policy.KindBridgeHotWallet: true, policy.KindStakingDestination: true}
	keyKinds         = map[string]bool{policy.KindBabylonStakerKey: true, policy.KindFinalityProvider: true, policy.KindCovenantKey: true}
)

// NormalizeEntry validates an entry's address for kind and the configured
// network and returns the canonical address string, its pkScript (for
// destinations) and its key bytes (for key kinds).
func (g *Governance) NormalizeEntry(kind, addr string) (canon string, pkScript, pubKey []byte, err error) {
	switch {
	case destinationKinds[kind]:
		a, derr := btcutil.DecodeAddress(addr, g.cfg.Net)
		if derr != nil {
			return "", nil, nil, invalid("address %q is not a valid %s address", clip(addr), g.cfg.Net.Name)
		}
		if !a.IsForNet(g.cfg.Net) {
			return "", nil, nil, invalid("address %q is not for %s", clip(addr), g.cfg.Net.Name)
		}
		script, serr := txscript.PayToAddrScript(a)
		if serr != nil {
			return "", nil, nil, invalid("address %q has no standard script", clip(addr))
		}
		return a.EncodeAddress(), script, nil, nil
	case keyKinds[kind]:
		raw, herr := hex.DecodeString(strings.TrimPrefix(addr, "0x"))
		if herr != nil {
			return "", nil, nil, invalid("key must be hex")
		}
		switch len(raw) {
		case 32:
			if _, perr := schnorr.ParsePubKey(raw); perr != nil {
				return "", nil, nil, invalid("not an x-only public key")
			}
		case 33:
			if _, perr := btcec.ParsePubKey(raw); perr != nil || (raw[0] != 2 && raw[0] != 3) {
				return "", nil, nil, invalid("not a compressed public key")
			}
		default:
			return "", nil, nil, invalid("key must be 32 (x-only) or 33 (compressed) bytes")
		}
		return hex.EncodeToString(raw), nil, raw, nil
	default:
		return "", nil, nil, invalid("unknown entry kind %q", clip(kind))
	}
}

func clip(s string) string {
	if len(s) > 96 {
		return s[:96] + "…"
	}
	return s
}

func (g *Governance) checkExpiry(expiry int64, now time.Time, max time.Duration) error {
	if expiry <= now.Unix() {
		return fail(errs.KindForbidden, "signature_expired", ErrExpired, "the signed expiry has passed")
	}
	if expiry > now.Add(max).Unix() {
		return fail(errs.KindInvalid, "expiry_too_far", ErrExpiryTooFar, "expiry is more than %s ahead", max)
	}
	return nil
}

func checkText(name, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return invalid("%s must be %d..%d bytes", name, min, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalid("%s has control characters", name)
		}
	}
	return nil
}

const maxSat = 21_000_000 * 100_000_000

// validateContent checks a proposal's fields against its action, without
// reading state.
func (g *Governance) validateContent(p ProposalContent) error {
	if err := checkText("nonce", p.Nonce, 1, 128); err != nil {
		return err
	}
	if err := checkText("label", p.Label, 0, 256); err != nil {
		return err
	}
	if err := checkText("plan_id", p.PlanID, 0, 128); err != nil {
		return err
	}
	if p.AmountSat < 0 {
		return invalid("negative amount")
	}
	switch p.Action {
	case ActionAdd, ActionRemove:
		if p.PlanID != "" || p.AmountSat != 0 || p.FreezeEpoch != 0 {
			return invalid("%s takes entry_kind, address, label only", p.Action)
		}
		if p.Action == ActionRemove && p.Label != "" {
			return invalid("whitelist_remove takes no label")
		}
		_, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		return err
	case ActionUnfreeze:
		if p.EntryKind != "" || p.Address != "" || p.Label != "" || p.PlanID != "" || p.AmountSat != 0 {
			return invalid("unfreeze takes freeze_epoch only")
		}
		return nil
	case ActionAllowance:
		if p.EntryKind != "" || p.Label != "" || p.FreezeEpoch != 0 {
			return invalid("allowance_open takes plan_id, amount_sat, address only")
		}
		if p.PlanID == "" || p.AmountSat <= 0 || p.AmountSat > maxSat {
			return invalid("allowance_open needs a plan_id and 0 < amount_sat <= 21e14")
		}
		_, _, _, err := g.NormalizeEntry(policy.KindBridgeHotWallet, p.Address)
		return err
	default:
		return invalid("unknown action %q", clip(p.Action))
	}
}

// --- writes ---

// Propose verifies the proposer's signature and stores the proposal. Its id
// is the EIP-712 digest of the content (which includes the proposer's nonce).
func (g *Governance) Propose(ctx context.Context, sp SignedProposal) (*Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := g.now()
	p := sp.Proposal
	if err := g.validateContent(p); err != nil {
		return nil, err
	}
	if p.Expiry <= now.Unix() {
		return nil, fail(errs.KindForbidden, "signature_expired", ErrExpired, "the proposal's expiry has passed")
	}
	if p.Expiry > now.Add(g.cfg.MaxProposalTTL).Unix() {
		return nil, fail(errs.KindInvalid, "expiry_too_far", ErrExpiryTooFar, "expiry is more than %s ahead", g.cfg.MaxProposalTTL)
	}
	td := ProposalTypedData(g.cfg.Domain, p)
	digest, err := Digest(td)
	if err != nil {
		return nil, invalid("proposal does not encode")
	}
	signer, err := recoverSigner(td, sp.Signature)
	if err != nil {
		return nil, fail(errs.KindInvalid, "bad_signature", ErrBadSignature, "signature is malformed")
	}
	if !g.bitlayer[signer] && !g.project[signer] {
		return nil, notAuthorized("proposer")
	}
	id := "0x" + hex.EncodeToString(digest)
	rec := &Proposal{ID: id, Content: p, Proposer: signer.Hex(), ProposerSignature: sp.Signature,
		CreatedAt: now, Status: StatusPending, Approvals: []ApprovalRecord{}}
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		wl, props, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		if props.Get([]byte(id)) != nil {
			return fail(errs.KindConflict, "proposal_exists", ErrProposalExists, "this proposal (same content and nonce) was already submitted")
		}
		if err := g.checkState(wl, gov, p, now); err != nil {
			return err
		}
		if err := putJSON(props, []byte(id), rec); err != nil {
			return err
		}
		_, err = g.cfg.Audit.Append(tx, EventProposal, now, rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// checkState checks that a proposal still makes sense against the store.
func (g *Governance) checkState(wl, gov *bolt.Bucket, p ProposalContent, now time.Time) error {
	switch p.Action {
	case ActionAdd:
		canon, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		if err != nil {
			return err
		}
		if wl.Get(entryKey(p.EntryKind, canon)) != nil {
			return fail(errs.KindConflict, "entry_exists", ErrEntryExists, "the entry is already on the whitelist")
		}
	case ActionRemove:
		canon, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		if err != nil {
			return err
		}
		if wl.Get(entryKey(p.EntryKind, canon)) == nil {
			return fail(errs.KindConflict, "entry_not_found", ErrEntryNotFound, "the entry is not on the whitelist")
		}
	case ActionUnfreeze:
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		if !fs.Frozen {
			return fail(errs.KindConflict, "not_frozen", ErrNotFrozen, "signing is not frozen")
		}
		if fs.Epoch != p.FreezeEpoch {
			return fail(errs.KindConflict, "freeze_epoch_mismatch", ErrEpoch, "freeze epoch is %d", fs.Epoch)
		}
	case ActionAllowance:
		canon, _, _, err := g.NormalizeEntry(policy.KindBridgeHotWallet, p.Address)
		if err != nil {
			return err
		}
		var e Entry
		ok, err := getJSON(wl, entryKey(policy.KindBridgeHotWallet, canon), &e)
		if err != nil {
			return err
		}
		if !ok || now.Before(e.ActiveFrom) {
			return fail(errs.KindConflict, "entry_not_found", ErrEntryNotFound, "an allowance must pay an active bridge_hot_wallet entry")
		}
	}
	return nil
}

func loadProposal(props *bolt.Bucket, id string) (*Proposal, error) {
	var p Proposal
	ok, err := getJSON(props, []byte(id), &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail(errs.KindNotFound, "proposal_not_found", ErrProposalNotFound, "no such proposal")
	}
	return &p, nil
}

func validID(id string) bool {
	if len(id) != 66 || !strings.HasPrefix(id, "0x") {
		return false
	}
	_, err := hex.DecodeString(id[2:])
	return err == nil && strings.ToLower(id) == id
}

// Approve records a security admin's approval; the approval that completes
// the quorum executes the proposal in the same transaction.
func (g *Governance) Approve(ctx context.Context, id string, a Approval) (*Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	now := g.now()
	if err := g.checkExpiry(a.Expiry, now, g.cfg.MaxSignatureTTL); err != nil {
		return nil, err
	}
	signer, err := recoverSigner(ApprovalTypedData(g.cfg.Domain, id, a.Expiry), a.Signature)
	if err != nil {
		return nil, fail(errs.KindInvalid, "bad_signature", ErrBadSignature, "signature is malformed")
	}
	if !g.bitlayer[signer] {
		return nil, notAuthorized("Bitlayer security admin")
	}
	var out *Proposal
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		wl, props, gov, allow, err := buckets(tx)
		if err != nil {
			return err
		}
		p, err := loadProposal(props, id)
		if err != nil {
			return err
		}
		if err := pendingCheck(p, now); err != nil {
			return err
		}
		for _, ap := range p.Approvals {
			if ap.Signer == signer.Hex() {
				return fail(errs.KindConflict, "duplicate_approval", ErrDuplicateApproval, "this admin already approved the proposal")
			}
		}
		rec := ApprovalRecord{Signer: signer.Hex(), Expiry: a.Expiry, Signature: a.Signature, At: now}
		p.Approvals = append(p.Approvals, rec)
		if _, err := g.cfg.Audit.Append(tx, EventApproval, now, map[string]any{"proposal_id": id, "approval": rec}); err != nil {
			return err
		}
		if valid := validApprovals(p, now); len(valid) >= g.cfg.Quorum {
			if err := g.execute(tx, wl, gov, allow, p, valid, now); err != nil {
				return err
			}
		}
		out = p
		return putJSON(props, []byte(id), p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func pendingCheck(p *Proposal, now time.Time) error {
	if p.Status != StatusPending {
		return fail(errs.KindConflict, "proposal_not_pending", ErrNotPending, "the proposal is %s", p.Status)
	}
	if now.Unix() >= p.Content.Expiry {
		return fail(errs.KindConflict, "proposal_expired", ErrNotPending, "the proposal expired")
	}
	return nil
}

// validApprovals are the approvals still unexpired at now: quorum counts only
// those.
func validApprovals(p *Proposal, now time.Time) []string {
	var out []string
	for _, a := range p.Approvals {
		if a.Expiry > now.Unix() {
			out = append(out, a.Signer)
		}
	}
	return out
}

// execute applies a proposal that reached quorum.
func (g *Governance) execute(tx *bolt.Tx, wl, gov, allow *bolt.Bucket, p *Proposal, approvers []string, now time.Time) error {
	if err := g.checkState(wl, gov, p.Content, now); err != nil {
		return err
	}
	c := p.Content
	effective := now
	var event any
	kind := EventActivation
	switch c.Action {
	case ActionAdd:
		canon, script, pub, _ := g.NormalizeEntry(c.EntryKind, c.Address)
		effective = now.Add(g.timelock)
		e := Entry{Kind: c.EntryKind, Address: canon, PkScript: script, PubKey: pub, Label: c.Label,
			Approvers: approvers, ProposalID: p.ID, Since: now, ActiveFrom: effective}
		if err := putJSON(wl, entryKey(c.EntryKind, canon), e); err != nil {
			return err
		}
		if err := addChange(gov, effective); err != nil {
			return err
		}
		event = map[string]any{"proposal_id": p.ID, "action": c.Action, "entry": e, "effective_at": effective}
	case ActionRemove:
		canon, _, _, _ := g.NormalizeEntry(c.EntryKind, c.Address)
		if err := wl.Delete(entryKey(c.EntryKind, canon)); err != nil {
			return err
		}
		if err := addChange(gov, now); err != nil {
			return err
		}
		event = map[string]any{"proposal_id": p.ID, "action": c.Action, "kind": c.EntryKind, "address": canon, "approvers": approvers, "effective_at": now}
	case ActionUnfreeze:
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		prev := fs
		fs = FreezeState{Frozen: false, Epoch: fs.Epoch + 1, By: strings.Join(approvers, ","), Reason: "unfreeze " + p.ID, At: now}
		if err := putJSON(gov, keyFreeze, fs); err != nil {
			return err
		}
		kind = EventUnfreeze
		event = map[string]any{"proposal_id": p.ID, "approvers": approvers, "previous": prev, "state": fs}
	case ActionAllowance:
		canon, script, _, _ := g.NormalizeEntry(policy.KindBridgeHotWallet, c.Address)
		a := AllowanceRecord{ID: p.ID, PlanID: c.PlanID, AmountSat: c.AmountSat, Address: canon, PkScript: script, OpenedAt: now}
		if err := putJSON(allow, []byte(p.ID), a); err != nil {
			return err
		}
		kind = EventAllowance
		event = map[string]any{"proposal_id": p.ID, "allowance": a, "approvers": approvers}
	}
	p.Status = StatusExecuted
	p.ExecutedAt = &now
	p.EffectiveAt = &effective
	_, err := g.cfg.Audit.Append(tx, kind, now, event)
	return err
}

func addChange(gov *bolt.Bucket, effective time.Time) error {
	var seq uint64
	if raw := gov.Get(keyChangeSeq); len(raw) == 8 {
		seq = binary.BigEndian.Uint64(raw)
	}
	seq++
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := gov.Put(keyChangeSeq, k[:]); err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(effective.UnixNano()))
	return gov.Put(append(append([]byte(nil), prefixChange...), k[:]...), v[:])
}

// Reject cancels a pending proposal; any Bitlayer admin may.
func (g *Governance) Reject(ctx context.Context, id string, r Rejection) (*Proposal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	if err := checkText("reason", r.Reason, 0, 512); err != nil {
		return nil, err
	}
	now := g.now()
	if err := g.checkExpiry(r.Expiry, now, g.cfg.MaxSignatureTTL); err != nil {
		return nil, err
	}
	signer, err := recoverSigner(RejectionTypedData(g.cfg.Domain, id, r.Reason, r.Expiry), r.Signature)
	if err != nil {
		return nil, fail(errs.KindInvalid, "bad_signature", ErrBadSignature, "signature is malformed")
	}
	if !g.bitlayer[signer] {
		return nil, notAuthorized("Bitlayer admin")
	}
	var out *Proposal
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		p, err := loadProposal(props, id)
		if err != nil {
			return err
		}
		if err := pendingCheck(p, now); err != nil {
			return err
		}
		p.Status = StatusRejected
		p.Rejection = &RejectionRecord{Signer: signer.Hex(), Reason: r.Reason, Signature: r.Signature, At: now}
		if _, err := g.cfg.Audit.Append(tx, EventRejection, now, map[string]any{"proposal_id": id, "rejection": p.Rejection}); err != nil {
			return err
		}
		out = p
		return putJSON(props, []byte(id), p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Freeze stops all signing on one Bitlayer admin's signature.
func (g *Governance) Freeze(ctx context.Context, f FreezeRequest) (FreezeState, error) {
	if err := ctx.Err(); err != nil {
		return FreezeState{}, err
	}
	if err := checkText("nonce", f.Nonce, 1, 128); err != nil {
		return FreezeState{}, err
	}
	if err := checkText("reason", f.Reason, 0, 512); err != nil {
		return FreezeState{}, err
	}
	now := g.now()
	if err := g.checkExpiry(f.Expiry, now, g.cfg.MaxSignatureTTL); err != nil {
		return FreezeState{}, err
	}
	signer, err := recoverSigner(FreezeTypedData(g.cfg.Domain, f.Reason, f.Epoch, f.Nonce, f.Expiry), f.Signature)
	if err != nil {
		return FreezeState{}, fail(errs.KindInvalid, "bad_signature", ErrBadSignature, "signature is malformed")
	}
	if !g.bitlayer[signer] {
		return FreezeState{}, notAuthorized("Bitlayer admin")
	}
	var out FreezeState
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		_, _, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		nk := append(append([]byte(nil), prefixNonce...), f.Nonce...)
		if gov.Get(nk) != nil {
			return fail(errs.KindConflict, "nonce_used", ErrNonceUsed, "this freeze nonce was already used")
		}
		if fs.Epoch != f.Epoch {
			return fail(errs.KindConflict, "freeze_epoch_mismatch", ErrEpoch, "freeze epoch is %d", fs.Epoch)
		}
		if fs.Frozen {
			return fail(errs.KindConflict, "already_frozen", ErrFrozen, "signing is already frozen")
		}
		if err := gov.Put(nk, []byte{1}); err != nil {
			return err
		}
		out = FreezeState{Frozen: true, Epoch: fs.Epoch, By: signer.Hex(), Reason: f.Reason, At: now}
		if err := putJSON(gov, keyFreeze, out); err != nil {
			return err
		}
		_, err = g.cfg.Audit.Append(tx, EventFreeze, now, map[string]any{"state": out, "nonce": f.Nonce, "expiry": f.Expiry, "signature": f.Signature})
		return err
	})
	return out, err
}

// Bootstrap seeds an empty whitelist with entries active at once (dev mode
// and first deployment: the bridge hot wallet must exist from day one). It
// refuses when the whitelist or the proposal list is not empty.
func (g *Governance) Bootstrap(ctx context.Context, entries []EntryInput) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(entries) == 0 {
		return invalid("nothing to bootstrap")
	}
	now := g.now()
	var out []Entry
	seen := map[string]bool{}
	for _, in := range entries {
		canon, script, pub, err := g.NormalizeEntry(in.Kind, in.Address)
		if err != nil {
			return err
		}
		if err := checkText("label", in.Label, 0, 256); err != nil {
			return err
		}
		k := string(entryKey(in.Kind, canon))
		if seen[k] {
			return invalid("duplicate bootstrap entry")
		}
		seen[k] = true
		out = append(out, Entry{Kind: in.Kind, Address: canon, PkScript: script, PubKey: pub, Label: in.Label,
			Approvers: []string{"bootstrap"}, Since: now, ActiveFrom: now})
	}
	return g.cfg.DB.Update(func(tx *bolt.Tx) error {
		wl, props, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		if k, _ := wl.Cursor().First(); k != nil {
			return fail(errs.KindConflict, "whitelist_not_empty", ErrNotEmpty, "bootstrap needs an empty whitelist")
		}
		if k, _ := props.Cursor().First(); k != nil {
			return fail(errs.KindConflict, "whitelist_not_empty", ErrNotEmpty, "bootstrap needs no prior proposals")
		}
		for _, e := range out {
			if err := putJSON(wl, entryKey(e.Kind, e.Address), e); err != nil {
				return err
			}
			if err := addChange(gov, now); err != nil {
				return err
			}
		}
		_, err = g.cfg.Audit.Append(tx, EventActivation, now, map[string]any{"bootstrap": true, "entries": out})
		return err
	})
}

// ConsumeAllowance marks an open allowance used by decisionID, inside the
// decision's transaction. It fails if the allowance is missing or used.
func (g *Governance) ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error {
	if decisionID == "" {
		return invalid("empty decision id")
	}
	_, _, _, allow, err := buckets(tx)
	if err != nil {
		return err
	}
	var a AllowanceRecord
	ok, err := getJSON(allow, []byte(allowanceID), &a)
	if err != nil {
		return err
	}
	if !ok {
		return fail(errs.KindConflict, "allowance_not_found", ErrAllowanceNotFound, "no such allowance")
	}
	if a.ConsumedBy != "" {
		return fail(errs.KindConflict, "allowance_used", ErrAllowanceUsed, "the allowance was already used")
	}
	now := g.now()
	a.ConsumedBy, a.ConsumedAt = decisionID, &now
	return putJSON(allow, []byte(allowanceID), a)
}

// --- reads inside a caller's transaction ---

func readFreeze(gov *bolt.Bucket) (FreezeState, error) {
	var fs FreezeState
	_, err := getJSON(gov, keyFreeze, &fs)
	return fs, err
}

// Whitelist is the active whitelist at now: entries whose timelock passed.
// Its Version counts the changes in effect at now (monotonic in time and in
// writes: removals count at quorum, additions when their timelock passes).
func (g *Governance) Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	wl, _, gov, _, err := buckets(tx)
	if err != nil {
		return policy.Whitelist{}, err
	}
	out := policy.Whitelist{Entries: []policy.WhitelistEntry{}}
	err = wl.ForEach(func(k, v []byte) error {
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("governance: corrupt entry %q: %w", k, err)
		}
		if now.Before(e.ActiveFrom) {
			return nil
		}
		out.Entries = append(out.Entries, policy.WhitelistEntry{Kind: e.Kind, Address: e.Address, PkScript: e.PkScript, PubKey: e.PubKey, Label: e.Label})
		return nil
	})
	if err != nil {
		return policy.Whitelist{}, err
	}
	c := gov.Cursor()
	for k, v := c.Seek(prefixChange); k != nil && bytes.HasPrefix(k, prefixChange); k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			out.Version++
		}
	}
	return out, nil
}

// Frozen reports the emergency freeze.
func (g *Governance) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return true, err
	}
	fs, err := readFreeze(gov)
	if err != nil {
		return true, err // fail closed
	}
	return fs.Frozen, nil
}

// OpenAllowances lists the allowances not yet consumed, ordered by id.
func (g *Governance) OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error) {
	all, err := g.allowances(tx)
	if err != nil {
		return nil, err
	}
	out := []policy.Allowance{}
	for _, a := range all {
		if a.ConsumedBy == "" {
			out = append(out, policy.Allowance{ID: a.ID, PlanID: a.PlanID, AmountSat: a.AmountSat, PkScript: a.PkScript})
		}
	}
	return out, nil
}

func (g *Governance) allowances(tx *bolt.Tx) ([]AllowanceRecord, error) {
	_, _, _, allow, err := buckets(tx)
	if err != nil {
		return nil, err
	}
	out := []AllowanceRecord{}
	err = allow.ForEach(func(k, v []byte) error {
		var a AllowanceRecord
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("governance: corrupt allowance %q: %w", k, err)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Snapshot reads everything the policy engine needs, in the caller's tx.
func (g *Governance) Snapshot(tx *bolt.Tx, now time.Time) (Snapshot, error) {
	var s Snapshot
	var err error
	if s.Whitelist, err = g.Whitelist(tx, now); err != nil {
		return s, err
	}
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return s, err
	}
	fs, err := readFreeze(gov)
	if err != nil {
		return s, err
	}
	s.Frozen, s.FreezeEpoch = fs.Frozen, fs.Epoch
	s.Allowances, err = g.OpenAllowances(tx, now)
	return s, err
}

// --- reads for the API ---

// EntryView is an entry with its state at the read time.
type EntryView struct {
	Entry
	Active bool `json:"active"`
}

// WhitelistView is the whole stored whitelist (active and timelocked).
type WhitelistView struct {
	Version uint64      `json:"version"`
	At      time.Time   `json:"at"`
	Entries []EntryView `json:"entries"`
}

// List returns every stored entry, marking those active now.
func (g *Governance) List(ctx context.Context) (WhitelistView, error) {
	now := g.now()
	out := WhitelistView{At: now, Entries: []EntryView{}}
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		w, err := g.Whitelist(tx, now)
		if err != nil {
			return err
		}
		out.Version = w.Version
		wl, _, _, _, _ := buckets(tx)
		return wl.ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out.Entries = append(out.Entries, EntryView{Entry: e, Active: !now.Before(e.ActiveFrom)})
			return nil
		})
	})
	return out, err
}

// Proposals lists proposals, newest first; status filters ("" = all).
func (g *Governance) Proposals(ctx context.Context, status string) ([]Proposal, error) {
	switch status {
	case "", StatusPending, StatusExecuted, StatusRejected, StatusExpired:
	default:
		return nil, invalid("unknown status filter")
	}
	now := g.now()
	out := []Proposal{}
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		return props.ForEach(func(k, v []byte) error {
			var p Proposal
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.Status == StatusPending && now.Unix() >= p.Content.Expiry {
				p.Status = StatusExpired
			}
			if status == "" || p.Status == status {
				out = append(out, p)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}

// Proposal returns one proposal.
func (g *Governance) Proposal(ctx context.Context, id string) (*Proposal, error) {
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	var p *Proposal
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		p, err = loadProposal(props, id)
		return err
	})
	if err == nil && p.Status == StatusPending && g.now().Unix() >= p.Content.Expiry {
		p.Status = StatusExpired
	}
	return p, err
}

// FreezeState reads the freeze state.
func (g *Governance) FreezeState(ctx context.Context) (FreezeState, error) {
	var fs FreezeState
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, _, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		fs, err = readFreeze(gov)
		return err
	})
	return fs, err
}

// Allowances lists every allowance, open and consumed.
func (g *Governance) Allowances(ctx context.Context) ([]AllowanceRecord, error) {
	var out []AllowanceRecord
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		var err error
		out, err = g.allowances(tx)
		return err
	})
	return out, err
}
