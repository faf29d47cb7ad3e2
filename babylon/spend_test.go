package babylon

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func p2wpkh(t testing.TB, k *btcec.PrivateKey) []byte {
	t.Helper()
	pk, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(k.PubKey().SerializeCompressed())).Script()
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// spendCase is one delegation with its staking output on a fake outpoint.
type spendCase struct {
	f          *fixture
	d          Params
	staking    wire.OutPoint
	value      int64
	stakingOut *wire.TxOut
	wallet     []byte
}

func newSpendCase(t *testing.T) *spendCase {
	t.Helper()
	c := &spendCase{value: 1_000_000}
	c.f = newFixture(t, p2wpkh(t, devKey("slashing-address")))
	c.wallet = p2wpkh(t, devKey("dedicated-wallet"))
	c.d = c.f.delegation(20)
	pk, err := StakingPkScript(c.d)
	if err != nil {
		t.Fatal(err)
	}
	c.stakingOut = wire.NewTxOut(c.value, pk)
	c.staking = wire.OutPoint{Hash: chainhash.HashH([]byte("staking tx")), Index: 1}
	return c
}

// TestUnbondingSpendEngine: the canonical unbonding tx, signed by a covenant
// quorum and the MuSig2 staker (untweaked aggregate key as the leaf's
// <staker>), passes btcd's script engine; without the quorum it does not.
func TestUnbondingSpendEngine(t *testing.T) {
	c := newSpendCase(t)
	utx, err := StakingUnbondingTx(c.f.params, c.d, c.staking, c.value)
	if err != nil {
		t.Fatal(err)
	}
	c.f.signUnbonding(t, utx, c.d, c.stakingOut)
	if err := execute(utx, []*wire.TxOut{c.stakingOut}); err != nil {
		t.Fatalf("unbonding rejected by the script engine: %v", err)
	}
	// One covenant signature short of the quorum.
	short := utx.Copy()
	short.TxIn[0].Witness[len(short.TxIn[0].Witness)-4] = nil
	short.TxIn[0].Witness[len(short.TxIn[0].Witness)-5] = nil
	if err := execute(short, []*wire.TxOut{c.stakingOut}); err == nil {
		t.Fatal("unbonding without covenant quorum accepted")
	}
}

// TestSlashingSpendEngine: both slashing transactions (of the staking
// output and of the unbonding output), signed by covenants, the finality
// provider and the staker, pass the engine.
func TestSlashingSpendEngine(t *testing.T) {
	c := newSpendCase(t)
	utx, err := StakingUnbondingTx(c.f.params, c.d, c.staking, c.value)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := BuildScripts(c.d)
	unbondingOut, us, err := UnbondingOutput(c.d, c.f.params.UnbondingTime, utx.TxOut[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		at     wire.OutPoint
		prev   *wire.TxOut
		leaf   []byte
		leaves [][]byte
	}{
		{"staking", c.staking, c.stakingOut, s.Slashing, [][]byte{s.Timelock, s.Unbonding, s.Slashing}},
		{"unbonding", wire.OutPoint{Hash: utx.TxHash(), Index: 0}, unbondingOut, us.Slashing, [][]byte{us.Timelock, us.Slashing}},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			stx, err := SlashingTx(c.f.params, c.f.staker, k.at, k.prev.Value)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := ScriptPathSigHash(stx, 0, []*wire.TxOut{k.prev}, k.leaf)
			if err != nil {
				t.Fatal(err)
			}
			fpSig, err := schnorr.Sign(c.f.fp, msg[:])
			if err != nil {
				t.Fatal(err)
			}
			cb, err := ControlBlock(k.leaves, k.leaf)
			if err != nil {
				t.Fatal(err)
			}
			w, err := CovenantWitness(c.d.CovenantKeys, c.f.covenantSigs(t, msg), fpSig.Serialize(), c.f.cosign(t, msg), k.leaf, cb)
			if err != nil {
				t.Fatal(err)
			}
			stx.TxIn[0].Witness = w
			if err := execute(stx, []*wire.TxOut{k.prev}); err != nil {
				t.Fatalf("slashing rejected: %v", err)
			}
		})
	}
}

// TestWithdrawalSpendEngine: withdrawals through the timelock leaf of each
// kind of locked output pass the engine when the sequence meets the lock,
// and fail it (and CheckWithdrawal) when it does not.
func TestWithdrawalSpendEngine(t *testing.T) {
	c := newSpendCase(t)
	g := c.f.params
	staking, err := StakingLocked(c.d, c.staking, c.value)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(staking.PkScript, c.stakingOut.PkScript) {
		t.Fatal("locked staking output differs from the staking output")
	}
	unb, err := UnbondingLocked(c.d, g.UnbondingTime, wire.OutPoint{Hash: chainhash.HashH([]byte("u")), Index: 0}, 500_000)
	if err != nil {
		t.Fatal(err)
	}
	chg, err := SlashingChangeLocked(c.f.staker, g.UnbondingTime, wire.OutPoint{Hash: chainhash.HashH([]byte("s")), Index: 1}, 80_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, outs := range [][]LockedOutput{{staking}, {unb}, {chg}, {staking, unb, chg}} {
		t.Run(outs[len(outs)-1].Kind.String()+"-"+string(rune('0'+len(outs))), func(t *testing.T) {
			tx, err := WithdrawalTx(outs, c.wallet, 2_000)
			if err != nil {
				t.Fatal(err)
			}
			spent, err := CheckWithdrawal(tx, outs, c.wallet, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			c.f.signWithdrawal(t, tx, spent)
			if err := execute(tx, PrevOuts(spent)); err != nil {
				t.Fatalf("withdrawal rejected: %v", err)
			}
			early := tx.Copy()
			early.TxIn[0].Sequence = uint32(outs[0].Lock) - 1
			if _, err := CheckWithdrawal(early, outs, c.wallet, 10_000); !errors.Is(err, ErrWithdrawLock) {
				t.Fatalf("early sequence: %v", err)
			}
			c.f.signWithdrawal(t, early, spent)
			if err := execute(early, PrevOuts(spent)); err == nil {
				t.Fatal("engine accepted a spend before the timelock")
			}
		})
	}
}

// TestLeafBoundSignature: a staker signature made for the timelock leaf
// does not spend through the unbonding leaf (BIP341 sighashes commit to the
// leaf), so co-signing a withdrawal's timelock leaf grants nothing else.
func TestLeafBoundSignature(t *testing.T) {
	c := newSpendCase(t)
	utx, err := StakingUnbondingTx(c.f.params, c.d, c.staking, c.value)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := BuildScripts(c.d)
	prev := []*wire.TxOut{c.stakingOut}
	tlMsg, _ := ScriptPathSigHash(utx, 0, prev, s.Timelock)
	ubMsg, _ := ScriptPathSigHash(utx, 0, prev, s.Unbonding)
	if tlMsg == ubMsg {
		t.Fatal("sighash does not commit to the leaf")
	}
	cb, _ := ControlBlock([][]byte{s.Timelock, s.Unbonding, s.Slashing}, s.Unbonding)
	w, err := CovenantWitness(c.d.CovenantKeys, c.f.covenantSigs(t, ubMsg), nil, c.f.cosign(t, tlMsg), s.Unbonding, cb)
	if err != nil {
		t.Fatal(err)
	}
	utx.TxIn[0].Witness = w
	if err := execute(utx, prev); err == nil {
		t.Fatal("a timelock-leaf staker signature spent the unbonding leaf")
	}
}

// TestSlashingTxLayout: the slashing tx of Babylon vector 1's delegation,
// checked field by field against Babylon's builder (btcstaking
// buildSlashingTxFromOutpoint): version 1, one non-replaceable input, the
// slashed amount round(value × rate) to the slashing script, the change
// value - slashed - fee to P2TR(NUMS, timelock(staker, unbonding time)).
func TestSlashingTxLayout(t *testing.T) {
	vf := loadVectorFile(t, "btcstaking_vectors.json")
	v := vf.Vectors[0].Parameters
	staker := mustKeys(t, v.StakerKey)[0]
	slash := p2wpkh(t, devKey("slashing-address"))
	g := GlobalParams{SlashingRatePct: 10, SlashingPkScript: slash, MinSlashingFee: 1_000, UnbondingTime: v.UnbondingTime}
	at := wire.OutPoint{Index: v.OutputIndex}
	tx, err := SlashingTx(g, staker, at, v.StakingValue)
	if err != nil {
		t.Fatal(err)
	}
	wantChange, leaf, err := SlashingChangePkScript(staker, v.UnbondingTime)
	if err != nil {
		t.Fatal(err)
	}
	// The change leaf is the vector's own unbonding timelock script.
	if got := hexOf(leaf); got != vf.Vectors[0].Expected["unbonding_transaction_time_lock_script_hex"] {
		t.Fatalf("change leaf %s", got)
	}
	switch {
	case tx.Version != 1 || tx.LockTime != 0:
		t.Fatalf("version %d locktime %d", tx.Version, tx.LockTime)
	case len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != at || tx.TxIn[0].Sequence != wire.MaxTxInSequenceNum:
		t.Fatalf("input %+v", tx.TxIn)
	case len(tx.TxOut) != 2:
		t.Fatalf("%d outputs", len(tx.TxOut))
	case tx.TxOut[0].Value != 10_000 || !bytes.Equal(tx.TxOut[0].PkScript, slash):
		t.Fatalf("slashing output %d %x", tx.TxOut[0].Value, tx.TxOut[0].PkScript)
	case tx.TxOut[1].Value != 100_000-10_000-1_000 || !bytes.Equal(tx.TxOut[1].PkScript, wantChange):
		t.Fatalf("change output %d %x", tx.TxOut[1].Value, tx.TxOut[1].PkScript)
	}
	for _, c := range []struct {
		value int64
		pct   uint32
		want  int64
	}{{100_000, 10, 10_000}, {12_345, 7, 864}, {5, 10, 1}, {15, 10, 2}, {99_999, 33, 33_000}, {2_100_000_000_000_000, 99, 2_079_000_000_000_000}} {
		if got := SlashingAmount(c.value, c.pct); got != c.want {
			t.Errorf("SlashingAmount(%d, %d%%) = %d, want %d", c.value, c.pct, got, c.want)
		}
	}
}

// TestCanonicalRefusals: what is not the rebuilt transaction is refused.
func TestCanonicalRefusals(t *testing.T) {
	c := newSpendCase(t)
	g := c.f.params
	utx, _ := StakingUnbondingTx(g, c.d, c.staking, c.value)
	stx, _ := SlashingTx(g, c.f.staker, c.staking, c.value)
	otherRate := g
	otherRate.SlashingRatePct = 20
	otherAddr := g
	otherAddr.SlashingPkScript = p2wpkh(t, devKey("attacker"))
	otherFee := g
	otherFee.UnbondingFee = 5_000
	otherUnbondingTime := g
	otherUnbondingTime.UnbondingTime = 1
	mk := func(tx *wire.MsgTx, err error) *wire.MsgTx {
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	witnessed := utx.Copy()
	witnessed.TxIn[0].Witness = wire.TxWitness{{1}}
	replaceable := stx.Copy()
	replaceable.TxIn[0].Sequence = 0xfffffffd
	cases := []struct {
		name      string
		got, want *wire.MsgTx
	}{
		{"slashing with another rate", mk(SlashingTx(otherRate, c.f.staker, c.staking, c.value)), stx},
		{"slashing to another address", mk(SlashingTx(otherAddr, c.f.staker, c.staking, c.value)), stx},
		{"slashing change with another lock", mk(SlashingTx(otherUnbondingTime, c.f.staker, c.staking, c.value)), stx},
		{"slashing replaceable", replaceable, stx},
		{"unbonding with another fee", mk(StakingUnbondingTx(otherFee, c.d, c.staking, c.value)), utx},
		{"unbonding with another time", mk(StakingUnbondingTx(otherUnbondingTime, c.d, c.staking, c.value)), utx},
		{"unbonding with a witness", witnessed, utx},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			if err := SameTx(k.got, k.want); !errors.Is(err, ErrNotCanonical) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if err := SameTx(mk(SlashingTx(g, c.f.staker, c.staking, c.value)), stx); err != nil {
		t.Fatalf("the rebuilt slashing tx itself: %v", err)
	}
	if _, err := SlashingTx(g, c.f.staker, c.staking, 1_500); !errors.Is(err, ErrSlashingAmount) && !errors.Is(err, ErrDust) {
		t.Fatalf("tiny slashing: %v", err)
	}
}

// TestWithdrawalRefusals: a withdrawal pays only the wallet, spends only
// locked outputs through their exact lock, within the fee cap.
func TestWithdrawalRefusals(t *testing.T) {
	c := newSpendCase(t)
	staking, _ := StakingLocked(c.d, c.staking, c.value)
	outs := []LockedOutput{staking}
	base, err := WithdrawalTx(outs, c.wallet, 2_000)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(tx *wire.MsgTx)) *wire.MsgTx { tx := base.Copy(); f(tx); return tx }
	other := p2wpkh(t, devKey("someone-else"))
	cases := []struct {
		name string
		tx   *wire.MsgTx
		want error
	}{
		{"pays another script", mut(func(tx *wire.MsgTx) { tx.TxOut[0].PkScript = other }), ErrWithdrawOutput},
		{"splits to another script", mut(func(tx *wire.MsgTx) {
			tx.TxOut[0].Value -= 10_000
			tx.AddTxOut(wire.NewTxOut(10_000, other))
		}), ErrWithdrawOutput},
		{"OP_RETURN output", mut(func(tx *wire.MsgTx) { tx.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN})) }), ErrWithdrawOutput},
		{"unknown input", mut(func(tx *wire.MsgTx) {
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.HashH([]byte("wallet utxo"))}, nil, nil))
		}), ErrWithdrawInput},
		{"input twice", mut(func(tx *wire.MsgTx) { tx.AddTxIn(tx.TxIn[0]) }), ErrWithdrawInput},
		{"sequence above lock", mut(func(tx *wire.MsgTx) { tx.TxIn[0].Sequence++ }), ErrWithdrawLock},
		{"sequence disables lock", mut(func(tx *wire.MsgTx) { tx.TxIn[0].Sequence = wire.MaxTxInSequenceNum }), ErrWithdrawLock},
		{"version 1", mut(func(tx *wire.MsgTx) { tx.Version = 1 }), ErrWithdrawVersion},
		{"locktime", mut(func(tx *wire.MsgTx) { tx.LockTime = 5 }), ErrWithdrawVersion},
		{"fee above cap", mut(func(tx *wire.MsgTx) { tx.TxOut[0].Value -= 20_000 }), ErrWithdrawFee},
		{"no fee", mut(func(tx *wire.MsgTx) { tx.TxOut[0].Value = c.value }), ErrWithdrawFee},
		{"signature script", mut(func(tx *wire.MsgTx) { tx.TxIn[0].SignatureScript = []byte{1} }), ErrWithdrawInput},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			if _, err := CheckWithdrawal(k.tx, outs, c.wallet, 10_000); !errors.Is(err, k.want) {
				t.Fatalf("got %v, want %v", err, k.want)
			}
		})
	}
	if _, err := CheckWithdrawal(base, outs, c.wallet, 10_000); err != nil {
		t.Fatal(err)
	}
}

// TestPolicyChecks: the three entry points the policy calls accept the
// rebuilt transactions and return the leaf whose sighash is co-signed.
func TestPolicyChecks(t *testing.T) {
	c := newSpendCase(t)
	g := c.f.params
	out, d, err := StakingOutput(g, c.f.staker, []*btcec.PublicKey{c.f.fp.PubKey()}, 20, c.value)
	if err != nil || !bytes.Equal(out.PkScript, c.stakingOut.PkScript) {
		t.Fatalf("staking output: %v", err)
	}
	if _, _, err := StakingOutput(g, c.f.staker, []*btcec.PublicKey{c.f.fp.PubKey(), devKey("fp2").PubKey()}, 20, c.value); !errors.Is(err, ErrFinalityProvider) {
		t.Fatalf("two finality providers: %v", err)
	}
	s, _ := BuildScripts(d)
	utx, _ := StakingUnbondingTx(g, d, c.staking, c.value)
	leaf, prev, err := CheckUnbondingTx(g, d, c.staking, c.value, utx)
	if err != nil || !bytes.Equal(leaf, s.Unbonding) || !bytes.Equal(prev.PkScript, c.stakingOut.PkScript) {
		t.Fatalf("unbonding: %v", err)
	}
	stx, _ := SlashingTx(g, c.f.staker, c.staking, c.value)
	if leaf, _, err = CheckSlashingTx(g, d, c.staking, c.value, false, stx); err != nil || !bytes.Equal(leaf, s.Slashing) {
		t.Fatalf("slashing: %v", err)
	}
	uo := wire.OutPoint{Hash: utx.TxHash(), Index: 0}
	ustx, _ := SlashingTx(g, c.f.staker, uo, utx.TxOut[0].Value)
	_, prev, err = CheckSlashingTx(g, d, uo, utx.TxOut[0].Value, true, ustx)
	if err != nil || !bytes.Equal(prev.PkScript, utx.TxOut[0].PkScript) {
		t.Fatalf("unbonding slashing: %v", err)
	}
	if _, _, err := CheckSlashingTx(g, d, c.staking, c.value, false, ustx); !errors.Is(err, ErrNotCanonical) {
		t.Fatalf("slashing of the wrong output: %v", err)
	}
}

// TestPoP: the MuSig2 staker key proves possession for one Babylon address
// and the proof does not verify for another.
func TestPoP(t *testing.T) {
	f := newFixture(t, []byte{0x51})
	addr := bytes.Repeat([]byte{0xb1}, 20)
	m, err := PoPMessage(addr)
	if err != nil {
		t.Fatal(err)
	}
	sig := f.cosign(t, m)
	if !VerifyPoP(addr, f.staker, sig) {
		t.Fatal("PoP does not verify")
	}
	if VerifyPoP(bytes.Repeat([]byte{0xb2}, 20), f.staker, sig) {
		t.Fatal("PoP verifies for another address")
	}
	if _, err := PoPMessage([]byte{1, 2, 3}); err == nil {
		t.Fatal("short address accepted")
	}
}
