package mpc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	bolt "go.etcd.io/bbolt"
)

type reshareRequest struct {
	Ceremony string `json:"ceremony"` // 32 random bytes, hex, chosen by the peer
}

type reshareResponse struct {
	Session        string    `json:"session"`
	ConfirmSession string    `json:"confirm_session"`
	OldCommittee   Committee `json:"old_committee"`
	NewCommittee   Committee `json:"new_committee"`
	OldEpoch       int       `json:"old_epoch"`
	PubKey         string    `json:"pubkey"`
}

// ReshareRecord is the public record of a confirmed resharing (audit kind
// "reshare", bbolt key reshare/<session>). Parties are labelled id@epoch
// with their tss-lib keys.
type ReshareRecord = records.Reshare

func partyKeys(c Committee, epoch int) []string {
	var out []string
	for _, m := range c.Members {
		out = append(out, fmt.Sprintf("%s/%d", partyLabel(m.ID, epoch), m.Key))
	}
	return out
}

// StartReshare starts resharing ceremony with the peer: allowed only with
// AllowReshare, with a share loaded, no signing job and no other resharing
// running, and a ceremony id never used before. It returns what the peer
// needs to check: both session ids, the old and new committees and the
// group key.
func (s *Server) StartReshare(ctx context.Context, ceremony [32]byte) (*reshareResponse, error) {
	sid, csid := ReshareSessionID(ceremony), ReshareConfirmSessionID(ceremony)
	if !s.cfg.AllowReshare {
		return nil, fmt.Errorf("%w: not enabled", ErrReshareRefused)
	}
	s.mu.Lock()
	s.sweep()
	share := s.share
	var busy error
	switch {
	case s.closed:
		busy = ErrAborted
	case share == nil:
		busy = ErrNoShare
	}
	for _, j := range s.reshares {
		if j.running() {
			busy = ErrResharing
		}
	}
	for _, j := range s.signJobs {
		if j.running() {
			busy = fmt.Errorf("%w: a signing job is running", ErrBusy)
		}
	}
	if _, dup := s.reshares[sid]; dup && busy == nil {
		busy = fmt.Errorf("%w: ceremony id already used", ErrReshareRefused)
	}
	if busy != nil {
		s.mu.Unlock()
		return nil, busy
	}
	j := &job{state: "running"}
	s.reshares[sid] = j
	s.mu.Unlock()

	fail := func(err error) (*reshareResponse, error) {
		j.finish(err, s.cfg.Now())
		return nil, err
	}
	if s.cfg.DB != nil {
		err := s.cfg.DB.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(storage.BucketMPCSessions); b != nil && b.Get([]byte("reshare/"+sid.String())) != nil {
				return fmt.Errorf("%w: ceremony id already used", ErrReshareRefused)
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
	}
	host, err := newReshareHost(sid, share.Committee, share.Epoch, s.cfg.Self, s.cfg.Peer)
	if err != nil {
		return fail(err)
	}
	csess, err := newConfirmSession(host.newC, s.cfg.Self, s.cfg.Peer, csid, host.act)
	if err != nil {
		return fail(err)
	}
	pre, err := s.cfg.PreParams.Take(ctx)
	if err != nil {
		return fail(err)
	}
	jctx, jcancel := context.WithCancelCause(s.ctx)
	ss := &srvSession{id: sid, in: host, out: newOutbox(), ctx: jctx, cancel: jcancel, job: j}
	cs := &srvSession{id: csid, s: csess, out: newOutbox(), ctx: jctx, cancel: jcancel, job: j}
	j.sessions = []*srvSession{ss, cs}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		jcancel(ErrAborted)
		return fail(ErrAborted)
	}
	s.sessions[sid], s.sessions[csid] = ss, cs
	s.wg.Add(1)
	s.mu.Unlock()
	go s.runReshareJob(jctx, jcancel, ceremony, host, ss, cs, share, pre)
	return &reshareResponse{Session: sid.String(), ConfirmSession: csid.String(), OldCommittee: share.Committee,
		NewCommittee: host.newC, OldEpoch: share.Epoch, PubKey: hex.EncodeToString(share.PubKeyBytes())}, nil
}

// runReshareJob: resharing, checks, persisting, confirmation, audit and
// activation, in that order; any failure leaves the old share in use.
func (s *Server) runReshareJob(ctx context.Context, cancel context.CancelCauseFunc, ceremony [32]byte, host *reshareHost,
	ss, cs *srvSession, share *Share, pre *keygen.LocalPreParams) {
	defer s.wg.Done()
	defer cancel(nil)
	j := ss.job
	log := s.cfg.Logger.With("session", ss.id.String())
	log.Info("mpc: resharing started", "event", "reshare_started", "epoch", share.Epoch)
	t0 := time.Now()
	sendTo := func(o *outbox) func(*Envelope) error {
		return func(e *Envelope) error {
			b, err := e.MarshalBinary()
			if err != nil {
				return err
			}
			return o.put(b, false)
		}
	}
	newShare, err := host.run(ctx, share, pre, sendTo(ss.out), s.cfg.SessionTimeout)
	host.end()
	ss.out.close(err)
	var rec ReshareRecord
	if err == nil {
		rec, err = s.reshareRecord(ceremony, ss.id, share, newShare)
	}
	if err == nil {
		if err = s.cfg.ReshareSink(ctx, newShare); err != nil {
			err = fmt.Errorf("mpc: persist the new share: %w", err)
		}
	}
	if err == nil {
		j.setState("confirming")
		var sig []byte
		sig, err = confirmShare(ctx, newShare, share.PubKey(), cs.s, ReshareConfirmDigest(ceremony), sendTo(cs.out), s.cfg.SessionTimeout)
		rec.ConfirmSignature = hex.EncodeToString(sig)
	}
	cs.s.end()
	cs.out.close(err)
	if err == nil {
		err = s.activate(share, newShare, rec)
	}
	if err == nil {
		j.mu.Lock()
		j.pubkey, j.address, j.epoch = rec.PubKey, rec.Address, rec.NewEpoch
		j.mu.Unlock()
		log.Info("mpc: key share reshared and confirmed", "event", "reshare_done", "epoch", rec.NewEpoch, "pubkey", rec.PubKey, "address", rec.Address,
			"old", rec.OldParties, "new", rec.NewParties, "took", time.Since(t0).Round(time.Millisecond))
	} else {
		var se *SessionError
		if errors.As(err, &se) {
			log.Warn("mpc: resharing failed, old share stays in use", "event", "reshare_failed", "round", se.Round, "culprits", se.Culprits, "err", err)
		} else {
			log.Warn("mpc: resharing failed, old share stays in use", "event", "reshare_failed", "err", err)
		}
	}
	j.finish(err, s.cfg.Now())
}

// reshareRecord checks the new share against the old one (group key,
// address, committee, epoch) and builds the public record.
func (s *Server) reshareRecord(ceremony [32]byte, sid SessionID, old, nw *Share) (ReshareRecord, error) {
	oldAddr, err := old.Address(s.cfg.Net)
	if err != nil {
		return ReshareRecord{}, err
	}
	newAddr, err := nw.Address(s.cfg.Net)
	if err != nil {
		return ReshareRecord{}, err
	}
	if !nw.PubKey().IsEqual(old.PubKey()) || newAddr != oldAddr || nw.Epoch != old.Epoch+1 ||
		!nw.Committee.Equal(old.Committee.Next()) || nw.Self != old.Self {
		return ReshareRecord{}, fmt.Errorf("%w: the new share does not continue the old key", ErrBadShare)
	}
	digest := ReshareConfirmDigest(ceremony)
	return ReshareRecord{Ceremony: hex.EncodeToString(ceremony[:]), Session: sid.String(),
		PubKey: hex.EncodeToString(nw.PubKeyBytes()), Address: newAddr, Network: s.cfg.Net.Name,
		OldParties: partyKeys(old.Committee, old.Epoch), NewParties: partyKeys(nw.Committee, nw.Epoch),
		Threshold: nw.Committee.Threshold, OldEpoch: old.Epoch, NewEpoch: nw.Epoch, Self: nw.Self,
		ConfirmDigest: hex.EncodeToString(digest[:])}, nil
}

// activate records the resharing (bbolt + audit, one transaction) and
// switches the in-memory share, only if old is still the share in use.
func (s *Server) activate(old, nw *Share, rec ReshareRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.share != old {
		return errors.New("mpc: the share in use changed during the resharing")
	}
	if s.cfg.DB != nil {
		if err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
			return s.recordTx(tx, "reshare/"+rec.Session, &rec)
		}); err != nil {
			return fmt.Errorf("mpc: record resharing: %w", err)
		}
	}
	s.share = nw
	return nil
}
