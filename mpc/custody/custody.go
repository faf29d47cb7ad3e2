// Package custody is the custody node's half of the dedicated wallet: it
// submits a PSBT to policyd, runs its side of the threshold signing of each
// input, adds the signatures, finalizes the P2WPKH inputs, extracts the
// transaction and verifies every input with btcd's script engine. cmd/custody
// is a thin CLI over it; the demo and end-to-end tests call it directly.
//
// What it trusts: its own share and the PSBT it built. It takes nothing from
// policyd but the decision id and the tss-lib messages: sighashes are
// computed here from the PSBT's previous transactions, and policyd refuses
// to sign when its own differ. Every signature is verified against the group
// key and every input by the script engine before a transaction is returned.
package custody

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// ErrDenied is returned when policyd decided not to sign.
var ErrDenied = errors.New("custody: policyd denied the request")

// Decision is policyd's answer to a sign request (the server's own type).
type Decision = decision.View

// Node is a custody node talking to one policyd.
type Node struct {
	// API is the REST client of policyd (mutual TLS).
	API *client.Client
	// MPC is the protocol client for API.MPCURL(), sharing API's
	// *http.Client.
	MPC *mpc.Client
	// Share is the custody node's key share.
	Share *mpc.Share
}

// NewNode builds a node for the policyd at serverURL (https://host:port);
// httpc carries the custody node's client certificate.
func NewNode(serverURL string, httpc *http.Client, share *mpc.Share) (*Node, error) {
	api, err := client.New(serverURL, client.WithHTTPClient(httpc))
	if err != nil {
		return nil, err
	}
	c, err := mpc.NewClient(mpc.ClientConfig{BaseURL: api.MPCURL(), HTTP: httpc})
	if err != nil {
		return nil, err
	}
	return &Node{API: api, MPC: c, Share: share}, nil
}

// Submit posts the PSBT to POST /v1/sign-requests and returns the decision,
// an allow or a deny (policyd answers a deny with 403 "policy_denied" and
// the decision). A PSBT refused before any decision is a *client.Error
// whose Code and Message name the failed check. staking declares the
// Babylon parameters of staking outputs (custody stake).
func (n *Node) Submit(ctx context.Context, packet *psbt.Packet, staking ...decision.StakingDeclaration) (*Decision, error) {
	req, err := client.NewSignRequest(packet, staking...)
	if err != nil {
		return nil, err
	}
	d, err := n.API.Sign(ctx, req)
	if errors.Is(err, client.ErrDenied) && d != nil {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("custody: sign request: %w", err)
	}
	return d, nil
}

// SignPSBT submits packet and, if allowed, signs, finalizes and verifies
// it. It returns the fully signed transaction and the decision. staking
// is passed to Submit.
func (n *Node) SignPSBT(ctx context.Context, packet *psbt.Packet, staking ...decision.StakingDeclaration) (*wire.MsgTx, *Decision, error) {
	d, err := n.Submit(ctx, packet, staking...)
	if err != nil {
		return nil, nil, err
	}
	if d.Outcome != "allow" {
		return nil, d, fmt.Errorf("%w: %s", ErrDenied, strings.Join(d.Reasons, "; "))
	}
	tx, err := SignDecision(ctx, n.MPC, n.Share, d.ID, packet)
	return tx, d, err
}

// SignDecision runs the threshold signing of an allowed decision for
// packet, adds the signatures, finalizes, extracts and verifies the
// transaction. packet is modified (partial signatures, final witnesses).
func SignDecision(ctx context.Context, client *mpc.Client, share *mpc.Share, decisionID string, packet *psbt.Packet) (*wire.MsgTx, error) {
	pkScript, err := walletScript(share)
	if err != nil {
		return nil, err
	}
	hashes, prevOuts, err := Sighashes(packet, pkScript)
	if err != nil {
		return nil, err
	}
	sigs, err := client.Sign(ctx, share, decisionID, hashes)
	if err != nil {
		return nil, err
	}
	pub := share.PubKeyBytes()
	for i, sig := range sigs {
		packet.Inputs[i].PartialSigs = []*psbt.PartialSig{{PubKey: pub, Signature: sig}}
	}
	if err := psbt.MaybeFinalizeAll(packet); err != nil {
		return nil, fmt.Errorf("custody: finalize: %w", err)
	}
	tx, err := psbt.Extract(packet)
	if err != nil {
		return nil, fmt.Errorf("custody: extract: %w", err)
	}
	if err := VerifyTx(tx, prevOuts); err != nil {
		return nil, err
	}
	return tx, nil
}

func walletScript(share *mpc.Share) ([]byte, error) {
	// OP_0 <HASH160(group key)>: the network does not enter the script.
	return txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(share.PubKeyBytes())).Script()
}

// Sighashes computes the BIP143 SIGHASH_ALL digest of every input of
// packet, which must all spend the wallet script pkScript. Amounts come from
// non_witness_utxo (checked against the outpoint) and must equal
// witness_utxo when both are present.
func Sighashes(packet *psbt.Packet, pkScript []byte) ([][32]byte, map[wire.OutPoint]*wire.TxOut, error) {
	tx := packet.UnsignedTx
	if len(tx.TxIn) == 0 || len(packet.Inputs) != len(tx.TxIn) {
		return nil, nil, errors.New("custody: PSBT has no inputs or mismatched input maps")
	}
	prevOuts := make(map[wire.OutPoint]*wire.TxOut, len(tx.TxIn))
	for i, in := range tx.TxIn {
		pin := packet.Inputs[i]
		var out *wire.TxOut
		if pin.NonWitnessUtxo != nil {
			if pin.NonWitnessUtxo.TxHash() != in.PreviousOutPoint.Hash || int(in.PreviousOutPoint.Index) >= len(pin.NonWitnessUtxo.TxOut) {
				return nil, nil, fmt.Errorf("custody: input %d: non_witness_utxo does not match the outpoint", i)
			}
			out = pin.NonWitnessUtxo.TxOut[in.PreviousOutPoint.Index]
			if pin.WitnessUtxo != nil && (pin.WitnessUtxo.Value != out.Value || !bytes.Equal(pin.WitnessUtxo.PkScript, out.PkScript)) {
				return nil, nil, fmt.Errorf("custody: input %d: witness_utxo differs from non_witness_utxo", i)
			}
		} else if pin.WitnessUtxo != nil {
			out = pin.WitnessUtxo
		} else {
			return nil, nil, fmt.Errorf("custody: input %d: no previous output", i)
		}
		if !bytes.Equal(out.PkScript, pkScript) {
			return nil, nil, fmt.Errorf("custody: input %d does not spend the wallet", i)
		}
		if _, dup := prevOuts[in.PreviousOutPoint]; dup {
			return nil, nil, fmt.Errorf("custody: input %d spends an outpoint twice", i)
		}
		prevOuts[in.PreviousOutPoint] = out
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	cache := txscript.NewTxSigHashes(tx, fetcher)
	hashes := make([][32]byte, len(tx.TxIn))
	for i, in := range tx.TxIn {
		h, err := txscript.CalcWitnessSigHash(pkScript, cache, txscript.SigHashAll, tx, i, prevOuts[in.PreviousOutPoint].Value)
		if err != nil {
			return nil, nil, err
		}
		copy(hashes[i][:], h)
	}
	return hashes, prevOuts, nil
}

// VerifyTx runs btcd's script engine on every input of tx with standard
// verification flags.
func VerifyTx(tx *wire.MsgTx, prevOuts map[wire.OutPoint]*wire.TxOut) error {
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	cache := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range tx.TxIn {
		po := prevOuts[in.PreviousOutPoint]
		if po == nil {
			return fmt.Errorf("custody: input %d: unknown previous output", i)
		}
		vm, err := txscript.NewEngine(po.PkScript, tx, i, txscript.StandardVerifyFlags, nil, cache, po.Value, fetcher)
		if err != nil {
			return fmt.Errorf("custody: input %d: %w", i, err)
		}
		if err := vm.Execute(); err != nil {
			return fmt.Errorf("custody: input %d fails the script engine: %w", i, err)
		}
	}
	return nil
}

// Reshare rotates the node's key share with policyd (tss-lib resharing:
// same group key and wallet address, new secret shares under new tss-lib
// party keys) and switches n.Share to the new share once policyd confirmed.
// See the package function Reshare.
func (n *Node) Reshare(ctx context.Context, pre *keygen.LocalPreParams, newPath string, prot *mpc.Protector) (*mpc.Share, error) {
	ns, err := Reshare(ctx, n.MPC, n.Share, pre, newPath, prot)
	if err != nil {
		return nil, err
	}
	n.Share = ns
	return ns, nil
}

// Reshare runs the custody side of a resharing of old with policyd, using
// fresh pre-parameters pre (once). The new share is written encrypted to
// newPath (which must not exist) before the confirmation signature, so it
// is never lost; it is returned only after policyd reported the resharing
// confirmed and the wallet script is unchanged. The old share file is never
// touched: remove it once the new share has signed.
func Reshare(ctx context.Context, client *mpc.Client, old *mpc.Share, pre *keygen.LocalPreParams, newPath string, prot *mpc.Protector) (*mpc.Share, error) {
	if _, err := os.Stat(newPath); err == nil {
		return nil, fmt.Errorf("custody: %s exists: refusing to overwrite a share", newPath)
	}
	oldScript, err := walletScript(old)
	if err != nil {
		return nil, err
	}
	ns, err := client.Reshare(ctx, old, pre, func(ctx context.Context, s *mpc.Share) error {
		script, err := walletScript(s)
		if err != nil {
			return err
		}
		if !bytes.Equal(script, oldScript) {
			return errors.New("custody: resharing changed the wallet script")
		}
		return mpc.SaveShare(newPath, s, prot)
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}
