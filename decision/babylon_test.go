package decision

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// scenarioSchedule is a schedule that puts the scenario's Babylon version
// in force at the synthetic chain's height tip+1, with the next version (if
// the scenario has one) the same number of blocks ahead as in the scenario.
func scenarioSchedule(sc scenarios.Scenario, tip uint64) (*babylon.Schedule, error) {
	b := sc.Snapshot.Babylon
	if b == nil {
		return nil, nil
	}
	g, err := b.Version.Params()
	if err != nil {
		return nil, err
	}
	g.ActivationHeight = 0
	vs := []babylon.GlobalParams{g}
	if b.NextActivation != 0 {
		n := g
		n.Version++
		n.ActivationHeight = uint32(int64(b.NextActivation) - int64(sc.Snapshot.L1.Height) + int64(tip))
		vs = append(vs, n)
	}
	return babylon.NewSchedule(vs)
}

// attachScenarioL1 gives e's service a real L1 view (a synthetic chain with
// the previous transactions of raws mined, polled and reconciled) and the
// scenario's Babylon version as its schedule. It returns false for a
// scenario the service cannot reproduce: a recorded version that does not
// validate, which babylon.NewSchedule refuses to load (checked here).
func attachScenarioL1(t *testing.T, e *env, sc scenarios.Scenario, raws ...[]byte) bool {
	t.Helper()
	btc := newBTCChain()
	seen := map[chainhash.Hash]bool{}
	var txs []*wire.MsgTx
	for _, raw := range raws {
		for _, p := range prevTxs(t, raw) {
			if !seen[p.TxHash()] {
				seen[p.TxHash()] = true
				txs = append(txs, p)
			}
		}
	}
	btc.mine(txs...)
	s, err := scenarioSchedule(sc, 1)
	if err != nil {
		if errors.Is(err, babylon.ErrBadParams) && slices.Contains(sc.Expect.Reasons, string(policy.CodeParamsInvalid)) {
			return false
		}
		t.Fatalf("schedule of %s: %v", sc.Name, err)
	}
	e.babylon = s
	freeze := standInFreeze(e.log)
	if e.gov != nil {
		freeze = govFreeze(e.gov.g)
	}
	le := attachL1(t, e, btc, freeze, e.svc.cfg.Ledger, e.svc.cfg.Governance, e.svc.cfg.Params)
	if n := le.poll(t); n != 0 {
		t.Fatalf("%d unexplained spends", n)
	}
	return true
}

// TestDoubleStakingDenied reproduces issue 17's double staking through the
// whole service: 1 BTC staked without an OP_RETURN uses the room of
// TokenStaked 300; the same amount staked again listing 300 is denied
// staking_cap_exceeded (it was allowed: the listed path skipped the room).
// Cancelling the first gives the room back.
func TestDoubleStakingDenied(t *testing.T) {
	ctx := context.Background()
	listed, bare := scenario(t, "stake_listed"), scenario(t, "stake_cap_allowed")
	snap := listed.Snapshot
	snap.Stake = policy.StakeTotals{FinalizedStakedSat: 16 * 10_000_000} // ids 300 (1 BTC) + 301 (0.6 BTC)
	now, _ := time.Parse(time.RFC3339, listed.Now)
	e := newEnv(t, listed.WalletSeed, snap, now, true)
	rawListed, _ := listed.RawPSBT()
	rawBare, _ := bare.RawPSBT()
	attachScenarioL1(t, e, listed, rawListed, rawBare)

	first, err := e.svc.Submit(ctx, rawBare, false)
	if err != nil || first.Outcome != "allow" {
		t.Fatalf("stake without OP_RETURN: %+v %v", first, err)
	}
	second, err := e.svc.Submit(ctx, rawListed, false)
	if err != nil {
		t.Fatal(err)
	}
	if second.Outcome != "deny" || !slices.Equal(second.Reasons, []string{string(policy.CodeStakingCapExceeded)}) {
		t.Fatalf("the same amount staked again with its id: %s %v", second.Outcome, second.Reasons)
	}
	if claimOf(t, e, "300") != nil {
		t.Fatal("the denial claimed 300")
	}
	rec := e.record(t, second.ID)
	if rec.Snapshot.Stake.StakedSat != 100_000_000 || rec.Snapshot.Babylon == nil || rec.Snapshot.L1 == nil {
		t.Fatalf("snapshot: stake %+v, babylon %v, l1 %v", rec.Snapshot.Stake, rec.Snapshot.Babylon, rec.Snapshot.L1)
	}
	if _, err := e.svc.Cancel(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	third, err := e.svc.Submit(ctx, rawListed, false)
	if err != nil || third.Outcome != "allow" {
		t.Fatalf("after the cancel: %+v %v", third, err)
	}
}

// TestStakingNeedsL1: without an L1 view no staking output verifies, even
// with a schedule (babylon_height_unknown); bridge records carry no Babylon
// version.
func TestStakingNeedsL1(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "stake_declared_ok")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	raw, _ := sc.RawPSBT()
	v, err := e.svc.SubmitRequest(ctx, Request{PSBT: raw, Staking: scenarioDecls(sc)})
	if err != nil || v.Outcome != "deny" || !slices.Contains(v.Reasons, string(policy.CodeBabylonHeightUnknown)) {
		t.Fatalf("no L1 view: %+v %v", v, err)
	}
	w := scenario(t, "withdraw_one_id")
	e = newEnv(t, w.WalletSeed, w.Snapshot, now, true)
	rawW, _ := w.RawPSBT()
	attachScenarioL1(t, e, sc, rawW)
	id := e.submitAllow(t, rawW)
	if rec := e.record(t, id); rec.Snapshot.Babylon != nil || rec.Snapshot.L1 == nil {
		t.Fatalf("a bridge transfer records a Babylon version: %+v", rec.Snapshot.Babylon)
	}
}

// stakedSat is the staking accounting's staked total.
func stakedSat(t testing.TB, e *env) int64 {
	t.Helper()
	var n int64
	if err := e.db.View(func(tx *bolt.Tx) error {
		n = getInt(tx.Bucket(storage.BucketStakeAccounts), keyStaked)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStakingRBFCountsOnce: a signed staking transaction replaced by fee
// (same staking output, same id) is one stake in the accounting. The
// finalized room (1.6 BTC) holds the 1 BTC once, not twice: the
// replacement is allowed and adds nothing; cancelled, it takes nothing
// back from the original.
func TestStakingRBFCountsOnce(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "stake_listed")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	snap.Stake = policy.StakeTotals{FinalizedStakedSat: 16 * 10_000_000}
	e := newStandInEnv(t, sc.WalletSeed, snap, now, true)
	raw, _ := sc.RawPSBT()
	stakeOut := unsignedOf(t, raw).TxOut[0]
	outs := []*wire.TxOut{wire.NewTxOut(stakeOut.Value, stakeOut.PkScript)}
	orig := buildTx(t, e.wallet, []int64{3e8, 2e8}, outs, 2000, "300")
	repl := buildTx(t, e.wallet, []int64{3e8, 2e8}, outs, 6000, "300")
	s, err := scenarioSchedule(sc, 1)
	if err != nil {
		t.Fatal(err)
	}
	e.babylon = s
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, snap.Params)
	le.btc.mine(prevTxs(t, orig)...)
	le.poll(t)
	e.signAllowed(t, orig)
	if got := stakedSat(t, e); got != stakeOut.Value {
		t.Fatalf("staked after the original: %d", got)
	}
	v, err := e.svc.Submit(ctx, repl, false)
	if err != nil || v.Outcome != "allow" {
		t.Fatalf("replacement of a signed stake: %+v %v", v, err)
	}
	if got := stakedSat(t, e); got != stakeOut.Value {
		t.Fatalf("the family counted twice: staked %d", got)
	}
	if _, err := e.svc.Cancel(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if got := stakedSat(t, e); got != stakeOut.Value {
		t.Fatalf("cancelling the replacement took the original's stake back: %d", got)
	}
	e.signAllowed(t, repl)
	if got := stakedSat(t, e); got != stakeOut.Value {
		t.Fatalf("staked after signing the replacement: %d", got)
	}
}
