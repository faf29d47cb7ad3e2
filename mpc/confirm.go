package mpc

import (
	"context"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
)

// A new share (after key generation or resharing) is used only after the
// new shares of both parties signed a fixed, domain-separated digest of
// the ceremony (KeygenConfirmDigest, ReshareConfirmDigest) and the
// signature verified against the group key: proof that the two shares
// together hold the key, before any coin is sent to it or any old share
// is retired.

// newConfirmSession is the signing session of a confirmation between self
// and peer of committee c, sharing the ceremony's idleness clock act.
func newConfirmSession(c Committee, self, peer string, csid SessionID, act *activity) (*session, error) {
	ids, err := signers(c, self, peer)
	if err != nil {
		return nil, err
	}
	s, err := newSession(csid, ProtoSigning, ids, self, peer)
	if err != nil {
		return nil, err
	}
	s.act = act // one idleness clock for the whole ceremony
	return s, nil
}

// confirmShare signs digest with share in the confirmation session s and
// verifies the signature against pub (the group key the ceremony must
// hold).
func confirmShare(ctx context.Context, share *Share, pub *btcec.PublicKey, s *session, digest [32]byte,
	send func(*Envelope) error, timeout time.Duration) ([]byte, error) {
	sig, err := runSign(ctx, share, s, digest, send, timeout)
	if err == nil {
		err = VerifySignature(pub, digest, sig)
	}
	if err != nil {
		return sig, fmt.Errorf("mpc: confirmation signature: %w", err)
	}
	return sig, nil
}

// outboxSender queues what a server session sends in its outbox.
func outboxSender(o *outbox) func(*Envelope) error {
	return func(e *Envelope) error {
		b, err := e.MarshalBinary()
		if err != nil {
			return err
		}
		return o.put(b, false)
	}
}

// confirm is the custody node's side of a confirmation: sign digest with
// share in session csid over the transport and verify the signature.
func (c *Client) confirm(ctx context.Context, csid SessionID, share *Share, digest [32]byte) error {
	sess, err := newSignSession(share, c.cfg.Peer, csid)
	if err != nil {
		c.abortSession(csid)
		return err
	}
	return c.runRemote(ctx, csid, sess, func(ctx context.Context, send func(*Envelope) error) error {
		_, err := confirmShare(ctx, share, share.PubKey(), sess, digest, send, c.cfg.SessionTimeout)
		return err
	})
}
