package decision

// The lifecycle operations after the decision: read, cancel, revoke, expire,
// begin signing (with the re-check) and record signatures. Each state change
// is one bbolt transaction holding the transition (advance), the release of
// what the decision held (when the new state releases), the record and its
// audit record: an audit append that fails rolls all of it back.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
)

// Actors named in a transition's By.
const (
	actorPolicyd = "policyd"
	actorCustody = "custody"
	// AdminPrefix prefixes the admin identity of an admin revoke.
	AdminPrefix = "admin:"
)

// CodeChangedAtSigning is the reason a re-check gives when the rules still
// allow the transaction but not the same way (other claims, allowance or
// amounts than the decision bound): the decision is revoked all the same.
const CodeChangedAtSigning policy.Code = "changed_at_signing"

// auditTransition is the audit record of a transition after the decision:
// decision_cancel, decision_revoke, decision_expire or decision_begin; nil
// for the events audited otherwise ("decision" is the decision itself;
// EventRecord's audit records are one "signature" per input).
func auditTransition(ev Event, t Transition) records.Body {
	rt := recordsTransition(t)
	switch ev {
	case EventCancel:
		return &records.DecisionCancel{Transition: rt}
	case EventRevoke:
		return &records.DecisionRevoke{Transition: rt}
	case EventExpire:
		return &records.DecisionExpire{Transition: rt}
	case EventBegin:
		return &records.DecisionBegin{Transition: rt}
	}
	return nil
}

// recordsTransition is t in the audit schema's type.
func recordsTransition(t Transition) records.Transition {
	return records.Transition{DecisionID: t.DecisionID, TxID: t.TxID, Event: string(t.Event), From: string(t.From), To: string(t.To),
		By: t.By, Reason: t.Reason, Reasons: t.Reasons, Released: t.Released, Recheck: t.Recheck}
}

// Transition is one state change after the decision, stored in the record
// and, for the events auditTransition names, appended to the audit log.
type Transition struct {
	V          int             `json:"v"`
	DecisionID string          `json:"decision_id"`
	TxID       string          `json:"txid"`
	Event      Event           `json:"event"`
	From       State           `json:"from"`
	To         State           `json:"to"`
	At         time.Time       `json:"at"`
	By         string          `json:"by,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Reasons    []policy.Reason `json:"reasons,omitempty"`
	// Released are the reqIds whose claims the transition released.
	Released []string `json:"released,omitempty"`
	// Recheck is the evaluation at signing (begin, or the revoke it caused).
	Recheck *Recheck `json:"recheck,omitempty"`

	// recheckAudit is the index of the audit record that holds Recheck
	// (this transition's decision_begin or decision_revoke), when there is
	// one: the decisions bucket then stores the index, not the re-check a
	// second time (lifecycleOf, loadReferenced).
	recheckAudit *uint64
}

// Recheck is the re-evaluation of the stored facts when signing begins:
// exactly what policy.Evaluate saw, so an auditor can replay it (the audit
// schema's type).
type Recheck = records.Recheck

// timeKey is 8-byte big-endian unix ns || id (expiry index, signing outflow).
func timeKey(at time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
	return append(k, id...)
}

// expiry is when a reserved r expires (records from before ExpiresAt
// existed expire DecisionTTL after their decision).
func (s *Service) expiry(r *Record) time.Time {
	if r.ExpiresAt != nil {
		return *r.ExpiresAt
	}
	return r.Time.Add(s.cfg.DecisionTTL)
}

func (s *Service) due(r *Record, now time.Time) bool { return !now.Before(s.expiry(r)) }

// transition advances r by ev at now, releases what it held when the new
// state releases, stores r and appends the audit record, all in tx.
func (s *Service) transition(tx *bolt.Tx, r *Record, ev Event, now time.Time, t Transition) error {
	from := r.State
	if err := advance(r, ev); err != nil {
		return err
	}
	t.V, t.DecisionID, t.TxID, t.Event, t.From, t.To, t.At = 1, r.ID, r.TxID, ev, from, r.State, now
	if from == StateReserved {
		if err := tx.Bucket(storage.BucketDecisionExpiry).Delete(timeKey(s.expiry(r), r.ID)); err != nil {
			return err
		}
	}
	if r.State.Releases() {
		if err := release(tx, r); err != nil {
			return err
		}
		t.Released = slices.Clone(r.Decision.Claims)
	}
	if ev == EventCancel {
		r.CancelledAt = &now
	}
	// The audit record first: a re-check it holds is stored once, there,
	// and the decisions bucket names its index (both in tx).
	body, err := s.auditTransitionBody(tx, ev, t, now)
	if err != nil {
		return err
	}
	if body != nil {
		idx, err := s.cfg.Audit.AppendBody(tx, now, body)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if t.Recheck != nil && (ev == EventBegin || ev == EventRevoke) {
			t.recheckAudit = &idx
		}
	}
	r.Transitions = append(r.Transitions, t)
	return putRecord(tx, r)
}

// auditTransitionBody is t's audit record (auditTransition); a re-check at
// signing (begin, or the revoke it caused) names the whitelist and
// parameters by hash (decision_begin / decision_revoke v2), each recorded
// once before the first record that names it, as decisions do.
func (s *Service) auditTransitionBody(tx *bolt.Tx, ev Event, t Transition, now time.Time) (records.Body, error) {
	if t.Recheck == nil || (ev != EventBegin && ev != EventRevoke) {
		return auditTransition(ev, t), nil
	}
	rc := t.Recheck
	wh := s.whitelistHash(rc.Snapshot.Whitelist)
	if err := s.recordState(tx, now, stateKey(records.KindWhitelistState, wh),
		&records.WhitelistState{Hash: wh, Whitelist: rc.Snapshot.Whitelist}); err != nil {
		return nil, err
	}
	if err := s.recordState(tx, now, stateKey(records.KindParamsState, rc.ParamsHash),
		&records.ParamsState{Hash: rc.ParamsHash, Params: rc.Snapshot.Params}); err != nil {
		return nil, err
	}
	v2 := records.SlimTransition(recordsTransition(t), wh)
	if ev == EventBegin {
		return &records.DecisionBeginV2{TransitionV2: v2}, nil
	}
	return &records.DecisionRevokeV2{TransitionV2: v2}, nil
}

// release gives back what an allowed decision held: its claims (those still
// its own), its 24 h outflow entry and its staking accounting. A consumed
// allowance stays consumed (admins reopen it).
func release(tx *bolt.Tx, r *Record) error {
	for _, q := range r.Decision.Claims {
		c, err := getClaim(tx, q)
		if err != nil {
			return err
		}
		if c != nil && c.DecisionID == r.ID {
			if c.Prev != nil {
				// A replacement released: the signed transaction it would
				// have replaced holds the claim again.
				if err := putClaim(tx, q, *c.Prev); err != nil {
					return err
				}
				continue
			}
			if err := tx.Bucket(storage.BucketClaims).Delete([]byte(q)); err != nil {
				return err
			}
		}
	}
	if len(r.OutflowKey) > 0 {
		if err := decisionWindow.delete(tx, r.OutflowKey); err != nil {
			return err
		}
	}
	if err := restoreSuperseded(tx, r.OutflowSuperseded); err != nil {
		return err
	}
	sa := tx.Bucket(storage.BucketStakeAccounts)
	if err := addInt(sa, keyStaked, -stakeCharge(r)); err != nil {
		return err
	}
	return addInt(sa, keyReturned, -r.Decision.BridgeSat)
}

// load reads a record, expiring it first when it is reserved and due (lazy
// expiry on access). A clock behind the floor leaves it as it is (it cannot
// be signed then anyway).
func (s *Service) load(ctx context.Context, id string) (*Record, error) {
	var r *Record
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		var err error
		r, err = loadRecord(tx, id)
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	if r == nil {
		return nil, notFound()
	}
	if r.State != StateReserved || !s.due(r, s.cfg.Now()) {
		return r, nil
	}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		x, err := loadRecord(tx, id)
		if err != nil || x == nil {
			return err
		}
		r = x
		if r.State == StateReserved && s.due(r, now) {
			return s.transition(tx, r, EventExpire, now, Transition{By: actorPolicyd, Reason: "decision_ttl passed before signing began"})
		}
		return nil
	})
	if e, ok := errs.As(err); ok && e.Code == CodeClockBehind {
		return r, nil
	}
	if err != nil {
		return nil, classify(err)
	}
	return r, nil
}

// Decision serves api.SignService.
func (s *Service) Decision(ctx context.Context, id string) (*View, error) {
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	v := view(r)
	if v.Claims, err = s.claimViews(r); err != nil {
		return nil, internal(err)
	}
	return v, nil
}

// Record returns a stored decision record (for tools and tests).
func (s *Service) Record(ctx context.Context, id string) (*Record, error) {
	return s.load(ctx, id)
}

// update runs fn on the record id in one write transaction at the (floor
// checked) time now; fn's classified errors pass through.
func (s *Service) update(id string, fn func(tx *bolt.Tx, r *Record, now time.Time) error) (*Record, error) {
	var r *Record
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		r = nil
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		if r, err = loadRecord(tx, id); err != nil {
			return err
		}
		if r == nil {
			return notFound()
		}
		return fn(tx, r, now)
	})
	if err != nil {
		return nil, classify(err)
	}
	return r, nil
}

// Cancel serves api.SignService: the custody node withdraws an allowed
// decision before signing began; its claims, outflow and accounting are
// released, audited ("decision_cancel"). Cancelling a cancelled decision is
// a no-op.
func (s *Service) Cancel(ctx context.Context, id string) (*View, error) {
	r, err := s.update(id, func(tx *bolt.Tx, r *Record, now time.Time) error {
		if r.State == StateCancelled {
			return nil
		}
		return s.transition(tx, r, EventCancel, now, Transition{By: actorCustody})
	})
	if err != nil {
		return nil, err
	}
	return view(r), nil
}

// Revoke is the admin revoke: one Bitlayer admin (admin, an identity the
// caller authenticated, e.g. the EIP-712 signer address) revokes a live
// decision that has not begun signing. Its claims, outflow and accounting
// are released and the revoke is audited ("decision_revoke", by
// "admin:<admin>", with reason). Revoking a revoked decision is a no-op; a
// decision that began signing cannot be revoked (decision_signing_started).
// Authentication is the caller's (api + governance), not this package's.
func (s *Service) Revoke(ctx context.Context, id, admin, reason string) (*View, error) {
	r, err := s.update(id, func(tx *bolt.Tx, r *Record, now time.Time) error {
		return s.revoke(tx, r, now, admin, reason)
	})
	if err != nil {
		return nil, err
	}
	return view(r), nil
}

func (s *Service) revoke(tx *bolt.Tx, r *Record, now time.Time, admin, reason string) error {
	if admin == "" || len(admin) > 256 || len(reason) > 512 {
		return errs.New(errs.KindInvalid, "revoke_invalid", "an admin identity (1..256 bytes) and a reason (at most 512 bytes) are required", nil)
	}
	if r.State == StateRevoked {
		return nil
	}
	return s.transition(tx, r, EventRevoke, now, Transition{By: AdminPrefix + admin, Reason: reason})
}

// RevokeAuthorizer authenticates an admin revoke inside the revoke's own
// write transaction and returns who asked and why; an error refuses the
// revoke and rolls everything back. governance's AuthenticateRevokeTx fits:
//
//	svc.RevokeWith(ctx, req.DecisionID, func(tx *bolt.Tx) (string, string, error) {
//		a, err := gov.AuthenticateRevokeTx(ctx, tx, req)
//		return a.Admin, a.Reason, err
//	})
type RevokeAuthorizer func(tx *bolt.Tx) (admin, reason string, err error)

// RevokeWith is Revoke with the authentication in the same bbolt
// transaction: the single-use nonce and the authentication's audit record
// commit together with the revocation, or neither does (a refused revoke,
// e.g. of a decision that began signing, leaves the nonce unused).
func (s *Service) RevokeWith(ctx context.Context, id string, authorize RevokeAuthorizer) (*View, error) {
	if authorize == nil {
		return nil, errs.New(errs.KindInternal, "revoke_unauthenticated", "revoke needs an authenticator", nil)
	}
	r, err := s.update(id, func(tx *bolt.Tx, r *Record, now time.Time) error {
		admin, reason, err := authorize(tx)
		if err != nil {
			return err
		}
		return s.revoke(tx, r, now, admin, reason)
	})
	if err != nil {
		return nil, err
	}
	return view(r), nil
}

// maxExpirePerTx bounds one ExpireDue transaction.
const maxExpirePerTx = 1000

// ExpireDue expires every reserved decision whose expiry is at or before
// now (the periodic sweep; lazy expiry covers the rest): each releases its
// claims and is audited ("decision_expire"). It returns how many expired.
// now must not be behind the clock floor (clock_behind otherwise).
func (s *Service) ExpireDue(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, more := 0, false
		err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
			n, more = 0, false
			now, err := s.clock(tx, now, true)
			if err != nil {
				return err
			}
			var keys [][]byte
			c := tx.Bucket(storage.BucketDecisionExpiry).Cursor()
			for k, _ := c.First(); len(k) > 8; k, _ = c.Next() {
				if int64(binary.BigEndian.Uint64(k[:8])) > now.UnixNano() {
					break
				}
				if len(keys) == maxExpirePerTx {
					more = true
					break
				}
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				r, err := loadRecord(tx, string(k[8:]))
				if err != nil {
					return err
				}
				if r == nil || r.State != StateReserved || !s.due(r, now) {
					// A stale index entry (its decision moved on).
					if err := tx.Bucket(storage.BucketDecisionExpiry).Delete(k); err != nil {
						return err
					}
					continue
				}
				if err := s.transition(tx, r, EventExpire, now, Transition{By: actorPolicyd, Reason: "decision_ttl passed before signing began"}); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, classify(err)
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

// sighashes are the decision's stored BIP143 sighashes in input order.
func sighashes(r *Record) ([][32]byte, error) {
	if len(r.Facts.Inputs) > psbtcheck.MaxInputs {
		return nil, errs.New(errs.KindForbidden, "too_many_inputs", fmt.Sprintf("the decision has %d inputs; at most %d can be signed", len(r.Facts.Inputs), psbtcheck.MaxInputs), nil)
	}
	out := make([][32]byte, 0, len(r.Facts.Inputs))
	for _, in := range r.Facts.Inputs {
		if len(in.Sighash) != 32 {
			return nil, fmt.Errorf("decision %s: input %d has no sighash", r.ID, in.Index)
		}
		var h [32]byte
		copy(h[:], in.Sighash)
		out = append(out, h)
	}
	return out, nil
}

// sighashMismatch is the refusal of a signing job whose sighashes are not
// the decision's.
func sighashMismatch(detail string) error {
	return errs.New(errs.KindConflict, "sighash_mismatch", "the sighashes to sign are not the decision's", fmt.Errorf("decision: %s", detail))
}

// BeginSigning implements mpc's Authorizer. In ONE write transaction:
//
//  1. peer (the sighashes the custody node asks to sign) must equal the
//     decision's, input by input: otherwise sighash_mismatch and NOTHING
//     changes (the decision can still be cancelled, revoked or expire);
//  2. the decision must admit EventBegin (reserved, or signing: a resumed
//     job after a restart), and a reserved one past its expiry is expired
//     (decision_expired);
//  3. the stored facts are re-evaluated against the state now (recheck):
//     on any failure a reserved decision is revoked with the reasons and
//     its claims released (decision_revoked_at_signing); a resumed signing
//     decision is refused unchanged;
//  4. a reserved decision moves to signing: its claims become signing, its
//     outflow enters the signing window at now, audited ("decision_begin"
//     with the re-check).
//
// It returns the sighashes only when every step passed.
func (s *Service) BeginSigning(ctx context.Context, decisionID string, peer [][32]byte) ([][32]byte, error) {
	var (
		hashes  [][32]byte
		refused error
	)
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		hashes, refused = nil, nil
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		r, err := loadRecord(tx, decisionID)
		if err != nil {
			return err
		}
		if r == nil {
			return notFound()
		}
		// 1. Compare first.
		h, err := sighashes(r)
		if err != nil {
			return err
		}
		if len(peer) != len(h) {
			return sighashMismatch(fmt.Sprintf("%d inputs, peer sent %d sighashes", len(h), len(peer)))
		}
		for i := range h {
			if h[i] != peer[i] {
				return sighashMismatch(fmt.Sprintf("input %d differs", i))
			}
		}
		// 2. The state must admit a begin; expiry.
		if _, ok := next(r.State, EventBegin); !ok {
			return transitionError(r.State, EventBegin)
		}
		if r.State == StateReserved && s.due(r, now) {
			refused = errs.New(errs.KindConflict, "decision_expired", "the decision expired before signing began", nil)
			return s.transition(tx, r, EventExpire, now, Transition{By: actorPolicyd, Reason: "decision_ttl passed before signing began"})
		}
		// 3. The re-check.
		rc, err := s.recheck(tx, r, now)
		if err != nil {
			return err
		}
		if rc.Decision.Outcome != policy.Allow {
			names := make([]string, 0, len(rc.Decision.Reasons))
			for _, c := range rc.Decision.Codes() {
				names = append(names, string(c))
			}
			codes := strings.Join(names, ",")
			refused = errs.New(errs.KindForbidden, "decision_revoked_at_signing",
				"the rules no longer allow this transaction at signing ("+codes+"); the decision was revoked", nil)
			if r.State != StateReserved {
				refused = errs.New(errs.KindForbidden, "recheck_failed", "the rules no longer allow this transaction at signing ("+codes+")", nil)
				return nil
			}
			return s.transition(tx, r, EventRevoke, now, Transition{By: actorPolicyd, Reason: "re-check at signing failed", Reasons: rc.Decision.Reasons, Recheck: rc})
		}
		if r.State == StateSigning {
			hashes = h // resumed: already counted, claims already signing
			return nil
		}
		// 4. Begin.
		if err := setClaims(tx, r, policy.ClaimSigning); err != nil {
			return err
		}
		if err := s.beginOutflow(tx, r, now); err != nil {
			return err
		}
		if err := s.transition(tx, r, EventBegin, now, Transition{By: actorCustody, Recheck: rc}); err != nil {
			return err
		}
		hashes = h
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	if refused != nil {
		s.cfg.Logger.Warn("decision: signing refused", "decision", decisionID, "code", refused.(*errs.Error).Code, "msg", refused.(*errs.Error).Msg)
		return nil, refused
	}
	return hashes, nil
}

// recheck re-evaluates r's stored facts against the state in tx at now:
// the freeze, the whitelist in effect, L2 freshness, every listed (or FIFO
// claimed) reqId as the ledger has it now, the parameters in force, the
// staking accounting, and the 24 h outflow of what began signing in
// (now-24h, now]. The decision's own claims and accounting are taken out
// first (they are its own, not a conflict); the allowance it consumed is
// the one offered. Anything but an allow that binds the same claims,
// allowance and amounts is a failure.
func (s *Service) recheck(tx *bolt.Tx, r *Record, now time.Time) (*Recheck, error) {
	f := r.Facts
	if err := s.catchUp(tx, now); err != nil {
		return nil, err
	}
	snap, err := s.globalState(tx, now)
	if err != nil {
		return nil, err
	}
	requests := func(ids []string) ([]policy.Request, error) {
		bs := make([]*big.Int, 0, len(ids))
		for _, id := range ids {
			b, ok := new(big.Int).SetString(id, 10)
			if !ok {
				return nil, fmt.Errorf("decision %s: reqId %q is not a number", r.ID, id)
			}
			bs = append(bs, b)
		}
		qs, err := s.cfg.Ledger.Requests(tx, bs)
		if err != nil {
			return nil, fmt.Errorf("l2 requests: %w", err)
		}
		for i := range qs {
			c, err := getClaim(tx, qs[i].ID)
			if err != nil {
				return nil, err
			}
			if c != nil && c.DecisionID != r.ID {
				qs[i].Claim = c
			}
		}
		return qs, nil
	}
	if len(f.ReqIDs) > 0 {
		if snap.Requests, err = requests(f.ReqIDs); err != nil {
			return nil, err
		}
	}
	if r.Decision.BridgeSource == policy.SourceFIFO {
		// The queue is exactly the requests the decision claimed, as the
		// ledger has them now: a reorged one is missing (no FIFO match).
		qs, err := requests(r.Decision.Claims)
		if err != nil {
			return nil, err
		}
		byID := map[string]policy.Request{}
		for _, q := range qs {
			byID[q.ID] = q
		}
		for _, id := range r.Decision.Claims {
			if q, ok := byID[id]; ok {
				snap.PendingUnbound = append(snap.PendingUnbound, q)
			}
		}
	}
	if a := r.Decision.AllowanceID; a != "" {
		for _, x := range r.Snapshot.Allowances {
			if x.ID == a {
				snap.Allowances = []policy.Allowance{x}
			}
		}
	}
	if snap.Stake.FinalizedStakedSat, err = s.cfg.Ledger.FinalizedStakedSat(tx); err != nil {
		return nil, fmt.Errorf("l2 staked total: %w", err)
	}
	sa := tx.Bucket(storage.BucketStakeAccounts)
	snap.Stake.StakedSat = getInt(sa, keyStaked) - stakeCharge(r)
	snap.Stake.ReturnedSat = getInt(sa, keyReturned) - r.Decision.BridgeSat
	from := now.Add(-24 * time.Hour)
	if snap.OutflowSat, err = signingWindow.since(tx, from); err != nil {
		return nil, fmt.Errorf("24 h signing outflow: %w", err)
	}
	if k := signingKey(r); k != nil {
		snap.OutflowSat -= inWindow(tx, signingWindow, [][]byte{k}, from) // a resumed job's own entry
	}
	if err := s.l1State(tx, f, now, &snap); err != nil {
		return nil, err
	}
	// A replacement is judged again against its family's stages now.
	var family []string
	for _, q := range r.Decision.Claims {
		c, err := getClaim(tx, q)
		if err != nil {
			return nil, err
		}
		if c != nil && c.DecisionID == r.ID {
			family = append(family, c.Family...)
		}
	}
	if snap.Replaces, err = s.replaces(tx, family); err != nil {
		return nil, err
	}
	if len(family) > 0 {
		_, keys, err := familyKeys(tx, family)
		if err != nil {
			return nil, err
		}
		snap.OutflowSat -= inWindow(tx, signingWindow, keys, from) // the family counts once
	}
	d := s.engine.Evaluate(f, snap, now)
	if d.Outcome == policy.Allow && (!slices.Equal(d.Claims, r.Decision.Claims) || d.AllowanceID != r.Decision.AllowanceID ||
		d.OutflowSat != r.Decision.OutflowSat || d.BridgeSat != r.Decision.BridgeSat || d.StakingSat != r.Decision.StakingSat) {
		d.Outcome = policy.Deny
		d.Reasons = append(d.Reasons, policy.Reason{Code: CodeChangedAtSigning, Detail: fmt.Sprintf("at signing the rules bind claims %v (allowance %q, outflow %d), the decision bound %v (allowance %q, outflow %d)",
			d.Claims, d.AllowanceID, d.OutflowSat, r.Decision.Claims, r.Decision.AllowanceID, r.Decision.OutflowSat)})
	}
	return &Recheck{Time: now, ParamsHash: s.paramsHash, WhitelistVersion: snap.Whitelist.Version, Snapshot: snap, Decision: d}, nil
}

func setClaims(tx *bolt.Tx, r *Record, state string) error {
	for _, q := range r.Decision.Claims {
		c := policy.Claim{DecisionID: r.ID, TxID: r.TxID, State: state}
		if old, err := getClaim(tx, q); err != nil {
			return err
		} else if old != nil && old.DecisionID == r.ID {
			c.Family = old.Family // a replacement keeps its family
			if state == policy.ClaimReserved || state == policy.ClaimSigning {
				c.Prev = old.Prev
			}
		}
		if err := putClaim(tx, q, c); err != nil {
			return err
		}
	}
	return nil
}

// RecordSignatures implements mpc's Authorizer: it stores one signature per
// input (DER + sighash byte) with one audit "signature" record each, and marks
// the decision and its claims "signed". Each signature must verify against
// the wallet key over the input's sighash.
func (s *Service) RecordSignatures(ctx context.Context, decisionID string, sigs [][]byte) error {
	_, err := s.update(decisionID, func(tx *bolt.Tx, r *Record, now time.Time) error {
		if r.State == StateSigned && sameSigs(r.Signatures, sigs) {
			return nil
		}
		if _, ok := next(r.State, EventRecord); !ok {
			return transitionError(r.State, EventRecord)
		}
		if len(sigs) != len(r.Facts.Inputs) {
			return errs.New(errs.KindInvalid, "signature_count", "one signature per input is required", nil)
		}
		for i, sg := range sigs {
			in := r.Facts.Inputs[i]
			if len(sg) < 2 || sg[len(sg)-1] != 0x01 {
				return errs.New(errs.KindInvalid, "signature_invalid", "signature must be DER with SIGHASH_ALL", nil)
			}
			parsed, err := ecdsa.ParseDERSignature(sg[:len(sg)-1])
			if err != nil || !parsed.Verify(in.Sighash, s.walletKey) {
				return errs.New(errs.KindInvalid, "signature_invalid", fmt.Sprintf("signature %d does not verify", i), err)
			}
			body := &records.Signature{DecisionID: r.ID, TxID: r.TxID, Input: in.Index, Sighash: hex.EncodeToString(in.Sighash), Signature: hex.EncodeToString(sg)}
			if _, err := s.cfg.Audit.AppendBody(tx, now, body); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			r.Signatures = append(r.Signatures, append(policy.HexBytes(nil), sg...))
		}
		if err := setClaims(tx, r, policy.ClaimSigned); err != nil {
			return err
		}
		// The L1 view follows what policyd signed (same transaction).
		if err := s.watch(tx, r); err != nil {
			return err
		}
		return s.transition(tx, r, EventRecord, now, Transition{By: actorCustody})
	})
	return err
}

func sameSigs(a []policy.HexBytes, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
