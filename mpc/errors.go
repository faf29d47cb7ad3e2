package mpc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrPlaintextShare: a share file that is not age-encrypted.
	ErrPlaintextShare = errors.New("mpc: refusing to load a key share that is not age-encrypted")
	// ErrBadShare: a decrypted share that is inconsistent.
	ErrBadShare = errors.New("mpc: invalid key share")
	// ErrSighashMismatch: the peer's sighashes differ from the authorized ones.
	ErrSighashMismatch = errors.New("mpc: peer sighashes differ from the authorized ones")
	// ErrTimeout: a session ran past its deadline.
	ErrTimeout = errors.New("mpc: session timed out")
	// ErrAborted: the session was aborted (by an error here or by the peer).
	ErrAborted = errors.New("mpc: session aborted")
	// ErrBadMessage: a malformed wire envelope.
	ErrBadMessage = errors.New("mpc: malformed message")
	// ErrWrongSession, ErrWrongSender, ErrUnexpectedMessage: an envelope that
	// does not belong to the session it was delivered to.
	ErrWrongSession      = errors.New("mpc: message of another session")
	ErrWrongSender       = errors.New("mpc: message from an unexpected sender")
	ErrUnexpectedMessage = errors.New("mpc: unexpected message type, recipient or broadcast flag")
	// ErrDuplicate: a message already received (dropped, not an abort).
	ErrDuplicate = errors.New("mpc: duplicate message")
	// ErrUnknownSession: no such session on this side.
	ErrUnknownSession = errors.New("mpc: unknown session")
	// ErrBadSignature: a produced signature did not verify against the group key.
	ErrBadSignature = errors.New("mpc: signature does not verify against the group key")
	// ErrNoShare: the server holds no key share.
	ErrNoShare = errors.New("mpc: no key share loaded")
	// ErrBusy: too many sessions or queued messages.
	ErrBusy = errors.New("mpc: too many concurrent sessions")
	// ErrResharing: refused because a resharing is in progress.
	ErrResharing = errors.New("mpc: a key share resharing is in progress")
	// ErrPeerRefused: a message of the peer failed policyd's own checks
	// (package peercheck) before tss-lib saw it; the session is aborted.
	ErrPeerRefused = errors.New("mpc: peer message refused by policyd's checks")
	// ErrReshareRefused: the server does not start this resharing.
	ErrReshareRefused = errors.New("mpc: resharing refused")
	// errKeygenRefused: key generation not enabled, or not now.
	errKeygenRefused = errors.New("mpc: key generation refused")
)

// SessionError is returned when a session ends without a result. Culprits
// are the party ids tss-lib blamed, or, on a timeout, those the current round
// was still waiting for.
type SessionError struct {
	Session  string // hex session id
	Round    int    // tss-lib round, -1 when unknown
	Culprits []string
	Err      error
}

func (e *SessionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mpc: session %s", shortHex(e.Session))
	if e.Round >= 0 {
		fmt.Fprintf(&b, " round %d", e.Round)
	}
	if len(e.Culprits) > 0 {
		fmt.Fprintf(&b, " culprits [%s]", strings.Join(e.Culprits, ","))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *SessionError) Unwrap() error { return e.Err }

func shortHex(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

func partyNames(ps []*tss.PartyID) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, p.Id)
		}
	}
	return out
}

func fromTSSError(sid string, e *tss.Error) *SessionError {
	if e == nil {
		return nil
	}
	return &SessionError{Session: sid, Round: e.Round(), Culprits: partyNames(e.Culprits()), Err: fmt.Errorf("%w: %v", ErrAborted, e.Cause())}
}
