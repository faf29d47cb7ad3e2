package decision

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// TestReleasedStakeGivesBackItsCharge: a signed staking transaction (its
// TokenStaked id listed) that a transaction policyd never signed buries N
// deep is released (the id is free again) and gives its staking charge
// back to the accounting, once: before the fix the released stake kept
// taking room from every later stake.
func TestReleasedStakeGivesBackItsCharge(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "stake_listed")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	var err error
	if e.babylon, err = scenarioSchedule(sc, 1); err != nil {
		t.Fatal(err)
	}
	btc := newBTCChain()
	le := attachL1Conf(t, e, btc, govFreeze(e.gov.g), e.svc.cfg.Ledger, e.svc.cfg.Governance, sc.Snapshot.Params, 2)
	raw, _ := sc.RawPSBT()
	btc.mine(prevTxs(t, raw)...)
	btc.mine()
	le.poll(t)
	staked := func() int64 {
		t.Helper()
		var n int64
		if err := e.db.View(func(tx *bolt.Tx) error { n = getInt(tx.Bucket(storage.BucketStakeAccounts), keyStaked); return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := staked() // the scenario's earlier stakes
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
	if rec.Decision.StakingSat <= 0 || staked()-before != rec.Decision.StakingSat {
		t.Fatalf("charged %d for a stake of %d", staked()-before, rec.Decision.StakingSat)
	}
	thief := conflictOf(unsignedOf(t, raw), wire.NewTxOut(1e8, psbtgen.P2WPKHOutput("thief", 0).PkScript))
	btc.mine(thief)
	le.poll(t)
	btc.mine()
	le.poll(t)
	if c := le.follow(t); c[policy.ClaimReleased] == 0 {
		t.Fatalf("not released: %v", c)
	}
	if got := staked(); got != before {
		t.Fatalf("released stake still charged: staked_sat %d, %d before it", got, before)
	}
	// Once: another pass gives nothing more back.
	le.follow(t)
	if got := staked(); got != before {
		t.Fatalf("second pass: staked_sat %d, want %d", got, before)
	}
}
