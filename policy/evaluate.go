package policy

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"

	"github.com/bitlayer-org/policyd/babylon"
)

// maxSat bounds every amount (21 M BTC): sums of values within it never
// overflow int64.
const maxSat = 21_000_000 * 100_000_000

type evaluation struct {
	f Facts
	s Snapshot
	d Decision
	w *Engine // may be nil
}

// Engine is Evaluate with the wallet key decoded once: NewEngine parses the
// key and derives its P2WPKH script; Engine.Evaluate uses them when the
// snapshot's WalletKey is byte-equal to that key and decodes the snapshot's
// key otherwise. It is as pure as Evaluate (the cache is a function of the
// constructor's argument, never of earlier calls) and gives the same
// decision. It is immutable and safe for concurrent use.
type Engine struct {
	key    []byte
	pub    *btcec.PublicKey
	script []byte
}

// NewEngine precomputes walletKey (33-byte compressed); an invalid key is
// not cached (Evaluate then denies snapshot_invalid as usual).
func NewEngine(walletKey []byte) *Engine {
	k, err := btcec.ParsePubKey(walletKey)
	if err != nil {
		return &Engine{}
	}
	return &Engine{key: bytes.Clone(walletKey), pub: k, script: p2wpkh(k)}
}

func p2wpkh(k *btcec.PublicKey) []byte {
	return append([]byte{0x00, 0x14}, btcutil.Hash160(k.SerializeCompressed())...)
}

// Evaluate is policy.Evaluate with the cached key.
func (g *Engine) Evaluate(f Facts, s Snapshot, now time.Time) Decision {
	return evaluate(f, s, g)
}

func (e *evaluation) deny(code Code, format string, args ...any) {
	e.d.Reasons = append(e.d.Reasons, Reason{Code: code, Detail: fmt.Sprintf(format, args...)})
}

func validSat(v int64) bool { return v >= 0 && v <= maxSat }

// Evaluate decides one transaction. It is pure: the result depends only on
// its arguments, it never reads a clock or does I/O, and it never mutates
// them. It denies unless every rule passes and lists every failed rule.
// now is recorded by the caller; the rules themselves use only the snapshot
// (whose time-dependent parts were read at now).
func Evaluate(f Facts, s Snapshot, now time.Time) Decision {
	return evaluate(f, s, nil)
}

func evaluate(f Facts, s Snapshot, w *Engine) Decision {
	e := &evaluation{f: f, s: s, w: w}
	e.run()
	if len(e.d.Reasons) == 0 {
		e.d.Outcome = Allow
	} else {
		e.d.Outcome = Deny
		// An allow-only field must not leak from a denial.
		e.d.Claims, e.d.AllowanceID, e.d.BridgeSource = nil, "", ""
	}
	return e.d
}

func (e *evaluation) run() {
	f, s := e.f, e.s
	p := s.Params

	// The engine's own inputs.
	if p.MaxFeeSat <= 0 || p.MaxFeeRate <= 0 || p.VelocityCapSat <= 0 {
		e.deny(CodeParamsInvalid, "fee, fee-rate and velocity caps must be positive")
	}
	walletScript, walletKey := e.walletScript()
	if !e.checkFacts() {
		return // nothing below is meaningful on inconsistent facts
	}

	// Staking declarations must name external outputs.
	for _, idx := range f.StrayStakingDecls {
		e.deny(CodeStakingDeclInvalid, "staking parameters declared for output %d, which the transaction does not have", idx)
	}
	for _, o := range f.Outputs {
		if o.Staking != nil && o.Class != ClassExternal {
			e.deny(CodeStakingDeclInvalid, "staking parameters declared for output %d, which is %s, not external", o.Index, o.Class)
		}
	}

	// Global state.
	if s.Frozen {
		e.deny(CodeFrozen, "signing is frozen by a Bitlayer admin")
	}
	if s.L2.Stale {
		e.deny(CodeL2Stale, "L2 view stale at height %d: %s", s.L2.Height, s.L2.Detail)
	}
	if s.L2.Disagree {
		e.deny(CodeL2EndpointsDisagree, "L2 endpoints disagree: %s", s.L2.Detail)
	}
	e.checkL1()
	e.checkReplacement()

	// Limits.
	if p.MaxFeeSat > 0 && f.Fee > p.MaxFeeSat {
		e.deny(CodeFeeTooHigh, "fee %d sat above cap %d", f.Fee, p.MaxFeeSat)
	}
	if p.MaxFeeRate > 0 && f.FeeRate > p.MaxFeeRate {
		e.deny(CodeFeeRateTooHigh, "fee rate %d sat/vB above cap %d", f.FeeRate, p.MaxFeeRate)
	}

	// Outputs.
	dest := map[string]string{}
	for _, w := range s.Whitelist.Entries {
		if (w.Kind == KindBridgeHotWallet || w.Kind == KindStakingDestination) && len(w.PkScript) > 0 {
			if _, dup := dest[string(w.PkScript)]; !dup {
				dest[string(w.PkScript)] = w.Kind
			}
		}
	}
	var (
		bridge   []Output
		staking  []Output
		changeSt int64
		stakeChk = newStakingChecker(s, walletKey)
	)
	for _, o := range f.Outputs {
		switch o.Class {
		case ClassChange:
			if walletScript != nil && !bytes.Equal(o.PkScript, walletScript) {
				e.deny(CodeChangeNotWallet, "output %d is marked change but does not pay the wallet", o.Index)
			}
			changeSt += o.Value
		case ClassOpReturn:
		case ClassExternal:
			switch dest[string(o.PkScript)] {
			case KindBridgeHotWallet:
				bridge = append(bridge, o)
			case KindStakingDestination:
				staking = append(staking, o)
			default:
				ok, reasons := stakeChk.verify(o)
				if ok {
					staking = append(staking, o)
					e.d.StakingOutputs = append(e.d.StakingOutputs, o.Index)
				} else if len(reasons) > 0 {
					e.d.Reasons = append(e.d.Reasons, reasons...)
				} else {
					e.deny(CodeOutputNotWhitelisted, "output %d (%s) pays neither the wallet, a whitelisted address nor a verified staking output", o.Index, o.Address)
				}
			}
		}
	}
	for _, o := range bridge {
		e.d.BridgeSat += o.Value
	}
	for _, o := range staking {
		e.d.StakingSat += o.Value
	}
	e.d.OutflowSat = f.InputTotal - changeSt

	// Request ids.
	unboundIDs, stakedIDs, unboundSum, stakedSum := e.checkReqIDs()
	e.d.Claims = append(e.d.Claims, unboundIDs...)
	e.d.Claims = append(e.d.Claims, stakedIDs...)

	// Bridge outputs.
	switch {
	case len(bridge) > 0 && f.HasOpReturn:
		e.d.BridgeSource = SourceOpReturn
		if unboundSum != e.d.BridgeSat {
			e.deny(CodeBridgeAmountMismatch, "bridge outputs total %d sat, listed UnboundRequired ids total %d sat", e.d.BridgeSat, unboundSum)
		}
	case len(bridge) > 0:
		e.justifyBridgeWithoutOpReturn(bridge)
	case len(unboundIDs) > 0 && len(staking) > 0:
		e.deny(CodeReqIDWrongKind, "UnboundRequired ids %s listed for a staking transaction", strings.Join(unboundIDs, ","))
	case len(unboundIDs) > 0:
		e.deny(CodeReqIDUnused, "UnboundRequired ids %s listed but nothing pays the bridge", strings.Join(unboundIDs, ","))
	}

	// Staking outputs: one accounting rule with or without an OP_RETURN.
	// Listed TokenStaked ids must cover the outputs, and the stake must fit
	// the room left by everything staked before, so an amount staked
	// without an OP_RETURN cannot be staked again by listing its id.
	switch {
	case len(staking) > 0:
		if f.HasOpReturn && stakedSum < e.d.StakingSat {
			e.deny(CodeStakingNotCovered, "staking outputs total %d sat, listed TokenStaked ids cover %d sat", e.d.StakingSat, stakedSum)
		}
		e.checkStakeRoom()
	case len(stakedIDs) > 0 && len(bridge) > 0:
		e.deny(CodeReqIDWrongKind, "TokenStaked ids %s listed for a bridge transfer", strings.Join(stakedIDs, ","))
	case len(stakedIDs) > 0:
		e.deny(CodeReqIDUnused, "TokenStaked ids %s listed but nothing is staked", strings.Join(stakedIDs, ","))
	}

	// Velocity.
	if !validSat(s.OutflowSat) || (p.VelocityCapSat > 0 && s.OutflowSat+e.d.OutflowSat > p.VelocityCapSat) {
		e.deny(CodeVelocityExceeded, "24 h outflow %d + %d sat above cap %d", s.OutflowSat, e.d.OutflowSat, p.VelocityCapSat)
	}
}

// checkStakeRoom: everything staked, this transaction included, stays
// within finalized TokenStaked minus what was returned to the bridge. A
// replacement adds only what it stakes beyond its family (StakeCharge).
func (e *evaluation) checkStakeRoom() {
	st := e.s.Stake
	charge := StakeCharge(e.d.StakingSat, e.s.Replaces)
	room := st.FinalizedStakedSat - st.ReturnedSat - st.StakedSat
	if !validSat(st.FinalizedStakedSat) || !validSat(st.ReturnedSat) || !validSat(st.StakedSat) || charge > room {
		e.deny(CodeStakingCapExceeded, "staking %d sat (%d new to the accounting) exceeds the room %d sat (finalized %d - returned %d - staked %d)", e.d.StakingSat, charge, room, st.FinalizedStakedSat, st.ReturnedSat, st.StakedSat)
	}
}

// walletScript derives the wallet's P2WPKH script from the snapshot's key.
func (e *evaluation) walletScript() ([]byte, *btcec.PublicKey) {
	if w := e.w; w != nil && w.pub != nil && bytes.Equal(w.key, e.s.WalletKey) {
		return w.script, w.pub
	}
	k, err := btcec.ParsePubKey(e.s.WalletKey)
	if err != nil {
		e.deny(CodeSnapshotInvalid, "wallet key missing or invalid")
		return nil, nil
	}
	return p2wpkh(k), k
}

// checkFacts re-checks the arithmetic psbtcheck promised; a mismatch means a
// bug or a forged record, and nothing else is evaluated.
func (e *evaluation) checkFacts() bool {
	f := e.f
	bad := func(format string, args ...any) bool {
		e.deny(CodeFactsInvalid, format, args...)
		return false
	}
	if len(f.Inputs) == 0 || len(f.Outputs) == 0 {
		return bad("no inputs or no outputs")
	}
	var in, out int64
	for _, i := range f.Inputs {
		if !validSat(i.Value) {
			return bad("input %d value out of range", i.Index)
		}
		in += i.Value
	}
	nOpRet := 0
	for _, o := range f.Outputs {
		if !validSat(o.Value) {
			return bad("output %d value out of range", o.Index)
		}
		out += o.Value
		switch o.Class {
		case ClassChange, ClassExternal:
		case ClassOpReturn:
			nOpRet++
			if o.Value != 0 {
				return bad("OP_RETURN output %d carries value", o.Index)
			}
		default:
			return bad("output %d has unknown class %q", o.Index, o.Class)
		}
	}
	if !validSat(in) || in != f.InputTotal || out != f.OutputTotal || f.Fee != in-out || f.Fee < 0 {
		return bad("totals do not add up (inputs %d/%d, outputs %d/%d, fee %d)", in, f.InputTotal, out, f.OutputTotal, f.Fee)
	}
	if f.FeeRate < 0 || f.VSize <= 0 || f.FeeRate != f.Fee/f.VSize {
		return bad("fee rate %d inconsistent with fee %d and vsize %d", f.FeeRate, f.Fee, f.VSize)
	}
	if nOpRet > 1 || (nOpRet == 1) != f.HasOpReturn || f.HasOpReturn != (len(f.ReqIDs) > 0) {
		return bad("OP_RETURN flag, outputs and request ids disagree")
	}
	return true
}

// checkReqIDs validates every listed id and splits them by kind. Sums include
// failing ids too (the decision is a denial then anyway).
func (e *evaluation) checkReqIDs() (unbound, staked []string, unboundSum, stakedSum int64) {
	byID := make(map[string]*Request, len(e.s.Requests))
	for i := range e.s.Requests {
		byID[e.s.Requests[i].ID] = &e.s.Requests[i]
	}
	seen := map[string]bool{}
	for _, id := range e.f.ReqIDs {
		if seen[id] {
			e.deny(CodeReqIDDuplicate, "reqId %s listed twice", id)
			continue
		}
		seen[id] = true
		r, ok := byID[id]
		if !ok {
			e.deny(CodeReqIDUnknown, "reqId %s is not in the L2 ledger", id)
			continue
		}
		e.checkRequest(r, "")
		if !validSat(r.AmountSat) {
			e.deny(CodeReqIDConflicting, "reqId %s amount out of range", id)
			continue
		}
		switch r.Kind {
		case KindUnbound:
			unbound = append(unbound, id)
			unboundSum = satAdd(unboundSum, r.AmountSat)
		case KindStaked:
			staked = append(staked, id)
			stakedSum = satAdd(stakedSum, r.AmountSat)
		default:
			e.deny(CodeReqIDWrongKind, "reqId %s has kind %q", id, r.Kind)
		}
	}
	return
}

// checkRequest applies the per-request rules; wantKind, when set, is checked.
func (e *evaluation) checkRequest(r *Request, wantKind string) {
	if wantKind != "" && r.Kind != wantKind {
		e.deny(CodeReqIDWrongKind, "reqId %s is %q, want %q", r.ID, r.Kind, wantKind)
	}
	if !strings.EqualFold(r.Token, e.s.Params.BTCToken) || e.s.Params.BTCToken == "" {
		e.deny(CodeReqIDNotBTC, "reqId %s token %s is not BTC", r.ID, r.Token)
	}
	if len(r.Conflicts) > 0 {
		e.deny(CodeReqIDConflicting, "reqId %s conflicting: %s", r.ID, strings.Join(r.Conflicts, "; "))
	}
	switch r.State {
	case StateFinalized:
	case StateApproved:
		e.deny(CodeReqIDApproved, "reqId %s already approved on L2", r.ID)
	default:
		e.deny(CodeReqIDNotFinalized, "reqId %s state %q", r.ID, r.State)
	}
	if c := r.Claim; c != nil {
		if c.State == ClaimPaidUnexplained {
			e.deny(CodeReqIDSigned, "reqId %s already paid by L1 transaction %s, which no decision explains", r.ID, c.TxID)
		} else if (c.State == ClaimSigned || c.State == ClaimBroadcast) && e.replaces(c.TxID) {
			// a replacement: judged by checkReplacement
		} else if c.State == ClaimSigning || c.State == ClaimSigned || c.State == ClaimBroadcast || c.State == ClaimConfirmed || c.State == ClaimApproved {
			e.deny(CodeReqIDSigned, "reqId %s already signed in decision %s", r.ID, c.DecisionID)
		} else {
			e.deny(CodeReqIDClaimed, "reqId %s reserved by decision %s (tx %s)", r.ID, c.DecisionID, c.TxID)
		}
	}
}

// justifyBridgeWithoutOpReturn: an open allowance consumed exactly, else
// P002's FIFO rule when enabled.
func (e *evaluation) justifyBridgeWithoutOpReturn(bridge []Output) {
	var ids []string
	for _, a := range e.s.Allowances {
		if a.AmountSat != e.d.BridgeSat || len(a.PkScript) == 0 {
			continue
		}
		all := true
		for _, o := range bridge {
			all = all && bytes.Equal(o.PkScript, a.PkScript)
		}
		if all {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		e.d.BridgeSource, e.d.AllowanceID = SourceAllowance, ids[0]
		return
	}
	if !e.s.Params.FIFOFallback {
		e.deny(CodeBridgeUnjustified, "bridge transfer of %d sat without OP_RETURN: no allowance matches and the FIFO fallback is disabled", e.d.BridgeSat)
		return
	}
	picked := MatchFIFO(e.d.BridgeSat, e.s.PendingUnbound)
	if len(picked) == 0 {
		e.deny(CodeBridgeUnjustified, "bridge transfer of %d sat without OP_RETURN: no allowance and no FIFO match", e.d.BridgeSat)
		return
	}
	e.d.BridgeSource = SourceFIFO
	for _, r := range picked {
		e.checkRequest(&r, KindUnbound)
		e.d.Claims = append(e.d.Claims, r.ID)
	}
}

// MatchFIFO is P002's relayer rule: given an amount and the pending
// UnboundRequired requests in L2 order, the earliest single request of
// exactly that amount; otherwise the shortest prefix of the queue whose sum
// equals it; otherwise nothing. A non-positive amount matches nothing.
func MatchFIFO(amountSat int64, queue []Request) []Request {
	return MatchFIFOBy(amountSat, queue, func(r *Request) int64 { return r.AmountSat })
}

// MatchFIFOBy is MatchFIFO over any queue type: amount gives an entry's
// amount in satoshis. The result is a fresh slice of what MatchFIFO would
// pick; nothing else is allocated, so a caller with its own queue type (the
// L2 ledger's view) applies the same rule without converting its queue.
func MatchFIFOBy[T any](amountSat int64, queue []T, amount func(*T) int64) []T {
	if amountSat <= 0 {
		return nil
	}
	for i := range queue {
		if amount(&queue[i]) == amountSat {
			return []T{queue[i]}
		}
	}
	var sum int64
	for i := range queue {
		a := amount(&queue[i])
		if a <= 0 || a > maxSat {
			return nil
		}
		sum += a
		if sum == amountSat {
			return slices.Clone(queue[:i+1])
		}
		if sum > amountSat {
			return nil
		}
	}
	return nil
}

// stakingChecker verifies unwhitelisted P2TR outputs as Babylon staking
// outputs: the co-managed staker key, whitelisted finality providers, and
// the Babylon parameters version in force (committee, quorum, bounds).
type stakingChecker struct {
	s         Snapshot
	walletKey []byte // x-only; nil when the snapshot's is invalid
	prepared  bool
	staker    *btcec.PublicKey // the co-managed staker key; nil: none configured
	fps       [][]byte         // x-only whitelisted finality providers
	g         babylon.GlobalParams
	// missing, when set, is why no version can judge an output.
	missing *Reason
	// candidates (undeclared outputs) are the rebuilt scripts of every
	// approved combination, and wallet those with the wallet key as
	// staker: computed once per evaluation, only if an output needs them.
	candidates map[string]bool
	wallet     map[string]bool
}

func newStakingChecker(s Snapshot, walletKey *btcec.PublicKey) *stakingChecker {
	c := &stakingChecker{s: s}
	if walletKey != nil {
		c.walletKey = babylon.XOnly(walletKey)
	}
	return c
}

func isP2TR(pk []byte) bool { return len(pk) == 34 && pk[0] == 0x51 && pk[1] == 0x20 }

func (c *stakingChecker) prepare() {
	if c.prepared {
		return
	}
	c.prepared = true
	if k, err := babylon.ParseKey(c.s.Params.StakerKey); err == nil {
		c.staker = k
	}
	for _, w := range c.s.Whitelist.Entries {
		if w.Kind != KindFinalityProvider {
			continue
		}
		if k, err := babylon.ParseKey(w.PubKey); err == nil {
			c.fps = append(c.fps, babylon.XOnly(k))
		}
	}
	c.missing = c.version()
}

// version selects the version in force from the snapshot, or says why
// there is none.
func (c *stakingChecker) version() *Reason {
	l1, b := c.s.L1, c.s.Babylon
	if l1 == nil {
		return &Reason{Code: CodeBabylonHeightUnknown, Detail: "no L1 view: the BTC height, and so the Babylon parameters version in force, is unknown"}
	}
	if b == nil {
		return &Reason{Code: CodeBabylonNoParams, Detail: fmt.Sprintf("no Babylon parameters version in force at BTC height %d", l1.Height+1)}
	}
	g, err := b.Version.Params()
	if err != nil {
		return &Reason{Code: CodeParamsInvalid, Detail: fmt.Sprintf("Babylon parameters: %v", err)}
	}
	if b.Height != l1.Height+1 || uint64(g.ActivationHeight) > b.Height {
		return &Reason{Code: CodeBabylonNoParams, Detail: fmt.Sprintf("Babylon version %d (active from %d) was selected for height %d, the transaction is decided for %d", g.Version, g.ActivationHeight, b.Height, l1.Height+1)}
	}
	if n := uint64(b.NextActivation); n != 0 && (n <= b.Height || n-b.Height < BabylonSwitchMargin) {
		return &Reason{Code: CodeBabylonParamsSwitching, Detail: fmt.Sprintf("Babylon version %d activates at %d, within %d blocks of %d", g.Version+1, n, BabylonSwitchMargin, b.Height)}
	}
	c.g = g
	return nil
}

func containsKey(set [][]byte, k []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, k) {
			return true
		}
	}
	return false
}

// build rebuilds the staking script under the version in force.
func (c *stakingChecker) build(staker *btcec.PublicKey, fps []*btcec.PublicKey, t uint16) ([]byte, error) {
	return babylon.StakingPkScript(c.g.Delegation(staker, fps, t))
}

// verify returns ok for a verified staking output, or the reasons a declared
// staking output fails; (false, nil) means "not a staking output at all".
func (c *stakingChecker) verify(o Output) (bool, []Reason) {
	if !isP2TR(o.PkScript) && o.Staking == nil {
		return false, nil
	}
	c.prepare()
	if o.Staking == nil {
		return c.verifyUndeclared(o)
	}
	return c.verifyDeclared(o, o.Staking)
}

func (c *stakingChecker) verifyDeclared(o Output, d *StakingDecl) (bool, []Reason) {
	var rs []Reason
	deny := func(code Code, format string, args ...any) {
		rs = append(rs, Reason{Code: code, Detail: fmt.Sprintf("output %d: ", o.Index) + fmt.Sprintf(format, args...)})
	}
	var fps []*btcec.PublicKey
	for _, h := range d.FinalityProviders {
		k, err := babylon.ParseKey(h)
		if err != nil {
			deny(CodeStakingOutputMismatch, "declared finality provider key invalid")
			return false, rs
		}
		fps = append(fps, k)
	}
	sk, err := babylon.ParseKey(d.StakerKey)
	if err != nil {
		deny(CodeStakingOutputMismatch, "declared staker key invalid")
		return false, rs
	}
	staker := babylon.XOnly(sk)
	switch {
	case c.walletKey != nil && bytes.Equal(staker, c.walletKey):
		deny(CodeStakingWalletKeyAsStaker, "the staker key is the wallet's threshold key, which cannot make the BIP340 signatures Babylon's scripts check")
	case c.staker == nil:
		deny(CodeStakingKeyNotApproved, "staker key %x: no co-managed staker key is configured (babylon.staker_key)", staker)
	case !bytes.Equal(staker, babylon.XOnly(c.staker)):
		deny(CodeStakingKeyNotApproved, "staker key %x is not the co-managed staker key (a babylon_staker_key whitelist entry no longer approves one)", staker)
	}
	for _, k := range fps {
		if f := babylon.XOnly(k); !containsKey(c.fps, f) {
			deny(CodeStakingFPNotApproved, "finality provider %x not whitelisted", f)
		}
	}
	if !slices.Contains(c.s.Params.StakingTimes, d.StakingTime) {
		deny(CodeStakingTimeNotAllowed, "staking time %d not among the project's staking times", d.StakingTime)
	}
	if c.missing != nil {
		rs = append(rs, Reason{Code: c.missing.Code, Detail: fmt.Sprintf("output %d: %s", o.Index, c.missing.Detail)})
		return false, rs
	}
	if err := c.g.CheckDelegation(o.Value, d.StakingTime, len(fps)); err != nil {
		if errors.Is(err, babylon.ErrStakingValue) {
			deny(CodeStakingValueOutOfBounds, "%d sat outside version %d's [%d, %d]", o.Value, c.g.Version, c.g.MinStakingValue, c.g.MaxStakingValue)
		}
		if errors.Is(err, babylon.ErrStakingTime) {
			deny(CodeStakingTimeOutOfBounds, "staking time %d outside version %d's [%d, %d]", d.StakingTime, c.g.Version, c.g.MinStakingTime, c.g.MaxStakingTime)
		}
		if errors.Is(err, babylon.ErrFinalityProvider) {
			deny(CodeStakingFPCount, "%d finality providers, version %d allows %v", len(fps), c.g.Version, err)
		}
	}
	if len(d.CovenantKeys) > 0 || d.CovenantQuorum != 0 {
		if !c.sameCommittee(d) {
			deny(CodeStakingCovenantMismatch, "declared covenant committee (%d keys, quorum %d) is not version %d's (%d keys, quorum %d)", len(d.CovenantKeys), d.CovenantQuorum, c.g.Version, len(c.g.CovenantKeys), c.g.CovenantQuorum)
		}
	}
	if pk, err := c.build(sk, fps, d.StakingTime); err != nil || !bytes.Equal(pk, o.PkScript) {
		deny(CodeStakingOutputMismatch, "the output is not the staking output its declared parameters rebuild under version %d", c.g.Version)
	}
	return len(rs) == 0, rs
}

// sameCommittee: the declared committee is the version's (as a set) with
// its quorum.
func (c *stakingChecker) sameCommittee(d *StakingDecl) bool {
	if d.CovenantQuorum != c.g.CovenantQuorum || len(d.CovenantKeys) != len(c.g.CovenantKeys) {
		return false
	}
	want := make([][]byte, len(c.g.CovenantKeys))
	for i, k := range c.g.CovenantKeys {
		want[i] = babylon.XOnly(k)
	}
	seen := map[string]bool{}
	for _, h := range d.CovenantKeys {
		k, err := babylon.ParseKey(h)
		if err != nil {
			return false
		}
		x := babylon.XOnly(k)
		if seen[string(x)] || !containsKey(want, x) {
			return false
		}
		seen[string(x)] = true
	}
	return true
}

// verifyUndeclared matches an output without a declaration against every
// approved combination (co-managed staker key, one whitelisted finality
// provider, one of the project's staking times) under the version.
func (c *stakingChecker) verifyUndeclared(o Output) (bool, []Reason) {
	if c.missing != nil {
		if c.staker == nil || c.missing.Code == CodeParamsInvalid {
			// Nothing could ever verify: an unknown destination.
			return false, nil
		}
		return false, []Reason{{Code: c.missing.Code, Detail: fmt.Sprintf("output %d pays an unlisted taproot script that cannot be checked as a staking output: %s", o.Index, c.missing.Detail)}}
	}
	if c.candidates == nil {
		c.candidates, c.wallet = map[string]bool{}, map[string]bool{}
		var wk *btcec.PublicKey
		if c.walletKey != nil {
			wk, _ = babylon.ParseKey(c.walletKey)
		}
		for _, f := range c.fps {
			fk, err := babylon.ParseKey(f)
			if err != nil {
				continue
			}
			for _, t := range c.s.Params.StakingTimes {
				if c.g.CheckDelegation(c.g.MinStakingValue, t, 1) != nil {
					continue // outside the version's time bounds
				}
				// A staker key that is the wallet's threshold key approves
				// nothing (as for a declared output): its scripts are the
				// wallet-key ones refused below.
				if c.staker != nil && (c.walletKey == nil || !bytes.Equal(babylon.XOnly(c.staker), c.walletKey)) {
					if pk, err := c.build(c.staker, []*btcec.PublicKey{fk}, t); err == nil {
						c.candidates[string(pk)] = true
					}
				}
				if wk != nil {
					if pk, err := c.build(wk, []*btcec.PublicKey{fk}, t); err == nil {
						c.wallet[string(pk)] = true
					}
				}
			}
		}
	}
	switch {
	case c.candidates[string(o.PkScript)]:
		if o.Value < c.g.MinStakingValue || o.Value > c.g.MaxStakingValue {
			return false, []Reason{{Code: CodeStakingValueOutOfBounds, Detail: fmt.Sprintf("output %d: %d sat outside version %d's [%d, %d]", o.Index, o.Value, c.g.Version, c.g.MinStakingValue, c.g.MaxStakingValue)}}
		}
		return true, nil
	case c.wallet[string(o.PkScript)]:
		return false, []Reason{{Code: CodeStakingWalletKeyAsStaker, Detail: fmt.Sprintf("output %d is a staking output with the wallet's threshold key as staker", o.Index)}}
	}
	return false, nil
}

// satAdd adds two in-range amounts, saturating just above the range.
func satAdd(a, b int64) int64 {
	if a+b > maxSat {
		return maxSat + 1
	}
	return a + b
}

// checkL1 applies the L1 view (when configured): a usable view, and every
// input an unspent wallet output in it with the value the PSBT proved.
func (e *evaluation) checkL1() {
	l := e.s.L1
	if l == nil {
		return
	}
	if l.Stale {
		e.deny(CodeL1Stale, "L1 view stale at height %d: %s", l.Height, l.Detail)
	}
	if l.Disagree {
		e.deny(CodeL1EndpointsDisagree, "Bitcoin endpoints disagree: %s", l.Detail)
	}
	if l.NotReconciled {
		e.deny(CodeL1NotReconciled, "the L1 view at height %d is not yet reconciled with the decisions", l.Height)
	}
	// Every signed transaction must be replaceable (BIP125: some input's
	// sequence below 0xfffffffe), or a stuck one could never be bumped.
	signals := false
	for _, in := range e.f.Inputs {
		if in.Sequence < 0xfffffffe {
			signals = true
		}
	}
	if !signals {
		e.deny(CodeRBFNotSignalled, "no input signals replaceability (BIP125: a sequence below 0xfffffffe)")
	}
	byOutpoint := make(map[string]InputState, len(e.s.Inputs))
	for _, in := range e.s.Inputs {
		byOutpoint[in.Outpoint] = in
	}
	for _, in := range e.f.Inputs {
		st, ok := byOutpoint[in.Outpoint]
		switch {
		case !ok || st.State == InputUnknown:
			e.deny(CodeInputNotInL1View, "input %d (%s) is not a wallet output in the L1 view", in.Index, in.Outpoint)
		case st.State == InputSpent:
			e.deny(CodeInputSpent, "input %d (%s) is already spent on chain: %s", in.Index, in.Outpoint, st.Detail)
		case st.State == InputUnconfirmed:
			e.deny(CodeInputUnconfirmed, "input %d (%s) has too few confirmations: %s", in.Index, in.Outpoint, st.Detail)
		case st.State != InputConfirmed && st.State != InputOwnChange:
			e.deny(CodeInputNotInL1View, "input %d (%s) has L1 state %q", in.Index, in.Outpoint, st.State)
		case st.Value != in.Value:
			e.deny(CodeInputValueMismatch, "input %d (%s) is %d sat in the PSBT, %d sat in the L1 view", in.Index, in.Outpoint, in.Value, st.Value)
		}
	}
}

// replaces: txid is one of the signed transactions this one replaces.
func (e *evaluation) replaces(txid string) bool {
	for _, m := range e.s.Replaces {
		if m.TxID == txid {
			return true
		}
	}
	return false
}

// checkReplacement applies the RBF rule against every earlier signed
// transaction of the claims (Snapshot.Replaces): none mined, each conflicts
// with this one (so at most one can ever confirm), the same external
// outputs and reqIds, a higher fee and fee rate, no input from a replaced
// transaction.
func (e *evaluation) checkReplacement() {
	if len(e.s.Replaces) == 0 {
		return
	}
	f := e.f
	spends := map[string]bool{}
	for _, in := range f.Inputs {
		spends[in.Outpoint] = true
	}
	ext := outputsKey(f.Outputs)
	ids := slices.Clone(f.ReqIDs)
	slices.Sort(ids)
	for _, m := range e.s.Replaces {
		if m.Stage != "mempool" && m.Stage != "unseen" {
			e.deny(CodeReqIDConfirming, "transaction %s of the claim is %s: it cannot be replaced", m.TxID, m.Stage)
		}
		conflicts := false
		for _, op := range m.Inputs {
			if spends[op] {
				conflicts = true
			}
		}
		if !conflicts {
			e.deny(CodeReplacementNotConflicting, "spends none of the inputs of signed transaction %s", m.TxID)
		}
		mids := slices.Clone(m.ReqIDs)
		slices.Sort(mids)
		if outputsKey(m.External) != ext || !slices.Equal(ids, mids) {
			e.deny(CodeReplacementOutputsDiffer, "external outputs or reqIds differ from signed transaction %s", m.TxID)
		}
		if f.Fee < m.Fee+IncrementalRelayFeeRate*f.VSize || f.FeeRate <= m.FeeRate {
			e.deny(CodeReplacementFeeNotHigher, "fee %d sat at %d sat/vB does not replace %s (%d sat at %d sat/vB)", f.Fee, f.FeeRate, m.TxID, m.Fee, m.FeeRate)
		}
		for _, in := range f.Inputs {
			if strings.HasPrefix(in.Outpoint, m.TxID+":") {
				e.deny(CodeInputFromReplacedTx, "input %d spends an output of %s, which it replaces", in.Index, m.TxID)
			}
		}
	}
}

// outputsKey is the external outputs (script and value) as a sorted key.
func outputsKey(outs []Output) string {
	var ks []string
	for _, o := range outs {
		if o.Class == ClassExternal {
			ks = append(ks, fmt.Sprintf("%x:%d", []byte(o.PkScript), o.Value))
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}
