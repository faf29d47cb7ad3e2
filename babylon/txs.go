package babylon

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// The transactions the staker key co-signs, each rebuilt here from the
// delegation and the parameters version in force, so that the policy
// compares what it is asked to sign with what it built, byte for byte.
//
// Layouts follow babylonlabs-io/babylon btcstaking (staking.go:
// buildSlashingTxFromOutpoint, BuildSlashingTxFromStakingTxStrict,
// CheckSlashingTxMatchFundingTx, CheckPreSignedUnbondingTxSanity; types.go:
// BuildRelativeTimelockTaprootScript):
//
//	unbonding tx : version 2, locktime 0, one input (the staking output,
//	               sequence 0xffffffff, no script sig), one output: the
//	               unbonding output (leaves [timelock(unbonding time),
//	               slashing]) worth staking value - unbonding fee.
//	slashing tx  : version 1, locktime 0, one input (the staking or the
//	               unbonding output, sequence 0xffffffff), two outputs:
//	               [0] slashing pk script, round(value × rate) (btcutil
//	               Amount.MulF64: float64, half away from zero);
//	               [1] change: value - slashed - fee, to P2TR(NUMS, single
//	               leaf timelock(staker, unbonding time)). Neither is dust
//	               at btcd's default relay fee. The fee is the version's
//	               minimum slashing fee (what Babylon's own builders use; the
//	               chain accepts more, the policy does not).

// Errors of a transaction that is not the canonical one.
var (
	ErrNotCanonical   = errors.New("babylon: transaction differs from the one rebuilt from the parameters")
	ErrSlashingAmount = errors.New("babylon: slashing transaction amounts invalid")
	ErrDust           = errors.New("babylon: dust output")
)

// slashingTxVersion is the version Babylon's slashing builder uses
// (btcd wire.TxVersion).
const slashingTxVersion = 1

// unbondingTxVersion is the only version Babylon accepts for unbonding.
//
//lint:ignore U1000 not checked yet: the unbonding rebuild should require it (reported to the lead)
const unbondingTxVersion = 2

// isDust is btcd mempool.IsDust at the default minimum relay fee (1000
// sat/kB), the check Babylon applies to pre-signed outputs: an output is
// dust when spending it costs more than a third of its value. Written out
// here so as not to pull btcd's mempool package into the build.
func isDust(out *wire.TxOut) bool {
	if txscript.IsUnspendable(out.PkScript) {
		return true
	}
	size := out.SerializeSize() + 41
	if txscript.IsWitnessProgram(out.PkScript) {
		size += 107 / 4
	} else {
		size += 107
	}
	return out.Value*1000/(3*int64(size)) < 1000
}

// SlashingAmount is Babylon's slashed amount: btcutil.Amount(value).
// MulF64(rate) with rate the float64 of the decimal rate, i.e.
// floor(float64(value) × float64(pct)/100 + 0.5). float64(pct)/100 is the
// double nearest to the decimal, as strconv.ParseFloat of Babylon's
// LegacyDec string is.
func SlashingAmount(value int64, pct uint32) int64 {
	return int64(float64(value)*(float64(pct)/100) + 0.5)
}

// SlashingChangePkScript is the slashing change output's script: P2TR under
// the NUMS key committing to the single leaf timelock(staker, lock).
func SlashingChangePkScript(staker *btcec.PublicKey, lock uint16) ([]byte, []byte, error) {
	leaf, err := TimelockScript(staker, lock)
	if err != nil {
		return nil, nil, err
	}
	pk, err := TaprootPkScript(leaf)
	return pk, leaf, err
}

// SlashingTx rebuilds the slashing transaction of the output at funding
// (the staking output, or output 0 of the unbonding transaction) worth
// value, under version g for a delegation whose staker is staker.
func SlashingTx(g GlobalParams, staker *btcec.PublicKey, funding wire.OutPoint, value int64) (*wire.MsgTx, error) {
	if g.SlashingRatePct == 0 || g.SlashingRatePct >= 100 || len(g.SlashingPkScript) == 0 || g.MinSlashingFee <= 0 {
		return nil, fmt.Errorf("%w: slashing rate, script or fee", ErrBadParams)
	}
	slashed := SlashingAmount(value, g.SlashingRatePct)
	if slashed <= 0 {
		return nil, fmt.Errorf("%w: nothing slashed from %d", ErrSlashingAmount, value)
	}
	change := value - slashed - g.MinSlashingFee
	if change <= 0 {
		return nil, fmt.Errorf("%w: no change left from %d", ErrSlashingAmount, value)
	}
	changePk, _, err := SlashingChangePkScript(staker, g.UnbondingTime)
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(slashingTxVersion)
	tx.AddTxIn(wire.NewTxIn(&funding, nil, nil))
	tx.AddTxOut(wire.NewTxOut(slashed, append([]byte(nil), g.SlashingPkScript...)))
	tx.AddTxOut(wire.NewTxOut(change, changePk))
	for i, out := range tx.TxOut {
		if isDust(out) {
			return nil, fmt.Errorf("%w: slashing tx output %d (%d sat)", ErrDust, i, out.Value)
		}
	}
	return tx, nil
}

// StakingUnbondingTx rebuilds the unbonding transaction of delegation d
// (whose staking output is at staking, worth value) under version g.
func StakingUnbondingTx(g GlobalParams, d Params, staking wire.OutPoint, value int64) (*wire.MsgTx, error) {
	tx, err := UnbondingTx(d, staking.Hash, staking.Index, value, g.UnbondingTime, g.UnbondingFee)
	if err != nil {
		return nil, err
	}
	if isDust(tx.TxOut[0]) {
		return nil, fmt.Errorf("%w: unbonding output (%d sat)", ErrDust, tx.TxOut[0].Value)
	}
	return tx, nil
}

// SameTx reports whether got is want with every field compared, witnesses
// ignored (the policy compares before anything is signed; a witness is
// refused separately by the PSBT checks).
func SameTx(got, want *wire.MsgTx) error {
	if got == nil || want == nil {
		return fmt.Errorf("%w: missing transaction", ErrNotCanonical)
	}
	strip := func(tx *wire.MsgTx) []byte {
		c := tx.Copy()
		for _, in := range c.TxIn {
			in.Witness = nil
		}
		var b bytes.Buffer
		_ = c.SerializeNoWitness(&b)
		return b.Bytes()
	}
	g, w := strip(got), strip(want)
	if !bytes.Equal(g, w) {
		return fmt.Errorf("%w:\n got  %x\n want %x", ErrNotCanonical, g, w)
	}
	for i, in := range got.TxIn {
		if len(in.Witness) != 0 {
			return fmt.Errorf("%w: input %d carries a witness", ErrNotCanonical, i)
		}
	}
	return nil
}

// ScriptPathSigHash is the BIP341 script-path sighash (SIGHASH_DEFAULT) of
// input idx of tx spending prevOut through leaf: what the staker key (and
// the covenants) sign. Babylon's pre-signed transactions and the
// withdrawals built here spend only locked outputs, one previous output
// per input, all given in prevOuts by input order.
func ScriptPathSigHash(tx *wire.MsgTx, idx int, prevOuts []*wire.TxOut, leaf []byte) ([32]byte, error) {
	var out [32]byte
	if idx < 0 || idx >= len(tx.TxIn) || len(prevOuts) != len(tx.TxIn) {
		return out, fmt.Errorf("babylon: sighash: input %d of %d, %d previous outputs", idx, len(tx.TxIn), len(prevOuts))
	}
	m := make(map[wire.OutPoint]*wire.TxOut, len(prevOuts))
	for i, in := range tx.TxIn {
		if prevOuts[i] == nil {
			return out, fmt.Errorf("babylon: sighash: previous output %d missing", i)
		}
		m[in.PreviousOutPoint] = prevOuts[i]
	}
	fetcher := txscript.NewMultiPrevOutFetcher(m)
	h, err := txscript.CalcTapscriptSignaturehash(txscript.NewTxSigHashes(tx, fetcher), txscript.SigHashDefault, tx, idx, fetcher, txscript.NewBaseTapLeaf(leaf))
	if err != nil {
		return out, err
	}
	copy(out[:], h)
	return out, nil
}

// ControlBlock is the BIP341 control block revealing leaf in the tree of
// leaves (in the order TaprootPkScript was given them) under the NUMS key.
func ControlBlock(leaves [][]byte, leaf []byte) ([]byte, error) {
	tl := make([]txscript.TapLeaf, len(leaves))
	idx := -1
	for i, s := range leaves {
		tl[i] = txscript.NewBaseTapLeaf(s)
		if bytes.Equal(s, leaf) {
			idx = i
		}
	}
	if idx < 0 {
		return nil, errors.New("babylon: leaf not in tree")
	}
	tree := txscript.AssembleTaprootScriptTree(tl...)
	cb := tree.LeafMerkleProofs[idx].ToControlBlock(UnspendableKey())
	return cb.ToBytes()
}

// CovenantSig is one covenant member's BIP340 signature.
type CovenantSig struct {
	Key *btcec.PublicKey
	Sig *schnorr.Signature
}

// CovenantWitness is the witness of a leaf `<staker> OP_CHECKSIGVERIFY
// [<fp> OP_CHECKSIGVERIFY] <covenant multisig>`: the covenant signatures
// in reverse order of the sorted keys (absent ones empty), then the finality
// provider's signature if the leaf has one, then the staker's, then the leaf
// and its control block.
func CovenantWitness(covenants []*btcec.PublicKey, sigs []CovenantSig, fpSig []byte, stakerSig *schnorr.Signature, leaf, controlBlock []byte) (wire.TxWitness, error) {
	xs, err := sortedXOnly(covenants)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string][]byte, len(sigs))
	for _, s := range sigs {
		byKey[string(XOnly(s.Key))] = s.Sig.Serialize()
	}
	var w wire.TxWitness
	for i := len(xs) - 1; i >= 0; i-- {
		w = append(w, byKey[string(xs[i])]) // nil: an empty element
	}
	if fpSig != nil {
		w = append(w, fpSig)
	}
	w = append(w, stakerSig.Serialize(), leaf, controlBlock)
	return w, nil
}

// TimelockWitness is the witness of a timelock leaf: the staker's
// signature, the leaf and its control block.
func TimelockWitness(stakerSig *schnorr.Signature, leaf, controlBlock []byte) wire.TxWitness {
	return wire.TxWitness{stakerSig.Serialize(), leaf, controlBlock}
}

// stakingPrevOut is d's staking output worth value, with its leaves.
func stakingPrevOut(d Params, value int64) (Scripts, *wire.TxOut, error) {
	s, err := BuildScripts(d)
	if err != nil {
		return Scripts{}, nil, err
	}
	pk, err := TaprootPkScript(s.Timelock, s.Unbonding, s.Slashing)
	if err != nil {
		return Scripts{}, nil, err
	}
	return s, wire.NewTxOut(value, pk), nil
}

// CheckUnbondingTx is the policy's check before co-signing an unbonding:
// tx must be, byte for byte and without witness, the unbonding transaction
// rebuilt under g for delegation d whose staking output is at staking,
// worth value. It returns the leaf to sign (the staking output's unbonding
// leaf) and the previous output for ScriptPathSigHash.
func CheckUnbondingTx(g GlobalParams, d Params, staking wire.OutPoint, value int64, tx *wire.MsgTx) (leaf []byte, prevOut *wire.TxOut, err error) {
	want, err := StakingUnbondingTx(g, d, staking, value)
	if err != nil {
		return nil, nil, err
	}
	if err := SameTx(tx, want); err != nil {
		return nil, nil, err
	}
	s, prev, err := stakingPrevOut(d, value)
	if err != nil {
		return nil, nil, err
	}
	return s.Unbonding, prev, nil
}

// CheckSlashingTx is the policy's check before co-signing a slashing
// transaction: tx must be the slashing transaction rebuilt under g for the
// funding output at funding worth value. fromUnbonding says whether the
// funding output is the unbonding output (otherwise the staking output);
// it returns the slashing leaf of that output and the previous output.
func CheckSlashingTx(g GlobalParams, d Params, funding wire.OutPoint, value int64, fromUnbonding bool, tx *wire.MsgTx) (leaf []byte, prevOut *wire.TxOut, err error) {
	want, err := SlashingTx(g, d.StakerKey, funding, value)
	if err != nil {
		return nil, nil, err
	}
	if err := SameTx(tx, want); err != nil {
		return nil, nil, err
	}
	if fromUnbonding {
		out, s, err := UnbondingOutput(d, g.UnbondingTime, value)
		if err != nil {
			return nil, nil, err
		}
		return s.Slashing, out, nil
	}
	s, prev, err := stakingPrevOut(d, value)
	if err != nil {
		return nil, nil, err
	}
	return s.Slashing, prev, nil
}

// StakingOutput is the policy's check of a staking output: the delegation
// (staker, finality providers, staking time, value) within the bounds of
// version g, the committee from g, and the output rebuilt from it. The
// caller compares it byte for byte with the PSBT's output and checks the
// staker is the co-managed MuSig2 key.
func StakingOutput(g GlobalParams, staker *btcec.PublicKey, fps []*btcec.PublicKey, stakingTime uint16, value int64) (*wire.TxOut, Params, error) {
	if err := g.CheckDelegation(value, stakingTime, len(fps)); err != nil {
		return nil, Params{}, err
	}
	d := g.Delegation(staker, fps, stakingTime)
	pk, err := StakingPkScript(d)
	if err != nil {
		return nil, Params{}, err
	}
	return wire.NewTxOut(value, pk), d, nil
}
