package mpc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// Reshare rotates the custody node's key share: it runs a resharing
// ceremony with the server (RunReshare), hands the new share to save
// (persist it encrypted under a new name; the old share file must stay),
// then confirms (ConfirmReshare): the new shares of both sides sign
// ReshareConfirmDigest, the server verifies the signature, records and
// activates its new share. The new share is returned only after the server
// reported the resharing done; on any error the old share stays the one to
// use (the server keeps using its old share too).
func (c *Client) Reshare(ctx context.Context, old *Share, pre *keygen.LocalPreParams, save func(context.Context, *Share) error) (*Share, error) {
	if save == nil {
		return nil, errors.New("mpc: Reshare needs a save function")
	}
	ns, ceremony, err := c.RunReshare(ctx, old, pre)
	if err != nil {
		return nil, err
	}
	if err := save(ctx, ns); err != nil {
		c.abortSession(ReshareConfirmSessionID(ceremony))
		return nil, fmt.Errorf("mpc: save the new share: %w", err)
	}
	if err := c.ConfirmReshare(ctx, ceremony, ns); err != nil {
		return nil, err
	}
	return ns, nil
}

// RunReshare asks the server for a resharing of the key of old (a random
// ceremony id chosen here), checks the server's answer against its own
// derivation (session ids, old committee and epoch, new committee
// old.Committee.Next(), group key), and runs the custody node's old and new
// parties with pre-parameters pre (use each set once). It returns the new
// share, verified to hold the same group key, and the ceremony id; the
// share is NOT confirmed yet: the server waits for ConfirmReshare.
func (c *Client) RunReshare(ctx context.Context, old *Share, pre *keygen.LocalPreParams) (*Share, [32]byte, error) {
	var none [32]byte
	if old == nil || pre == nil {
		return nil, none, errors.New("mpc: RunReshare needs the old share and pre-parameters")
	}
	ceremony, err := NewCeremonyID()
	if err != nil {
		return nil, none, err
	}
	var resp reshareResponse
	if err := c.postJSON(ctx, "/reshare", reshareRequest{Ceremony: hex.EncodeToString(ceremony[:])}, &resp); err != nil {
		return nil, none, err
	}
	sid := ReshareSessionID(ceremony)
	var bad error
	switch {
	case resp.Session != sid.String() || resp.ConfirmSession != ReshareConfirmSessionID(ceremony).String():
		bad = fmt.Errorf("%w: resharing sessions not bound to our ceremony", ErrWrongSession)
	case !resp.OldCommittee.Equal(old.Committee) || resp.OldEpoch != old.Epoch:
		bad = fmt.Errorf("mpc: server reshares committee %+v epoch %d, our share is %+v epoch %d",
			resp.OldCommittee, resp.OldEpoch, old.Committee, old.Epoch)
	case !resp.NewCommittee.Equal(old.Committee.Next()):
		bad = fmt.Errorf("mpc: server proposes new committee %+v, expected %+v", resp.NewCommittee, old.Committee.Next())
	case resp.PubKey != hex.EncodeToString(old.PubKeyBytes()):
		bad = fmt.Errorf("mpc: server reshares group key %s, ours is %x", resp.PubKey, old.PubKeyBytes())
	}
	if bad != nil {
		c.abortSession(sid) // the server started a ceremony we refuse to run
		return nil, none, bad
	}
	host, err := newReshareHost(sid, old.Committee, old.Epoch, old.Self, c.cfg.Peer)
	if err != nil {
		c.abortSession(sid)
		return nil, none, err
	}
	var ns *Share
	err = c.runRemote(ctx, sid, host, func(ctx context.Context, send func(*Envelope) error) error {
		var err error
		ns, err = host.run(ctx, old, pre, send, c.cfg.SessionTimeout)
		return err
	})
	if err != nil {
		return nil, none, err
	}
	return ns, ceremony, nil
}

// ConfirmReshare runs the confirmation signature of resharing ceremony
// with share (the new share from RunReshare) and waits until the server
// reports the resharing done with the same group key and epoch.
func (c *Client) ConfirmReshare(ctx context.Context, ceremony [32]byte, share *Share) error {
	if err := c.confirm(ctx, ReshareConfirmSessionID(ceremony), share, ReshareConfirmDigest(ceremony)); err != nil {
		return err
	}
	sid := ReshareSessionID(ceremony)
	for {
		var st statusResponse
		if err := c.getJSON(ctx, "/reshare/"+sid.String(), &st); err != nil {
			return err
		}
		switch st.State {
		case "done":
			if st.PubKey != hex.EncodeToString(share.PubKeyBytes()) || st.Epoch != share.Epoch {
				return fmt.Errorf("mpc: server reports group key %s epoch %d, ours is %x epoch %d", st.PubKey, st.Epoch, share.PubKeyBytes(), share.Epoch)
			}
			return nil
		case "running", "confirming":
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		default:
			return fmt.Errorf("%w: server: %s", ErrAborted, st.Error)
		}
	}
}
