package musig

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcec/v2/schnorr/musig2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// SessionID names one signing of one message. Both parties derive it from
// what they both know (SessionIDFor), so that a replayed or crossed message
// lands in no session or in the wrong state.
type SessionID [32]byte

// sessionTag domain-separates session ids.
const sessionTag = "policyd/musig2/session/v1"

// SessionIDFor derives a session id from length-prefixed parts, typically
// the decision id, the transaction id and the input index.
func SessionIDFor(parts ...[]byte) SessionID {
	var buf []byte
	for _, p := range parts {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p)))
		buf = append(buf, p...)
	}
	return SessionID(*chainhash.TaggedHash([]byte(sessionTag), buf))
}

// Signer is one party of the 2-of-2: our private key, the peer's public
// key, and the sessions in flight. It is safe for concurrent use.
type Signer struct {
	priv *btcec.PrivateKey
	own  *btcec.PublicKey
	peer *btcec.PublicKey
	keys []*btcec.PublicKey // KeySort(own, peer)
	agg  *btcec.PublicKey

	mu       sync.Mutex
	sessions map[SessionID]*session
	used     map[SessionID]struct{} // every id ever opened, for the life of the process
}

type state int

const (
	stateNonceSent state = iota + 1 // Round1 out, our secret nonce held
	stateSigned                     // Round2 out, secret nonce consumed
)

type session struct {
	state    state
	msg      [32]byte
	secNonce *[musig2.SecNonceSize]byte // nil once consumed
	pubNonce [PubNonceSize]byte
	peerPub  [PubNonceSize]byte
	aggNonce [PubNonceSize]byte
	ownSig   [PartialSigSize]byte
}

// NewSigner returns the signer holding priv, paired with peer.
func NewSigner(priv *btcec.PrivateKey, peer *btcec.PublicKey) (*Signer, error) {
	if priv == nil || priv.Key.IsZero() {
		return nil, fmt.Errorf("%w: no private key", ErrBadKey)
	}
	own := priv.PubKey()
	agg, err := AggregateKey(own, peer)
	if err != nil {
		return nil, err
	}
	return &Signer{
		priv:     priv,
		own:      own,
		peer:     peer,
		keys:     SortKeys([]*btcec.PublicKey{own, peer}),
		agg:      agg,
		sessions: make(map[SessionID]*session),
		used:     make(map[SessionID]struct{}),
	}, nil
}

// AggregateKey is the staker key (untweaked KeyAgg of the sorted keys).
func (s *Signer) AggregateKey() *btcec.PublicKey { return s.agg }

// KeyCeremony is what the audit log keeps of the key: both public keys, the
// order they were aggregated in and the aggregate key.
type KeyCeremony struct {
	OwnKey       [KeySize]byte    `json:"own_key"`
	PeerKey      [KeySize]byte    `json:"peer_key"`
	SortedKeys   [2][KeySize]byte `json:"sorted_keys"`
	KeySort      bool             `json:"key_sort"` // always true: BIP327 KeySort before KeyAgg
	AggregateKey [32]byte         `json:"aggregate_key_xonly"`
}

// Ceremony returns the key record for the audit log.
func (s *Signer) Ceremony() KeyCeremony {
	var c KeyCeremony
	copy(c.OwnKey[:], s.own.SerializeCompressed())
	copy(c.PeerKey[:], s.peer.SerializeCompressed())
	copy(c.SortedKeys[0][:], s.keys[0].SerializeCompressed())
	copy(c.SortedKeys[1][:], s.keys[1].SerializeCompressed())
	c.KeySort = true
	copy(c.AggregateKey[:], schnorr.SerializePubKey(s.agg))
	return c
}

// Open starts session id for msg (a sighash the caller computed itself):
// it draws a fresh nonce pair and returns our Round1. An id is opened at
// most once for the life of the Signer, whatever became of the session.
func (s *Signer) Open(id SessionID, msg [32]byte) (Round1, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.used[id]; ok {
		return Round1{}, ErrSessionReused
	}
	n, err := musig2.GenNonces(
		musig2.WithPublicKey(s.own),
		musig2.WithNonceSecretKeyAux(s.priv),
		musig2.WithNonceCombinedKeyAux(s.agg),
		musig2.WithNonceMessageAux(msg),
		musig2.WithNonceAuxInput(id[:]),
	)
	if err != nil {
		return Round1{}, fmt.Errorf("musig: nonce generation: %w", err)
	}
	s.used[id] = struct{}{}
	sec := n.SecNonce
	clear(n.SecNonce[:])
	s.sessions[id] = &session{state: stateNonceSent, msg: msg, secNonce: &sec, pubNonce: n.PubNonce}
	r := Round1{Session: id, Msg: msg, PubNonce: n.PubNonce}
	copy(r.Signer[:], s.own.SerializeCompressed())
	return r, nil
}

// takeSecNonce removes the secret nonce from the session and returns it: it
// can be had once.
func (ss *session) takeSecNonce() ([musig2.SecNonceSize]byte, bool) {
	if ss.secNonce == nil {
		return [musig2.SecNonceSize]byte{}, false
	}
	sec := *ss.secNonce
	clear(ss.secNonce[:])
	ss.secNonce = nil
	return sec, true
}

// abort drops a session; its id stays used. Callers hold s.mu.
func (s *Signer) abortLocked(id SessionID) {
	if ss, ok := s.sessions[id]; ok {
		ss.takeSecNonce()
		delete(s.sessions, id)
	}
}

// Abort drops session id (a timeout, a refusal elsewhere). Its secret nonce
// is wiped and the id cannot be opened again.
func (s *Signer) Abort(id SessionID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abortLocked(id)
}

func (s *Signer) checkPeer(key [KeySize]byte) error {
	if string(key[:]) != string(s.peer.SerializeCompressed()) {
		return ErrWrongPeer
	}
	return nil
}

// Sign takes the peer's Round1 for an open session, aggregates the nonces
// and returns our partial signature. It consumes the session's secret
// nonce: whatever happens, a second Sign on the session fails with
// ErrNonceUsed. Any error aborts the session.
func (s *Signer) Sign(peer Round1) (Round2, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[peer.Session]
	if !ok {
		return Round2{}, ErrNoSession
	}
	if ss.state != stateNonceSent {
		if ss.secNonce == nil {
			return Round2{}, ErrNonceUsed
		}
		return Round2{}, ErrWrongState
	}
	sec, ok := ss.takeSecNonce()
	if !ok {
		s.abortLocked(peer.Session)
		return Round2{}, ErrNonceUsed
	}
	defer clear(sec[:])
	fail := func(err error) (Round2, error) {
		s.abortLocked(peer.Session)
		return Round2{}, err
	}
	if err := s.checkPeer(peer.Signer); err != nil {
		return fail(err)
	}
	if peer.Msg != ss.msg {
		return fail(ErrWrongMessage)
	}
	agg, err := aggregateNonces([][PubNonceSize]byte{ss.pubNonce, peer.PubNonce})
	if err != nil {
		return fail(err)
	}
	sig, err := signPartial(sec, s.priv, agg, s.keys, ss.msg)
	if err != nil {
		return fail(fmt.Errorf("musig: sign: %w", err))
	}
	ss.state = stateSigned
	ss.peerPub = peer.PubNonce
	ss.aggNonce = agg
	ss.ownSig = sig
	out := Round2{Session: peer.Session, PartialSig: sig}
	copy(out.Signer[:], s.own.SerializeCompressed())
	return out, nil
}

// SigningRecord is what the audit log keeps of one signing: everything in
// it is public.
type SigningRecord struct {
	Session      SessionID            `json:"session"`
	Msg          [32]byte             `json:"msg"`
	AggregateKey [32]byte             `json:"aggregate_key_xonly"`
	OwnNonce     [PubNonceSize]byte   `json:"own_pub_nonce"`
	PeerNonce    [PubNonceSize]byte   `json:"peer_pub_nonce"`
	OwnPartial   [PartialSigSize]byte `json:"own_partial_sig"`
	PeerPartial  [PartialSigSize]byte `json:"peer_partial_sig"`
	Signature    [64]byte             `json:"signature"`
}

// Finish takes the peer's Round2, verifies the peer's partial signature,
// combines and verifies the BIP340 signature under the aggregate key. The
// session ends either way; on any error no signature exists.
func (s *Signer) Finish(peer Round2) (*schnorr.Signature, SigningRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[peer.Session]
	if !ok {
		return nil, SigningRecord{}, ErrNoSession
	}
	if ss.state != stateSigned {
		// Not an abort: a Round2 arriving before our Sign is out of order,
		// and the session stays as it was.
		return nil, SigningRecord{}, ErrWrongState
	}
	delete(s.sessions, peer.Session)
	if err := s.checkPeer(peer.Signer); err != nil {
		return nil, SigningRecord{}, fmt.Errorf("%w (%w)", ErrAborted, err)
	}
	if !verifyPartial(peer.PartialSig, ss.peerPub, ss.aggNonce, s.keys, s.peer, ss.msg) {
		return nil, SigningRecord{}, ErrBadPartialSig
	}
	sig, err := combine(ss.aggNonce, s.agg, ss.msg, ss.ownSig, peer.PartialSig)
	if err != nil {
		return nil, SigningRecord{}, err
	}
	if !sig.Verify(ss.msg[:], s.agg) {
		return nil, SigningRecord{}, ErrBadFinalSig
	}
	rec := SigningRecord{
		Session: peer.Session, Msg: ss.msg,
		OwnNonce: ss.pubNonce, PeerNonce: ss.peerPub,
		OwnPartial: ss.ownSig, PeerPartial: peer.PartialSig,
	}
	copy(rec.AggregateKey[:], schnorr.SerializePubKey(s.agg))
	copy(rec.Signature[:], sig.Serialize())
	return sig, rec, nil
}

// Open sessions, for metrics and tests.
func (s *Signer) OpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
