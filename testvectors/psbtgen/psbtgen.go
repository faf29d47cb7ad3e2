// Package psbtgen builds well-formed, deterministic PSBTs that spend a test
// wallet, for tests, generated vectors and demos.
//
// Trust: nothing here is for production keys. Wallet keys are derived from a
// seed string with SHA-256, so anyone who knows the seed knows the key.
//
// Guarantees: the same arguments always give the same bytes (no randomness,
// no clock), and every PSBT built here passes psbtcheck.Check for the
// wallet it was built for, as long as its outputs are within policy
// (non-dust, at most one OP_RETURN, value-balanced).
package psbtgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// DefaultSequence is the nSequence of every input built here: final for
// locktime purposes but signalling BIP125 replaceability.
const DefaultSequence uint32 = 0xfffffffd

// Wallet is a deterministic single-key P2WPKH test wallet.
type Wallet struct {
	seed string
	priv *btcec.PrivateKey // nil for a wallet known only by its public key
	pub  *btcec.PublicKey
}

// NewWallet derives the wallet key as SHA-256("psbtgen/wallet/" + seed),
// reduced modulo the curve order (never zero for any seed in practice).
func NewWallet(seed string) *Wallet {
	h := sha256.Sum256([]byte("psbtgen/wallet/" + seed))
	priv, _ := btcec.PrivKeyFromBytes(h[:])
	return &Wallet{seed: seed, priv: priv, pub: priv.PubKey()}
}

// WalletFromPrivKey wraps an existing key (e.g. a regtest key).
func WalletFromPrivKey(priv *btcec.PrivateKey) *Wallet {
	return &Wallet{seed: fmt.Sprintf("%x", priv.PubKey().SerializeCompressed()), priv: priv, pub: priv.PubKey()}
}

// WalletFromPubKey is a wallet whose key is held elsewhere (the threshold
// group key): it builds PSBTs but PrivKey returns nil.
func WalletFromPubKey(pub []byte) (*Wallet, error) {
	k, err := btcec.ParsePubKey(pub)
	if err != nil {
		return nil, fmt.Errorf("psbtgen: wallet public key: %w", err)
	}
	return &Wallet{seed: fmt.Sprintf("%x", k.SerializeCompressed()), pub: k}, nil
}

// PrivKey returns the wallet's private key (for single-key signing tests).
func (w *Wallet) PrivKey() *btcec.PrivateKey { return w.priv }

// PubKey returns the 33-byte compressed public key.
func (w *Wallet) PubKey() []byte { return w.pub.SerializeCompressed() }

// PubKeyHash returns HASH160 of the compressed public key.
func (w *Wallet) PubKeyHash() []byte { return btcutil.Hash160(w.PubKey()) }

// PkScript returns the wallet's P2WPKH script: OP_0 <20-byte key hash>.
func (w *Wallet) PkScript() []byte {
	return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, w.PubKeyHash()...)
}

// Address returns the wallet's bech32 P2WPKH address on net.
func (w *Wallet) Address(net *chaincfg.Params) string {
	a, err := btcutil.NewAddressWitnessPubKeyHash(w.PubKeyHash(), net)
	if err != nil { // cannot happen: the hash is always 20 bytes
		panic(err)
	}
	return a.EncodeAddress()
}

// UTXO is a real previous output of the wallet: the full previous
// transaction (needed for non_witness_utxo) and the output index.
type UTXO struct {
	PrevTx *wire.MsgTx
	Vout   uint32
}

// ErrBadArgs is returned for arguments that cannot make a PSBT.
var ErrBadArgs = errors.New("psbtgen: bad arguments")

// FakePrevTx returns the deterministic fake previous transaction Build uses
// for input i: it pays value to the wallet at output index i%2 (output 0 of
// odd-indexed ones is a filler payment elsewhere, so vouts vary).
func FakePrevTx(w *Wallet, i int, value int64) (*wire.MsgTx, uint32) {
	tx := wire.NewMsgTx(2)
	h := sha256.Sum256([]byte(fmt.Sprintf("psbtgen/prevout/%s/%d", w.seed, i)))
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash(h), Index: uint32(i % 3)},
		SignatureScript:  nil,
		Witness:          wire.TxWitness{bytes.Repeat([]byte{0x30}, 71), w.PubKey()},
		Sequence:         wire.MaxTxInSequenceNum,
	})
	vout := uint32(i % 2)
	if vout == 1 {
		filler := sha256.Sum256([]byte(fmt.Sprintf("psbtgen/filler/%d", i)))
		tx.AddTxOut(wire.NewTxOut(12_345, append([]byte{txscript.OP_0, txscript.OP_DATA_20}, filler[:20]...)))
	}
	tx.AddTxOut(wire.NewTxOut(value, w.PkScript()))
	return tx, vout
}

// Build makes a PSBT (version 2 tx, locktime 0) spending len(inputValues)
// distinct fake previous transactions that pay the wallet, each input with
// both non_witness_utxo and witness_utxo and no sighash type, followed by
// outputs and, if opReturnPayload != nil, one OP_RETURN output (value 0)
// carrying it as the last output.
func Build(net *chaincfg.Params, w *Wallet, inputValues []int64, outputs []*wire.TxOut, opReturnPayload []byte) (*psbt.Packet, error) {
	utxos := make([]UTXO, len(inputValues))
	for i, v := range inputValues {
		tx, vout := FakePrevTx(w, i, v)
		utxos[i] = UTXO{PrevTx: tx, Vout: vout}
	}
	return BuildFromUTXOs(net, w, utxos, outputs, opReturnPayload)
}

// BuildFromUTXOs is Build over real wallet outputs. Every UTXO must pay the
// wallet's script (otherwise ErrBadArgs).
func BuildFromUTXOs(net *chaincfg.Params, w *Wallet, utxos []UTXO, outputs []*wire.TxOut, opReturnPayload []byte) (*psbt.Packet, error) {
	if w == nil || len(utxos) == 0 {
		return nil, fmt.Errorf("%w: need a wallet and at least one input", ErrBadArgs)
	}
	_ = net // the PSBT format is network-independent; kept for symmetry with callers
	tx := wire.NewMsgTx(2)
	for i, u := range utxos {
		if u.PrevTx == nil || int(u.Vout) >= len(u.PrevTx.TxOut) {
			return nil, fmt.Errorf("%w: input %d: no such previous output", ErrBadArgs, i)
		}
		if !bytes.Equal(u.PrevTx.TxOut[u.Vout].PkScript, w.PkScript()) {
			return nil, fmt.Errorf("%w: input %d does not pay the wallet", ErrBadArgs, i)
		}
		tx.AddTxIn(&wire.TxIn{
			PreviousOutPoint: wire.OutPoint{Hash: u.PrevTx.TxHash(), Index: u.Vout},
			Sequence:         DefaultSequence,
		})
	}
	for _, o := range outputs {
		tx.AddTxOut(wire.NewTxOut(o.Value, append([]byte(nil), o.PkScript...)))
	}
	if opReturnPayload != nil {
		tx.AddTxOut(wire.NewTxOut(0, OpReturnScript(opReturnPayload)))
	}
	if len(tx.TxOut) == 0 {
		return nil, fmt.Errorf("%w: no outputs", ErrBadArgs)
	}
	p, err := psbt.NewFromUnsignedTx(tx)
	if err != nil {
		return nil, err
	}
	for i, u := range utxos {
		p.Inputs[i].NonWitnessUtxo = u.PrevTx.Copy()
		out := u.PrevTx.TxOut[u.Vout]
		p.Inputs[i].WitnessUtxo = wire.NewTxOut(out.Value, append([]byte(nil), out.PkScript...))
	}
	return p, nil
}

// Serialize returns the binary encoding of p (panics only if p cannot be
// serialized, which for packets built here does not happen).
func Serialize(p *psbt.Packet) []byte {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		panic(fmt.Sprintf("psbtgen: serialize: %v", err))
	}
	return b.Bytes()
}

// OpReturnScript returns OP_RETURN followed by one minimal push of payload
// (OP_PUSHDATA1 above 75 bytes, OP_PUSHDATA2 above 255).
func OpReturnScript(payload []byte) []byte {
	s := []byte{txscript.OP_RETURN}
	switch n := len(payload); {
	case n <= 75:
		s = append(s, byte(n))
	case n <= 255:
		s = append(s, txscript.OP_PUSHDATA1, byte(n))
	case n <= 65535:
		var l [2]byte
		binary.LittleEndian.PutUint16(l[:], uint16(n))
		s = append(s, txscript.OP_PUSHDATA2, l[0], l[1])
	default:
		var l [4]byte
		binary.LittleEndian.PutUint32(l[:], uint32(n))
		s = append(s, txscript.OP_PUSHDATA4)
		s = append(s, l[:]...)
	}
	return append(s, payload...)
}

// StReqIDsPayloadOfSize returns a canonical StReqIds payload of exactly n
// bytes (n >= 16): distinct 77-digit ids, the last one shorter to fit.
func StReqIDsPayloadOfSize(n int) []byte {
	left := n - len(`{"StReqIds":""}`)
	var ids []string
	for k := 0; left > 0; k++ {
		switch {
		case left <= 77: // the last id; it starts with 9, every other with 1
			ids = append(ids, "9"+strings.Repeat("8", left-1))
			left = 0
		case left == 78: // 76 digits and a comma, then the one-digit last id
			ids = append(ids, fmt.Sprintf("1%075d", k))
			left -= 77
		default:
			ids = append(ids, fmt.Sprintf("1%076d", k))
			left -= 78
		}
	}
	return []byte(`{"StReqIds":"` + strings.Join(ids, ",") + `"}`)
}

// StReqIDsPayload returns {"StReqIds":"<ids joined by commas>"}.
func StReqIDsPayload(ids ...string) []byte {
	return []byte(`{"StReqIds":"` + strings.Join(ids, ",") + `"}`)
}

// P2WPKHOutput returns an output of value paying a deterministic P2WPKH
// script derived from label (an "external" destination in tests).
func P2WPKHOutput(label string, value int64) *wire.TxOut {
	return wire.NewTxOut(value, NewWallet("external/"+label).PkScript())
}
