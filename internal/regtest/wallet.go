package regtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// ErrInsufficientFunds is returned when a key's spendable outputs do not
// cover the requested outputs plus fee.
var ErrInsufficientFunds = errors.New("regtest: insufficient spendable funds")

// Key is a single-key P2WPKH wallet for tests and the dev network, derived
// deterministically from a seed string. It is not the MPC wallet: it funds
// and pays on regtest where a real co-signed wallet is not the point.
type Key struct {
	Priv     *btcec.PrivateKey
	Addr     *btcutil.AddressWitnessPubKeyHash
	PkScript []byte
}

// NewKey derives a key from seed (sha256(seed) as the private scalar).
func NewKey(seed string) (*Key, error) {
	sum := sha256.Sum256([]byte(seed))
	priv, _ := btcec.PrivKeyFromBytes(sum[:])
	addr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(priv.PubKey().SerializeCompressed()), Params)
	if err != nil {
		return nil, fmt.Errorf("regtest: p2wpkh address: %w", err)
	}
	pk, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return nil, fmt.Errorf("regtest: p2wpkh script: %w", err)
	}
	return &Key{Priv: priv, Addr: addr, PkScript: pk}, nil
}

// SignInputs adds a P2WPKH witness to every input of tx, whose previous
// outputs are prevOuts (same order), all paying k.
func (k *Key) SignInputs(tx *wire.MsgTx, prevOuts []*wire.TxOut) error {
	if len(prevOuts) != len(tx.TxIn) {
		return fmt.Errorf("regtest: %d previous outputs for %d inputs", len(prevOuts), len(tx.TxIn))
	}
	m := make(map[wire.OutPoint]*wire.TxOut, len(prevOuts))
	for i, in := range tx.TxIn {
		m[in.PreviousOutPoint] = prevOuts[i]
	}
	fetcher := txscript.NewMultiPrevOutFetcher(m)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range tx.TxIn {
		w, err := txscript.WitnessSignature(tx, hashes, i, prevOuts[i].Value, prevOuts[i].PkScript, txscript.SigHashAll, k.Priv, true)
		if err != nil {
			return fmt.Errorf("regtest: sign input %d: %w", i, err)
		}
		tx.TxIn[i].Witness = w
	}
	return nil
}

// Pay builds, signs and broadcasts a transaction from k's spendable outputs
// on n to outs, with change back to k and a flat fee (satoshis). It returns
// the broadcast transaction; it is not yet mined.
func (k *Key) Pay(ctx context.Context, n *Node, outs []*wire.TxOut, fee int64) (*wire.MsgTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var want int64 = fee
	for _, o := range outs {
		want += o.Value
	}
	utxos, err := n.SpendableUTXOs(k.PkScript)
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(2)
	var prev []*wire.TxOut
	var have int64
	for _, u := range utxos {
		if have >= want {
			break
		}
		tx.AddTxIn(wire.NewTxIn(&u.Outpoint, nil, nil))
		prev = append(prev, wire.NewTxOut(u.Value, u.PkScript))
		have += u.Value
	}
	if have < want {
		return nil, fmt.Errorf("%w: have %d sat, need %d", ErrInsufficientFunds, have, want)
	}
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	if change := have - want; change > 0 {
		tx.AddTxOut(wire.NewTxOut(change, k.PkScript))
	}
	if err := k.SignInputs(tx, prev); err != nil {
		return nil, err
	}
	if _, err := n.Broadcast(tx); err != nil {
		return nil, err
	}
	return tx, nil
}

// OpReturn returns a null-data output carrying payload (e.g. P002's
// `{"StReqIds":"100,101"}`).
func OpReturn(payload []byte) (*wire.TxOut, error) {
	s, err := txscript.NullDataScript(payload)
	if err != nil {
		return nil, fmt.Errorf("regtest: op_return: %w", err)
	}
	return wire.NewTxOut(0, s), nil
}

// Confirm mines blocks until txid has conf confirmations.
func (n *Node) Confirm(ctx context.Context, txid chainhash.Hash, conf int64) error {
	return n.WaitConfirmations(ctx, &txid, conf)
}
