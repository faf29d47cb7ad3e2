// Package policy decides whether Bitlayer's key share may sign one
// transaction. Its heart is Evaluate(facts, snapshot, now): a pure function
// (no I/O, no clock of its own, no randomness) that denies unless a rule
// allows and names EVERY rule a transaction fails by a stable reason code.
//
// Trust model: Facts come from psbtcheck (proven amounts, classified outputs,
// sighashes computed by policyd); the Snapshot is read by the decision service
// inside the same bbolt transaction that commits the decision (whitelist,
// freeze state, L2 ledger view, claims, allowances, accounting). Evaluate
// trusts both and nothing else; it never mutates them. Both are
// JSON-serializable so a decision record stores exactly what was evaluated and
// `policyctl audit recheck` can replay it bit for bit.
//
// The rules and their reason codes are documented in docs/policy.md.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"sort"
	"time"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// HexBytes marshals as a lowercase hex JSON string ("" when empty). It is a
// TextMarshaler rather than a json.Marshaler: the bytes are the same, but
// encoding/json does not re-parse and compact a text value, which matters for
// records holding dozens of them.
type HexBytes []byte

func (h HexBytes) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(out, h)
	return out, nil
}

func (h *HexBytes) UnmarshalText(b []byte) error {
	d := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(d, b); err != nil {
		return err
	}
	*h = d
	return nil
}

// Class is an output's class, as psbtcheck names it (a record may carry
// any string; Evaluate denies facts_invalid for a class it does not know).
type Class string

// Output classes.
const (
	ClassChange   Class = Class(psbtcheck.ClassChange)
	ClassOpReturn Class = Class(psbtcheck.ClassOpReturn)
	ClassExternal Class = Class(psbtcheck.ClassExternal)
)

// Input is one verified input as the record keeps it.
type Input struct {
	Index    int      `json:"index"`
	Outpoint string   `json:"outpoint"`
	Value    int64    `json:"value_sat"`
	Sequence uint32   `json:"sequence"`
	Sighash  HexBytes `json:"sighash"`
}

// StakingDecl is what a transaction declares a staking output was built
// from (for instance from BIP371 output fields). The covenant committee and
// quorum always come from the parameters, never from the declaration.
type StakingDecl struct {
	StakerKey         HexBytes   `json:"staker_key"`
	FinalityProviders []HexBytes `json:"finality_providers"`
	StakingTime       uint16     `json:"staking_time"`
	// CovenantKeys and CovenantQuorum, when declared, say which committee
	// the builder used: if they are not the version's, Evaluate names it
	// (staking_covenant_mismatch). The output is rebuilt with the
	// version's committee either way.
	CovenantKeys   []HexBytes `json:"covenant_keys,omitempty"`
	CovenantQuorum int        `json:"covenant_quorum,omitempty"`
}

// Output is one classified output.
type Output struct {
	Index    int          `json:"index"`
	Value    int64        `json:"value_sat"`
	PkScript HexBytes     `json:"pk_script"`
	Address  string       `json:"address,omitempty"`
	Class    Class        `json:"class"`
	Staking  *StakingDecl `json:"staking,omitempty"`
}

// Facts are psbtcheck's facts in a serializable form.
type Facts struct {
	TxID        string   `json:"txid"`
	PSBTHash    HexBytes `json:"psbt_hash"`
	Inputs      []Input  `json:"inputs"`
	Outputs     []Output `json:"outputs"`
	HasOpReturn bool     `json:"has_op_return"`
	// ReqIDs are the OP_RETURN ids as decimal strings, in the order written.
	ReqIDs      []string `json:"req_ids,omitempty"`
	InputTotal  int64    `json:"input_total_sat"`
	OutputTotal int64    `json:"output_total_sat"`
	Fee         int64    `json:"fee_sat"`
	VSize       int64    `json:"vsize"`
	FeeRate     int64    `json:"fee_rate_sat_vb"`
	// StrayStakingDecls are indexes the caller declared staking parameters
	// for that name no output of the transaction (see AttachStakingDecls).
	StrayStakingDecls []int `json:"stray_staking_decls,omitempty"`
}

// AttachStakingDecls returns f with the declared staking parameters (by
// output index, as the custody node sends them next to the PSBT) attached to
// the outputs they name; indexes that name no output are kept in
// StrayStakingDecls. It does not judge them: Evaluate denies
// staking_decl_invalid for a declaration on anything but an external output.
// f itself is not modified.
func AttachStakingDecls(f Facts, decls map[int]StakingDecl) Facts {
	if len(decls) == 0 {
		return f
	}
	f.Outputs = append([]Output(nil), f.Outputs...)
	byIndex := make(map[int]int, len(f.Outputs))
	for i, o := range f.Outputs {
		byIndex[o.Index] = i
	}
	f.StrayStakingDecls = nil
	for idx, d := range decls {
		i, ok := byIndex[idx]
		if !ok {
			f.StrayStakingDecls = append(f.StrayStakingDecls, idx)
			continue
		}
		d := d
		f.Outputs[i].Staking = &d
	}
	sort.Ints(f.StrayStakingDecls)
	return f
}

// FactsFrom converts psbtcheck's facts.
func FactsFrom(f *psbtcheck.Facts) Facts {
	out := Facts{
		TxID:        f.UnsignedTxID.String(),
		PSBTHash:    append(HexBytes(nil), f.PSBTHash[:]...),
		HasOpReturn: f.HasOpReturn,
		InputTotal:  f.InputTotal,
		OutputTotal: f.OutputTotal,
		Fee:         f.Fee,
		VSize:       f.VSize,
		FeeRate:     f.FeeRate,
	}
	for _, in := range f.Inputs {
		out.Inputs = append(out.Inputs, Input{Index: in.Index, Outpoint: in.OutpointStr, Value: in.Value, Sequence: in.Sequence, Sighash: append(HexBytes(nil), in.Sighash[:]...)})
	}
	for _, o := range f.Outputs {
		out.Outputs = append(out.Outputs, Output{Index: o.Index, Value: o.Value, PkScript: append(HexBytes(nil), o.PkScript...), Address: o.Address, Class: Class(o.Class)})
	}
	for _, id := range f.ReqIDs {
		if id != nil {
			out.ReqIDs = append(out.ReqIDs, id.String())
		}
	}
	return out
}

// Params are the operator's parameters. ParamsHash identifies them in every
// decision record.
type Params struct {
	// MaxFeeSat is the absolute fee cap; MaxFeeRate the cap in sat/vB.
	MaxFeeSat  int64 `json:"max_fee_sat"`
	MaxFeeRate int64 `json:"max_fee_rate_sat_vb"`
	// VelocityCapSat bounds the rolling 24 h outflow (everything that is not
	// change, fee included) including this transaction.
	VelocityCapSat int64 `json:"velocity_cap_sat"`
	// FIFOFallback enables P002's amount-match rule for bridge transfers
	// without an OP_RETURN.
	FIFOFallback bool `json:"fifo_fallback"`
	// BTCToken is the L2 token address of native BTC (lowercase hex, 0x…).
	BTCToken string `json:"btc_token"`
	// CovenantKeys and CovenantQuorum are DEPRECATED (issue 17): the
	// committee and quorum come from the Babylon parameters version in force
	// (Snapshot.Babylon, from babylon.params_file). Evaluate ignores them;
	// they stay so that records written before the change still decode and
	// re-encode byte for byte, and so that a configuration still naming
	// them is refused next to babylon.params_file (docs/babylon.md,
	// migration).
	CovenantKeys   []HexBytes `json:"covenant_keys"`
	CovenantQuorum int        `json:"covenant_quorum"`
	// StakingTimes are the staking times (blocks) the project may use, an
	// extra restriction inside the version's bounds.
	StakingTimes []uint16 `json:"staking_times"`
	// StakerKey is the co-managed staker key (babylon.staker_key): the
	// x-only (or compressed) 2-of-2 MuSig2 aggregate of the custody node's
	// and policyd's keys. It is the only staker key a staking output may
	// use; none configured: no staking output verifies.
	StakerKey HexBytes `json:"babylon_staker_key,omitempty"`
	// BabylonParamsSHA256 is the SHA-256 (hex) of the Babylon parameters
	// file the versions come from, so that ParamsHash names the schedule
	// too and an auditor can check Snapshot.Babylon against it.
	BabylonParamsSHA256 string `json:"babylon_params_sha256,omitempty"`
}

// Hash is SHA-256 over the canonical JSON of p (hex).
func (p Params) Hash() string {
	b, _ := json.Marshal(p)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Whitelist entry kinds (as governance names them).
const (
	KindBridgeHotWallet    = "bridge_hot_wallet"
	KindStakingDestination = "staking_destination"
	KindBabylonStakerKey   = "babylon_staker_key"
	KindFinalityProvider   = "finality_provider"
	KindCovenantKey        = "covenant_key"
)

// WhitelistEntry is one active entry. Destinations carry PkScript; key kinds
// carry PubKey (33-byte compressed or 32-byte x-only).
type WhitelistEntry struct {
	Kind     string   `json:"kind"`
	Address  string   `json:"address,omitempty"`
	PkScript HexBytes `json:"pk_script,omitempty"`
	PubKey   HexBytes `json:"pub_key,omitempty"`
	Label    string   `json:"label,omitempty"`
}

// Whitelist is the active whitelist at the decision time.
type Whitelist struct {
	Version uint64           `json:"version"`
	Entries []WhitelistEntry `json:"entries"`
}

// L2Status is the freshness of the L2 ledger view.
type L2Status struct {
	Height   uint64    `json:"height"`
	HeadTime time.Time `json:"head_time"`
	// Stale: the indexer's view is older than its bound or its RPC failed.
	Stale bool `json:"stale"`
	// Disagree: two configured endpoints reported different block hashes.
	Disagree bool   `json:"disagree"`
	Detail   string `json:"detail,omitempty"`
}

// Request kinds and states (as the L2 ledger names them).
const (
	KindStaked  = "staked"
	KindUnbound = "unbound"

	StateFinalized = "finalized"
	StateApproved  = "approved"
)

// Claim states (owned by the decision service).
const (
	ClaimReserved = "reserved"
	ClaimSigning  = "signing"
	ClaimSigned   = "signed"
	// ClaimBroadcast: the signed transaction is in a mempool, or mined
	// fewer than N blocks deep (the L1 view's stage).
	ClaimBroadcast = "broadcast"
	// ClaimConfirmed: the signed transaction (or an earlier member of its
	// RBF family, which the claim then names) is N blocks deep.
	ClaimConfirmed = "confirmed"
	// ClaimApproved: the L2 ledger shows the reqId approved
	// (UnboundApproved, finalized): paid on L2, final. Never released, never
	// moved back by an L1 reorg.
	ClaimApproved = "approved"
	// ClaimReleased: every member of the claim's RBF family is conflicted by
	// a transaction buried N deep that does not pay the reqId itself; the
	// reqId is free again. Not stored in the claims bucket (a released id
	// has no claim); the decision service keeps the release as evidence and
	// shows it.
	ClaimReleased = "released"
	// ClaimPaidUnexplained: a wallet spend on L1 that no decision of this
	// database explains paid the reqId (a database restored from a backup,
	// a signature made outside policyd): it is paid, never again.
	ClaimPaidUnexplained = "paid_unexplained"
)

// Claim is a reqId already bound to a decision.
type Claim struct {
	DecisionID string `json:"decision_id"`
	TxID       string `json:"txid"`
	State      string `json:"state"`
	// Family are the txids of the earlier signed transactions this claim's
	// transaction replaces (conflict-aware RBF), oldest first.
	Family []string `json:"family,omitempty"`
	// Prev is the claim a replacement took over, restored if the
	// replacement is released before it is signed.
	Prev *Claim `json:"prev,omitempty"`
}

// Request is one L2 ledger record with its claim, if any.
type Request struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	AmountSat int64  `json:"amount_sat"`
	AmountWei string `json:"amount_wei"`
	Token     string `json:"token"`
	PlanID    string `json:"plan_id,omitempty"`
	TxHash    string `json:"l2_tx_hash"`
	Block     uint64 `json:"l2_block"`
	LogIndex  uint   `json:"l2_log_index"`
	// BlockHash and User complete the L2 evidence (not used by the rules).
	BlockHash string   `json:"l2_block_hash,omitempty"`
	User      string   `json:"user,omitempty"`
	State     string   `json:"state"`
	Conflicts []string `json:"conflicts,omitempty"`
	Claim     *Claim   `json:"claim,omitempty"`
}

// Allowance is an open plan-wide redemption allowance.
type Allowance struct {
	ID        string   `json:"id"`
	PlanID    string   `json:"plan_id"`
	AmountSat int64    `json:"amount_sat"`
	PkScript  HexBytes `json:"pk_script"`
}

// StakeTotals is the staking accounting.
type StakeTotals struct {
	// FinalizedStakedSat: every finalized TokenStaked amount on L2.
	FinalizedStakedSat int64 `json:"finalized_staked_sat"`
	// StakedSat: every staking output policyd ever allowed (not cancelled).
	StakedSat int64 `json:"staked_sat"`
	// ReturnedSat: every bridge output policyd ever allowed (not cancelled).
	ReturnedSat int64 `json:"returned_sat"`
}

// Snapshot is everything Evaluate looks at besides the facts.
type Snapshot struct {
	Params    Params    `json:"params"`
	Frozen    bool      `json:"frozen"`
	L2        L2Status  `json:"l2"`
	Whitelist Whitelist `json:"whitelist"`
	// WalletKey is the dedicated wallet's (threshold group) public key. It
	// is never a staking output's staker key (staking_wallet_key_as_staker):
	// Babylon's scripts need BIP340 signatures, which threshold ECDSA
	// cannot make.
	WalletKey HexBytes `json:"wallet_key,omitempty"`
	// Requests are the ledger records of the listed reqIds (missing = unknown).
	Requests []Request `json:"requests,omitempty"`
	// PendingUnbound is the FIFO queue: finalized, unclaimed, unapproved
	// UnboundRequired requests in L2 order. Filled only when needed.
	PendingUnbound []Request   `json:"pending_unbound,omitempty"`
	Allowances     []Allowance `json:"allowances,omitempty"`
	Stake          StakeTotals `json:"stake"`
	// OutflowSat is the outflow of the allowed decisions of the last 24 h.
	OutflowSat int64 `json:"outflow_24h_sat"`
	// L1 is the Bitcoin view's state; nil when policyd runs without one
	// (then no input is checked against the chain).
	L1 *L1Status `json:"l1,omitempty"`
	// Inputs are the L1 view's answer for each transaction input (with L1).
	Inputs []InputState `json:"l1_inputs,omitempty"`
	// Replaces are the signed transactions of the reqIds' claims this
	// transaction would replace (conflict-aware RBF; with L1 only).
	Replaces []SignedTx `json:"replaces,omitempty"`
	// Babylon is the Babylon parameters version in force at the L1 view's
	// height (BabylonAt), present when the transaction may stake; nil
	// without an L1 view or a configured schedule (then no staking output
	// verifies).
	Babylon *BabylonParams `json:"babylon,omitempty"`
}

// BabylonSwitchMargin is how many blocks before the next Babylon version's
// activation Evaluate stops allowing staking outputs: a staking transaction
// decided at height h confirms at h+1 at the earliest but may take longer,
// and Babylon judges it by the version in force at its inclusion height.
const BabylonSwitchMargin = 6

// BabylonParams is the Babylon parameters version a staking output is judged
// by, as the decision service read it from the schedule.
type BabylonParams struct {
	// Height is the BTC height it was selected for: the L1 view's height
	// + 1, the first height the transaction can be included at.
	Height uint64 `json:"height"`
	// Version is the version in force at Height, in Babylon's published
	// form (the one babylon.params_file holds).
	Version babylon.VersionJSON `json:"version"`
	// NextActivation is the activation height of the version after it; 0
	// when none is published.
	NextActivation uint32 `json:"next_activation,omitempty"`
}

// BabylonAt is the schedule's version in force for a transaction decided
// at L1 height l1Height (so at l1Height+1), or nil when the schedule is nil
// or has no version in force there. Pure: the decision service calls it
// with the L1 view's height.
func BabylonAt(s *babylon.Schedule, l1Height uint64) *BabylonParams {
	if s == nil || l1Height >= math.MaxUint32 {
		return nil
	}
	h := uint32(l1Height + 1)
	g, err := s.AtHeight(h)
	if err != nil {
		return nil
	}
	b := &BabylonParams{Height: uint64(h), Version: g.JSON()}
	if next, ok := s.NextActivation(h); ok {
		b.NextActivation = next
	}
	return b
}

// MayStake reports whether f has an output Evaluate could verify as a
// Babylon staking output (an external P2TR output, or a declaration): only
// then does the snapshot need Babylon.
func MayStake(f Facts) bool {
	for _, o := range f.Outputs {
		if o.Class == ClassExternal && (o.Staking != nil || isP2TR(o.PkScript)) {
			return true
		}
	}
	return false
}

// SignedTx is an earlier signed transaction of a claim, as a replacement
// is judged against it.
type SignedTx struct {
	TxID     string   `json:"txid"`
	Inputs   []string `json:"inputs"`
	External []Output `json:"external_outputs"`
	ReqIDs   []string `json:"req_ids"`
	Fee      int64    `json:"fee_sat"`
	FeeRate  int64    `json:"fee_rate_sat_vb"`
	// Stage is its L1 stage kind: unseen, mempool, confirmed, conflicted.
	Stage string `json:"stage"`
	// StakingSat is what its decision staked (Decision.StakingSat): the
	// family of a staking transaction counts once, as its largest member
	// (StakeCharge).
	StakingSat int64 `json:"staking_sat,omitempty"`
}

// StakeCharge is what a decision staking stakingSat adds to the staking
// accounting (StakeTotals.StakedSat) when it replaces replaces: only what
// it stakes beyond the largest member of its RBF family, which is already
// counted (signed transactions are never released, and at most one member
// of a family can confirm). Without a family it is stakingSat.
func StakeCharge(stakingSat int64, replaces []SignedTx) int64 {
	var most int64
	for _, m := range replaces {
		most = max(most, m.StakingSat)
	}
	return max(0, stakingSat-most)
}

// IncrementalRelayFeeRate is the sat/vB a replacement must add to the
// replaced transaction's fee for its own size (Bitcoin Core's default
// -incrementalrelayfee, BIP125 rule 4).
const IncrementalRelayFeeRate = 1

// L1Status is the L1 view's freshness as the decision service read it.
type L1Status struct {
	Height        uint64 `json:"height"`
	Stale         bool   `json:"stale"`
	Disagree      bool   `json:"disagree"`
	NotReconciled bool   `json:"not_reconciled"`
	Detail        string `json:"detail,omitempty"`
}

// Input states in the L1 view.
const (
	InputConfirmed   = "confirmed"   // unspent wallet output N deep
	InputOwnChange   = "own_change"  // change of a signed (watched) transaction
	InputUnknown     = "unknown"     // not a wallet output in the view
	InputSpent       = "spent"       // spent on chain
	InputUnconfirmed = "unconfirmed" // too few confirmations / immature coinbase
)

// InputState is the L1 view's answer for one input.
type InputState struct {
	Outpoint string `json:"outpoint"`
	State    string `json:"state"`
	Value    int64  `json:"value_sat,omitempty"`
	Depth    uint64 `json:"depth,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Outcome of a decision.
type Outcome string

const (
	Allow Outcome = "allow"
	Deny  Outcome = "deny"
)

// Reason is one failed rule.
type Reason struct {
	Code   Code   `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// Justification sources for bridge outputs.
const (
	SourceOpReturn  = "op_return"
	SourceFIFO      = "fifo"
	SourceAllowance = "allowance"
)

// Decision is Evaluate's result.
type Decision struct {
	Outcome Outcome  `json:"outcome"`
	Reasons []Reason `json:"reasons,omitempty"`
	// Claims are the reqIds an allowed decision binds (listed or FIFO-picked).
	Claims []string `json:"claims,omitempty"`
	// BridgeSource says how the bridge outputs were justified.
	BridgeSource string `json:"bridge_source,omitempty"`
	// AllowanceID is the allowance an allowed decision consumes.
	AllowanceID string `json:"allowance_id,omitempty"`
	// Amounts (sat): bridge outputs, staking outputs, outflow (non-change
	// outputs plus fee).
	BridgeSat  int64 `json:"bridge_sat"`
	StakingSat int64 `json:"staking_sat"`
	OutflowSat int64 `json:"outflow_sat"`
	// StakingOutputs are the output indexes verified as Babylon outputs.
	StakingOutputs []int `json:"staking_outputs,omitempty"`
}

// Codes returns the reason codes in order.
func (d Decision) Codes() []Code {
	out := make([]Code, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Code
	}
	return out
}
