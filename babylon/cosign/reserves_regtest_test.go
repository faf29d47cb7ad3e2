package cosign_test

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l1"
)

// TestRegtestReservesFollowUnbonding: on a real btcd, the L1 view of
// policyd's own database (a real l1.Watcher) follows a stake through
// stake → unbond → withdraw back to the wallet, and what it holds (wallet
// outputs + followed staking outputs, the reserves' held_sat) is at every
// step what the wallet was funded with minus the fees paid so far: no
// false deficit while the stake is unbonding. The staking output is named
// as the decision service names it when it signs the staking transaction
// (WatchStaking); the unbonding output, and the change of both slashing
// transactions, are named by the MuSig2 service's OnLocked hook when it
// allows their co-signing, wired as cmd/policyd wires it
// (l1.View.WatchStaking in the decision's transaction). Without the hook
// the unbonding output is not held and the wallet shows a deficit of the
// whole stake until the withdrawal.
func TestRegtestReservesFollowUnbonding(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	miner, err := regtest.NewKey("cosign-reserves/miner")
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := regtest.NewKey("cosign-reserves/dedicated-wallet")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: miner.Addr, InitialBlocks: regtest.ReadyHeight})
	var w *l1.Watcher
	e := newEnv(t, func(c *cosign.Config) {
		c.WalletPkScript = wallet.PkScript
		c.OnLocked = func(tx *bolt.Tx, outs []wire.OutPoint) error { return w.View().WatchStaking(tx, outs) }
	})
	e.wallet = wallet.PkScript
	e.keygen()
	h, err := node.Height()
	if err != nil {
		t.Fatal(err)
	}
	w, err = l1.New(l1.Config{
		Endpoints: []l1.Endpoint{{URL: "https://" + node.RPCAddr(), User: node.User(), Pass: node.Pass(), CACertPEM: node.Cert()}},
		Params:    regtest.Params, Scripts: [][]byte{wallet.PkScript}, StartHeight: uint64(h) + 1, Confirmations: 1,
		Freshness: l1.Freshness{PollWithin: time.Minute, HeadWithin: time.Hour},
	}, e.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)

	mined := func(txid wire.OutPoint) {
		t.Helper()
		if err := node.Confirm(ctx, txid.Hash, 1); err != nil {
			t.Fatal(err)
		}
	}
	const funded = 3_000_000
	var fees int64
	// step checks held = funded - fees so far and the staking part.
	step := func(name string, staking int64) {
		t.Helper()
		if err := w.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		var r l1.Reserves
		if err := e.db.View(func(tx *bolt.Tx) error { r, err = w.View().Reserves(tx); return err }); err != nil {
			t.Fatal(err)
		}
		held := r.ConfirmedSat + r.UnconfirmedSat + r.StakingSat
		if owed := int64(funded) - fees; held != owed || r.StakingSat != staking {
			t.Fatalf("%s: held %d (wallet %d, staking %d), want %d = funded - fees, staking %d: a deficit of %d",
				name, held, r.ConfirmedSat+r.UnconfirmedSat, r.StakingSat, owed, staking, owed-held)
		}
	}

	fund, err := miner.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(funded, wallet.PkScript)}, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	mined(wire.OutPoint{Hash: fund.TxHash()})
	step("funded", 0)

	// Stake: the staking output is named before the transaction can be
	// mined, as the decision service does when it signs.
	const value, stakeFee = 1_000_000, 4_000
	d := e.params.Delegation(e.signer.AggregateKey(), []*btcec.PublicKey{e.fp.PubKey()}, 10)
	pk, err := babylon.StakingPkScript(d)
	if err != nil {
		t.Fatal(err)
	}
	stakeTx, err := wallet.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(value, pk)}, stakeFee)
	if err != nil {
		t.Fatal(err)
	}
	st := &cosign.Stake{DecisionID: "reserves-stake", OutPoint: wire.OutPoint{Hash: stakeTx.TxHash(), Index: 0}, Value: value,
		Delegation: d, Params: e.params}
	if err := e.db.Update(func(tx *bolt.Tx) error { return w.View().WatchStaking(tx, []wire.OutPoint{st.OutPoint}) }); err != nil {
		t.Fatal(err)
	}
	e.stakes.add(st)
	mined(st.OutPoint)
	fees += stakeFee
	step("staked", value)

	// Babylon's pre-signed slashing transactions (of the staking output and
	// of the unbonding output): allowed, never mined; their change outputs
	// are named and count nothing while unmined.
	ub, err := babylon.StakingUnbondingTx(st.Params, d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	ubAt := wire.OutPoint{Hash: ub.TxHash(), Index: 0}
	for _, f := range []struct {
		at    wire.OutPoint
		value int64
	}{{st.OutPoint, st.Value}, {ubAt, ub.TxOut[0].Value}} {
		sl, err := babylon.SlashingTx(st.Params, d.StakerKey, f.at, f.value)
		if err != nil {
			t.Fatal(err)
		}
		e.request(cosign.KindSlashing, sl, st)
	}
	step("slashing pre-signed", value)

	// Unbond: the staker's signature from the service, the covenant quorum
	// from the test keys.
	_, sigs := e.cosignTx(cosign.KindUnbonding, ub, st)
	s, _ := babylon.BuildScripts(d)
	stakingOut := wire.NewTxOut(st.Value, pk)
	msg, _ := babylon.ScriptPathSigHash(ub, 0, []*wire.TxOut{stakingOut}, s.Unbonding)
	cb, _ := babylon.ControlBlock([][]byte{s.Timelock, s.Unbonding, s.Slashing}, s.Unbonding)
	if ub.TxIn[0].Witness, err = babylon.CovenantWitness(d.CovenantKeys, e.covenantSigs(msg), nil, sigs[0], s.Unbonding, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Broadcast(ub); err != nil {
		t.Fatal(err)
	}
	mined(ubAt)
	fees += st.Params.UnbondingFee
	step("unbonding", ub.TxOut[0].Value)

	// Wait out the unbonding time and withdraw to the wallet.
	o := lockedOf(t, st, babylon.KindUnbonding, 0)
	const wdFee = 1_000
	wd, err := babylon.WithdrawalTx([]babylon.LockedOutput{o}, wallet.PkScript, wdFee)
	if err != nil {
		t.Fatal(err)
	}
	_, sigs = e.cosignTx(cosign.KindWithdrawal, wd, st)
	ocb, err := o.ControlBlock()
	if err != nil {
		t.Fatal(err)
	}
	wd.TxIn[0].Witness = babylon.TimelockWitness(sigs[0], o.Timelock, ocb)
	if _, err := node.Mine(ctx, int(o.Lock)-1); err != nil {
		t.Fatal(err)
	}
	step("waiting out the unbonding time", ub.TxOut[0].Value)
	if _, err := node.Broadcast(wd); err != nil {
		t.Fatal(err)
	}
	mined(wire.OutPoint{Hash: wd.TxHash()})
	fees += wdFee
	step("withdrawn", 0)
}
