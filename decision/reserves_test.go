package decision

import (
	"bytes"
	"context"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
)

// ApprovedUnboundSat of the stand-in ledger: its approved unbound requests.
func (l *fakeLedger) ApprovedUnboundSat(tx *bolt.Tx) (int64, error) {
	var s ledgerState
	if err := getJSON(tx, testLedgerBucket, &s); err != nil {
		return 0, err
	}
	var sum int64
	for _, r := range s.Requests {
		if r.Kind == policy.KindUnbound && r.State == policy.StateApproved && len(r.Conflicts) == 0 {
			sum += r.AmountSat
		}
	}
	return sum, nil
}

func (e *env) reserves(t testing.TB) *Reserves {
	t.Helper()
	r, err := e.svc.Reserves(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.L1.HeldSat != r.L1.ConfirmedSat+r.L1.UnconfirmedSat+r.L1.StakingSat+r.L1.Transfers.InFlightSat+r.L1.Transfers.FinalSat ||
		r.L2.OwedSat != r.L2.FinalizedStakedSat-r.L2.ApprovedUnboundSat || r.DeficitSat != max(0, r.L2.OwedSat-r.L1.HeldSat) ||
		r.SurplusSat != max(0, r.L1.HeldSat-r.L2.OwedSat) {
		t.Fatalf("reserves do not add up: %+v", r)
	}
	return r
}

// approveL2 puts UnboundApproved(id) on the scripted L2 chain and syncs the
// real indexer past its confirmations.
func (e *env) approveL2(t testing.TB, id int64) {
	t.Helper()
	c := e.chain
	c.mu.Lock()
	last := c.headers[len(c.headers)-1]
	h := &types.Header{ParentHash: last.Hash(), Number: new(big.Int).Add(last.Number, big.NewInt(1)), Difficulty: big.NewInt(0), Time: last.Time}
	c.headers = append(c.headers, h)
	lg := l2Event{typ: l2.EventUnboundApproved, id: big.NewInt(id), block: h.Number.Uint64(), txHash: common.BigToHash(h.Number)}.log(t)
	lg.BlockHash = h.Hash()
	c.logs = append(c.logs, lg)
	c.mu.Unlock()
	e.advanceL2(t, e.clock.Now())
}

// TestReservesFollowAWithdrawal: on the real l2 ledger, a withdrawal of
// reqId 100 is a pending transfer while unmined (its inputs still count),
// in flight once mined, final N deep, and off both sides once L2 approves
// it: held minus owed moves by exactly the fee the wallet paid, nothing
// else. The deficit is owed minus held.
func TestReservesFollowAWithdrawal(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	btc := newBTCChain()
	le := attachL1Conf(t, e, btc, govFreeze(e.gov.g), e.svc.cfg.Ledger, e.svc.cfg.Governance, sc.Snapshot.Params, 2)
	raw, _ := sc.RawPSBT()
	var wallet int64
	for _, p := range prevTxs(t, raw) {
		for _, o := range p.TxOut {
			if bytes.Equal(o.PkScript, e.wallet.PkScript()) {
				wallet += o.Value
			}
		}
	}
	var approved, pending, amount int64
	for _, q := range sc.Snapshot.Requests {
		if q.Kind == policy.KindUnbound && len(q.Conflicts) == 0 && q.State == policy.StateApproved {
			approved += q.AmountSat
		}
		if q.Kind == policy.KindUnbound && len(q.Conflicts) == 0 && q.State == policy.StateFinalized {
			pending += q.AmountSat
		}
		if q.ID == "100" {
			amount = q.AmountSat
		}
	}
	btc.mine(prevTxs(t, raw)...)
	btc.mine()
	le.poll(t)
	r := e.reserves(t)
	if r.L1.ConfirmedSat != wallet || r.L1.UnconfirmedSat != 0 || r.L1.StakingSat != 0 || r.L1.Transfers != (l1Transfers{}) ||
		r.L2.FinalizedStakedSat != sc.Snapshot.Stake.FinalizedStakedSat || r.L2.ApprovedUnboundSat != approved ||
		r.L2.PendingUnboundSat != pending || r.L2.Height == 0 || r.L1.TipHeight != 2 {
		t.Fatalf("before the withdrawal: %+v (wallet %d, approved %d, pending %d)", r, wallet, approved, pending)
	}
	if r.L2.OwedSat > r.L1.HeldSat && r.DeficitSat != r.L2.OwedSat-r.L1.HeldSat {
		t.Fatalf("deficit %d, owed %d, held %d", r.DeficitSat, r.L2.OwedSat, r.L1.HeldSat)
	}
	gap := r.L1.HeldSat - r.L2.OwedSat

	id := e.signAllowed(t, raw)
	f := e.record(t, id).Facts
	var bridge, change int64
	for _, o := range f.Outputs {
		switch o.Class {
		case policy.ClassExternal:
			bridge += o.Value
		case policy.ClassChange:
			change += o.Value
		}
	}
	if bridge != amount || bridge == 0 || f.Fee <= 0 {
		t.Fatalf("bridge %d, reqId 100 %d, fee %d", bridge, amount, f.Fee)
	}
	stage := func(name string, tr l1Transfers, gapWant int64) *Reserves {
		t.Helper()
		if _, err := e.svc.FollowChain(context.Background()); err != nil { // claims follow the chain, as after every poll
			t.Fatal(err)
		}
		r := e.reserves(t)
		if r.L1.Transfers != tr || r.L1.HeldSat-r.L2.OwedSat != gapWant {
			t.Fatalf("%s: transfers %+v, held-owed %d, want %+v and %d (%+v)", name, r.L1.Transfers, r.L1.HeldSat-r.L2.OwedSat, tr, gapWant, r)
		}
		return r
	}
	r = stage("signed", l1Transfers{PendingSat: bridge, PendingCount: 1}, gap)
	if r.L1.ConfirmedSat != wallet || r.Claims[policy.ClaimSigned] != 1 {
		t.Fatalf("signed: %+v", r)
	}
	btc.mine(unsignedOf(t, raw))
	le.poll(t)
	r = stage("mined", l1Transfers{InFlightSat: bridge, InFlightCount: 1}, gap-f.Fee)
	if r.L1.UnconfirmedSat != change || r.L1.ConfirmedSat != wallet-f.InputTotal {
		t.Fatalf("mined: %+v (change %d)", r, change)
	}
	btc.mine()
	le.poll(t)
	if r := stage("final", l1Transfers{FinalSat: bridge, FinalCount: 1}, gap-f.Fee); r.Claims[policy.ClaimConfirmed] != 1 {
		t.Fatalf("final: claims %v", r.Claims)
	}
	e.approveL2(t, 100)
	r = stage("approved", l1Transfers{}, gap-f.Fee)
	if r.L2.ApprovedUnboundSat != approved+amount || r.L2.PendingUnboundSat != pending-amount || r.L1.HeldSat != wallet-bridge-f.Fee {
		t.Fatalf("approved: %+v", r)
	}
}

// TestReservesStakingOutput: a signed staking transaction's Babylon output
// is named to the L1 view with the signatures; mined, it is held (not a
// transfer), and spent (unbonding) it no longer is.
func TestReservesStakingOutput(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "stake_listed")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	var err error
	if e.babylon, err = scenarioSchedule(sc, 1); err != nil { // the scenario's Babylon version, active from block 1
		t.Fatal(err)
	}
	btc := newBTCChain()
	le := attachL1(t, e, btc, govFreeze(e.gov.g), e.svc.cfg.Ledger, e.svc.cfg.Governance, sc.Snapshot.Params)
	raw, _ := sc.RawPSBT()
	btc.mine(prevTxs(t, raw)...)
	le.poll(t)
	before := e.reserves(t)
	v, err := e.svc.SubmitRequest(ctx, Request{PSBT: raw, Staking: scenarioDecls(sc)})
	if err != nil || v.Outcome != "allow" {
		t.Fatalf("stake: %+v %v", v, err)
	}
	hashes, err := e.begin(t, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordSignatures(ctx, v.ID, e.sign(hashes)); err != nil {
		t.Fatal(err)
	}
	rec := e.record(t, v.ID)
	if rec.Decision.StakingSat <= 0 || len(rec.Decision.StakingOutputs) == 0 {
		t.Fatalf("no staking output: %+v", rec.Decision)
	}
	signed := unsignedOf(t, raw)
	btc.mine(signed)
	le.poll(t)
	r := e.reserves(t)
	if r.L1.StakingSat != rec.Decision.StakingSat || r.L1.StakingCount != uint64(len(rec.Decision.StakingOutputs)) ||
		r.L1.Transfers != (l1Transfers{}) || r.L1.HeldSat != before.L1.HeldSat-rec.Facts.Fee-(rec.Facts.OutputTotal-rec.Decision.StakingSat-changeOf(rec.Facts)) {
		t.Fatalf("staked: %+v (decision %+v)", r, rec.Decision)
	}
	unbond := wireSpend(signed, rec.Decision.StakingOutputs[0])
	btc.mine(unbond)
	le.poll(t)
	if r := e.reserves(t); r.L1.StakingSat != rec.Decision.StakingSat-signed.TxOut[rec.Decision.StakingOutputs[0]].Value {
		t.Fatalf("after unbonding: %+v", r)
	}
}

// TestReservesRecordEveryNBlocks: a signed reserves record is appended at
// the first poll of a synced view, then once the L1 tip enters each new
// period of N blocks and not before, with the numbers Reserves reads; the
// log verifies and carries exactly those records.
func TestReservesRecordEveryNBlocks(t *testing.T) {
	ctx := context.Background()
	_, e, le, _, raw := withdrawalL1Env(t)
	const every = 3
	record := func() *records.Reserves {
		t.Helper()
		r, rec, err := e.svc.RecordReserves(ctx, every)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.reserves(t); r == nil || r.DeficitSat != want.DeficitSat || r.L1.HeldSat != want.L1.HeldSat {
			t.Fatalf("RecordReserves read %+v, Reserves %+v", r, want)
		}
		return rec
	}
	if rec := record(); rec != nil {
		t.Fatalf("record from a view never synced: %+v", rec)
	}
	le.btc.mine(prevTxs(t, raw)...)
	le.poll(t)
	var want []*records.Reserves
	check := func(tip uint64, due bool) {
		t.Helper()
		rec := record()
		if !due {
			if rec != nil {
				t.Fatalf("tip %d: record not due: %+v", tip, rec)
			}
			return
		}
		r := e.reserves(t)
		if rec == nil || rec.L1Height != tip || rec.HeldSat != r.L1.HeldSat || rec.WalletConfirmedSat != r.L1.ConfirmedSat ||
			rec.OwedSat != r.L2.OwedSat || rec.DeficitSat != r.DeficitSat || rec.FinalizedStakedSat != r.L2.FinalizedStakedSat ||
			rec.L1Hash != r.L1.TipHash.String() || rec.L2Height != r.L2.Height {
			t.Fatalf("tip %d: record %+v, reserves %+v", tip, rec, r)
		}
		want = append(want, rec)
	}
	check(1, true) // the first
	check(1, false)
	for tip := uint64(2); tip <= 7; tip++ {
		le.btc.mine()
		le.poll(t)
		check(tip, tip == 3 || tip == 6)
	}
	var got []*records.Reserves
	n, err := e.log.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.log.Export(ctx, &buf, 0, n); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.VerifyWith(&buf, e.log.VerifierKey(), nil, audit.VerifyOptions{OnRecord: func(_ *audit.Record, b records.Body) error {
		if r, ok := b.(*records.Reserves); ok {
			got = append(got, r)
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d reserves records in the log, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d: log has %+v, RecordReserves returned %+v", i, got[i], want[i])
		}
	}
}

type l1Transfers = l1.Transfers

// changeOf is what f pays back to the wallet.
func changeOf(f policy.Facts) int64 {
	var c int64
	for _, o := range f.Outputs {
		if o.Class == policy.ClassChange {
			c += o.Value
		}
	}
	return c
}

// wireSpend spends output i of t to an unrelated script (an unbonding).
func wireSpend(t *wire.MsgTx, i int) *wire.MsgTx {
	s := wire.NewMsgTx(2)
	s.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: t.TxHash(), Index: uint32(i)}, nil, nil))
	s.AddTxOut(wire.NewTxOut(t.TxOut[i].Value-1000, []byte{0x51, 0x20, 7}))
	return s
}

// TestReservesUnexplainedSpendIsNotHeld: a wallet spend policyd did not
// sign claims its reqIds paid_unexplained, but its outputs were never
// checked: they are no transfer, so the wallet's loss is a deficit (here
// the whole amount, as L2 still owes it).
func TestReservesUnexplainedSpendIsNotHeld(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	raw, _ := sc.RawPSBT()
	le.btc.mine(prevTxs(t, raw)...)
	le.poll(t)
	before := e.reserves(t)
	in := unsignedOf(t, raw).TxIn[0].PreviousOutPoint
	var value int64
	for _, p := range prevTxs(t, raw) {
		if p.TxHash() == in.Hash {
			value = p.TxOut[in.Index].Value
		}
	}
	var amount int64
	for _, q := range sc.Snapshot.Requests {
		if q.ID == "100" {
			amount = q.AmountSat
		}
	}
	// Request 100's amount to the bridge (FIFO names 100), the rest to a
	// stranger.
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&in, nil, nil))
	spend.AddTxOut(wire.NewTxOut(amount, sc.Snapshot.Whitelist.Entries[0].PkScript))
	spend.AddTxOut(wire.NewTxOut(value-amount-500, []byte{0x51, 0x20, 0xee}))
	if value-amount-500 <= 0 {
		t.Fatalf("input %d too small for %d", value, amount)
	}
	le.btc.mine(spend)
	if n := le.poll(t); n != 1 {
		t.Fatalf("%d unexplained", n)
	}
	r := e.reserves(t)
	if c := claimOf(t, e, "100"); c == nil || c.State != policy.ClaimPaidUnexplained {
		t.Fatalf("claim of 100 after the unexplained spend: %+v", c)
	}
	if r.L1.Transfers != (l1Transfers{}) || r.L1.HeldSat != before.L1.HeldSat-value || r.L2.OwedSat != before.L2.OwedSat ||
		r.Claims[policy.ClaimPaidUnexplained] == 0 {
		t.Fatalf("after the unexplained spend: %+v (before %+v)", r, before)
	}
}
