package cosign

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"github.com/bitlayer-org/policyd/musig"
)

// The custody node's side of a co-signing: it computes its own messages
// from the transaction it built (the same Slashing/Unbonding/Withdrawal/
// PoPMessages policyd runs, on its own copy of the stake), refuses a
// decision whose messages or key differ, and runs one session per input.

// Transport carries one round of a session to policyd (*client.Client).
type Transport interface {
	MuSigRound1(ctx context.Context, id string, input int, msg []byte) ([]byte, error)
	MuSigRound2(ctx context.Context, id string, input int, msg []byte) ([]byte, error)
}

// Subject is what a decision's session ids are derived from: its txid as
// shown (hex decoded), or for a proof of possession its message.
func (v *View) Subject() ([]byte, error) {
	h := v.TxID
	if h == "" {
		if len(v.Inputs) != 1 {
			return nil, fmt.Errorf("cosign: decision %s has no txid and %d inputs", v.ID, len(v.Inputs))
		}
		h = v.Inputs[0].Sighash
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("cosign: decision %s: bad subject %q", v.ID, h)
	}
	return b, nil
}

// CoSign runs the custody node's half of every session of the allowed
// decision v with signer, for msgs (the custody node's own computation,
// in input order), and returns the BIP340 signatures, each verified under
// the aggregate key by musig.Finish.
func CoSign(ctx context.Context, t Transport, signer *musig.Signer, v *View, msgs []Message) ([]*schnorr.Signature, error) {
	if v == nil || v.Outcome != "allow" {
		return nil, fmt.Errorf("cosign: decision is not an allow")
	}
	if want := hex.EncodeToString(AggregateXOnly(signer.AggregateKey())); v.AggregateKey != want {
		return nil, fmt.Errorf("cosign: policyd signs for staker key %s, ours is %s", v.AggregateKey, want)
	}
	if len(v.Inputs) != len(msgs) {
		return nil, fmt.Errorf("cosign: policyd computed %d messages, we computed %d", len(v.Inputs), len(msgs))
	}
	subject, err := v.Subject()
	if err != nil {
		return nil, err
	}
	sigs := make([]*schnorr.Signature, len(msgs))
	for i, m := range msgs {
		in := v.Inputs[i]
		if in.Index != i || m.Index != i || in.Sighash != hex.EncodeToString(m.Sighash[:]) || in.LeafHash != hex.EncodeToString(m.LeafHash()) {
			return nil, fmt.Errorf("cosign: input %d: policyd's message or leaf differs from ours", i)
		}
		sid := SessionID(v.ID, subject, i)
		if in.Session != sessionHex(sid) {
			return nil, fmt.Errorf("cosign: input %d: policyd's session id differs from ours", i)
		}
		if sigs[i], err = cosignOne(ctx, t, signer, v.ID, i, sid, m.Sighash); err != nil {
			return nil, fmt.Errorf("cosign: input %d: %w", i, err)
		}
	}
	return sigs, nil
}

func cosignOne(ctx context.Context, t Transport, signer *musig.Signer, id string, input int, sid musig.SessionID, msg [32]byte) (*schnorr.Signature, error) {
	r1, err := signer.Open(sid, msg)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			signer.Abort(sid)
		}
	}()
	b, _ := r1.MarshalBinary()
	pb, err := t.MuSigRound1(ctx, id, input, b)
	if err != nil {
		return nil, err
	}
	p1, err := musig.ParseRound1(pb)
	if err != nil {
		return nil, err
	}
	r2, err := signer.Sign(p1)
	if err != nil {
		return nil, err
	}
	b, _ = r2.MarshalBinary()
	pb, err = t.MuSigRound2(ctx, id, input, b)
	if err != nil {
		return nil, err
	}
	p2, err := musig.ParseRound2(pb)
	if err != nil {
		return nil, err
	}
	sig, _, err := signer.Finish(p2)
	if err != nil {
		return nil, err
	}
	ok = true
	if !bytes.Equal(p2.Signer[:], p1.Signer[:]) {
		return nil, fmt.Errorf("cosign: rounds from two signers")
	}
	return sig, nil
}
