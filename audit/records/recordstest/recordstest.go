// Package recordstest builds realistic typed audit records for tests and
// benchmarks: decision records of the policy scenarios (real PSBTs checked by
// psbtcheck and evaluated by the policy, so a replay reproduces them), and a
// log's worth of every record kind in an order policyd could write them.
// Only tests import it.
package recordstest

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// T0 is the time of the first record Every returns.
var T0 = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)

// Decisions returns one decision record per policy scenario whose PSBT
// psbtcheck accepts, with Decision = policy.Evaluate(Facts, Snapshot,
// EvaluatedAt). They are about 4-5 KB each, like real ones.
func Decisions(tb testing.TB) []*records.Decision {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	f, err := scenarios.Load(filepath.Join(filepath.Dir(file), "..", "..", "..", "testvectors", "scenarios", "scenarios.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []*records.Decision
	for i, sc := range f.Scenarios {
		raw, err := sc.RawPSBT()
		if err != nil {
			tb.Fatal(err)
		}
		w := psbtgen.NewWallet(sc.WalletSeed)
		pf, err := psbtcheck.Check(raw, psbtcheck.Wallet{PubKey: w.PubKey(), Net: &chaincfg.MainNetParams}, psbtcheck.Limits{})
		if err != nil {
			continue
		}
		facts := policy.FactsFrom(pf)
		sc.ApplyDecls(&facts)
		now, err := time.Parse(time.RFC3339, sc.Now)
		if err != nil {
			tb.Fatal(err)
		}
		d := &records.Decision{
			DecisionID: fmt.Sprintf("%.16s-%x", facts.TxID, i+1), TxID: facts.TxID, PSBTHash: hex.EncodeToString(pf.PSBTHash[:]),
			WhitelistVersion: sc.Snapshot.Whitelist.Version, ParamsHash: sc.Snapshot.Params.Hash(), EvaluatedAt: now.UTC(),
			Facts: facts, Snapshot: sc.Snapshot, Decision: policy.Evaluate(facts, sc.Snapshot, now),
		}
		for idx, dcl := range sc.StakingDecls {
			if d.StakingDecls == nil {
				d.StakingDecls = map[int]policy.StakingDecl{}
			}
			d.StakingDecls[idx] = *dcl
		}
		for _, q := range d.Decision.Claims {
			d.Evidence = append(d.Evidence, records.Evidence{ReqID: q, Kind: policy.KindUnbound, AmountSat: 100_000_000, AmountWei: "1000000000000000000",
				Token: sc.Snapshot.Params.BTCToken, TxHash: "0x" + hex.EncodeToString(pf.PSBTHash[:]), Block: 1234, LogIndex: 2})
		}
		if d.Decision.Outcome == policy.Allow {
			exp := now.Add(10 * time.Minute).UTC()
			d.ExpiresAt = &exp
		}
		out = append(out, d)
	}
	if len(out) < 10 {
		tb.Fatalf("only %d scenario decisions", len(out))
	}
	return out
}

// Entry is one record to append: its time and typed body.
type Entry struct {
	At   time.Time
	Body records.Body
}

// Every returns records of every registered kind in an order policyd could
// write them: governance changes, key ceremonies, start-up, and every
// decision of Decisions followed by its lifecycle (allowed ones begin and
// are signed, cancelled, expired, or revoked by an admin or by a re-check
// at signing that finds signing frozen; begin and revoke carry that
// re-check, evaluated by the policy, so a replay reproduces them).
func Every(tb testing.TB) []Entry {
	tb.Helper()
	var out []Entry
	at := func() time.Time { return T0.Add(time.Duration(len(out)) * 1500 * time.Millisecond) }
	add := func(b records.Body) { out = append(out, Entry{at(), b}) }

	sig := "0x" + hex.EncodeToString(make([]byte, 65))
	admin, admin2 := "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"
	add(&records.Startup{ConfigSHA256: hex.EncodeToString(make([]byte, 32)), Network: "mainnet", Wallet: "bc1qwallet", GroupPubKey: "02" + hex.EncodeToString(make([]byte, 32)),
		Contract: "0x5fbdb2315678afecb367f032d93f642f64180aa3", ParamsHash: hex.EncodeToString(make([]byte, 32)), Schema: 9})
	add(&records.Keygen{Session: "7c1e", PubKey: "02ce", Address: "bc1qwallet", Network: "mainnet", Parties: []string{"policyd", "custody"}, Threshold: 1, Self: "policyd",
		ConfirmDigest: "5d41", ConfirmSignature: "3044"})
	entry := records.WhitelistEntry{Kind: policy.KindBridgeHotWallet, Address: "bc1qbridge", PkScript: policy.HexBytes{0, 20, 1}, Label: "bridge hot wallet",
		Approvers: []string{"bootstrap"}, Since: at(), ActiveFrom: at()}
	add(&records.WhitelistActivation{Action: records.ActivationBootstrap, Entries: []records.WhitelistEntry{entry}})
	prop := records.Proposal{ID: "0x" + hex.EncodeToString(make([]byte, 32)), Content: records.ProposalContent{Action: records.ActivationAdd, EntryKind: policy.KindBridgeHotWallet,
		Address: "bc1qsecond", Label: "second <hot> & wallet", Nonce: "n-1", Expiry: at().Add(48 * time.Hour).Unix()},
		Proposer: admin, ProposerSignature: sig, CreatedAt: at(), Status: "pending", Approvals: []records.Approval{}}
	add(&records.WhitelistProposal{Proposal: prop})
	ap := records.Approval{Signer: admin, Expiry: at().Add(time.Hour).Unix(), Signature: sig, At: at()}
	add(&records.WhitelistApproval{ProposalID: prop.ID, Approval: ap})
	renewed := ap
	renewed.At = at()
	add(&records.WhitelistApproval{ProposalID: prop.ID, Approval: renewed, Renews: &ap})
	eff := at().Add(24 * time.Hour)
	e2 := records.WhitelistEntry{Kind: policy.KindBridgeHotWallet, Address: "bc1qsecond", PkScript: policy.HexBytes{0, 20, 2}, Approvers: []string{admin, admin2},
		ProposalID: prop.ID, Since: at(), ActiveFrom: eff}
	add(&records.WhitelistActivation{Action: records.ActivationAdd, ProposalID: prop.ID, Entry: &e2, EffectiveAt: &eff})
	now := at()
	add(&records.WhitelistActivation{Action: records.ActivationRemove, ProposalID: prop.ID, EntryKind: e2.Kind, Address: e2.Address, Approvers: e2.Approvers, EffectiveAt: &now})
	add(&records.WhitelistRejection{ProposalID: prop.ID, Rejection: records.Rejection{Signer: admin, Reason: "wrong\naddress", Signature: sig, At: at()}})
	fs := records.FreezeState{Frozen: true, By: admin, Reason: "incident", At: at()}
	add(&records.Freeze{State: fs, Nonce: "fz-1", Expiry: at().Add(time.Hour).Unix(), Signature: sig})
	add(&records.Unfreeze{ProposalID: prop.ID, Approvers: []string{admin, admin2}, Previous: fs, State: records.FreezeState{Epoch: 1, By: admin, Reason: "unfreeze", At: at()}})
	add(&records.SystemFreeze{Source: "l1", Reason: "a wallet spend policyd never signed", Evidence: records.FreezeEvidence{Values: map[string]string{"txid": hex.EncodeToString(make([]byte, 32))}},
		State: records.FreezeState{Frozen: true, Epoch: 1, By: "policyd:l1", Reason: "a wallet spend policyd never signed", At: at()}})
	add(&records.SystemFreeze{Source: "l2", Reason: "L2 contract upgraded", AlreadyFrozen: true, Evidence: records.FreezeEvidence{TrustEvents: []records.TrustEvent{{
		Seq: 1, Name: "Upgraded(address)", Topic0: "0x" + hex.EncodeToString(make([]byte, 32)), Topics: []string{"0x" + hex.EncodeToString(make([]byte, 32))}, Data: "0x",
		Contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", BlockNumber: 12, BlockHash: "0x" + hex.EncodeToString(make([]byte, 32)), TxHash: "0x" + hex.EncodeToString(make([]byte, 32)), SeenAt: at()}}},
		State: records.FreezeState{Frozen: true, Epoch: 1, By: "policyd:l1", Reason: "a wallet spend policyd never signed", At: at()}})
	add(&records.SystemFreeze{Source: "audit", Reason: "log smaller than a cosigned checkpoint", AlreadyFrozen: true,
		Evidence: records.FreezeEvidence{Rollback: &records.Rollback{LocalSize: 10, CosignedSize: 12, Cosigned: "go.sum database tree\n12\n...", Cosigners: []string{"custody", "relayer"}}},
		State:    records.FreezeState{Frozen: true, Epoch: 1, By: "policyd:l1", Reason: "a wallet spend policyd never signed", At: at()}})
	add(&records.AllowanceOpen{ProposalID: prop.ID, Allowance: records.Allowance{ID: prop.ID, PlanID: "7", AmountSat: 250_000_000, Address: "bc1qbridge", PkScript: policy.HexBytes{0, 20, 1}, OpenedAt: at()},
		Approvers: []string{admin, admin2}})
	zeroTx := hex.EncodeToString(make([]byte, 32))
	add(&records.UnexplainedSpend{TxID: zeroTx, Height: 812_345, Inputs: []string{zeroTx + ":1"}, InputSat: 150_000_000,
		ReqIDs: []string{"100", "101"}, ReqIDsSource: "op_return"})
	add(&records.UnexplainedSpend{TxID: zeroTx, Mempool: true, Inputs: []string{zeroTx + ":0"}})
	add(&records.ClaimStage{ReqID: "100", TxID: zeroTx, From: "signed", To: "broadcast", Height: 812_346, Depth: 1})
	add(&records.ClaimStage{ReqID: "100", TxID: zeroTx, From: "signed", To: "confirmed", Height: 812_346, Depth: 6, FromTxID: strings.Repeat("11", 32)})
	add(&records.ClaimStage{ReqID: "101", TxID: zeroTx, From: "signed", To: "released", Height: 812_347, Depth: 6, Conflicts: []string{strings.Repeat("22", 32)}})
	ck, pk := "02"+zeroTx, "03"+zeroTx
	add(&records.MuSigKey{CustodyKey: ck, PolicydKey: pk, SortedKeys: [2]string{ck, pk}, KeySort: true, AggregateKey: zeroTx})
	add(&records.MuSigDecision{DecisionID: "ms-1", RequestKind: "babylon_unbonding", Outcome: "allow", TxID: zeroTx, Tx: "0200000001",
		Stake: &records.MuSigStake{DecisionID: "abc-1", OutPoint: zeroTx + ":0", ValueSat: 1_000_000, ParamsVersion: 2}, AggregateKey: zeroTx,
		Inputs: []records.MuSigInput{{Index: 0, Sighash: zeroTx, LeafHash: zeroTx}}})
	add(&records.MuSigDecision{DecisionID: "ms-2", RequestKind: "babylon_withdrawal", Outcome: "deny", Reasons: []string{"withdrawal_output_not_wallet"},
		Detail: "output 0", TxID: zeroTx, Tx: "0200000001", AggregateKey: zeroTx})
	add(&records.MuSigSignature{DecisionID: "ms-1", RequestKind: "babylon_unbonding", TxID: zeroTx, Input: 0, LeafHash: zeroTx, Session: zeroTx, Msg: zeroTx,
		AggregateKey: zeroTx, PolicydNonce: ck + ck, CustodyNonce: pk + pk, PolicydPartial: zeroTx, CustodyPartial: zeroTx, Signature: zeroTx + zeroTx})
	add(&records.Reserves{L1Height: 812_352, L1Hash: zeroTx, L2Height: 4_100_000, WalletConfirmedSat: 250_000_000, WalletUnconfirmedSat: 1_000_000,
		StakingSat: 500_000_000, TransfersPendingSat: 20_000_000, TransfersInFlightSat: 100_000_000, TransfersFinalSat: 0, HeldSat: 851_000_000,
		FinalizedStakedSat: 900_000_000, ApprovedUnboundSat: 40_000_000, PendingUnboundSat: 120_000_000, PendingUnboundCount: 2, OwedSat: 860_000_000,
		DeficitSat: 9_000_000, Claims: map[string]int{"broadcast": 1, "confirmed": 3}})

	n := 0
	for _, d := range Decisions(tb) {
		add(d)
		if d.Decision.Outcome != policy.Allow {
			continue
		}
		if d.Decision.AllowanceID != "" {
			add(&records.AllowanceUsed{AllowanceID: d.Decision.AllowanceID, DecisionID: d.DecisionID, TxID: d.TxID})
		}
		tr := records.Transition{DecisionID: d.DecisionID, TxID: d.TxID, From: "reserved", By: "custody"}
		switch n % 4 {
		case 0: // signing begins (the re-check holds), then one signature per input
			rc := Recheck(d, d.Snapshot, at())
			tr.Event, tr.To, tr.Recheck = "begin", "signing", rc
			add(&records.DecisionBegin{Transition: tr})
			for _, in := range d.Facts.Inputs {
				add(&records.Signature{DecisionID: d.DecisionID, TxID: d.TxID, Input: in.Index, Sighash: hex.EncodeToString(in.Sighash),
					Signature: "3045022100" + hex.EncodeToString(in.Sighash) + "0220" + hex.EncodeToString(in.Sighash) + "01"})
			}
		case 1:
			tr.Event, tr.To, tr.Released = "cancel", "cancelled", slices.Clone(d.Decision.Claims)
			add(&records.DecisionCancel{Transition: tr})
		case 2: // the re-check at signing finds signing frozen
			snap := d.Snapshot
			snap.Frozen = true
			rc := Recheck(d, snap, at())
			tr.Event, tr.To, tr.By, tr.Reason, tr.Reasons, tr.Recheck, tr.Released = "revoke", "revoked", "policyd", "re-check at signing failed", rc.Decision.Reasons, rc, slices.Clone(d.Decision.Claims)
			add(&records.DecisionRevoke{Transition: tr})
		case 3:
			tr.Event, tr.To, tr.By, tr.Reason, tr.Released = "expire", "expired", "policyd", "decision_ttl passed before signing began", slices.Clone(d.Decision.Claims)
			add(&records.DecisionExpire{Transition: tr})
		}
		n++
	}
	// Decisions of version 2: the whitelist and parameters once each, then
	// the decisions naming them by hash.
	recorded := map[string]bool{}
	i2, n2 := 0, 0
	for _, d := range Decisions(tb) {
		v2 := d.Slim()
		if !recorded[v2.WhitelistHash] {
			recorded[v2.WhitelistHash] = true
			add(&records.WhitelistState{Hash: v2.WhitelistHash, Whitelist: d.Snapshot.Whitelist})
		}
		if !recorded[v2.ParamsHash] {
			recorded[v2.ParamsHash] = true
			add(&records.ParamsState{Hash: v2.ParamsHash, Params: d.Snapshot.Params})
		}
		v2.DecisionID += "-v2"
		add(v2)
		if i2++; v2.Decision.Outcome != policy.Allow || i2 <= 2 || n2 >= 2 {
			continue
		}
		// The re-checks at signing of version 2 (whitelist and parameters
		// by hash): one begin, one revoke, of allowed v2 decisions after
		// the first two (which tests alter).
		tr := records.Transition{DecisionID: v2.DecisionID, TxID: v2.TxID, From: "reserved", By: "custody"}
		if n2 == 0 {
			tr.Event, tr.To, tr.Recheck = "begin", "signing", Recheck(d, d.Snapshot, at())
			add(&records.DecisionBeginV2{TransitionV2: records.SlimTransition(tr, v2.WhitelistHash)})
		} else {
			snap := d.Snapshot
			snap.Frozen = true
			rc := Recheck(d, snap, at())
			tr.Event, tr.To, tr.By, tr.Reason, tr.Reasons, tr.Recheck, tr.Released = "revoke", "revoked", "policyd", "re-check at signing failed", rc.Decision.Reasons, rc, slices.Clone(d.Decision.Claims)
			add(&records.DecisionRevokeV2{TransitionV2: records.SlimTransition(tr, v2.WhitelistHash)})
		}
		n2++
	}
	add(&records.DecisionRevokeRequest{DecisionID: "abc-1", Admin: admin, Reason: "suspicious", Nonce: "rv-1", Expiry: at().Add(time.Hour).Unix(), Signature: sig})
	add(&records.Reshare{Ceremony: "c1", Session: "5e6f", PubKey: "02ce", Address: "bc1qwallet", Network: "mainnet", OldParties: []string{"policyd@0", "custody@0"},
		NewParties: []string{"policyd@1", "custody@1"}, Threshold: 1, NewEpoch: 1, Self: "policyd@1", ConfirmDigest: "aa", ConfirmSignature: "3044"})
	return out
}

// Recheck is the re-evaluation of d's facts against snap at t, as the
// decision service records it when signing begins.
func Recheck(d *records.Decision, snap policy.Snapshot, t time.Time) *records.Recheck {
	return &records.Recheck{Time: t.UTC(), ParamsHash: snap.Params.Hash(), WhitelistVersion: snap.Whitelist.Version, Snapshot: snap,
		Decision: policy.Evaluate(d.Facts, snap, t)}
}

// Cycle returns a generator of an arbitrarily long log: entry i is entry
// i mod len(Every) of Every, in cycle i / len(Every), with its decision
// ids suffixed by the cycle (so every decision is distinct and its
// lifecycle records follow it) and times that keep increasing.
func Cycle(tb testing.TB) (entry func(i int) Entry, period int) {
	tb.Helper()
	base := Every(tb)
	span := base[len(base)-1].At.Sub(T0) + time.Second
	return func(i int) Entry {
		k, e := i/len(base), base[i%len(base)]
		suffix := fmt.Sprintf("-c%d", k)
		at := e.At.Add(time.Duration(k) * span)
		var b records.Body
		switch v := e.Body.(type) {
		case *records.Decision:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionV2:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionBegin:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionCancel:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionRevoke:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionBeginV2:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionRevokeV2:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.DecisionExpire:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.Signature:
			c := *v
			c.DecisionID += suffix
			b = &c
		case *records.AllowanceUsed:
			c := *v
			c.DecisionID += suffix
			b = &c
		default:
			b = e.Body
		}
		return Entry{At: at, Body: b}
	}, len(base)
}
