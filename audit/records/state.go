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
