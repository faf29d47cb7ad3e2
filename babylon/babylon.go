// Package babylon rebuilds, from Babylon's versioned parameters
// (GlobalParams, Schedule), everything the staker key co-signs or the policy
// accepts: the staking output, the unbonding transaction, the slashing
// transactions of the staking and unbonding outputs (txs.go), and
// withdrawals that spend only through a timelock leaf back to the dedicated
// wallet (withdraw.go), so that the policy compares what it is asked to sign
// with what it built, byte for byte. docs/babylon.md is the lifecycle.
//
// Trust model: nothing here trusts a script or an address it is handed. The
// caller gives keys, a quorum and a staking time; the package builds the three
// tapscript leaves Babylon defines and the taproot output committing to them
// under an internal key nobody can spend with (the NUMS point H below), so the
// only ways out of a staking output are Babylon's three script paths.
//
// Layout (checked against babylonlabs-io/babylon btcstaking test vectors, see
// testvectors/babylon):
//
//	timelock  : <staker> OP_CHECKSIGVERIFY <staking_time> OP_CHECKSEQUENCEVERIFY
//	unbonding : <staker> OP_CHECKSIGVERIFY <covenant multisig>
//	slashing  : <staker> OP_CHECKSIGVERIFY <finality provider multisig, 1-of-n, VERIFY> <covenant multisig>
//
// A "multisig" over one key is `<k> OP_CHECKSIG` (or OP_CHECKSIGVERIFY in the
// VERIFY form); over several keys, sorted by their 32-byte x-only encoding,
// it is `<k1> OP_CHECKSIG <k2> OP_CHECKSIGADD ... <m> OP_NUMEQUAL` (or
// OP_NUMEQUALVERIFY). Keys are x-only (BIP340). The tree is btcd's
// AssembleTaprootScriptTree over [timelock, unbonding, slashing] (unbonding
// outputs: [timelock, slashing]). The package is pure and safe for concurrent
// use.
package babylon

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// unspendableKeyHex is the x coordinate of Babylon's NUMS internal key H
// (BIP341's suggested point: SHA-256 of the uncompressed secp256k1
// generator, lifted to a point with even y).
const unspendableKeyHex = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"

// Errors returned for parameters that cannot form a staking output.
var (
	ErrNoKeys            = errors.New("babylon: no keys")
	ErrDuplicateKey      = errors.New("babylon: duplicate key")
	ErrBadQuorum         = errors.New("babylon: quorum must be between 1 and the number of keys")
	ErrBadStakingTime    = errors.New("babylon: staking time must be between 1 and 65535 blocks")
	ErrStakerInCommittee = errors.New("babylon: staker key is also a finality provider or covenant key")
	ErrBadKey            = errors.New("babylon: invalid public key")
)

// Params are the parameters a staking output is rebuilt from.
type Params struct {
	StakerKey         *btcec.PublicKey
	FinalityProviders []*btcec.PublicKey
	CovenantKeys      []*btcec.PublicKey
	CovenantQuorum    int
	StakingTime       uint16 // blocks, BIP68 relative lock
}

// Scripts are the three leaf scripts of a staking output.
type Scripts struct {
	Timelock  []byte
	Unbonding []byte
	Slashing  []byte
}

// UnspendableKey returns Babylon's NUMS internal key.
func UnspendableKey() *btcec.PublicKey {
	b, _ := hex.DecodeString(unspendableKeyHex)
	k, err := schnorr.ParsePubKey(b)
	if err != nil {
		// The constant is a valid point; reaching this is a build defect.
		panic("babylon: NUMS key constant is invalid: " + err.Error())
	}
	return k
}

// ParseKey parses a 33-byte compressed or 32-byte x-only public key.
func ParseKey(b []byte) (*btcec.PublicKey, error) {
	var (
		k   *btcec.PublicKey
		err error
	)
	switch len(b) {
	case 32:
		k, err = schnorr.ParsePubKey(b)
	case 33:
		k, err = btcec.ParsePubKey(b)
	default:
		return nil, fmt.Errorf("%w: length %d", ErrBadKey, len(b))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return k, nil
}

// XOnly is a key's 32-byte BIP340 encoding.
func XOnly(k *btcec.PublicKey) []byte { return schnorr.SerializePubKey(k) }

// sortedXOnly returns the keys' x-only encodings sorted ascending, refusing
// duplicates (two keys with the same x-only encoding are the same signer).
func sortedXOnly(keys []*btcec.PublicKey) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		if k == nil {
			return nil, ErrBadKey
		}
		out[i] = XOnly(k)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	for i := 1; i < len(out); i++ {
		if bytes.Equal(out[i-1], out[i]) {
			return nil, ErrDuplicateKey
		}
	}
	return out, nil
}

func singleKey(b *txscript.ScriptBuilder, key []byte, verify bool) {
	b.AddData(key)
	if verify {
		b.AddOp(txscript.OP_CHECKSIGVERIFY)
	} else {
		b.AddOp(txscript.OP_CHECKSIG)
	}
}

func multiSig(b *txscript.ScriptBuilder, keys []*btcec.PublicKey, quorum int, verify bool) error {
	xs, err := sortedXOnly(keys)
	if err != nil {
		return err
	}
	if quorum < 1 || quorum > len(xs) {
		return ErrBadQuorum
	}
	if len(xs) == 1 {
		singleKey(b, xs[0], verify)
		return nil
	}
	for i, x := range xs {
		b.AddData(x)
		if i == 0 {
			b.AddOp(txscript.OP_CHECKSIG)
		} else {
			b.AddOp(txscript.OP_CHECKSIGADD)
		}
	}
	b.AddInt64(int64(quorum))
	if verify {
		b.AddOp(txscript.OP_NUMEQUALVERIFY)
	} else {
		b.AddOp(txscript.OP_NUMEQUAL)
	}
	return nil
}

func (p Params) validate() error {
	if p.StakerKey == nil {
		return fmt.Errorf("%w: staker", ErrBadKey)
	}
	if p.StakingTime == 0 {
		return ErrBadStakingTime
	}
	staker := XOnly(p.StakerKey)
	for _, set := range [][]*btcec.PublicKey{p.FinalityProviders, p.CovenantKeys} {
		for _, k := range set {
			if k != nil && bytes.Equal(XOnly(k), staker) {
				return ErrStakerInCommittee
			}
		}
	}
	return nil
}

// TimelockScript is `<staker> OP_CHECKSIGVERIFY <blocks> OP_CHECKSEQUENCEVERIFY`.
func TimelockScript(staker *btcec.PublicKey, blocks uint16) ([]byte, error) {
	if staker == nil {
		return nil, ErrBadKey
	}
	if blocks == 0 {
		return nil, ErrBadStakingTime
	}
	b := txscript.NewScriptBuilder()
	singleKey(b, XOnly(staker), true)
	b.AddInt64(int64(blocks))
	b.AddOp(txscript.OP_CHECKSEQUENCEVERIFY)
	return b.Script()
}

// UnbondingScript is `<staker> OP_CHECKSIGVERIFY <covenant multisig>`.
func UnbondingScript(staker *btcec.PublicKey, covenants []*btcec.PublicKey, quorum int) ([]byte, error) {
	b := txscript.NewScriptBuilder()
	singleKey(b, XOnly(staker), true)
	if err := multiSig(b, covenants, quorum, false); err != nil {
		return nil, fmt.Errorf("covenant: %w", err)
	}
	return b.Script()
}

// SlashingScript is `<staker> OP_CHECKSIGVERIFY <fp 1-of-n VERIFY> <covenant multisig>`.
func SlashingScript(staker *btcec.PublicKey, fps, covenants []*btcec.PublicKey, quorum int) ([]byte, error) {
	b := txscript.NewScriptBuilder()
	singleKey(b, XOnly(staker), true)
	if err := multiSig(b, fps, 1, true); err != nil {
		return nil, fmt.Errorf("finality providers: %w", err)
	}
	if err := multiSig(b, covenants, quorum, false); err != nil {
		return nil, fmt.Errorf("covenant: %w", err)
	}
	return b.Script()
}

// BuildScripts builds the three leaf scripts of a staking output.
func BuildScripts(p Params) (Scripts, error) {
	if err := p.validate(); err != nil {
		return Scripts{}, err
	}
	tl, err := TimelockScript(p.StakerKey, p.StakingTime)
	if err != nil {
		return Scripts{}, err
	}
	ub, err := UnbondingScript(p.StakerKey, p.CovenantKeys, p.CovenantQuorum)
	if err != nil {
		return Scripts{}, err
	}
	sl, err := SlashingScript(p.StakerKey, p.FinalityProviders, p.CovenantKeys, p.CovenantQuorum)
	if err != nil {
		return Scripts{}, err
	}
	return Scripts{Timelock: tl, Unbonding: ub, Slashing: sl}, nil
}

// TaprootPkScript is the P2TR script committing to leaves under the NUMS key.
func TaprootPkScript(leaves ...[]byte) ([]byte, error) {
	tl := make([]txscript.TapLeaf, len(leaves))
	for i, s := range leaves {
		tl[i] = txscript.NewBaseTapLeaf(s)
	}
	tree := txscript.AssembleTaprootScriptTree(tl...)
	root := tree.RootNode.TapHash()
	outKey := txscript.ComputeTaprootOutputKey(UnspendableKey(), root[:])
	return txscript.PayToTaprootScript(outKey)
}

// StakingPkScript rebuilds the staking output's pkScript from p.
func StakingPkScript(p Params) ([]byte, error) {
	s, err := BuildScripts(p)
	if err != nil {
		return nil, err
	}
	return TaprootPkScript(s.Timelock, s.Unbonding, s.Slashing)
}

// UnbondingOutput rebuilds the unbonding output (leaves: timelock over
// unbondingTime, and the same slashing path) paying value.
func UnbondingOutput(p Params, unbondingTime uint16, value int64) (*wire.TxOut, Scripts, error) {
	q := p
	q.StakingTime = unbondingTime
	if err := q.validate(); err != nil {
		return nil, Scripts{}, err
	}
	tl, err := TimelockScript(q.StakerKey, unbondingTime)
	if err != nil {
		return nil, Scripts{}, err
	}
	sl, err := SlashingScript(q.StakerKey, q.FinalityProviders, q.CovenantKeys, q.CovenantQuorum)
	if err != nil {
		return nil, Scripts{}, err
	}
	pk, err := TaprootPkScript(tl, sl)
	if err != nil {
		return nil, Scripts{}, err
	}
	return wire.NewTxOut(value, pk), Scripts{Timelock: tl, Slashing: sl}, nil
}

// UnbondingTx builds the version-2 transaction spending the staking output
// (stakingTx:index) into the unbonding output, value minus fee.
func UnbondingTx(p Params, stakingTx chainhash.Hash, index uint32, stakingValue int64, unbondingTime uint16, fee int64) (*wire.MsgTx, error) {
	if fee < 0 || fee >= stakingValue {
		return nil, fmt.Errorf("babylon: unbonding fee %d out of range for value %d", fee, stakingValue)
	}
	out, _, err := UnbondingOutput(p, unbondingTime, stakingValue-fee)
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&stakingTx, index), nil, nil))
	tx.AddTxOut(out)
	return tx, nil
}

// V0OpReturnScript is the phase-1 identifying OP_RETURN of a staking tx:
// tag(4) || version 0 || staker x-only || finality provider x-only || staking
// time (uint16 big-endian). It is defined for exactly one finality provider.
func V0OpReturnScript(tag []byte, p Params) ([]byte, error) {
	if len(tag) != 4 {
		return nil, fmt.Errorf("babylon: tag must be 4 bytes, got %d", len(tag))
	}
	if len(p.FinalityProviders) != 1 || p.FinalityProviders[0] == nil || p.StakerKey == nil {
		return nil, errors.New("babylon: v0 OP_RETURN needs a staker and exactly one finality provider")
	}
	data := make([]byte, 0, 71)
	data = append(data, tag...)
	data = append(data, 0)
	data = append(data, XOnly(p.StakerKey)...)
	data = append(data, XOnly(p.FinalityProviders[0])...)
	data = binary.BigEndian.AppendUint16(data, p.StakingTime)
	return txscript.NullDataScript(data)
}
