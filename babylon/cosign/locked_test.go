package cosign_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
)

// TestOnLockedNamesLockedOutputs: the OnLocked hook is called in the
// transaction that stores an allowed unbonding or slashing decision, with
// the unbonding output and the slashing change, once per transaction (a
// request of a signed transaction asks nothing again); a withdrawal, a
// denial or a proof of possession names nothing; a hook that fails stores
// no decision (500) and a later request succeeds.
func TestOnLockedNamesLockedOutputs(t *testing.T) {
	var named [][]wire.OutPoint
	var fail error
	e := newEnv(t, func(c *cosign.Config) {
		c.OnLocked = func(tx *bolt.Tx, outs []wire.OutPoint) error {
			if !tx.Writable() {
				t.Error("OnLocked outside a writable transaction")
			}
			if fail != nil {
				return fail
			}
			named = append(named, slices.Clone(outs))
			return nil
		}
	})
	e.keygen()
	st := e.stake("stake-locked", 1_000_000, nil)
	g, d := st.Params, st.Delegation
	ub, err := babylon.StakingUnbondingTx(g, d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	slash, err := babylon.SlashingTx(g, d.StakerKey, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	want := func(what string, ops ...wire.OutPoint) {
		t.Helper()
		if len(ops) == 0 && len(named) == 0 {
			return
		}
		if len(named) != 1 || !slices.Equal(named[0], ops) {
			t.Fatalf("%s: named %v, want %v", what, named, ops)
		}
		named = nil
	}

	// A failing hook: no decision stored, the request fails.
	fail = errors.New("l1 view unwritable")
	if v, err := e.c.MuSigRequest(context.Background(), cosign.Request{Kind: cosign.KindUnbonding, Tx: txHex(t, ub), Stake: ref(st)}); err == nil {
		t.Fatalf("a failing hook: %+v", v)
	}
	if kinds, _ := e.auditKinds(); kinds["musig_decision"] != 0 {
		t.Fatalf("a decision was audited although its hook failed: %v", kinds)
	}
	fail = nil

	e.cosignTx(cosign.KindUnbonding, ub, st)
	want("unbonding", wire.OutPoint{Hash: ub.TxHash(), Index: 0})
	e.request(cosign.KindUnbonding, ub, st) // signed already: the same decision
	want("unbonding again")
	e.request(cosign.KindSlashing, slash, st)
	want("slashing", wire.OutPoint{Hash: slash.TxHash(), Index: 1})

	o := lockedOf(t, st, babylon.KindUnbonding, 0)
	wd, err := babylon.WithdrawalTx([]babylon.LockedOutput{o}, e.wallet, 1_000)
	if err != nil {
		t.Fatal(err)
	}
	e.request(cosign.KindWithdrawal, wd, st)
	want("withdrawal")
	bad := ub.Copy()
	bad.TxOut[0].Value -= 1
	e.denied(cosign.Request{Kind: cosign.KindUnbonding, Tx: txHex(t, bad), Stake: ref(st)}, cosign.ReasonUnbondingNotCanonical)
	want("denied unbonding")
}
