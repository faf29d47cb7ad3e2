// Command gen writes testvectors/scenarios/scenarios.json: the policy
// scenario table. Run it through `bash scripts/gen-scenarios.sh`. The output is
// deterministic (fixed seeds, fixed times, no map iteration in the output
// order). The expected outcomes and reason codes below are written by hand
// from the rules in docs/policy.md; the generator never runs the engine.
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

const (
	btc        = int64(100_000_000)
	fee        = int64(2_000)
	walletSeed = "policyd-scenarios"
	btcToken   = "0x0000000000000000000000000000000000000000"
	otherToken = "0x1111111111111111111111111111111111111111"
	stakeTime  = uint16(64000)
)

// covenant is the 3-of-5 committee of Babylon's public test vector 2
// (babylonlabs-io/babylon btcstaking/testvectors/vectors.json).
var covenantHex = []string{
	"02cc5c77da065c490a320834fdcf2c3da70ecd442054c90f874a1edb4669607b83",
	"022f57b6d267043beda2deebab1187a67316121f1eac24047c16d1209c5e6cd0a5",
	"03784bdab9a1c71ea51fa5904227e721681453e59d20af3d97485e79e5518bdfff",
	"03f31cf8fb9ee1d9157e172d65b1bd00a0b54cee3906df13ced709bfd8d407e9a2",
	"035c3e1bb7c6b475a9caeebcb09fab74546a9b8a364dd0ccede7e5aea5c5b12ed0",
}

func key(label string) *btcec.PublicKey {
	h := sha256.Sum256([]byte("policyd-scenarios/key/" + label))
	_, pub := btcec.PrivKeyFromBytes(h[:])
	return pub
}

func hx(b []byte) policy.HexBytes { return policy.HexBytes(b) }

type gen struct {
	w        *psbtgen.Wallet
	bridge   []byte
	bridge2  []byte
	stakeDst []byte
	covenant []*btcec.PublicKey
	schedule *babylon.Schedule
	out      []scenarios.Scenario
}

// l1Height is the L1 view's height in the staking scenarios: Babylon
// version 1 (activated at 800,000) is in force at l1Height+1.
const l1Height = 849_999

// stakerKey is the co-managed staker key of the scenarios (a stand-in for
// the MuSig2 aggregate; only its public key matters to the policy).
func stakerKey() *btcec.PublicKey { return key("co-managed-staker") }

// newSchedule is the scenarios' Babylon schedule: version 0 with vector 1's
// single covenant key, version 1 (in force) with vector 2's 3-of-5.
func (g *gen) newSchedule() *babylon.Schedule {
	old := must(btcec.ParsePubKey(must(hex.DecodeString("024852a5d3e79cfdee1bda4ea729e879c1db0f19230eadd3cb96d3cb1efa8d30fa"))))
	v := func(version, height uint32, cov []*btcec.PublicKey, quorum int) babylon.GlobalParams {
		return babylon.GlobalParams{
			Version: version, ActivationHeight: height, CovenantKeys: cov, CovenantQuorum: quorum, MaxFinalityProviders: 1,
			MinStakingValue: 10_000, MaxStakingValue: 50 * btc, MinStakingTime: 100, MaxStakingTime: 65000,
			UnbondingTime: 101, UnbondingFee: 1_000, SlashingRatePct: 10,
			SlashingPkScript: psbtgen.P2WPKHOutput("babylon-slashing", 1).PkScript, MinSlashingFee: 1_000,
		}
	}
	return must(babylon.NewSchedule([]babylon.GlobalParams{v(0, 700_000, []*btcec.PublicKey{old}, 1), v(1, 800_000, g.covenant, 3)}))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (g *gen) stakingScript(staker *btcec.PublicKey, fp *btcec.PublicKey, t uint16) []byte {
	return g.stakingScriptFPs(staker, []*btcec.PublicKey{fp}, t)
}

func (g *gen) stakingScriptFPs(staker *btcec.PublicKey, fps []*btcec.PublicKey, t uint16) []byte {
	return must(babylon.StakingPkScript(babylon.Params{
		StakerKey: staker, FinalityProviders: fps,
		CovenantKeys: g.covenant, CovenantQuorum: 3, StakingTime: t,
	}))
}

func req(id, kind string, sat int64, block uint64) policy.Request {
	return policy.Request{
		ID: id, Kind: kind, AmountSat: sat, AmountWei: fmt.Sprintf("%d0000000000", sat),
		Token: btcToken, TxHash: fmt.Sprintf("0x%064x", sha256.Sum256([]byte("l2tx/"+id))),
		Block: block, LogIndex: 0, State: policy.StateFinalized,
	}
}

func (g *gen) baseSnapshot() policy.Snapshot {
	return policy.Snapshot{
		Params: policy.Params{
			MaxFeeSat: 100_000, MaxFeeRate: 200, VelocityCapSat: 100 * btc,
			BTCToken: btcToken, StakingTimes: []uint16{stakeTime},
			StakerKey: hx(babylon.XOnly(stakerKey())),
		},
		L2: policy.L2Status{Height: 1000, HeadTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		Whitelist: policy.Whitelist{Version: 7, Entries: []policy.WhitelistEntry{
			{Kind: policy.KindBridgeHotWallet, PkScript: hx(g.bridge), Label: "bridge hot wallet"},
			{Kind: policy.KindBridgeHotWallet, PkScript: hx(g.bridge2), Label: "bridge hot wallet 2"},
			{Kind: policy.KindStakingDestination, PkScript: hx(g.stakeDst), Label: "pre-approved staking output"},
			{Kind: policy.KindBabylonStakerKey, PubKey: hx(key("staker-2").SerializeCompressed()), Label: "co-managed staker key 2"},
			{Kind: policy.KindFinalityProvider, PubKey: hx(key("fp-1").SerializeCompressed()), Label: "fp 1"},
			{Kind: policy.KindFinalityProvider, PubKey: hx(key("fp-2").SerializeCompressed()), Label: "fp 2"},
		}},
		WalletKey: hx(g.w.PubKey()),
		Requests: []policy.Request{
			req("100", policy.KindUnbound, 1*btc, 900),
			req("101", policy.KindUnbound, btc/2, 901),
			req("300", policy.KindStaked, 1*btc, 902),
			req("301", policy.KindStaked, 6*btc/10, 903),
		},
		Stake: policy.StakeTotals{FinalizedStakedSat: 10 * btc, StakedSat: 2 * btc, ReturnedSat: 1 * btc},
	}
}

type spec struct {
	name, desc string
	inputs     []int64
	outs       []*wire.TxOut
	ids        []string // nil: no OP_RETURN
	change     bool     // add a change output balancing inputs - outputs - fee
	fee        int64    // 0: the default fee
	decls      map[int]*policy.StakingDecl
	// l1: the snapshot has an L1 view at l1Height with every input
	// confirmed, and the Babylon version in force (staking scenarios).
	l1     bool
	mutate func(*policy.Snapshot)
	expect scenarios.Expect
}

func (g *gen) add(s spec) {
	if s.fee == 0 {
		s.fee = fee
	}
	outs := append([]*wire.TxOut(nil), s.outs...)
	if s.change {
		var in, out int64
		for _, v := range s.inputs {
			in += v
		}
		for _, o := range s.outs {
			out += o.Value
		}
		outs = append(outs, wire.NewTxOut(in-out-s.fee, g.w.PkScript()))
	}
	var payload []byte
	if s.ids != nil {
		payload = psbtgen.StReqIDsPayload(s.ids...)
	}
	pkt := must(psbtgen.Build(&chaincfg.MainNetParams, g.w, s.inputs, outs, payload))
	snap := g.baseSnapshot()
	if s.l1 {
		snap.L1 = &policy.L1Status{Height: l1Height}
		for i, in := range pkt.UnsignedTx.TxIn {
			prev := pkt.Inputs[i].NonWitnessUtxo
			snap.Inputs = append(snap.Inputs, policy.InputState{Outpoint: in.PreviousOutPoint.String(), State: policy.InputConfirmed,
				Value: prev.TxOut[in.PreviousOutPoint.Index].Value, Depth: 6})
		}
		snap.Babylon = policy.BabylonAt(g.schedule, l1Height)
	}
	if s.mutate != nil {
		s.mutate(&snap)
	}
	// The FIFO queue is what the decision service would read: finalized,
	// unclaimed, unconflicted BTC UnboundRequired requests in L2 order,
	// filled only when the fallback can apply.
	if snap.Params.FIFOFallback && s.ids == nil {
		for _, r := range snap.Requests {
			if r.Kind == policy.KindUnbound && r.State == policy.StateFinalized && r.Claim == nil && len(r.Conflicts) == 0 && r.Token == btcToken {
				snap.PendingUnbound = append(snap.PendingUnbound, r)
			}
		}
		sort.SliceStable(snap.PendingUnbound, func(i, j int) bool {
			a, b := snap.PendingUnbound[i], snap.PendingUnbound[j]
			return a.Block < b.Block || (a.Block == b.Block && a.LogIndex < b.LogIndex)
		})
	}
	sort.Strings(s.expect.Reasons)
	g.out = append(g.out, scenarios.Scenario{
		Name: s.name, Description: s.desc, WalletSeed: walletSeed,
		PSBT:         base64.StdEncoding.EncodeToString(psbtgen.Serialize(pkt)),
		StakingDecls: s.decls, Snapshot: snap, Now: "2026-01-01T00:05:00Z", Expect: s.expect,
	})
}

func allow(claims ...string) scenarios.Expect {
	return scenarios.Expect{Outcome: policy.Allow, Claims: claims}
}

func allowVia(src string, claims ...string) scenarios.Expect {
	return scenarios.Expect{Outcome: policy.Allow, Claims: claims, BridgeSource: src}
}

func deny(codes ...policy.Code) scenarios.Expect {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return scenarios.Expect{Outcome: policy.Deny, Reasons: out}
}

func withReq(id string, f func(*policy.Request)) func(*policy.Snapshot) {
	return func(s *policy.Snapshot) {
		for i := range s.Requests {
			if s.Requests[i].ID == id {
				f(&s.Requests[i])
			}
		}
	}
}

func fifoQueue(s *policy.Snapshot) {
	s.Params.FIFOFallback = true
	// P002's example queue replaces the other unbound requests: 1, 2, 1 BTC.
	var keep []policy.Request
	for _, r := range s.Requests {
		if r.Kind != policy.KindUnbound {
			keep = append(keep, r)
		}
	}
	s.Requests = append(keep, req("201", policy.KindUnbound, 1*btc, 950), req("202", policy.KindUnbound, 2*btc, 951), req("203", policy.KindUnbound, 1*btc, 952))
}

func chain(fs ...func(*policy.Snapshot)) func(*policy.Snapshot) {
	return func(s *policy.Snapshot) {
		for _, f := range fs {
			f(s)
		}
	}
}

func (g *gen) all() {
	W := func(label string, v int64) *wire.TxOut { return psbtgen.P2WPKHOutput(label, v) }
	B := func(v int64) *wire.TxOut { return wire.NewTxOut(v, g.bridge) }
	B2 := func(v int64) *wire.TxOut { return wire.NewTxOut(v, g.bridge2) }
	walletKey := must(btcec.ParsePubKey(g.w.PubKey()))
	in := []int64{3 * btc, 2 * btc}
	big := []int64{5 * btc, 5 * btc}

	// Withdrawals justified by the OP_RETURN.
	g.add(spec{name: "withdraw_one_id", desc: "bridge 1 BTC, change, ids 100", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, expect: allowVia(policy.SourceOpReturn, "100")})
	g.add(spec{name: "withdraw_two_ids", desc: "bridge 1.5 BTC for ids 100+101", inputs: in, outs: []*wire.TxOut{B(btc + btc/2)}, ids: []string{"100", "101"}, change: true, expect: allowVia(policy.SourceOpReturn, "100", "101")})
	g.add(spec{name: "withdraw_two_bridge_outputs", desc: "two whitelisted bridge addresses, total equals ids", inputs: in, outs: []*wire.TxOut{B(btc), B2(btc / 2)}, ids: []string{"100", "101"}, change: true, expect: allowVia(policy.SourceOpReturn, "100", "101")})
	g.add(spec{name: "withdraw_no_change", desc: "bridge takes everything but the fee", inputs: []int64{btc + fee}, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, expect: allowVia(policy.SourceOpReturn, "100")})
	g.add(spec{name: "bridge_amount_short", desc: "bridge 1 BTC but ids add to 1.5", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100", "101"}, change: true, expect: deny(policy.CodeBridgeAmountMismatch)})
	g.add(spec{name: "bridge_amount_over", desc: "bridge 2 BTC for a 1 BTC request", inputs: in, outs: []*wire.TxOut{B(2 * btc)}, ids: []string{"100"}, change: true, expect: deny(policy.CodeBridgeAmountMismatch)})
	g.add(spec{name: "bridge_one_sat_off", desc: "bridge 1 BTC + 1 sat", inputs: in, outs: []*wire.TxOut{B(btc + 1)}, ids: []string{"100"}, change: true, expect: deny(policy.CodeBridgeAmountMismatch)})
	g.add(spec{name: "reqid_unknown", desc: "id 999 not in the ledger", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"999"}, change: true, expect: deny(policy.CodeReqIDUnknown, policy.CodeBridgeAmountMismatch)})
	g.add(spec{name: "reqid_wrong_kind_staked_for_bridge", desc: "a TokenStaked id justifying a bridge transfer", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"300"}, change: true, expect: deny(policy.CodeReqIDWrongKind, policy.CodeBridgeAmountMismatch)})
	g.add(spec{name: "reqid_wrong_kind_extra_staked", desc: "bridge matched by 100, plus a staked id with no staking output", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100", "300"}, change: true, expect: deny(policy.CodeReqIDWrongKind)})
	g.add(spec{name: "reqid_not_finalized", desc: "request 100 not yet final", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) { r.State = "pending" }), expect: deny(policy.CodeReqIDNotFinalized)})
	g.add(spec{name: "reqid_conflicting", desc: "request 100 seen twice on L2", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) { r.Conflicts = []string{"second event with the same reqId"} }), expect: deny(policy.CodeReqIDConflicting)})
	g.add(spec{name: "reqid_claimed", desc: "100 reserved by another decision", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) {
		r.Claim = &policy.Claim{DecisionID: "other-decision", TxID: "aa" + fmt.Sprintf("%062d", 0), State: policy.ClaimReserved}
	}), expect: deny(policy.CodeReqIDClaimed)})
	g.add(spec{name: "reqid_signed", desc: "100 already signed in another decision", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) {
		r.Claim = &policy.Claim{DecisionID: "other-decision", TxID: "bb" + fmt.Sprintf("%062d", 0), State: policy.ClaimSigned}
	}), expect: deny(policy.CodeReqIDSigned)})
	g.add(spec{name: "reqid_approved", desc: "UnboundApproved already seen for 100", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) { r.State = policy.StateApproved }), expect: deny(policy.CodeReqIDApproved)})
	g.add(spec{name: "reqid_not_btc", desc: "request 100 in an ERC-20", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: withReq("100", func(r *policy.Request) { r.Token = otherToken }), expect: deny(policy.CodeReqIDNotBTC)})
	g.add(spec{name: "reqid_unused_consolidation", desc: "change only, yet an OP_RETURN lists 100", inputs: in, ids: []string{"100"}, change: true, expect: deny(policy.CodeReqIDUnused)})
	g.add(spec{name: "reqid_unused_staked", desc: "change only, OP_RETURN lists staked 300", inputs: in, ids: []string{"300"}, change: true, expect: deny(policy.CodeReqIDUnused)})
	g.add(spec{name: "opreturn_bridge_ignores_fifo", desc: "with an OP_RETURN the listed ids must add up even if FIFO would match", inputs: big, outs: []*wire.TxOut{B(3 * btc)}, ids: []string{"201"}, change: true, mutate: fifoQueue, expect: deny(policy.CodeBridgeAmountMismatch)})

	// Whole-wallet state and limits.
	g.add(spec{name: "consolidation", desc: "three inputs to one change output, no OP_RETURN", inputs: []int64{btc, 2 * btc, 3 * btc}, change: true, expect: allow()})
	g.add(spec{name: "frozen", desc: "a valid withdrawal while frozen", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.Frozen = true }, expect: deny(policy.CodeFrozen)})
	g.add(spec{name: "frozen_consolidation", desc: "even consolidation is refused while frozen", inputs: in, change: true, mutate: func(s *policy.Snapshot) { s.Frozen = true }, expect: deny(policy.CodeFrozen)})
	g.add(spec{name: "l2_stale", desc: "indexer view too old", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.L2.Stale, s.L2.Detail = true, "head unchanged for 20m" }, expect: deny(policy.CodeL2Stale)})
	g.add(spec{name: "l2_endpoints_disagree", desc: "two RPC endpoints report different hashes", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.L2.Disagree, s.L2.Detail = true, "block 990 hash differs" }, expect: deny(policy.CodeL2EndpointsDisagree)})
	g.add(spec{name: "output_not_whitelisted", desc: "bridge justified, plus a payment to a stranger", inputs: in, outs: []*wire.TxOut{B(btc), W("stranger", btc/10)}, ids: []string{"100"}, change: true, expect: deny(policy.CodeOutputNotWhitelisted)})
	g.add(spec{name: "stranger_only", desc: "everything to a stranger, no OP_RETURN", inputs: in, outs: []*wire.TxOut{W("stranger", 4*btc)}, change: true, expect: deny(policy.CodeOutputNotWhitelisted)})
	g.add(spec{name: "fee_too_high", desc: "fee above the absolute cap (rate within)", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.Params.MaxFeeSat = 1_500 }, expect: deny(policy.CodeFeeTooHigh)})
	g.add(spec{name: "fee_rate_too_high", desc: "fee rate above the cap (absolute within)", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.Params.MaxFeeRate = 5 }, expect: deny(policy.CodeFeeRateTooHigh)})
	g.add(spec{name: "fee_both_caps", desc: "a 0.01 BTC fee breaks both caps", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, fee: 1_000_000, expect: deny(policy.CodeFeeTooHigh, policy.CodeFeeRateTooHigh)})
	g.add(spec{name: "velocity_exceeded", desc: "99.5 BTC already out in 24 h, 1 BTC more", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.OutflowSat = 99*btc + btc/2 }, expect: deny(policy.CodeVelocityExceeded)})
	g.add(spec{name: "velocity_exactly_at_cap", desc: "outflow incl. fee reaches the cap exactly", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.OutflowSat = 99*btc - fee }, expect: allowVia(policy.SourceOpReturn, "100")})
	g.add(spec{name: "params_invalid", desc: "velocity cap unset", inputs: in, outs: []*wire.TxOut{B(btc)}, ids: []string{"100"}, change: true, mutate: func(s *policy.Snapshot) { s.Params.VelocityCapSat = 0 }, expect: deny(policy.CodeParamsInvalid)})
	g.add(spec{name: "many_failures", desc: "frozen, stale, a stranger and a high fee: every reason listed", inputs: in, outs: []*wire.TxOut{B(btc), W("stranger", btc)}, ids: []string{"100"}, change: true, fee: 1_000_000, mutate: func(s *policy.Snapshot) { s.Frozen = true; s.L2.Stale = true }, expect: deny(policy.CodeFrozen, policy.CodeL2Stale, policy.CodeOutputNotWhitelisted, policy.CodeFeeTooHigh, policy.CodeFeeRateTooHigh)})

	// No OP_RETURN: P002's FIFO fallback and plan allowances.
	g.add(spec{name: "fifo_p002_example", desc: "P002: requests 1, 2, 1 BTC; 3 BTC received -> the first two", inputs: big, outs: []*wire.TxOut{B(3 * btc)}, change: true, mutate: fifoQueue, expect: allowVia(policy.SourceFIFO, "201", "202")})
	g.add(spec{name: "fifo_single_exact_earliest", desc: "1 BTC -> the earliest 1 BTC request", inputs: big, outs: []*wire.TxOut{B(btc)}, change: true, mutate: fifoQueue, expect: allowVia(policy.SourceFIFO, "201")})
	g.add(spec{name: "fifo_single_exact_beats_prefix", desc: "2 BTC -> request 202 alone, not a prefix", inputs: big, outs: []*wire.TxOut{B(2 * btc)}, change: true, mutate: fifoQueue, expect: allowVia(policy.SourceFIFO, "202")})
	g.add(spec{name: "fifo_whole_queue", desc: "4 BTC -> all three", inputs: big, outs: []*wire.TxOut{B(4 * btc)}, change: true, mutate: fifoQueue, expect: allowVia(policy.SourceFIFO, "201", "202", "203")})
	g.add(spec{name: "fifo_no_match", desc: "1.5 BTC matches no request and no prefix", inputs: big, outs: []*wire.TxOut{B(btc + btc/2)}, change: true, mutate: fifoQueue, expect: deny(policy.CodeBridgeUnjustified)})
	g.add(spec{name: "fifo_skips_claimed", desc: "201 already reserved: queue 2, 1 -> 3 BTC picks 202, 203", inputs: big, outs: []*wire.TxOut{B(3 * btc)}, change: true, mutate: chain(fifoQueue, withReq("201", func(r *policy.Request) {
		r.Claim = &policy.Claim{DecisionID: "earlier", TxID: "cc" + fmt.Sprintf("%062d", 0), State: policy.ClaimReserved}
	})), expect: allowVia(policy.SourceFIFO, "202", "203")})
	g.add(spec{name: "fifo_disabled", desc: "3 BTC without OP_RETURN, fallback off", inputs: big, outs: []*wire.TxOut{B(3 * btc)}, change: true, mutate: chain(fifoQueue, func(s *policy.Snapshot) { s.Params.FIFOFallback = false }), expect: deny(policy.CodeBridgeUnjustified)})
	allowance := func(amount int64, script []byte) func(*policy.Snapshot) {
		return func(s *policy.Snapshot) {
			s.Allowances = []policy.Allowance{{ID: "allow-plan-7", PlanID: "7", AmountSat: amount, PkScript: hx(script)}}
		}
	}
	g.add(spec{name: "allowance_exact", desc: "plan 7 redemption: 5 BTC to the bridge, consumed exactly", inputs: big, outs: []*wire.TxOut{B(5 * btc)}, change: true, mutate: allowance(5*btc, g.bridge), expect: allowVia(policy.SourceAllowance)})
	g.add(spec{name: "allowance_wrong_amount", desc: "allowance 5 BTC, transfer 4 BTC", inputs: big, outs: []*wire.TxOut{B(4 * btc)}, change: true, mutate: allowance(5*btc, g.bridge), expect: deny(policy.CodeBridgeUnjustified)})
	g.add(spec{name: "allowance_wrong_address", desc: "allowance to bridge 2, transfer to bridge 1", inputs: big, outs: []*wire.TxOut{B(5 * btc)}, change: true, mutate: allowance(5*btc, g.bridge2), expect: deny(policy.CodeBridgeUnjustified)})
	g.add(spec{name: "no_opreturn_no_fallback", desc: "1 BTC to the bridge with nothing to justify it", inputs: in, outs: []*wire.TxOut{B(btc)}, change: true, expect: deny(policy.CodeBridgeUnjustified)})

	// Staking (issue 17): the co-managed staker key, the Babylon version in
	// force at the L1 view's height, one accounting rule.
	St := func(v int64) *wire.TxOut {
		return wire.NewTxOut(v, g.stakingScript(stakerKey(), key("fp-1"), stakeTime))
	}
	stake := func(sp spec) { sp.l1, sp.change = true, true; g.add(sp) }
	version := func(f func(*babylon.VersionJSON)) func(*policy.Snapshot) {
		return func(s *policy.Snapshot) { f(&s.Babylon.Version) }
	}
	stake(spec{name: "stake_listed", desc: "Babylon output (co-managed staker key, fp 1) covered by TokenStaked 300", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, expect: allow("300")})
	stake(spec{name: "stake_listed_surplus", desc: "1 BTC staked, ids 300+301 cover 1.6 BTC", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300", "301"}, expect: allow("300", "301")})
	stake(spec{name: "stake_not_covered", desc: "1.5 BTC staked, id 300 covers 1", inputs: in, outs: []*wire.TxOut{St(btc + btc/2)}, ids: []string{"300"}, expect: deny(policy.CodeStakingNotCovered)})
	stake(spec{name: "stake_unbound_id", desc: "an UnboundRequired id used for staking", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"100"}, expect: deny(policy.CodeReqIDWrongKind, policy.CodeStakingNotCovered)})
	stake(spec{name: "stake_cap_allowed", desc: "no OP_RETURN: 1 BTC within room 10-1-2=7", inputs: in, outs: []*wire.TxOut{St(btc)}, expect: allow()})
	stake(spec{name: "stake_cap_exact", desc: "no OP_RETURN: exactly the 7 BTC of room", inputs: big, outs: []*wire.TxOut{St(7 * btc)}, expect: allow()})
	stake(spec{name: "stake_cap_exceeded", desc: "no OP_RETURN: 7 BTC + 1 sat", inputs: big, outs: []*wire.TxOut{St(7*btc + 1)}, expect: deny(policy.CodeStakingCapExceeded)})
	stake(spec{name: "stake_listed_cap_exceeded", desc: "id 300 listed, but the room is used up by stakes without OP_RETURN (finalized 10 - returned 1 - staked 9 = 0): the same amount is not staked twice", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: func(s *policy.Snapshot) { s.Stake.StakedSat = 9 * btc }, expect: deny(policy.CodeStakingCapExceeded)})
	stake(spec{name: "stake_whitelisted_destination", desc: "a whitelisted staking_destination script", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, g.stakeDst)}, ids: []string{"300"}, expect: allow("300")})
	stake(spec{name: "stake_and_withdraw", desc: "bridge 1 BTC (id 100) and stake 1 BTC (id 300) in one tx", inputs: in, outs: []*wire.TxOut{B(btc), St(btc)}, ids: []string{"100", "300"}, expect: allowVia(policy.SourceOpReturn, "100", "300")})
	stake(spec{name: "stake_and_withdraw_short", desc: "bridge and stake, but no TokenStaked id for the stake", inputs: in, outs: []*wire.TxOut{B(btc), St(btc)}, ids: []string{"100"}, expect: deny(policy.CodeStakingNotCovered)})

	// The staker key.
	whitelisted := g.stakingScript(key("staker-2"), key("fp-2"), stakeTime)
	stake(spec{name: "stake_whitelisted_key", desc: "staker key 2 is a babylon_staker_key whitelist entry, which no longer approves a staker", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, whitelisted)}, ids: []string{"300"}, expect: deny(policy.CodeOutputNotWhitelisted, policy.CodeReqIDUnused)})
	decl := func(staker *btcec.PublicKey, t uint16, fps ...*btcec.PublicKey) map[int]*policy.StakingDecl {
		d := &policy.StakingDecl{StakerKey: hx(staker.SerializeCompressed()), StakingTime: t}
		for _, fp := range fps {
			d.FinalityProviders = append(d.FinalityProviders, hx(fp.SerializeCompressed()))
		}
		return map[int]*policy.StakingDecl{0: d}
	}
	stake(spec{name: "stake_whitelisted_key_declared", desc: "declared staker key 2 (whitelisted babylon_staker_key): not the co-managed key", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, whitelisted)}, ids: []string{"300"}, decls: decl(key("staker-2"), stakeTime, key("fp-2")), expect: deny(policy.CodeStakingKeyNotApproved, policy.CodeReqIDUnused)})
	rogue := g.stakingScript(key("rogue-staker"), key("fp-1"), stakeTime)
	stake(spec{name: "stake_rogue_key_undeclared", desc: "Babylon output with a staker key only the project holds", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, rogue)}, ids: []string{"300"}, expect: deny(policy.CodeOutputNotWhitelisted, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_rogue_key_declared", desc: "declared parameters rebuild the output, but the staker key is not the co-managed key", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, rogue)}, ids: []string{"300"}, decls: decl(key("rogue-staker"), stakeTime, key("fp-1")), expect: deny(policy.CodeStakingKeyNotApproved, policy.CodeReqIDUnused)})
	byWallet := g.stakingScript(walletKey, key("fp-1"), stakeTime)
	stake(spec{name: "stake_wallet_key_undeclared", desc: "Babylon output with the wallet's threshold key as staker", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, byWallet)}, ids: []string{"300"}, expect: deny(policy.CodeStakingWalletKeyAsStaker, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_wallet_key_declared", desc: "declared wallet key as staker", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, byWallet)}, ids: []string{"300"}, decls: decl(walletKey, stakeTime, key("fp-1")), expect: deny(policy.CodeStakingWalletKeyAsStaker, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_no_staker_key", desc: "no co-managed staker key configured: nothing verifies as staking", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: func(s *policy.Snapshot) { s.Params.StakerKey = nil }, expect: deny(policy.CodeOutputNotWhitelisted, policy.CodeReqIDUnused)})

	// Declarations checked rule by rule.
	stake(spec{name: "stake_declared_ok", desc: "declared parameters match and are approved", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")), expect: allow("300")})
	stake(spec{name: "stake_declared_mismatch", desc: "declared finality provider 2 (whitelisted), the output commits to fp 1", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-2")), expect: deny(policy.CodeStakingOutputMismatch, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_fp_not_approved", desc: "finality provider 3 is not whitelisted", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, g.stakingScript(stakerKey(), key("fp-3"), stakeTime))}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-3")), expect: deny(policy.CodeStakingFPNotApproved, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_time_not_allowed", desc: "staking time 1000 is inside the version's bounds but not one of the project's", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, g.stakingScript(stakerKey(), key("fp-1"), 1000))}, ids: []string{"300"}, decls: decl(stakerKey(), 1000, key("fp-1")), expect: deny(policy.CodeStakingTimeNotAllowed, policy.CodeReqIDUnused)})
	twoFPs := g.stakingScriptFPs(stakerKey(), []*btcec.PublicKey{key("fp-1"), key("fp-2")}, stakeTime)
	stake(spec{name: "stake_fp_count", desc: "two finality providers, the version allows one", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, twoFPs)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1"), key("fp-2")), expect: deny(policy.CodeStakingFPCount, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_fp_count_allowed", desc: "two finality providers under a version allowing two", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, twoFPs)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1"), key("fp-2")),
		mutate: version(func(v *babylon.VersionJSON) { v.MaxFinalityProviders = 2 }), expect: allow("300")})
	stake(spec{name: "stake_value_below_version", desc: "5,000 sat, the version's minimum is 10,000", inputs: in, outs: []*wire.TxOut{St(5_000)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")), expect: deny(policy.CodeStakingValueOutOfBounds, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_value_above_version_undeclared", desc: "1 BTC, the version's maximum lowered to 0.5 BTC; no declaration", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: version(func(v *babylon.VersionJSON) { v.MaxStakingValueSat = btc / 2 }), expect: deny(policy.CodeStakingValueOutOfBounds, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_time_above_version", desc: "staking time 64000, the version's maximum lowered to 60000", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")),
		mutate: version(func(v *babylon.VersionJSON) { v.MaxStakingTimeBlocks = 60000 }), expect: deny(policy.CodeStakingTimeOutOfBounds, policy.CodeReqIDUnused)})
	covDecl := decl(stakerKey(), stakeTime, key("fp-1"))
	covDecl[0].CovenantKeys, covDecl[0].CovenantQuorum = []policy.HexBytes{hx(must(hex.DecodeString("024852a5d3e79cfdee1bda4ea729e879c1db0f19230eadd3cb96d3cb1efa8d30fa")))}, 1
	stake(spec{name: "stake_covenant_mismatch", desc: "declared committee is version 0's single key, version 1's 3-of-5 is in force", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: covDecl, expect: deny(policy.CodeStakingCovenantMismatch, policy.CodeReqIDUnused)})
	stale := must(babylon.StakingPkScript(must(g.schedule.Version(0)).Delegation(stakerKey(), []*btcec.PublicKey{key("fp-1")}, stakeTime)))
	stake(spec{name: "stake_stale_committee", desc: "output built with version 0's committee, declared without one", inputs: in, outs: []*wire.TxOut{wire.NewTxOut(btc, stale)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")), expect: deny(policy.CodeStakingOutputMismatch, policy.CodeReqIDUnused)})

	// The version in force.
	stake(spec{name: "stake_no_l1_view", desc: "no L1 view: no BTC height, no version in force", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: func(s *policy.Snapshot) { s.L1, s.Inputs, s.Babylon = nil, nil, nil }, expect: deny(policy.CodeBabylonHeightUnknown, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_no_l1_view_declared", desc: "no L1 view, declared staking output", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")),
		mutate: func(s *policy.Snapshot) { s.L1, s.Inputs, s.Babylon = nil, nil, nil }, expect: deny(policy.CodeBabylonHeightUnknown, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_no_babylon_params", desc: "an L1 view but no Babylon version in force (none configured)", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: func(s *policy.Snapshot) { s.Babylon = nil }, expect: deny(policy.CodeBabylonNoParams, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_params_switching", desc: "the next version activates 3 blocks after the earliest inclusion height", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"},
		mutate: func(s *policy.Snapshot) { s.Babylon.NextActivation = l1Height + 4 }, expect: deny(policy.CodeBabylonParamsSwitching, policy.CodeReqIDUnused)})
	stake(spec{name: "stake_params_invalid", desc: "the recorded version does not validate (quorum 0)", inputs: in, outs: []*wire.TxOut{St(btc)}, ids: []string{"300"}, decls: decl(stakerKey(), stakeTime, key("fp-1")),
		mutate: version(func(v *babylon.VersionJSON) { v.CovenantQuorum = 0 }), expect: deny(policy.CodeParamsInvalid, policy.CodeReqIDUnused)})

}

func main() {
	outPath := flag.String("o", "testvectors/scenarios/scenarios.json", "output file")
	flag.Parse()
	g := &gen{
		w:        psbtgen.NewWallet(walletSeed),
		bridge:   psbtgen.P2WPKHOutput("bridge-hot-wallet", 1).PkScript,
		bridge2:  psbtgen.P2WPKHOutput("bridge-hot-wallet-2", 1).PkScript,
		stakeDst: psbtgen.P2WPKHOutput("pre-approved-staking-output", 1).PkScript,
	}
	for _, h := range covenantHex {
		b, _ := hex.DecodeString(h)
		g.covenant = append(g.covenant, must(btcec.ParsePubKey(b)))
	}
	g.schedule = g.newSchedule()
	g.all()
	b, err := json.MarshalIndent(scenarios.File{
		Comment:   "generated by scripts/gen-scenarios.sh (testvectors/scenarios/gen); do not edit",
		Scenarios: g.out,
	}, "", " ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(*outPath, append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %d scenarios to %s\n", len(g.out), *outPath)
}
