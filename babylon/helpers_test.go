package babylon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/musig"
)

// devKey is a deterministic test key: never a real one.
func devKey(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("policyd-babylon-test/" + seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// fixture is a dev setup: 3 covenant keys with quorum 2, one finality
// provider, the staker key a MuSig2 aggregate of policyd and the custody
// node, and a slashing script.
type fixture struct {
	covenants []*btcec.PrivateKey
	fp        *btcec.PrivateKey
	policyd   *musig.Signer
	custody   *musig.Signer
	staker    *btcec.PublicKey
	params    GlobalParams
	sessions  uint32
}

func newFixture(t testing.TB, slashingPkScript []byte) *fixture {
	t.Helper()
	f := &fixture{fp: devKey("fp")}
	var covPubs []*btcec.PublicKey
	for _, s := range []string{"cov-a", "cov-b", "cov-c"} {
		k := devKey(s)
		f.covenants = append(f.covenants, k)
		covPubs = append(covPubs, k.PubKey())
	}
	a, b := devKey("policyd-staker"), devKey("custody-staker")
	var err error
	if f.policyd, err = musig.NewSigner(a, b.PubKey()); err != nil {
		t.Fatal(err)
	}
	if f.custody, err = musig.NewSigner(b, a.PubKey()); err != nil {
		t.Fatal(err)
	}
	f.staker = f.policyd.AggregateKey()
	f.params = GlobalParams{
		Version: 0, ActivationHeight: 0,
		CovenantKeys: covPubs, CovenantQuorum: 2, MaxFinalityProviders: 1,
		MinStakingValue: 10_000, MaxStakingValue: 10_000_000_000,
		MinStakingTime: 10, MaxStakingTime: 65535,
		UnbondingTime: 5, UnbondingFee: 1_000,
		SlashingRatePct: 10, SlashingPkScript: slashingPkScript, MinSlashingFee: 1_000,
	}
	return f
}

func (f *fixture) delegation(stakingTime uint16) Params {
	return f.params.Delegation(f.staker, []*btcec.PublicKey{f.fp.PubKey()}, stakingTime)
}

// cosign runs the two-party MuSig2 ceremony over msg through the wire
// encoding, as policyd and the custody node would.
func (f *fixture) cosign(t testing.TB, msg [32]byte) *schnorr.Signature {
	t.Helper()
	f.sessions++
	id := musig.SessionIDFor([]byte("test"), binary.BigEndian.AppendUint32(nil, f.sessions))
	r1a, err := f.policyd.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	r1b, err := f.custody.Open(id, msg)
	if err != nil {
		t.Fatal(err)
	}
	r2a, err := f.policyd.Sign(reparse1(t, r1b))
	if err != nil {
		t.Fatal(err)
	}
	r2b, err := f.custody.Sign(reparse1(t, r1a))
	if err != nil {
		t.Fatal(err)
	}
	sig, _, err := f.policyd.Finish(reparse2(t, r2b))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.custody.Finish(reparse2(t, r2a)); err != nil {
		t.Fatal(err)
	}
	return sig
}

func reparse1(t testing.TB, r musig.Round1) musig.Round1 {
	b, _ := r.MarshalBinary()
	out, err := musig.ParseRound1(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func reparse2(t testing.TB, r musig.Round2) musig.Round2 {
	b, _ := r.MarshalBinary()
	out, err := musig.ParseRound2(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// covenantSigs signs msg with the first quorum covenant keys.
func (f *fixture) covenantSigs(t testing.TB, msg [32]byte) []CovenantSig {
	t.Helper()
	var out []CovenantSig
	for _, k := range f.covenants[:f.params.CovenantQuorum] {
		s, err := schnorr.Sign(k, msg[:])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, CovenantSig{Key: k.PubKey(), Sig: s})
	}
	return out
}

// signUnbonding fills the unbonding tx's witness: covenants and the
// MuSig2 staker over the staking output's unbonding leaf.
func (f *fixture) signUnbonding(t testing.TB, tx *wire.MsgTx, d Params, stakingOut *wire.TxOut) {
	t.Helper()
	s, err := BuildScripts(d)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ScriptPathSigHash(tx, 0, []*wire.TxOut{stakingOut}, s.Unbonding)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := ControlBlock([][]byte{s.Timelock, s.Unbonding, s.Slashing}, s.Unbonding)
	if err != nil {
		t.Fatal(err)
	}
	w, err := CovenantWitness(d.CovenantKeys, f.covenantSigs(t, msg), nil, f.cosign(t, msg), s.Unbonding, cb)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
}

// signWithdrawal fills every input's witness through its timelock leaf.
func (f *fixture) signWithdrawal(t testing.TB, tx *wire.MsgTx, spent []LockedOutput) {
	t.Helper()
	prev := PrevOuts(spent)
	for i, o := range spent {
		msg, err := ScriptPathSigHash(tx, i, prev, o.Timelock)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := o.ControlBlock()
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].Witness = TimelockWitness(f.cosign(t, msg), o.Timelock, cb)
	}
}

// execute runs btcd's script engine on every input of tx.
func execute(tx *wire.MsgTx, prevOuts []*wire.TxOut) error {
	m := make(map[wire.OutPoint]*wire.TxOut)
	for i, in := range tx.TxIn {
		m[in.PreviousOutPoint] = prevOuts[i]
	}
	fetcher := txscript.NewMultiPrevOutFetcher(m)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(prevOuts[i].PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prevOuts[i].Value, fetcher)
		if err != nil {
			return err
		}
		if err := vm.Execute(); err != nil {
			return err
		}
	}
	return nil
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func vectorOutPoint(t testing.TB, hash string, index uint32) wire.OutPoint {
	t.Helper()
	var h chainhash.Hash
	if err := chainhash.Decode(&h, hash); err != nil {
		t.Fatal(err)
	}
	return wire.OutPoint{Hash: h, Index: index}
}

func txHex(t testing.TB, tx *wire.MsgTx) string {
	t.Helper()
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b.Bytes())
}
