package mpc

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/txscript"
)

// outCap is the buffer of tss-lib's out channel: more than any party of a
// two-party session emits in total, so a round never blocks on it.
const outCap = 64

// signers returns the sorted ids of the two signing parties.
func signers(c Committee, self, peer string) (tss.SortedPartyIDs, error) {
	all := c.sorted()
	var sub tss.UnSortedPartyIDs
	for _, p := range all {
		if p.Id == self || p.Id == peer {
			sub = append(sub, tss.NewPartyID(p.Id, p.Moniker, p.KeyInt()))
		}
	}
	if len(sub) != 2 || c.Threshold != 1 {
		return nil, fmt.Errorf("mpc: %q and %q must both be members of a t=1 committee", self, peer)
	}
	return tss.SortPartyIDs(sub), nil
}

// newSignSession prepares the session for one digest.
func newSignSession(share *Share, peer string, sid SessionID) (*session, error) {
	ids, err := signers(share.Committee, share.Self, peer)
	if err != nil {
		return nil, err
	}
	return newSession(sid, ProtoSigning, ids, share.Self, peer)
}

// runSign runs one tss-lib signing of digest in s and returns the checked
// signature: low S, DER, SIGHASH_ALL appended, verified against the group key.
func runSign(ctx context.Context, share *Share, s *session, digest [32]byte, send func(*Envelope) error, timeout time.Duration) ([]byte, error) {
	check, err := signCheck(share, s)
	if err != nil {
		return nil, err
	}
	s.check = check
	params := tss.NewParameters(tss.S256(), tss.NewPeerContext(s.ids), s.ids[s.self], len(s.ids), share.Committee.Threshold)
	outCh := make(chan tss.Message, outCap)
	endCh := make(chan *common.SignatureData, 1)
	party := signing.NewLocalParty(new(big.Int).SetBytes(digest[:]), params, share.Data, outCh, endCh, len(digest))
	sd, err := runParty(ctx, s, party, outCh, endCh, send, timeout)
	if err != nil {
		return nil, err
	}
	return finishSignature(share.PubKey(), digest, sd)
}

// finishSignature normalises, encodes and verifies a tss-lib signature.
func finishSignature(pub *btcec.PublicKey, digest [32]byte, sd *common.SignatureData) ([]byte, error) {
	if sd == nil || len(sd.R) == 0 || len(sd.R) > 32 || len(sd.S) == 0 || len(sd.S) > 32 {
		return nil, ErrBadSignature
	}
	var r, s btcec.ModNScalar
	if r.SetByteSlice(sd.R) || s.SetByteSlice(sd.S) || r.IsZero() || s.IsZero() {
		return nil, ErrBadSignature
	}
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	sig := ecdsa.NewSignature(&r, &s)
	if !sig.Verify(digest[:], pub) {
		return nil, ErrBadSignature
	}
	return append(sig.Serialize(), byte(txscript.SigHashAll)), nil
}

// VerifySignature checks a DER+sighash-byte signature of digest against pub
// the way a Bitcoin node does (strict DER, low S, SIGHASH_ALL).
func VerifySignature(pub *btcec.PublicKey, digest [32]byte, sig []byte) error {
	if len(sig) < 2 || sig[len(sig)-1] != byte(txscript.SigHashAll) {
		return ErrBadSignature
	}
	parsed, err := ecdsa.ParseDERSignature(sig[:len(sig)-1])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !parsed.Verify(digest[:], pub) {
		return ErrBadSignature
	}
	s := parsed.S()
	if s.IsOverHalfOrder() {
		return fmt.Errorf("%w: high S", ErrBadSignature)
	}
	return nil
}

// newKeygenSession prepares a key generation session.
func newKeygenSession(c Committee, self, peer string, sid SessionID) (*session, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(c.Members) != 2 {
		return nil, fmt.Errorf("mpc: key generation over this transport needs a two-party committee")
	}
	return newSession(sid, ProtoKeygen, c.sorted(), self, peer)
}

// runKeygen runs tss-lib key generation with the given pre-parameters.
func runKeygen(ctx context.Context, c Committee, s *session, pre *keygen.LocalPreParams, send func(*Envelope) error, timeout time.Duration) (*Share, error) {
	if pre == nil || !pre.ValidateWithProof() {
		return nil, fmt.Errorf("mpc: invalid pre-parameters")
	}
	s.check = contentCheck(peercheck.NewKeygen(ownKeys(pre), c.Threshold), nil)
	params := tss.NewParameters(tss.S256(), tss.NewPeerContext(s.ids), s.ids[s.self], len(s.ids), c.Threshold)
	outCh := make(chan tss.Message, outCap)
	endCh := make(chan *keygen.LocalPartySaveData, 1)
	party := keygen.NewLocalParty(params, outCh, endCh, *pre)
	data, err := runParty(ctx, s, party, outCh, endCh, send, timeout)
	if err != nil {
		return nil, err
	}
	return NewShare(s.ids[s.self].Id, c, *data)
}
