// Package musig is policyd's 2-of-2 MuSig2 (BIP327) signer: the Babylon
// staker key is the aggregate of the custody node's key and policyd's key, so
// that no staked bitcoin can move without both.
//
// It wraps btcec/v2's schnorr/musig2 (the implementation lnd uses for its
// taproot channels) and adds what a co-signer facing a possibly hostile peer
// needs:
//
//   - Key aggregation with BIP327 KeySort: both parties sort the two
//     compressed keys before KeyAgg, so the aggregate key does not depend on
//     who is "first". AggregateKey is the staker key Babylon sees. It is the
//     plain (untweaked) KeyAgg output: Babylon spends are script-path spends
//     in which the staker key is a leaf's <staker> OP_CHECKSIGVERIFY key, and
//     BIP342 script-path signatures are checked against that key as it is,
//     with no taproot tweak (the taproot tweak belongs to the output key,
//     which is Babylon's unspendable NUMS key plus the script root).
//   - Fresh nonces for every session, from crypto/rand (btcec's GenNonces
//     with our secret key, the aggregate key and the message as auxiliary
//     input, per BIP327 NonceGen). A secret nonce lives only in memory inside
//     one session, is never serialized and is consumed by the first (and
//     only) partial signature: a second Sign on a session fails with
//     ErrNonceUsed, a session id is never opened twice (ErrSessionReused).
//   - The peer's partial signature is verified (BIP327 PartialSigVerify)
//     before it is combined; a bad one aborts the session with
//     ErrBadPartialSig and no signature. The final signature is verified as a
//     BIP340 signature under the aggregate key before it is returned.
//
// Trust model: the peer's messages (Round1, Round2) are untrusted input,
// parsed strictly (message.go). The message to sign is the caller's own
// sighash, computed from a transaction policyd rebuilt itself; the peer's
// copy of the message in Round1 must match it. The transport (mutual TLS) and
// the audit record of each ceremony are the caller's.
package musig

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcec/v2/schnorr/musig2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Sizes of the values this package exchanges.
const (
	PubNonceSize   = musig2.PubNonceSize // 66: two compressed points R1 || R2
	PartialSigSize = 32
	KeySize        = 33 // compressed secp256k1 public key
)

// Errors. Every failure of a session is one of these, wrapped with detail.
var (
	ErrBadKey        = errors.New("musig: invalid public key")
	ErrSameKey       = errors.New("musig: our key and the peer's key are the same")
	ErrBadNonce      = errors.New("musig: invalid public nonce")
	ErrBadPartialSig = errors.New("musig: peer's partial signature is invalid; session aborted")
	ErrBadFinalSig   = errors.New("musig: combined signature does not verify")
	ErrNonceUsed     = errors.New("musig: the session's nonce was already used")
	ErrSessionReused = errors.New("musig: session id already used")
	ErrNoSession     = errors.New("musig: no such session")
	ErrWrongPeer     = errors.New("musig: message is not from the configured peer")
	ErrWrongMessage  = errors.New("musig: peer is signing another message")
	ErrWrongState    = errors.New("musig: message out of order for the session")
	ErrAborted       = errors.New("musig: session aborted")
)

// SortKeys returns the keys in BIP327 KeySort order: ascending by their
// 33-byte compressed encoding. The input is not modified.
func SortKeys(keys []*btcec.PublicKey) []*btcec.PublicKey {
	out := append([]*btcec.PublicKey(nil), keys...)
	sort.SliceStable(out, func(i, j int) bool {
		return bytes.Compare(out[i].SerializeCompressed(), out[j].SerializeCompressed()) < 0
	})
	return out
}

// keyAgg is BIP327 KeyAgg over keys in the given order (no sorting, no
// tweak).
func keyAgg(keys []*btcec.PublicKey) (*btcec.PublicKey, error) {
	if len(keys) == 0 {
		return nil, ErrBadKey
	}
	for _, k := range keys {
		if k == nil {
			return nil, ErrBadKey
		}
	}
	agg, _, _, err := musig2.AggregateKeys(keys, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return agg.FinalKey, nil
}

// AggregateKey is the 2-of-2 staker key of two distinct keys: KeyAgg of
// KeySort(a, b). Its x-only encoding (schnorr.SerializePubKey) is what goes
// into Babylon's scripts.
func AggregateKey(a, b *btcec.PublicKey) (*btcec.PublicKey, error) {
	if a == nil || b == nil {
		return nil, ErrBadKey
	}
	if a.IsEqual(b) {
		return nil, ErrSameKey
	}
	return keyAgg(SortKeys([]*btcec.PublicKey{a, b}))
}

// aggregateNonces is BIP327 NonceAgg.
func aggregateNonces(nonces [][PubNonceSize]byte) ([PubNonceSize]byte, error) {
	agg, err := musig2.AggregateNonces(nonces)
	if err != nil {
		return agg, fmt.Errorf("%w: %v", ErrBadNonce, err)
	}
	return agg, nil
}

// parseScalar parses a 32-byte big-endian scalar, refusing values >= n.
func parseScalar(b [32]byte) (*btcec.ModNScalar, bool) {
	var s btcec.ModNScalar
	if s.SetBytes(&b) != 0 {
		return nil, false
	}
	return &s, true
}

// signPartial is BIP327 Sign over keys in the given order. It verifies its
// own output (btcec's default) before returning it.
func signPartial(secNonce [musig2.SecNonceSize]byte, priv *btcec.PrivateKey, aggNonce [PubNonceSize]byte, keys []*btcec.PublicKey, msg [32]byte) ([PartialSigSize]byte, error) {
	var out [PartialSigSize]byte
	ps, err := musig2.Sign(secNonce, priv, aggNonce, keys, msg)
	if err != nil {
		return out, err
	}
	ps.S.PutBytes(&out)
	return out, nil
}

// verifyPartial is BIP327 PartialSigVerifyInternal over keys in the given
// order: s is signer's partial signature for msg under aggNonce.
func verifyPartial(s [PartialSigSize]byte, pubNonce, aggNonce [PubNonceSize]byte, keys []*btcec.PublicKey, signer *btcec.PublicKey, msg [32]byte) bool {
	sc, ok := parseScalar(s)
	if !ok || signer == nil {
		return false
	}
	ps := musig2.PartialSignature{S: sc}
	return ps.Verify(pubNonce, aggNonce, keys, signer, msg)
}

// finalNonce is BIP327's R = R1 + b*R2 with b = H_noncecoef(aggnonce ||
// xonly(Q) || msg), or G when that sum is infinity. Both parties compute it
// from public values only.
func finalNonce(aggNonce [PubNonceSize]byte, q *btcec.PublicKey, msg [32]byte) (*btcec.PublicKey, error) {
	buf := make([]byte, 0, PubNonceSize+64)
	buf = append(buf, aggNonce[:]...)
	buf = append(buf, schnorr.SerializePubKey(q)...)
	buf = append(buf, msg[:]...)
	var b btcec.ModNScalar
	b.SetByteSlice(chainhash.TaggedHash(musig2.NonceBlindTag, buf)[:])
	r1, err := btcec.ParseJacobian(aggNonce[:KeySize])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadNonce, err)
	}
	r2, err := btcec.ParseJacobian(aggNonce[KeySize:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadNonce, err)
	}
	var r btcec.JacobianPoint
	btcec.ScalarMultNonConst(&b, &r2, &r2)
	btcec.AddNonConst(&r1, &r2, &r)
	if (r.X.IsZero() && r.Y.IsZero()) || r.Z.IsZero() {
		btcec.Generator().AsJacobian(&r)
	}
	r.ToAffine()
	return btcec.NewPublicKey(&r.X, &r.Y), nil
}

// combine is BIP327 PartialSigAgg for an untweaked aggregate key q: the
// BIP340 signature (R.x, sum s_i).
func combine(aggNonce [PubNonceSize]byte, q *btcec.PublicKey, msg [32]byte, sigs ...[PartialSigSize]byte) (*schnorr.Signature, error) {
	r, err := finalNonce(aggNonce, q, msg)
	if err != nil {
		return nil, err
	}
	ps := make([]*musig2.PartialSignature, len(sigs))
	for i, s := range sigs {
		sc, ok := parseScalar(s)
		if !ok {
			return nil, ErrBadPartialSig
		}
		ps[i] = &musig2.PartialSignature{S: sc, R: r}
	}
	return musig2.CombineSigs(r, ps), nil
}
