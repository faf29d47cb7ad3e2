package decision

// The decision lifecycle as one typed state machine: every state change of a
// stored decision goes through advance, which consults the one transition
// table below. Submit, Cancel, Revoke, expiry, BeginSigning and
// RecordSignatures never assign Record.State themselves.
//
//	            submit(deny)
//	  (new) ─────────────────▶ denied
//	    │
//	    │ submit(allow)
//	    ▼          cancel            ┌──▶ cancelled   (custody node; audit "decision_cancel")
//	 reserved ─────────────────────┼──▶ revoked     (admin, or the re-check at begin failed; audit "decision_revoke")
//	    │          revoke / expire   └──▶ expired     (decision_ttl passed; audit "decision_expire")
//	    │ begin (sighashes equal AND every rule holds now; audit "decision_begin")
//	    ▼
//	 signing ──── record (verified signatures; audit "signature" per input) ───▶ signed
//	    ↺ begin (a resumed job: re-checked, refused unchanged if a rule fails)
//
// denied, cancelled, revoked, expired and signed are final. A final state
// other than signed releases the decision's claims, outflow and accounting
// (nothing was signed); signing and signed hold them forever.

import (
	"fmt"

	"github.com/bitlayer-org/policyd/errs"
)

// State is a decision's lifecycle state (stored as its string).
type State string

// Decision states.
const (
	// StateNew is the state of a record not yet stored.
	StateNew       State = ""
	StateDenied    State = "denied"
	StateReserved  State = "reserved"
	StateSigning   State = "signing"
	StateSigned    State = "signed"
	StateCancelled State = "cancelled"
	StateRevoked   State = "revoked"
	StateExpired   State = "expired"
)

// Event is what moves a decision from one state to the next.
type Event string

// Lifecycle events.
const (
	EventAllow  Event = "allow"  // submit, Evaluate allowed
	EventDeny   Event = "deny"   // submit, Evaluate denied
	EventCancel Event = "cancel" // the custody node withdrew it
	EventRevoke Event = "revoke" // an admin revoked it, or the re-check at begin failed
	EventExpire Event = "expire" // decision_ttl passed before signing began
	EventBegin  Event = "begin"  // signing began (sighashes matched, re-check held)
	EventRecord Event = "record" // verified signatures were recorded
)

// transitions is THE transition table: from -> event -> to. Anything absent
// is refused.
var transitions = map[State]map[Event]State{
	StateNew: {
		EventAllow: StateReserved,
		EventDeny:  StateDenied,
	},
	StateReserved: {
		EventCancel: StateCancelled,
		EventRevoke: StateRevoked,
		EventExpire: StateExpired,
		EventBegin:  StateSigning,
	},
	StateSigning: {
		// A resumed job (policyd restarted mid-signing): re-checked like
		// the first begin, no state change.
		EventBegin:  StateSigning,
		EventRecord: StateSigned,
	},
}

// Final reports whether s admits no further transition.
func (s State) Final() bool { return len(transitions[s]) == 0 }

// Live reports whether a decision in s sticks to its transaction (a new
// submission of the same tx returns it instead of deciding again).
func (s State) Live() bool { return s == StateReserved || s == StateSigning || s == StateSigned }

// Releases reports whether entering s releases the claims, outflow and
// accounting the decision held (nothing was or will be signed).
func (s State) Releases() bool {
	return s == StateCancelled || s == StateRevoked || s == StateExpired
}

// next looks ev up in the table.
func next(from State, ev Event) (State, bool) {
	to, ok := transitions[from][ev]
	return to, ok
}

// advance moves r along the table or returns a conflict error naming the
// refused transition; r is unchanged on error.
func advance(r *Record, ev Event) error {
	to, ok := next(r.State, ev)
	if !ok {
		return transitionError(r.State, ev)
	}
	r.State = to
	return nil
}

// transitionError is the stable client error for a refused transition.
func transitionError(from State, ev Event) error {
	code, msg := "decision_not_allowed", "the decision does not allow this"
	switch {
	case from == StateSigning || from == StateSigned:
		if ev == EventBegin && from == StateSigned {
			code, msg = "decision_already_signed", "the decision was already signed"
		} else if ev != EventRecord {
			code, msg = "decision_signing_started", "signing already began; the decision can no longer be changed"
		} else {
			code, msg = "decision_not_signing", "signatures are accepted only while the decision is signing"
		}
	case from == StateExpired:
		code, msg = "decision_expired", "the decision expired"
	case from == StateRevoked:
		code, msg = "decision_revoked", "the decision was revoked"
	case from == StateCancelled:
		code, msg = "decision_cancelled", "the decision was cancelled"
	case ev == EventRecord:
		code, msg = "decision_not_signing", "signatures are accepted only while the decision is signing"
	}
	kind := errs.KindConflict
	if from == StateDenied && ev == EventBegin {
		kind = errs.KindForbidden
	}
	return errs.New(kind, code, msg, fmt.Errorf("decision: no transition %q --%s-->", from, ev))
}
