package babylon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/internal/regtest"
)

// chain is the regtest side of the lifecycle test: one btcd for this test
// binary, the dedicated wallet (a single-key P2WPKH stand-in here: the MPC
// wallet's own signing is not what this test is about) and the dev
// parameters with test covenant keys.
type chain struct {
	t      *testing.T
	ctx    context.Context
	node   *regtest.Node
	wallet *regtest.Key
	f      *fixture
	g      GlobalParams
}

// mine broadcasts tx after running the script engine on it, and mines it.
func (c *chain) mine(tx *wire.MsgTx, prevOuts []*wire.TxOut) chainhash.Hash {
	c.t.Helper()
	if err := execute(tx, prevOuts); err != nil {
		c.t.Fatalf("script engine: %v", err)
	}
	txid, err := c.node.Broadcast(tx)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.node.Confirm(c.ctx, *txid, 1); err != nil {
		c.t.Fatal(err)
	}
	return *txid
}

// stake pays value from the wallet to a staking output of a delegation
// checked against the version in force at the next block, and mines it.
func (c *chain) stake(value int64, stakingTime uint16) (Params, wire.OutPoint, *wire.TxOut) {
	c.t.Helper()
	h, err := c.node.Height()
	if err != nil {
		c.t.Fatal(err)
	}
	sched, err := NewSchedule([]GlobalParams{c.g})
	if err != nil {
		c.t.Fatal(err)
	}
	g, err := sched.AtHeight(uint32(h + 1))
	if err != nil {
		c.t.Fatal(err)
	}
	fps := []*btcec.PublicKey{c.f.fp.PubKey()}
	if err := g.CheckDelegation(value, stakingTime, len(fps)); err != nil {
		c.t.Fatal(err)
	}
	d := g.Delegation(c.f.staker, fps, stakingTime)
	pk, err := StakingPkScript(d)
	if err != nil {
		c.t.Fatal(err)
	}
	out := wire.NewTxOut(value, pk)
	tx, err := c.wallet.Pay(c.ctx, c.node, []*wire.TxOut{out}, 5_000)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.node.Confirm(c.ctx, tx.TxHash(), 1); err != nil {
		c.t.Fatal(err)
	}
	return d, wire.OutPoint{Hash: tx.TxHash(), Index: 0}, out
}

// withdraw waits out the lock of o (mined in the last block), checks a
// withdrawal to the wallet is refused by the node one block early, then
// mines it and finds it among the wallet's outputs.
func (c *chain) withdraw(o LockedOutput) {
	c.t.Helper()
	tx, err := WithdrawalTx([]LockedOutput{o}, c.wallet.PkScript, 1_000)
	if err != nil {
		c.t.Fatal(err)
	}
	spent, err := CheckWithdrawal(tx, []LockedOutput{o}, c.wallet.PkScript, 10_000)
	if err != nil {
		c.t.Fatal(err)
	}
	c.f.signWithdrawal(c.t, tx, spent)
	// The output has 1 confirmation; the next block is only the lock-1'th
	// after it until lock-1 more are mined.
	if o.Lock > 1 {
		if _, err := c.node.Mine(c.ctx, int(o.Lock)-2); err != nil {
			c.t.Fatal(err)
		}
		if _, err := c.node.Broadcast(tx); err == nil || !strings.Contains(strings.ToLower(err.Error()), "sequence") {
			c.t.Fatalf("withdrawal before the timelock: %v", err)
		}
		if _, err := c.node.Mine(c.ctx, 1); err != nil {
			c.t.Fatal(err)
		}
	}
	txid := c.mine(tx, PrevOuts(spent))
	utxos, err := c.node.SpendableUTXOs(c.wallet.PkScript)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, u := range utxos {
		if u.Outpoint == (wire.OutPoint{Hash: txid, Index: 0}) && u.Value == o.Value-1_000 {
			return
		}
	}
	c.t.Fatalf("withdrawal %s not among the wallet's outputs", txid)
}

// TestRegtestLifecycle: on a real btcd, with test covenant keys in dev
// parameters and the MuSig2 staker key: stake → unbond (covenant quorum +
// staker) → wait out the unbonding time → withdraw to the wallet; stake →
// wait out the staking time → withdraw; stake → slash (covenants, finality
// provider, staker) → wait → withdraw the change. Every spend passes the
// script engine and is mined.
func TestRegtestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wallet, err := regtest.NewKey("babylon-regtest/dedicated-wallet")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: wallet.Addr, InitialBlocks: regtest.ReadyHeight})
	slashKey, err := regtest.NewKey("babylon-regtest/slashing")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, slashKey.PkScript)
	c := &chain{t: t, ctx: ctx, node: node, wallet: wallet, f: f, g: f.params}

	t.Run("stake-unbond-withdraw", func(t *testing.T) {
		c.t = t
		d, at, out := c.stake(1_000_000, 10)
		utx, err := StakingUnbondingTx(c.g, d, at, out.Value)
		if err != nil {
			t.Fatal(err)
		}
		if err := SameTx(utx, mustTx(StakingUnbondingTx(c.g, d, at, out.Value))); err != nil {
			t.Fatal(err)
		}
		c.f.signUnbonding(t, utx, d, out)
		utxid := c.mine(utx, []*wire.TxOut{out})
		o, err := UnbondingLocked(d, c.g.UnbondingTime, wire.OutPoint{Hash: utxid, Index: 0}, utx.TxOut[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		c.withdraw(o)
	})

	t.Run("stake-expire-withdraw", func(t *testing.T) {
		c.t = t
		d, at, out := c.stake(500_000, 10)
		o, err := StakingLocked(d, at, out.Value)
		if err != nil {
			t.Fatal(err)
		}
		// Anything but the wallet is refused before a session is opened.
		other, _ := regtest.NewKey("babylon-regtest/elsewhere")
		bad, _ := WithdrawalTx([]LockedOutput{o}, other.PkScript, 1_000)
		if _, err := CheckWithdrawal(bad, []LockedOutput{o}, c.wallet.PkScript, 10_000); !errors.Is(err, ErrWithdrawOutput) {
			t.Fatalf("withdrawal elsewhere: %v", err)
		}
		c.withdraw(o)
	})

	t.Run("stake-slash-withdraw-change", func(t *testing.T) {
		c.t = t
		d, at, out := c.stake(800_000, 10)
		stx, err := SlashingTx(c.g, c.f.staker, at, out.Value)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := BuildScripts(d)
		msg, err := ScriptPathSigHash(stx, 0, []*wire.TxOut{out}, s.Slashing)
		if err != nil {
			t.Fatal(err)
		}
		fpSig, err := schnorr.Sign(c.f.fp, msg[:])
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := ControlBlock([][]byte{s.Timelock, s.Unbonding, s.Slashing}, s.Slashing)
		w, err := CovenantWitness(d.CovenantKeys, c.f.covenantSigs(t, msg), fpSig.Serialize(), c.f.cosign(t, msg), s.Slashing, cb)
		if err != nil {
			t.Fatal(err)
		}
		stx.TxIn[0].Witness = w
		stxid := c.mine(stx, []*wire.TxOut{out})
		o, err := SlashingChangeLocked(c.f.staker, c.g.UnbondingTime, wire.OutPoint{Hash: stxid, Index: 1}, stx.TxOut[1].Value)
		if err != nil {
			t.Fatal(err)
		}
		c.withdraw(o)
	})
}

func mustTx(tx *wire.MsgTx, err error) *wire.MsgTx {
	if err != nil {
		panic(err)
	}
	return tx
}
