package cosign_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/regtest"
)

// TestRegtestStakeUnbondWithdraw: on a real btcd, with test covenant keys
// in the dev parameters, a stake made with the MuSig2 staker key is
// unbonded (the staker's signature from policyd's service over the API and
// mutual TLS, the covenant quorum's from the test keys), the unbonding time
// is waited out (one block early the node refuses the withdrawal), and the
// unbonding output is withdrawn to the wallet, its signature again from the
// service; every spend passes the script engine and is mined.
func TestRegtestStakeUnbondWithdraw(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wallet, err := regtest.NewKey("cosign-regtest/dedicated-wallet")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: wallet.Addr, InitialBlocks: regtest.ReadyHeight})
	e := newEnv(t, func(c *cosign.Config) { c.WalletPkScript = wallet.PkScript })
	e.wallet = wallet.PkScript
	e.keygen()
	mine := func(tx *wire.MsgTx, prevOuts []*wire.TxOut) wire.OutPoint {
		t.Helper()
		if err := execute(tx, prevOuts); err != nil {
			t.Fatalf("script engine: %v", err)
		}
		txid, err := node.Broadcast(tx)
		if err != nil {
			t.Fatal(err)
		}
		if err := node.Confirm(ctx, *txid, 1); err != nil {
			t.Fatal(err)
		}
		return wire.OutPoint{Hash: *txid, Index: 0}
	}

	// Stake: the wallet pays the staking output (the wallet's own threshold
	// signature is not what this test is about: a single key stands in).
	d := e.params.Delegation(e.signer.AggregateKey(), []*btcec.PublicKey{e.fp.PubKey()}, 10)
	pk, err := babylon.StakingPkScript(d)
	if err != nil {
		t.Fatal(err)
	}
	stakeTx, err := wallet.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(1_000_000, pk)}, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Confirm(ctx, stakeTx.TxHash(), 1); err != nil {
		t.Fatal(err)
	}
	st := &cosign.Stake{DecisionID: "regtest-stake", OutPoint: wire.OutPoint{Hash: stakeTx.TxHash(), Index: 0}, Value: 1_000_000,
		Delegation: d, Params: e.params}
	e.stakes.add(st)

	// Unbond: canonical unbonding tx, staker signature from the service,
	// covenant quorum from the test keys.
	ub, err := babylon.StakingUnbondingTx(st.Params, d, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	_, sigs := e.cosignTx(cosign.KindUnbonding, ub, st)
	s, _ := babylon.BuildScripts(d)
	stakingOut := wire.NewTxOut(st.Value, pk)
	msg, _ := babylon.ScriptPathSigHash(ub, 0, []*wire.TxOut{stakingOut}, s.Unbonding)
	cb, _ := babylon.ControlBlock([][]byte{s.Timelock, s.Unbonding, s.Slashing}, s.Unbonding)
	if ub.TxIn[0].Witness, err = babylon.CovenantWitness(d.CovenantKeys, e.covenantSigs(msg), nil, sigs[0], s.Unbonding, cb); err != nil {
		t.Fatal(err)
	}
	ubAt := mine(ub, []*wire.TxOut{stakingOut})

	// Withdraw the unbonding output to the wallet through its timelock.
	o := lockedOf(t, st, babylon.KindUnbonding, 0)
	if o.OutPoint != ubAt {
		t.Fatalf("the rebuilt unbonding output %v is not the mined one %v", o.OutPoint, ubAt)
	}
	wd, err := babylon.WithdrawalTx([]babylon.LockedOutput{o}, wallet.PkScript, 1_000)
	if err != nil {
		t.Fatal(err)
	}
	_, sigs = e.cosignTx(cosign.KindWithdrawal, wd, st)
	ocb, err := o.ControlBlock()
	if err != nil {
		t.Fatal(err)
	}
	wd.TxIn[0].Witness = babylon.TimelockWitness(sigs[0], o.Timelock, ocb)
	if _, err := node.Mine(ctx, int(o.Lock)-2); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Broadcast(wd); err == nil || !strings.Contains(strings.ToLower(err.Error()), "sequence") {
		t.Fatalf("withdrawal before the timelock: %v", err)
	}
	if _, err := node.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	back := mine(wd, []*wire.TxOut{o.TxOut()})
	utxos, err := node.SpendableUTXOs(wallet.PkScript)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range utxos {
		if u.Outpoint == back && u.Value == o.Value-1_000 {
			kinds, _ := e.auditKinds()
			if kinds["musig_signature"] != 2 {
				t.Fatalf("audit kinds %v", kinds)
			}
			return
		}
	}
	t.Fatalf("withdrawal %v not among the wallet's outputs", back)
}
