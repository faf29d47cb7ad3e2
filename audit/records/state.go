package records

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bitlayer-org/policyd/policy"
)

// The slow-changing parts of a decision's snapshot, recorded once per
// version and named by hash in every decision that read them (decision v2).

// Kinds of the snapshot parts.
const (
	KindWhitelistState = "whitelist_state"
	KindParamsState    = "params_state"
)

// WhitelistHash names a whitelist in decision records: hex SHA-256 of its
// encoding/json form (as policy.Params.Hash names parameters).
func WhitelistHash(w policy.Whitelist) string {
	b, _ := json.Marshal(w)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// WhitelistState is the whitelist in effect for the decisions that name
// Hash: appended by the decision service before the first decision that
// reads it.
type WhitelistState struct {
	Hash      string           `json:"hash"`
	Whitelist policy.Whitelist `json:"whitelist"`
}

func (*WhitelistState) Kind() string { return KindWhitelistState }
func (*WhitelistState) Version() int { return 1 }
func (w *WhitelistState) Validate() error {
	if h := WhitelistHash(w.Whitelist); h != w.Hash {
		return fmt.Errorf("hash %s is not the whitelist's (%s)", w.Hash, h)
	}
	return nil
}

// ParamsState is the policy parameters of the decisions that name Hash.
type ParamsState struct {
	Hash   string        `json:"hash"`
	Params policy.Params `json:"params"`
}

func (*ParamsState) Kind() string { return KindParamsState }
func (*ParamsState) Version() int { return 1 }
func (p *ParamsState) Validate() error {
	if h := p.Params.Hash(); h != p.Hash {
		return fmt.Errorf("hash %s is not the parameters' (%s)", p.Hash, h)
	}
	return nil
}

// Snapshot is policy.Snapshot without the parts a decision v2 names by
// hash (Params, Whitelist): everything else Evaluate read.
type Snapshot struct {
	Frozen         bool                `json:"frozen"`
	L2             policy.L2Status     `json:"l2"`
	WalletKey      policy.HexBytes     `json:"wallet_key,omitempty"`
	Requests       []policy.Request    `json:"requests,omitempty"`
	PendingUnbound []policy.Request    `json:"pending_unbound,omitempty"`
	Allowances     []policy.Allowance  `json:"allowances,omitempty"`
	Stake          policy.StakeTotals  `json:"stake"`
	OutflowSat     int64               `json:"outflow_24h_sat"`
	L1             *policy.L1Status    `json:"l1,omitempty"`
	Inputs         []policy.InputState `json:"l1_inputs,omitempty"`
	Replaces       []policy.SignedTx   `json:"replaces,omitempty"`
	// Babylon: the parameters version in force (issue 17); without it a
	// staking decision replays as babylon_no_params.
	Babylon *policy.BabylonParams `json:"babylon,omitempty"`
}

// SlimSnapshot is s without its parameters and whitelist.
func SlimSnapshot(s policy.Snapshot) Snapshot {
	return Snapshot{Frozen: s.Frozen, L2: s.L2, WalletKey: s.WalletKey, Requests: s.Requests, PendingUnbound: s.PendingUnbound,
		Allowances: s.Allowances, Stake: s.Stake, OutflowSat: s.OutflowSat, L1: s.L1, Inputs: s.Inputs, Replaces: s.Replaces,
		Babylon: s.Babylon}
}

// Full is the policy.Snapshot of s with p and w.
func (s Snapshot) Full(p policy.Params, w policy.Whitelist) policy.Snapshot {
	return policy.Snapshot{Params: p, Whitelist: w, Frozen: s.Frozen, L2: s.L2, WalletKey: s.WalletKey, Requests: s.Requests,
		PendingUnbound: s.PendingUnbound, Allowances: s.Allowances, Stake: s.Stake, OutflowSat: s.OutflowSat, L1: s.L1,
		Inputs: s.Inputs, Replaces: s.Replaces, Babylon: s.Babylon}
}

// DecisionV2 is a decision (kind "decision", version 2) that names the
// whitelist and parameters it read by hash (WhitelistState, ParamsState,
// earlier in the log) instead of carrying them: Evaluate(Facts,
// Snapshot.Full(params of ParamsHash, whitelist of WhitelistHash),
// EvaluatedAt) must give Decision.
type DecisionV2 struct {
	DecisionID       string                     `json:"decision_id"`
	TxID             string                     `json:"txid"`
	PSBTHash         string                     `json:"psbt_hash"`
	WhitelistVersion uint64                     `json:"whitelist_version"`
	WhitelistHash    string                     `json:"whitelist_hash"`
	ParamsHash       string                     `json:"params_hash"`
	EvaluatedAt      time.Time                  `json:"evaluated_at"`
	Facts            policy.Facts               `json:"facts"`
	StakingDecls     map[int]policy.StakingDecl `json:"staking_decls,omitempty"`
	Snapshot         Snapshot                   `json:"snapshot"`
	Decision         policy.Decision            `json:"decision"`
	Evidence         []Evidence                 `json:"evidence,omitempty"`
	ExpiresAt        *time.Time                 `json:"expires_at,omitempty"`
}

func (*DecisionV2) Kind() string { return KindDecision }
func (*DecisionV2) Version() int { return 2 }

func (d *DecisionV2) Validate() error {
	if err := required("whitelist_hash", d.WhitelistHash); err != nil {
		return err
	}
	v1 := Decision{DecisionID: d.DecisionID, TxID: d.TxID, ParamsHash: d.ParamsHash, EvaluatedAt: d.EvaluatedAt, Facts: d.Facts, Decision: d.Decision}
	return v1.Validate()
}

// Full is d as a version-1 decision, with the parameters and whitelist it
// names (the caller checked their hashes).
func (d *DecisionV2) Full(p policy.Params, w policy.Whitelist) *Decision {
	return &Decision{DecisionID: d.DecisionID, TxID: d.TxID, PSBTHash: d.PSBTHash, WhitelistVersion: d.WhitelistVersion,
		ParamsHash: d.ParamsHash, EvaluatedAt: d.EvaluatedAt, Facts: d.Facts, StakingDecls: d.StakingDecls,
		Snapshot: d.Snapshot.Full(p, w), Decision: d.Decision, Evidence: d.Evidence, ExpiresAt: d.ExpiresAt}
}

// Slim is d as a version-2 decision (the whitelist and parameters by hash).
func (d *Decision) Slim() *DecisionV2 {
	return &DecisionV2{DecisionID: d.DecisionID, TxID: d.TxID, PSBTHash: d.PSBTHash, WhitelistVersion: d.WhitelistVersion,
		WhitelistHash: WhitelistHash(d.Snapshot.Whitelist), ParamsHash: d.ParamsHash, EvaluatedAt: d.EvaluatedAt, Facts: d.Facts,
		StakingDecls: d.StakingDecls, Snapshot: SlimSnapshot(d.Snapshot), Decision: d.Decision, Evidence: d.Evidence, ExpiresAt: d.ExpiresAt}
}

// ErrUnknownState is returned when a decision names a whitelist or
// parameters hash no earlier record holds.
var ErrUnknownState = errors.New("records: decision names a whitelist or parameters not recorded before it")

// States resolves the hashes decision v2 records name, from the
// WhitelistState and ParamsState records seen so far (in log order).
type States struct {
	whitelists map[string]policy.Whitelist
	params     map[string]policy.Params
}

// Add remembers b if it is a WhitelistState or ParamsState.
func (s *States) Add(b Body) {
	switch v := b.(type) {
	case *WhitelistState:
		if s.whitelists == nil {
			s.whitelists = map[string]policy.Whitelist{}
		}
		s.whitelists[v.Hash] = v.Whitelist
	case *ParamsState:
		if s.params == nil {
			s.params = map[string]policy.Params{}
		}
		s.params[v.Hash] = v.Params
	}
}

// Decision returns d with the whitelist and parameters it names, or
// ErrUnknownState.
func (s *States) Decision(d *DecisionV2) (*Decision, error) {
	w, okW := s.whitelists[d.WhitelistHash]
	p, okP := s.params[d.ParamsHash]
	if !okW || !okP {
		return nil, fmt.Errorf("%w: decision %s (whitelist %s: %v, params %s: %v)", ErrUnknownState, d.DecisionID, d.WhitelistHash, okW, d.ParamsHash, okP)
	}
	return d.Full(p, w), nil
}

// RecheckV2 is a Recheck that names the whitelist and parameters it read by
// hash (WhitelistState, ParamsState, earlier in the log), as DecisionV2
// does: Evaluate(the decision's Facts, Snapshot.Full(params of ParamsHash,
// whitelist of WhitelistHash), Time) gave Decision.
type RecheckV2 struct {
	Time             time.Time       `json:"time"`
	ParamsHash       string          `json:"params_hash"`
	WhitelistHash    string          `json:"whitelist_hash"`
	WhitelistVersion uint64          `json:"whitelist_version"`
	Snapshot         Snapshot        `json:"snapshot"`
	Decision         policy.Decision `json:"decision"`
}

// SlimRecheck is r naming its whitelist (whose hash is whitelistHash, the
// caller's cached WhitelistHash) and parameters by hash.
func SlimRecheck(r *Recheck, whitelistHash string) *RecheckV2 {
	return &RecheckV2{Time: r.Time, ParamsHash: r.ParamsHash, WhitelistHash: whitelistHash, WhitelistVersion: r.WhitelistVersion,
		Snapshot: SlimSnapshot(r.Snapshot), Decision: r.Decision}
}

// Full is r as a version-1 Recheck with p and w (the caller checked their
// hashes).
func (r *RecheckV2) Full(p policy.Params, w policy.Whitelist) *Recheck {
	return &Recheck{Time: r.Time, ParamsHash: r.ParamsHash, WhitelistVersion: r.WhitelistVersion, Snapshot: r.Snapshot.Full(p, w), Decision: r.Decision}
}

// TransitionV2 is Transition whose re-check names the whitelist and
// parameters by hash: the body of decision_begin and decision_revoke v2.
type TransitionV2 struct {
	DecisionID string          `json:"decision_id"`
	TxID       string          `json:"txid"`
	Event      string          `json:"event"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	By         string          `json:"by,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Reasons    []policy.Reason `json:"reasons,omitempty"`
	Released   []string        `json:"released,omitempty"`
	Recheck    *RecheckV2      `json:"recheck,omitempty"`
}

// SlimTransition is t with its re-check (if any) naming the whitelist
// (hash whitelistHash) and parameters by hash.
func SlimTransition(t Transition, whitelistHash string) TransitionV2 {
	v2 := TransitionV2{DecisionID: t.DecisionID, TxID: t.TxID, Event: t.Event, From: t.From, To: t.To, By: t.By, Reason: t.Reason,
		Reasons: t.Reasons, Released: t.Released}
	if t.Recheck != nil {
		v2.Recheck = SlimRecheck(t.Recheck, whitelistHash)
	}
	return v2
}

// base is t without its re-check.
func (t *TransitionV2) base() Transition {
	return Transition{DecisionID: t.DecisionID, TxID: t.TxID, Event: t.Event, From: t.From, To: t.To, By: t.By, Reason: t.Reason,
		Reasons: t.Reasons, Released: t.Released}
}

func (t *TransitionV2) validate(event string) error {
	b := t.base()
	if err := b.validate(event); err != nil {
		return err
	}
	if t.Recheck != nil {
		return required("recheck.whitelist_hash", t.Recheck.WhitelistHash, "recheck.params_hash", t.Recheck.ParamsHash)
	}
	return nil
}

// DecisionBeginV2: signing began; Recheck (whitelist and parameters by
// hash) is the re-evaluation that allowed it.
type DecisionBeginV2 struct{ TransitionV2 }

func (*DecisionBeginV2) Kind() string { return KindDecisionBegin }
func (*DecisionBeginV2) Version() int { return 2 }
func (d *DecisionBeginV2) Validate() error {
	if d.Recheck == nil {
		return errors.New("recheck is required")
	}
	return d.validate("begin")
}

// DecisionRevokeV2: DecisionRevoke whose re-check (a revoke at signing)
// names the whitelist and parameters by hash.
type DecisionRevokeV2 struct{ TransitionV2 }

func (*DecisionRevokeV2) Kind() string      { return KindDecisionRevoke }
func (*DecisionRevokeV2) Version() int      { return 2 }
func (d *DecisionRevokeV2) Validate() error { return d.validate("revoke") }

// Transition returns t as a version-1 Transition with the whitelist and
// parameters its re-check names, or ErrUnknownState.
func (s *States) Transition(t *TransitionV2) (*Transition, error) {
	out := t.base()
	if t.Recheck == nil {
		return &out, nil
	}
	w, okW := s.whitelists[t.Recheck.WhitelistHash]
	p, okP := s.params[t.Recheck.ParamsHash]
	if !okW || !okP {
		return nil, fmt.Errorf("%w: %s re-check of %s (whitelist %s: %v, params %s: %v)", ErrUnknownState, t.Event, t.DecisionID,
			t.Recheck.WhitelistHash, okW, t.Recheck.ParamsHash, okP)
	}
	out.Recheck = t.Recheck.Full(p, w)
	return &out, nil
}
