package scenarios

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"github.com/bitlayer-org/policyd/psbtcheck"
)

// StandInCheck is a TEST-ONLY stand-in for psbtcheck.Check, used until the
// real checker lands: it decodes packets built by psbtgen and derives the same
// facts (proven input values, classes, OP_RETURN ids, fee, vsize, BIP143
// sighashes). It is not strict and must never be wired into a server.
func StandInCheck(raw []byte, w psbtcheck.Wallet, _ psbtcheck.Limits) (*psbtcheck.Facts, error) {
	p, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		return nil, fmt.Errorf("%w: decode: %v", psbtcheck.ErrRefused, err)
	}
	walletScript := append([]byte{0x00, 0x14}, btcutil.Hash160(w.PubKey)...)
	tx := p.UnsignedTx
	f := &psbtcheck.Facts{UnsignedTxID: tx.TxHash(), PSBTHash: sha256.Sum256(raw), Version: tx.Version, LockTime: tx.LockTime, Tx: tx.Copy()}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		prev := p.Inputs[i].NonWitnessUtxo
		if prev == nil || prev.TxHash() != in.PreviousOutPoint.Hash || int(in.PreviousOutPoint.Index) >= len(prev.TxOut) {
			return nil, fmt.Errorf("%w: input %d: previous tx missing or wrong", psbtcheck.ErrRefused, i)
		}
		out := prev.TxOut[in.PreviousOutPoint.Index]
		if !bytes.Equal(out.PkScript, walletScript) {
			return nil, fmt.Errorf("%w: input %d not the wallet's", psbtcheck.ErrRefused, i)
		}
		fetcher.AddPrevOut(in.PreviousOutPoint, out)
		f.Inputs = append(f.Inputs, psbtcheck.Input{Index: i, Outpoint: in.PreviousOutPoint, OutpointStr: in.PreviousOutPoint.String(), Value: out.Value, PkScript: out.PkScript, Sequence: in.Sequence})
		f.InputTotal += out.Value
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i := range f.Inputs {
		h, err := txscript.CalcWitnessSigHash(walletScript, hashes, txscript.SigHashAll, tx, i, f.Inputs[i].Value)
		if err != nil {
			return nil, err
		}
		copy(f.Inputs[i].Sighash[:], h)
	}
	net := w.Net
	if net == nil {
		net = &chaincfg.MainNetParams
	}
	for i, o := range tx.TxOut {
		out := psbtcheck.Output{Index: i, Value: o.Value, PkScript: o.PkScript, Class: psbtcheck.ClassExternal}
		switch {
		case bytes.Equal(o.PkScript, walletScript):
			out.Class = psbtcheck.ClassChange
		case len(o.PkScript) > 0 && o.PkScript[0] == txscript.OP_RETURN:
			out.Class = psbtcheck.ClassOpReturn
			if f.HasOpReturn {
				return nil, fmt.Errorf("%w: two OP_RETURN outputs", psbtcheck.ErrRefused)
			}
			pushes, err := txscript.PushedData(o.PkScript[1:])
			if err != nil || len(pushes) != 1 {
				return nil, fmt.Errorf("%w: OP_RETURN", psbtcheck.ErrRefused)
			}
			ids, err := standInIDs(pushes[0])
			if err != nil {
				return nil, err
			}
			f.HasOpReturn, f.ReqIDs = true, ids
		}
		if _, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, net); err == nil && len(addrs) == 1 {
			out.Address = addrs[0].EncodeAddress()
		}
		f.Outputs = append(f.Outputs, out)
		f.OutputTotal += o.Value
	}
	f.Fee = f.InputTotal - f.OutputTotal
	if f.Fee < 0 {
		return nil, fmt.Errorf("%w: negative fee", psbtcheck.ErrRefused)
	}
	// vsize with P2WPKH witnesses of a 72-byte signature and a 33-byte key.
	base := tx.SerializeSizeStripped()
	witness := 2 + len(tx.TxIn)*(1+1+72+1+33)
	f.VSize = int64((base*4 + witness + 3) / 4)
	f.FeeRate = f.Fee / f.VSize
	return f, nil
}

func standInIDs(payload []byte) ([]*big.Int, error) {
	s := string(payload)
	const pre, post = `{"StReqIds":"`, `"}`
	if !strings.HasPrefix(s, pre) || !strings.HasSuffix(s, post) {
		return nil, errors.New("stand-in: not a StReqIds payload")
	}
	var out []*big.Int
	for _, part := range strings.Split(s[len(pre):len(s)-len(post)], ",") {
		v, ok := new(big.Int).SetString(part, 10)
		if !ok {
			return nil, fmt.Errorf("stand-in: bad id %q", part)
		}
		out = append(out, v)
	}
	return out, nil
}
