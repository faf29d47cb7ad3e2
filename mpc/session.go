package mpc

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Session-id domain tags. Changing one changes every session id.
const (
	tagSign           = "policyd/mpc/sign/v1"
	tagKeygen         = "policyd/mpc/keygen/v1"
	tagReshare        = "policyd/mpc/reshare/v1"
	tagReshareConfirm = "policyd/mpc/reshare-confirm/v1"
	tagKeygenConfirm  = "policyd/mpc/keygen-confirm/v1"
	// tagConfirmDigest prefixes the message the new shares sign to confirm
	// a resharing. It is a single SHA-256 of a fixed-length text, never a
	// BIP143 sighash (a double SHA-256 of a transaction preimage).
	tagConfirmDigest = "policyd/reshare-confirm"
	// tagKeygenConfirmDigest prefixes what the new shares of a key
	// generation sign before policyd activates its share (same form).
	tagKeygenConfirmDigest = "policyd/keygen-confirm"
)

// SignSessionID binds a signing session to a decision and an input index:
// SHA-256(tag || 0x00 || uint32be(len(decisionID)) || decisionID || uint32be(input)).
func SignSessionID(decisionID string, input int) SessionID {
	h := sha256.New()
	h.Write([]byte(tagSign))
	h.Write([]byte{0})
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(decisionID)))
	h.Write(n[:])
	h.Write([]byte(decisionID))
	binary.BigEndian.PutUint32(n[:], uint32(input))
	h.Write(n[:])
	var s SessionID
	h.Sum(s[:0])
	return s
}

// KeygenSessionID binds a key generation session to a random ceremony id.
func KeygenSessionID(ceremony [32]byte) SessionID { return ceremonySessionID(tagKeygen, ceremony) }

// ReshareSessionID binds a resharing session to a random ceremony id.
func ReshareSessionID(ceremony [32]byte) SessionID { return ceremonySessionID(tagReshare, ceremony) }

// ReshareConfirmSessionID is the signing session in which the new shares
// of resharing ceremony confirm they work.
func ReshareConfirmSessionID(ceremony [32]byte) SessionID {
	return ceremonySessionID(tagReshareConfirm, ceremony)
}

// ReshareConfirmDigest is what the new shares sign to confirm resharing
// ceremony: SHA-256("policyd/reshare-confirm" || ceremony).
func ReshareConfirmDigest(ceremony [32]byte) [32]byte {
	return confirmDigest(tagConfirmDigest, ceremony)
}

// KeygenConfirmSessionID is the signing session in which the new shares
// of key generation ceremony confirm they work.
func KeygenConfirmSessionID(ceremony [32]byte) SessionID {
	return ceremonySessionID(tagKeygenConfirm, ceremony)
}

// KeygenConfirmDigest is what the new shares sign to confirm key
// generation ceremony: SHA-256("policyd/keygen-confirm" || ceremony).
func KeygenConfirmDigest(ceremony [32]byte) [32]byte {
	return confirmDigest(tagKeygenConfirmDigest, ceremony)
}

// confirmDigest is a single SHA-256 of a fixed-length text (tag ||
// 32-byte ceremony): never a BIP143 sighash, a double SHA-256 of a
// transaction preimage.
func confirmDigest(tag string, ceremony [32]byte) [32]byte {
	return sha256.Sum256(append([]byte(tag), ceremony[:]...))
}

func ceremonySessionID(tag string, ceremony [32]byte) SessionID {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write([]byte{0})
	h.Write(ceremony[:])
	var s SessionID
	h.Sum(s[:0])
	return s
}

// inboxCap bounds queued messages per session; a tss-lib party of a
// two-party session receives at most 10 (signing) messages.
const inboxCap = 32

// activity is the time of the last message accepted from the peer in any
// session of one job. Session timeouts count idleness of the whole job, so
// an input that waits while the peer works on other inputs (or while policyd
// withholds its last message until all inputs are done) does not time out,
// but a peer that goes silent does.
type activity struct{ last atomic.Int64 }

func newActivity() *activity {
	a := &activity{}
	a.touch()
	return a
}

func (a *activity) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *activity) idle() time.Duration { return time.Since(time.Unix(0, a.last.Load())) }

// session is one tss-lib protocol run between this party and one peer. The
// peer is authenticated by the transport; accept checks every envelope
// against the session before it reaches tss-lib.
//
// Two-party protocols (signing, keygen): ids are the two parties, peer is
// the only sender. Resharing: ids are old committee || new committee (each
// sorted; index = joint index), rs says where the committees split, and a
// sender is checked against the committee its message type comes from.
type session struct {
	id    SessionID
	proto Protocol
	ids   tss.SortedPartyIDs
	self  byte
	peer  byte
	rs    *reshareTopo
	inbox chan *Envelope
	act   *activity
	// check, when set, vets each envelope's tss-lib content before the
	// party sees it (see peerguard.go); an error aborts the session
	// naming the sender.
	check func(e *Envelope, from *tss.PartyID) error

	mu    sync.Mutex
	seen  map[uint16]bool // (sender, message type) received
	ended bool
}

func newSession(id SessionID, p Protocol, ids tss.SortedPartyIDs, self, peer string) (*session, error) {
	si, pi := indexOf(ids, self), indexOf(ids, peer)
	if si < 0 || pi < 0 || si == pi || len(ids) != 2 {
		return nil, fmt.Errorf("mpc: session needs exactly the two parties %q and %q", self, peer)
	}
	return &session{id: id, proto: p, ids: ids, self: byte(si), peer: byte(pi),
		inbox: make(chan *Envelope, inboxCap), seen: map[uint16]bool{}, act: newActivity()}, nil
}

// accept checks an envelope from the authenticated peer and queues it.
// Wrong session, protocol, sender or recipient: an error, the session goes
// on. A duplicate: ErrDuplicate, dropped. A session that ended: ErrAborted.
func (s *session) accept(e *Envelope) error {
	if e.Session != s.id {
		return ErrWrongSession
	}
	if e.Protocol != s.proto {
		return fmt.Errorf("%w: protocol %v in a %v session", ErrUnexpectedMessage, e.Protocol, s.proto)
	}
	if s.rs != nil {
		if err := s.rs.check(e, s.self); err != nil {
			return err
		}
	} else if e.From != s.peer {
		return fmt.Errorf("%w: envelope claims party %d", ErrWrongSender, e.From)
	}
	if !e.Broadcast() && e.To != s.self {
		return fmt.Errorf("%w: addressed to party %d", ErrUnexpectedMessage, e.To)
	}
	key := uint16(e.From)<<8 | uint16(e.Type)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return ErrAborted
	}
	if s.seen[key] {
		return ErrDuplicate
	}
	select {
	case s.inbox <- e:
		s.seen[key] = true
		s.act.touch()
		return nil
	default:
		return ErrBusy
	}
}

func (s *session) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
}

// toEnvelopes converts a message tss-lib emitted into envelopes for the peer.
func (s *session) toEnvelopes(m tss.Message) ([]*Envelope, error) {
	wire, routing, err := m.WireBytes()
	if err != nil {
		return nil, err
	}
	code, ok := msgTypeCode(s.proto, m.Type())
	if !ok {
		return nil, fmt.Errorf("mpc: tss-lib emitted unexpected message %s", m.Type())
	}
	base := Envelope{Protocol: s.proto, Session: s.id, From: s.self, Type: code, Payload: wire}
	if s.rs != nil {
		return s.rs.envelopes(base, s.ids, routing)
	}
	if routing.IsBroadcast || len(routing.To) == 0 {
		e := base
		e.To = ToBroadcast
		return []*Envelope{&e}, nil
	}
	var out []*Envelope
	for _, to := range routing.To {
		if to.Index == int(s.self) {
			continue
		}
		e := base
		e.To = byte(to.Index)
		out = append(out, &e)
	}
	return out, nil
}

// runParty drives party to its end: it starts it, feeds it the session's
// inbox and hands every message it emits to send. It returns the party's
// result, or a *SessionError on a tss-lib error, a send error, the timeout
// (no message from the peer in any session of the job for `timeout`;
// culprits = whom the round waited for) or ctx's end. Everything runs on
// the caller's goroutine: tss-lib emits synchronously into outCh, which is
// buffered and flushed after every step, so no goroutine is left behind.
func runParty[T any](ctx context.Context, s *session, party tss.Party, outCh chan tss.Message, endCh chan T,
	send func(*Envelope) error, timeout time.Duration) (res T, err error) {
	sid := s.id.String()
	defer s.end()
	defer func() { // drain whatever tss-lib may still have queued
		for {
			select {
			case <-outCh:
			default:
				return
			}
		}
	}()
	flush := func() error {
		for {
			select {
			case m := <-outCh:
				envs, err := s.toEnvelopes(m)
				if err != nil {
					return &SessionError{Session: sid, Round: -1, Err: fmt.Errorf("%w: %v", ErrAborted, err)}
				}
				for _, e := range envs {
					if err := send(e); err != nil {
						if ctx.Err() != nil {
							err = context.Cause(ctx)
						}
						return &SessionError{Session: sid, Round: -1, Culprits: []string{s.ids[s.peer].Id},
							Err: fmt.Errorf("%w: send: %w", ErrAborted, err)}
					}
				}
			default:
				return nil
			}
		}
	}
	if err := guard(sid, nil, party.Start); err != nil {
		return res, err
	}
	if err := flush(); err != nil {
		return res, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case r := <-endCh:
			return r, nil
		default:
		}
		select {
		case e := <-s.inbox:
			from := s.ids[e.From]
			if s.check != nil {
				if err := s.check(e, from); err != nil {
					return res, &SessionError{Session: sid, Round: roundOf(party), Culprits: []string{from.Id},
						Err: fmt.Errorf("%w: %w: %w", ErrAborted, ErrPeerRefused, err)}
				}
			}
			if se := guard(sid, from, func() *tss.Error {
				_, terr := party.UpdateFromBytes(e.Payload, from, e.Broadcast())
				return terr
			}); se != nil {
				if len(se.Culprits) == 0 {
					se.Culprits = []string{from.Id}
				}
				return res, se
			}
			if err := flush(); err != nil {
				return res, err
			}
		case <-timer.C:
			if idle := s.act.idle(); idle < timeout {
				timer.Reset(timeout - idle)
				continue
			}
			return res, &SessionError{Session: sid, Round: roundOf(party), Culprits: partyNames(party.WaitingFor()), Err: ErrTimeout}
		case <-ctx.Done():
			return res, &SessionError{Session: sid, Round: roundOf(party), Culprits: partyNames(party.WaitingFor()),
				Err: fmt.Errorf("%w: %w", ErrAborted, context.Cause(ctx))}
		}
	}
}

// guard runs one tss-lib step and turns its error, or a panic inside
// tss-lib (on a message it failed to validate), into a *SessionError that
// blames from (nil: nobody). After a panic the party is never used again.
func guard(sid string, from *tss.PartyID, step func() *tss.Error) (se *SessionError) {
	defer func() {
		if r := recover(); r != nil {
			se = &SessionError{Session: sid, Round: -1, Err: fmt.Errorf("%w: tss-lib panicked: %v", ErrAborted, r)}
			if from != nil {
				se.Culprits = []string{from.Id}
			}
		}
	}()
	if terr := step(); terr != nil {
		return fromTSSError(sid, terr)
	}
	return nil
}

func roundOf(p tss.Party) int {
	// tss.Party does not export its round number; WrapError carries it.
	return p.WrapError(nil).Round()
}
