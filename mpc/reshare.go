package mpc

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Resharing (tss-lib ecdsa/resharing) hands the key from the old committee
// {policyd, custody} to the new committee Committee.Next() (same member ids,
// new tss-lib party keys) without changing the group key. Each host runs two
// tss-lib parties, its old and its new member, joined by memory; the peer
// host's two parties are reached over the transport. Envelopes of protocol
// ProtoReshare number parties jointly: old committee (sorted by key) at
// 0..n-1, new committee (sorted by key) at n..2n-1.

// reshareTopo is the joint numbering of a resharing session.
type reshareTopo struct{ n int }

func (t *reshareTopo) isNew(i byte) bool { return int(i) >= t.n }

func committeeName(isNew bool) string {
	if isNew {
		return "new"
	}
	return "old"
}

// check is the sender/recipient check of a resharing envelope delivered to
// party self: the sender must be in the committee the message type comes
// from, and self in a committee it goes to.
func (t *reshareTopo) check(e *Envelope, self byte) error {
	spec, ok := msgSpecOf(ProtoReshare, e.Type)
	if !ok {
		return fmt.Errorf("%w: resharing message type %d", ErrUnexpectedMessage, e.Type)
	}
	if int(e.From) >= 2*t.n || e.From == self || t.isNew(e.From) != spec.fromNew {
		return fmt.Errorf("%w: party %d may not send resharing message type %d", ErrWrongSender, e.From, e.Type)
	}
	if t.isNew(self) && !spec.toNew || !t.isNew(self) && !spec.toOld {
		return fmt.Errorf("%w: resharing message type %d is not for the %s committee", ErrUnexpectedMessage, e.Type, committeeName(t.isNew(self)))
	}
	return nil
}

// envelopes converts one message a resharing party emitted. tss-lib's
// routing flags must be the ones the type table records (fail closed if a
// future tss-lib changes them); recipients are mapped to joint indices.
func (t *reshareTopo) envelopes(base Envelope, ids tss.SortedPartyIDs, r *tss.MessageRouting) ([]*Envelope, error) {
	spec, _ := msgSpecOf(ProtoReshare, base.Type)
	if r.IsBroadcast != spec.broadcast || r.IsToOldCommittee != (spec.toOld && !spec.toNew) ||
		r.IsToOldAndNewCommittees != (spec.toOld && spec.toNew) || t.isNew(base.From) != spec.fromNew {
		return nil, fmt.Errorf("mpc: tss-lib emitted %s with unexpected routing", spec.name)
	}
	if spec.broadcast {
		e := base
		e.To = ToBroadcast
		return []*Envelope{&e}, nil
	}
	var out []*Envelope
	for _, to := range r.To {
		if to == nil || to.Index < 0 || to.Index >= t.n {
			return nil, fmt.Errorf("mpc: tss-lib emitted %s to an unknown party", spec.name)
		}
		j := to.Index
		if spec.toNew {
			j += t.n
		}
		if ids[j].KeyInt().Cmp(to.KeyInt()) != 0 {
			return nil, fmt.Errorf("mpc: tss-lib emitted %s to a party outside the committee", spec.name)
		}
		if byte(j) == base.From {
			continue
		}
		e := base
		e.To = byte(j)
		out = append(out, &e)
	}
	return out, nil
}

// partyLabel names a party in a resharing: member id @ epoch (tss-lib
// tells parties apart by key; the label is for culprits and logs).
func partyLabel(id string, epoch int) string { return fmt.Sprintf("%s@%d", id, epoch) }

// labelled returns fresh sorted party ids of c labelled with epoch.
func labelled(c Committee, epoch int) tss.SortedPartyIDs {
	u := make(tss.UnSortedPartyIDs, 0, len(c.Members))
	for _, m := range c.Members {
		l := partyLabel(m.ID, epoch)
		u = append(u, tss.NewPartyID(l, l, big.NewInt(m.Key)))
	}
	return tss.SortPartyIDs(u)
}

// reshareHost is one host's side of a resharing: its old and its new party.
type reshareHost struct {
	id       SessionID
	oldC     Committee
	newC     Committee
	epoch    int // the old committee's epoch
	self     string
	old, new *session
	// parties' own id sets (old, new), fresh per party: tss-lib keeps them.
	oldIDs, newIDs [2]tss.SortedPartyIDs
	remote         [2]byte // the peer's joint indices: old, new
	act            *activity
}

// newReshareHost prepares self's two parties of resharing session sid of a
// key held by committee oldC at epoch; peer is the other host's member id.
func newReshareHost(sid SessionID, oldC Committee, epoch int, self, peer string) (*reshareHost, error) {
	if err := oldC.Validate(); err != nil {
		return nil, err
	}
	if len(oldC.Members) != 2 || oldC.Threshold != 1 {
		return nil, fmt.Errorf("mpc: resharing over this transport needs a two-party t=1 committee")
	}
	h := &reshareHost{id: sid, oldC: oldC, newC: oldC.Next(), epoch: epoch, self: self, act: newActivity()}
	n := len(oldC.Members)
	topo := &reshareTopo{n: n}
	var idx [2][2]int // [old/new][self/peer] joint index
	for k := range 2 {
		h.oldIDs[k], h.newIDs[k] = labelled(h.oldC, epoch), labelled(h.newC, epoch+1)
	}
	for k, name := range []string{self, peer} {
		idx[0][k] = indexOf(h.oldIDs[0], partyLabel(name, epoch))
		idx[1][k] = indexOf(h.newIDs[0], partyLabel(name, epoch+1))
		if idx[0][k] < 0 || idx[1][k] < 0 {
			return nil, fmt.Errorf("mpc: %q is not a member of the committee", name)
		}
		idx[1][k] += n
	}
	if self == peer {
		return nil, fmt.Errorf("mpc: self and peer are both %q", self)
	}
	mk := func(k int, me, peer int) *session {
		joint := append(append(tss.SortedPartyIDs{}, h.oldIDs[k]...), h.newIDs[k]...)
		return &session{id: sid, proto: ProtoReshare, ids: joint, self: byte(me), peer: byte(peer), rs: topo,
			inbox: make(chan *Envelope, inboxCap), seen: map[uint16]bool{}, act: h.act}
	}
	h.old = mk(0, idx[0][0], idx[0][1])
	h.new = mk(1, idx[1][0], idx[1][1])
	h.remote = [2]byte{byte(idx[0][1]), byte(idx[1][1])}
	return h, nil
}

// accept takes an envelope from the peer host (authenticated by the
// transport) and hands it to the local party or parties it is for. The
// sender must be one of the peer's two parties, never one of ours.
func (h *reshareHost) accept(e *Envelope) error {
	if e.Session != h.id {
		return ErrWrongSession
	}
	if e.Protocol != ProtoReshare {
		return fmt.Errorf("%w: protocol %v in a resharing session", ErrUnexpectedMessage, e.Protocol)
	}
	if e.From != h.remote[0] && e.From != h.remote[1] {
		return fmt.Errorf("%w: envelope claims party %d", ErrWrongSender, e.From)
	}
	spec, ok := msgSpecOf(ProtoReshare, e.Type)
	if !ok {
		return fmt.Errorf("%w: type %d", ErrUnexpectedMessage, e.Type)
	}
	var to []*session
	switch {
	case e.Broadcast():
		if spec.toOld {
			to = append(to, h.old)
		}
		if spec.toNew {
			to = append(to, h.new)
		}
	case e.To == h.old.self:
		to = append(to, h.old)
	case e.To == h.new.self:
		to = append(to, h.new)
	default:
		return fmt.Errorf("%w: addressed to party %d", ErrUnexpectedMessage, e.To)
	}
	dups := 0
	for _, s := range to {
		switch err := s.accept(e); {
		case err == nil:
		case errors.Is(err, ErrDuplicate):
			dups++
		default:
			return err
		}
	}
	if dups == len(to) {
		return ErrDuplicate
	}
	return nil
}

// end marks both parties ended: later envelopes are refused.
func (h *reshareHost) end() {
	h.old.end()
	h.new.end()
}

// sender routes what party from emits: to the sibling party on this host
// (through the encoder and decoder, like the network path) and/or to the
// peer host through remote.
func (h *reshareHost) sender(sib *session, remote func(*Envelope) error) func(*Envelope) error {
	return func(e *Envelope) error {
		spec, _ := msgSpecOf(ProtoReshare, e.Type)
		var toSib, toRemote bool
		if e.Broadcast() {
			toSib = sib.rs.isNew(sib.self) && spec.toNew || !sib.rs.isNew(sib.self) && spec.toOld
			toRemote = true // the peer host has a member in both committees
		} else {
			toSib = e.To == sib.self
			toRemote = e.To == h.remote[0] || e.To == h.remote[1]
		}
		if toSib {
			b, err := e.MarshalBinary()
			if err != nil {
				return err
			}
			d, err := UnmarshalEnvelope(b)
			if err != nil {
				return err
			}
			if err := sib.accept(d); err != nil {
				return fmt.Errorf("local delivery: %w", err)
			}
		}
		if toRemote {
			return remote(e)
		}
		return nil
	}
}

// run runs both local parties to the end and returns this host's new
// share, checked: same group key as share, committee newC, epoch+1. share
// is not modified (tss-lib zeroes the old party's secret in place: it gets
// a copy). pre are fresh pre-parameters for the new party (used once).
func (h *reshareHost) run(ctx context.Context, share *Share, pre *keygen.LocalPreParams, remote func(*Envelope) error, timeout time.Duration) (*Share, error) {
	if pre == nil || !pre.ValidateWithProof() {
		return nil, fmt.Errorf("mpc: invalid pre-parameters")
	}
	if share.Self != h.self || !share.Committee.Equal(h.oldC) || share.Epoch != h.epoch {
		return nil, fmt.Errorf("mpc: share does not belong to this resharing's old committee")
	}
	key, err := cloneSaveData(share.Data)
	if err != nil {
		return nil, err
	}
	n, t := len(h.oldC.Members), h.oldC.Threshold
	params := func(k int, me *tss.PartyID) *tss.ReSharingParameters {
		return tss.NewReSharingParameters(tss.S256(), tss.NewPeerContext(h.oldIDs[k]), tss.NewPeerContext(h.newIDs[k]), me, n, t, n, t)
	}
	// The peer host's messages to our new party are checked before
	// tss-lib sees them; our old party's (the sibling) are our own.
	sib := h.old.self
	h.new.check = contentCheck(peercheck.NewReshare(ownKeys(pre), h.newC.Threshold), func(from byte) bool { return from == sib })
	oldOut, newOut := make(chan tss.Message, outCap), make(chan tss.Message, outCap)
	oldEnd, newEnd := make(chan *keygen.LocalPartySaveData, 1), make(chan *keygen.LocalPartySaveData, 1)
	oldParty := resharing.NewLocalParty(params(0, h.old.ids[h.old.self]), key, oldOut, oldEnd)
	save := keygen.NewLocalPartySaveData(n)
	save.LocalPreParams = *pre
	newParty := resharing.NewLocalParty(params(1, h.new.ids[h.new.self]), save, newOut, newEnd)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		errs    [2]error
		newData *keygen.LocalPartySaveData
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, errs[0] = runParty(ctx, h.old, oldParty, oldOut, oldEnd, h.sender(h.new, remote), timeout); errs[0] != nil {
			cancel(errs[0])
		}
	}()
	go func() {
		defer wg.Done()
		if newData, errs[1] = runParty(ctx, h.new, newParty, newOut, newEnd, h.sender(h.old, remote), timeout); errs[1] != nil {
			cancel(errs[1])
		}
	}()
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		// The first failure is the cause; the other party was cancelled by it.
		return nil, context.Cause(ctx)
	}
	if newData == nil {
		return nil, fmt.Errorf("mpc: resharing ended without a share")
	}
	ns, err := NewShare(h.self, h.newC, *newData)
	if err != nil {
		return nil, err
	}
	ns.Epoch = h.epoch + 1
	if !ns.PubKey().IsEqual(share.PubKey()) {
		return nil, fmt.Errorf("%w: resharing changed the group key (%x, was %x)", ErrBadShare, ns.PubKeyBytes(), share.PubKeyBytes())
	}
	return ns, nil
}
