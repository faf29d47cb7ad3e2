package mpc

import (
	"fmt"

	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// The hook between the transport and tss-lib: every envelope a session
// takes from its inbox is parsed and handed to a peercheck.Checker before
// party.UpdateFromBytes sees it. A refusal aborts the session with
// ErrPeerRefused naming the sender; nothing of the ceremony is saved
// (key generation and resharing persist a share only after the party
// finished).

// contentCheck adapts a peercheck.Checker to a session's check hook.
// trusted, if set, says which senders are this host's own parties
// (resharing: the sibling party), whose messages are not checked.
func contentCheck(c peercheck.Checker, trusted func(from byte) bool) func(*Envelope, *tss.PartyID) error {
	return func(e *Envelope, from *tss.PartyID) error {
		if trusted != nil && trusted(e.From) {
			return nil
		}
		m, err := tss.ParseWireMessage(e.Payload, from, e.Broadcast())
		if err != nil {
			return &peercheck.Error{Check: peercheck.CheckMalformed, Field: "payload", Reason: err.Error()}
		}
		if !m.ValidateBasic() {
			return &peercheck.Error{Check: peercheck.CheckMalformed, Field: "payload", Reason: fmt.Sprintf("%s fails tss-lib's basic validation", m.Type())}
		}
		return c.Check(m.Content())
	}
}

// ownKeys is the public part of our pre-parameters.
func ownKeys(pre *keygen.LocalPreParams) peercheck.Own {
	o := peercheck.Own{NTilde: pre.NTildei, H1: pre.H1i, H2: pre.H2i}
	if pre.PaillierSK != nil {
		o.PaillierN = pre.PaillierSK.N
	}
	return o
}

// signCheck returns the checker of a signing session with share: the
// peer's MtA range proofs, under our N-tilde, the peer's Paillier key
// from the share.
func signCheck(share *Share, s *session) (func(*Envelope, *tss.PartyID) error, error) {
	d := &share.Data
	peer := -1
	for j, k := range d.Ks {
		if k != nil && k.Cmp(s.ids[s.peer].KeyInt()) == 0 {
			peer = j
		}
	}
	if peer < 0 || d.PaillierSK == nil || d.PaillierPKs[peer] == nil {
		return nil, fmt.Errorf("%w: the peer's Paillier key is not in the share", ErrBadShare)
	}
	c := peercheck.NewSign(d.PaillierSK.N, d.LocalPreParams.NTildei, d.PaillierPKs[peer].N)
	return contentCheck(c, nil), nil
}
