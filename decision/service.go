// Package decision is the sign-request service: it turns a PSBT from the
// custody node into a decision that sticks.
//
// SubmitRequest (Submit is SubmitRequest without staking declarations)
// strictly checks the PSBT (psbtcheck), attaches the declared staking
// parameters to their outputs, reads the snapshot (whitelist,
// freeze, L2 ledger view, claims, allowances, accounting) inside ONE bbolt
// transaction, evaluates policy.Evaluate, and commits in that same
// transaction the decision record, the claim of its reqIds, the 24 h outflow
// entry, the staking accounting, the allowance it consumes and the audit
// record. A read-check-write race cannot let two transactions claim one
// reqId: bbolt serializes writers and the check and the claim are in one tx.
//
// Trust model: the PSBT is untrusted (psbtcheck proves what it can); the
// ledger, governance and audit readers are trusted to report what is in the
// same transaction. Fail closed: any error while reading or writing means no
// allowed decision is stored; a stale L2 view is a denial (l2_stale), not an
// error. Signing (package mpc) starts only through BeginSigning on an
// allowed, uncancelled decision, with the sighashes computed here.
//
// A decision is only as good as the moment it is signed: BeginSigning
// compares the custody node's sighashes with the decision's first (a
// mismatch changes nothing), then re-evaluates the stored facts against the
// state of that moment (freeze, whitelist, L2 freshness and every reqId, the
// parameters in force, the 24 h outflow of what is signing or signed) in
// the same transaction as the state change; any failure revokes the
// decision and releases its claims. Allowed decisions that do not begin
// signing within Config.DecisionTTL expire. Time never runs backwards: a
// wall clock behind the persisted floor fails closed (clock.go). The
// lifecycle is one typed state machine (state.go).
package decision

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
)

// Auditor appends a record to the signed log inside the caller's tx
// (audit.Log satisfies it).
type Auditor interface {
	AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error)
}

// recordStore is the side of the audit log (audit.Log) the decision
// service stores its decisions in: a body encoded by audit.EncodeBody
// appended as it is. With one, the decisions bucket keeps only each
// decision's lifecycle and the index of its audit record (stored once);
// without one (an Auditor that only appends), the whole record.
type recordStore interface {
	AppendCanonical(tx *bolt.Tx, at time.Time, kind string, kv int, body []byte) (uint64, error)
}

// whitelistVersioner is implemented by a Governance that can tell the
// version of the whitelist in effect without reading it
// (governance.PolicySource): the whitelist is then read once per version.
type whitelistVersioner interface {
	WhitelistVersion(tx *bolt.Tx, now time.Time) (uint64, error)
}

// Ledger reads the L2 request ledger inside the caller's tx.
type Ledger interface {
	// Status is the ledger view's freshness at now.
	Status(tx *bolt.Tx, now time.Time) (policy.L2Status, error)
	// Requests returns the records of ids that exist (unknown ids are
	// omitted); Claim is left nil (claims belong to this package).
	Requests(tx *bolt.Tx, ids []*big.Int) ([]policy.Request, error)
	// PendingUnbound returns finalized, unapproved UnboundRequired requests
	// in L2 order.
	PendingUnbound(tx *bolt.Tx) ([]policy.Request, error)
	// FinalizedStakedSat is the sum of every finalized TokenStaked amount.
	FinalizedStakedSat(tx *bolt.Tx) (int64, error)
}

// Governance reads the whitelist state inside the caller's tx.
type Governance interface {
	Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error)
	Frozen(tx *bolt.Tx, now time.Time) (bool, error)
	OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error)
	ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error
}

// CheckFunc is psbtcheck.Check's signature.
type CheckFunc func(raw []byte, w psbtcheck.Wallet, lim psbtcheck.Limits) (*psbtcheck.Facts, error)

// Config configures New. DB, Wallet.PubKey, Ledger, Governance and Audit are
// required.
type Config struct {
	DB         *storage.DB
	Wallet     psbtcheck.Wallet
	Limits     psbtcheck.Limits
	Params     policy.Params
	Ledger     Ledger
	Governance Governance
	Audit      Auditor
	// Check defaults to a psbtcheck.Checker bound to Wallet and Limits once
	// (the same results as psbtcheck.Check, without validating the wallet
	// key on every request).
	Check CheckFunc
	// Now defaults to time.Now.
	Now func() time.Time
	// DecisionTTL is how long an allowed decision may wait for signing to
	// begin before it expires (policy.decision_ttl; default 15 minutes).
	DecisionTTL time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// OnClockBehind, when set, is called (a metric hook) each time an
	// operation is refused because the wall clock is behind the floor.
	OnClockBehind func(behind time.Duration)
	// Chain is the L1 view (*l1.View); nil: inputs are not checked against
	// Bitcoin and nothing is reconciled (policyd without the l1 block).
	Chain Chain
	// Freeze is the system freeze (governance.SystemFreeze); required with Chain.
	Freeze FreezeFunc
	// OnUnexplainedSpend, when set, is called (a metric hook) once for each
	// wallet spend reconciliation found no decision for.
	OnUnexplainedSpend func()
	// Babylon is the Babylon parameters schedule (babylon.params_file); the
	// version in force at the L1 view's height goes into the snapshot of a
	// transaction that may stake. nil, or no Chain: no staking output
	// verifies (babylon_no_params, babylon_height_unknown).
	Babylon *babylon.Schedule
}

// defaultCheck binds check (nil: the default) to w and lim. The default is
// a psbtcheck.Checker made once; if w or lim is unusable, every request is
// refused by psbtcheck.Check with the same error it always gave.
func defaultCheck(check CheckFunc, w psbtcheck.Wallet, lim psbtcheck.Limits) func([]byte) (*psbtcheck.Facts, error) {
	if check != nil {
		return func(raw []byte) (*psbtcheck.Facts, error) { return check(raw, w, lim) }
	}
	c, err := psbtcheck.NewChecker(w, lim)
	if err != nil {
		return func(raw []byte) (*psbtcheck.Facts, error) { return psbtcheck.Check(raw, w, lim) }
	}
	return c.Check
}

// DefaultDecisionTTL is the default Config.DecisionTTL.
const DefaultDecisionTTL = 15 * time.Minute

// Service serves api.SignService and mpc's Authorizer.
type Service struct {
	cfg        Config
	walletKey  *btcec.PublicKey
	walletRaw  policy.HexBytes // compressed walletKey, shared read-only by snapshots
	engine     *policy.Engine  // Evaluate with walletKey decoded once
	paramsHash string
	// check is cfg.Check bound to cfg.Wallet and cfg.Limits: by default a
	// psbtcheck.Checker (immutable, safe for concurrent use).
	check   func(raw []byte) (*psbtcheck.Facts, error)
	floorNS atomic.Int64 // the clock floor (unix ns) as last read or written
	store   recordStore  // nil: records stored whole
	// wl is the whitelist last read, by version (shared read-only).
	wl atomic.Pointer[cachedWhitelist]
}

// cachedWhitelist is a whitelist read once for its version, with its hash.
type cachedWhitelist struct {
	w    policy.Whitelist
	hash string
}

// New validates cfg.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Ledger == nil || cfg.Governance == nil || cfg.Audit == nil {
		return nil, errors.New("decision: Config needs DB, Ledger, Governance and Audit")
	}
	k, err := btcec.ParsePubKey(cfg.Wallet.PubKey)
	if err != nil {
		return nil, fmt.Errorf("decision: wallet public key: %w", err)
	}
	if cfg.Params.MaxFeeSat <= 0 || cfg.Params.MaxFeeRate <= 0 || cfg.Params.VelocityCapSat <= 0 {
		return nil, errors.New("decision: Params need positive MaxFeeSat, MaxFeeRate and VelocityCapSat")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Chain != nil && cfg.Freeze == nil {
		return nil, errors.New("decision: Config.Chain needs Config.Freeze (an unexplained spend freezes signing)")
	}
	if cfg.DecisionTTL < 0 {
		return nil, errors.New("decision: DecisionTTL must not be negative")
	}
	if cfg.DecisionTTL == 0 {
		cfg.DecisionTTL = DefaultDecisionTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	raw := policy.HexBytes(k.SerializeCompressed())
	s := &Service{cfg: cfg, walletKey: k, walletRaw: raw, engine: policy.NewEngine(raw), paramsHash: cfg.Params.Hash()}
	s.check = defaultCheck(cfg.Check, cfg.Wallet, cfg.Limits)
	s.store, _ = cfg.Audit.(recordStore)
	if err := cfg.DB.View(func(tx *bolt.Tx) error {
		s.raiseFloorCache(clockFloor(tx))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("decision: read the clock floor: %w", err)
	}
	if err := s.indexLegacyExpiry(); err != nil {
		return nil, fmt.Errorf("decision: index the expiry of earlier decisions: %w", err)
	}
	if err := s.referenceLegacy(); err != nil {
		return nil, fmt.Errorf("decision: reference earlier decisions to their audit records: %w", err)
	}
	return s, nil
}

var keyExpiryIndexed = []byte("decision_expiry_indexed")

// indexLegacyExpiry puts the reserved decisions stored before the expiry
// index existed (schema 1) into it, once, so the sweep finds them too (they
// expire DecisionTTL after their decision).
func (s *Service) indexLegacyExpiry() error {
	var done bool
	if err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		done = tx.Bucket(storage.BucketMeta).Get(keyExpiryIndexed) != nil
		return nil
	}); err != nil || done {
		return err
	}
	return s.cfg.DB.Update(func(tx *bolt.Tx) error {
		idx := tx.Bucket(storage.BucketDecisionExpiry)
		err := tx.Bucket(storage.BucketDecisions).ForEach(func(k, v []byte) error {
			var r struct {
				State     State      `json:"state"`
				Time      time.Time  `json:"time"`
				ExpiresAt *time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decision %s: corrupt record: %w", k, err)
			}
			if r.State != StateReserved || r.ExpiresAt != nil {
				return nil
			}
			return idx.Put(timeKey(r.Time.Add(s.cfg.DecisionTTL), string(k)), nil)
		})
		if err != nil {
			return err
		}
		return tx.Bucket(storage.BucketMeta).Put(keyExpiryIndexed, []byte{1})
	})
}

// Evidence is one reqId's L2 evidence in a record (the audit schema's).
type Evidence = records.Evidence

// Record is the stored (and audited) decision.
type Record struct {
	V                int       `json:"v"`
	ID               string    `json:"id"`
	State            State     `json:"state"`
	Time             time.Time `json:"time"`
	TxID             string    `json:"txid"`
	PSBTHash         string    `json:"psbt_hash"`
	WhitelistVersion uint64    `json:"whitelist_version"`
	// WhitelistHash names Snapshot.Whitelist (records.WhitelistHash); empty
	// in records stored before it.
	WhitelistHash string          `json:"whitelist_hash,omitempty"`
	ParamsHash    string          `json:"params_hash"`
	Outcome       policy.Outcome  `json:"outcome"`
	Reasons       []policy.Reason `json:"reasons,omitempty"`
	Decision      policy.Decision `json:"decision"`
	Evidence      []Evidence      `json:"evidence,omitempty"`
	Facts         policy.Facts    `json:"facts"`
	// StakingDecls are the staking declarations of the request as received
	// (also attached to Facts.Outputs, which is what Evaluate reads).
	StakingDecls map[int]policy.StakingDecl `json:"staking_decls,omitempty"`
	Snapshot     policy.Snapshot            `json:"snapshot"`
	OutflowKey   policy.HexBytes            `json:"outflow_key,omitempty"`
	// OutflowSuperseded are the velocity entries of the RBF family this
	// decision replaces, set to zero while it stands (velocity.go).
	OutflowSuperseded []Superseded      `json:"outflow_superseded,omitempty"`
	Signatures        []policy.HexBytes `json:"signatures,omitempty"`
	CancelledAt       *time.Time        `json:"cancelled_at,omitempty"`
	// ExpiresAt is when an allowed decision that has not begun signing
	// expires (Time + DecisionTTL).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Transitions are the state changes after the decision, each as it was
	// audited.
	Transitions []Transition `json:"transitions,omitempty"`
	// UnsignedTx is the transaction (no witnesses), stored with an L1 view
	// so that RecordSignatures can put it on the view's watch list.
	UnsignedTx policy.HexBytes `json:"unsigned_tx,omitempty"`

	// AuditIndex is the index of the decision's audit record, where the
	// decision itself is stored (nil: the whole record is in the decisions
	// bucket).
	AuditIndex *uint64 `json:"audit_index,omitempty"`
}

func internal(err error) error {
	return errs.New(errs.KindInternal, "storage", "the decision could not be read or stored", err)
}

func refusal(err error) error {
	var r *psbtcheck.RefusalError
	if errors.As(err, &r) { // its Detail names indexes and sizes, never secrets: the caller sees it
		return errs.New(errs.KindUnprocessable, "psbt_"+string(r.Code), "the PSBT was refused: "+r.Detail, err)
	}
	if errors.Is(err, psbtcheck.ErrRefused) {
		return errs.New(errs.KindUnprocessable, "psbt_"+string(psbtcheck.CodeOf(err)), "the PSBT was refused", err)
	}
	return errs.New(errs.KindInternal, "psbt_check", "the PSBT could not be checked", err)
}

func notFound() error {
	return errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
}

// Request is one sign request from the custody node.
type Request struct {
	// PSBT is the binary packet (strictly checked by psbtcheck).
	PSBT []byte
	// Staking declares, by output index, the Babylon parameters a staking
	// output was built from (a PSBT cannot carry them: psbtcheck refuses
	// unknown and proprietary keys). Each must name an external output, or
	// the decision is a denial (staking_decl_invalid). They are untrusted:
	// Evaluate rebuilds the output from them and checks every key.
	Staking map[int]policy.StakingDecl
	// DryRun evaluates without claiming or storing anything.
	DryRun bool
}

// Submit is SubmitRequest without staking declarations.
func (s *Service) Submit(ctx context.Context, raw []byte, dryRun bool) (*View, error) {
	return s.SubmitRequest(ctx, Request{PSBT: raw, DryRun: dryRun})
}

// SubmitRequest decides one sign request: the declarations are attached to
// the facts before Evaluate and stored in the record (Facts.Outputs[].Staking
// and Record.StakingDecls), so a recheck replays exactly what was evaluated.
func (s *Service) SubmitRequest(ctx context.Context, req Request) (*View, error) {
	if err := ctx.Err(); err != nil {
		return nil, errs.New(errs.KindUnavailable, "cancelled", "request cancelled", err)
	}
	raw, dryRun := req.PSBT, req.DryRun
	pf, err := s.check(raw)
	if err != nil {
		return nil, refusal(err)
	}
	facts := policy.AttachStakingDecls(policy.FactsFrom(pf), req.Staking)
	var rec *Record
	if dryRun {
		// A dry run is a fresh evaluation of the state now, never a stored
		// record (nor its signatures), even when the tx has a live decision.
		err = s.cfg.DB.View(func(tx *bolt.Tx) error {
			rec = nil
			now, err := s.clock(tx, s.cfg.Now(), false)
			if err != nil {
				return err
			}
			r, err := s.evaluate(tx, facts, pf, now)
			if r != nil {
				r.StakingDecls = req.Staking
			}
			rec = r
			return err
		})
		if err != nil {
			return nil, classify(err)
		}
		v := view(rec)
		v.DryRun = true
		return v, nil
	}
	// What the decision's audit record takes from the request (facts,
	// declarations) is encoded here, outside the writer (store.go).
	pre, err := s.preEncode(facts, req.Staking)
	if err != nil {
		return nil, internal(err)
	}
	// Commit: at once when no other decision is committing (an idle server
	// does not wait for bbolt's batch timer), batched under load.
	err = s.cfg.DB.Commit(func(tx *bolt.Tx) error {
		// Commit may run this more than once: everything is recomputed from tx.
		rec = nil
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		prev, err := s.stickyDecision(tx, facts.TxID, now)
		if err != nil || prev != nil {
			rec = prev
			return err
		}
		r, err := s.evaluate(tx, facts, pf, now)
		if err != nil {
			return err
		}
		r.StakingDecls = req.Staking
		if err := s.commit(tx, r, pre); err != nil {
			return err
		}
		rec = r
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	return view(rec), nil
}

// stickyDecision returns the live allowed decision of txid, if any. Denied,
// cancelled, revoked and expired decisions do not stick: the same tx is
// evaluated afresh. A reserved decision past its expiry is expired here, in
// tx (lazy expiry), and does not stick either.
func (s *Service) stickyDecision(tx *bolt.Tx, txid string, now time.Time) (*Record, error) {
	id := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(txid))
	if id == nil {
		return nil, nil
	}
	r, err := loadRecord(tx, string(id))
	if err != nil {
		return nil, err
	}
	if r.State == StateReserved && s.due(r, now) {
		return nil, s.transition(tx, r, EventExpire, now, Transition{By: actorPolicyd, Reason: "decision_ttl passed before signing began"})
	}
	if r.State.Live() {
		return r, nil
	}
	return nil, nil
}

func loadRecord(tx *bolt.Tx, id string) (*Record, error) {
	raw := tx.Bucket(storage.BucketDecisions).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var r *Record
	var err error
	if bytes.HasPrefix(raw, lifecyclePrefix) {
		r, err = loadReferenced(tx, raw)
	} else {
		r = new(Record)
		err = json.Unmarshal(raw, r)
	}
	if err != nil {
		return nil, fmt.Errorf("decision %s: corrupt record: %w", id, err)
	}
	return r, nil
}

// putRecord stores r: its lifecycle and the index of its audit record when
// it has one (the decision itself is read back from the log), else whole.
func putRecord(tx *bolt.Tx, r *Record) error {
	var b []byte
	var err error
	if r.AuditIndex != nil {
		b, err = json.Marshal(lifecycleOf(r))
	} else {
		b, err = json.Marshal(r)
	}
	if err != nil {
		return err
	}
	return tx.Bucket(storage.BucketDecisions).Put([]byte(r.ID), b)
}

// evaluate reads the snapshot in tx and evaluates; it writes nothing but
// the L1 reconciliation it catches up first (catchUp).
func (s *Service) evaluate(tx *bolt.Tx, facts policy.Facts, pf *psbtcheck.Facts, now time.Time) (*Record, error) {
	if err := s.catchUp(tx, now); err != nil { // writes only in a writable tx
		return nil, err
	}
	snap, err := s.snapshot(tx, facts, pf, now)
	if err != nil {
		return nil, err
	}
	d := s.engine.Evaluate(facts, snap, now)
	r := &Record{
		V: 1, Time: now, TxID: facts.TxID, PSBTHash: hex.EncodeToString(facts.PSBTHash),
		WhitelistVersion: snap.Whitelist.Version, WhitelistHash: s.whitelistHash(snap.Whitelist), ParamsHash: s.paramsHash,
		Outcome: d.Outcome, Reasons: d.Reasons, Decision: d, Facts: facts, Snapshot: snap,
		State: StateNew,
	}
	if s.cfg.Chain != nil {
		if r.UnsignedTx, err = unsignedTx(pf.Tx); err != nil {
			return nil, err
		}
	}
	byID := map[string]policy.Request{}
	for _, q := range append(append([]policy.Request(nil), snap.Requests...), snap.PendingUnbound...) {
		byID[q.ID] = q
	}
	ids := d.Claims
	if d.Outcome != policy.Allow {
		ids = facts.ReqIDs
	}
	for _, id := range ids {
		if q, ok := byID[id]; ok {
			r.Evidence = append(r.Evidence, Evidence{ReqID: id, Kind: q.Kind, AmountSat: q.AmountSat, AmountWei: q.AmountWei, Token: q.Token, PlanID: q.PlanID, TxHash: q.TxHash, Block: q.Block, BlockHash: q.BlockHash, LogIndex: q.LogIndex, User: q.User})
		}
	}
	return r, nil
}

// globalState reads what every evaluation needs, at decision and at signing
// alike: the parameters in force, the wallet key, the freeze, the whitelist
// in effect at now and the L2 view's freshness at now.
func (s *Service) globalState(tx *bolt.Tx, now time.Time) (policy.Snapshot, error) {
	snap := policy.Snapshot{Params: s.cfg.Params, WalletKey: s.walletRaw}
	var err error
	if snap.Frozen, err = s.cfg.Governance.Frozen(tx, now); err != nil {
		return snap, fmt.Errorf("freeze state: %w", err)
	}
	if snap.Whitelist, err = s.whitelist(tx, now); err != nil {
		return snap, fmt.Errorf("whitelist: %w", err)
	}
	if snap.L2, err = s.cfg.Ledger.Status(tx, now); err != nil {
		return snap, fmt.Errorf("l2 status: %w", err)
	}
	return snap, nil
}

func (s *Service) snapshot(tx *bolt.Tx, facts policy.Facts, pf *psbtcheck.Facts, now time.Time) (policy.Snapshot, error) {
	snap, err := s.globalState(tx, now)
	if err != nil {
		return snap, err
	}
	if len(pf.ReqIDs) > 0 {
		if snap.Requests, err = s.cfg.Ledger.Requests(tx, pf.ReqIDs); err != nil {
			return snap, fmt.Errorf("l2 requests: %w", err)
		}
		for i := range snap.Requests {
			if snap.Requests[i].Claim, err = getClaim(tx, snap.Requests[i].ID); err != nil {
				return snap, err
			}
		}
	}
	// What no OP_RETURN needs: allowances and, when enabled, the FIFO queue.
	if !facts.HasOpReturn && s.paysBridge(facts, snap.Whitelist) {
		if snap.Allowances, err = s.cfg.Governance.OpenAllowances(tx, now); err != nil {
			return snap, fmt.Errorf("allowances: %w", err)
		}
		if s.cfg.Params.FIFOFallback {
			q, err := s.cfg.Ledger.PendingUnbound(tx)
			if err != nil {
				return snap, fmt.Errorf("l2 pending queue: %w", err)
			}
			for _, r := range q {
				c, err := getClaim(tx, r.ID)
				if err != nil {
					return snap, err
				}
				if c == nil {
					snap.PendingUnbound = append(snap.PendingUnbound, r)
				}
			}
		}
	}
	if snap.Stake.FinalizedStakedSat, err = s.cfg.Ledger.FinalizedStakedSat(tx); err != nil {
		return snap, fmt.Errorf("l2 staked total: %w", err)
	}
	sa := tx.Bucket(storage.BucketStakeAccounts)
	snap.Stake.StakedSat = getInt(sa, keyStaked)
	snap.Stake.ReturnedSat = getInt(sa, keyReturned)
	from := now.Add(-24 * time.Hour)
	if snap.OutflowSat, err = decisionWindow.since(tx, from); err != nil {
		return snap, fmt.Errorf("24 h outflow: %w", err)
	}
	if err := s.l1State(tx, facts, now, &snap); err != nil {
		return snap, err
	}
	family := replacedTxids(snap.Requests)
	if snap.Replaces, err = s.replaces(tx, family); err != nil {
		return snap, err
	}
	if len(snap.Replaces) > 0 {
		// An RBF family counts once: the replacement is judged without the
		// transactions it replaces (its own outflow stands for them).
		keys, _, err := familyKeys(tx, family)
		if err != nil {
			return snap, err
		}
		snap.OutflowSat -= inWindow(tx, decisionWindow, keys, from)
	}
	return snap, nil
}

func (s *Service) paysBridge(f policy.Facts, w policy.Whitelist) bool {
	for _, e := range w.Entries {
		if e.Kind != policy.KindBridgeHotWallet {
			continue
		}
		for _, o := range f.Outputs {
			if o.Class == policy.ClassExternal && bytes.Equal(o.PkScript, e.PkScript) {
				return true
			}
		}
	}
	return false
}

var (
	keyStaked   = []byte("staked_sat")
	keyReturned = []byte("returned_sat")
)

func getInt(b *bolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func addInt(b *bolt.Bucket, k []byte, delta int64) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(getInt(b, k)+delta))
	return b.Put(k, buf[:])
}

// replacing: c is a signed transaction's claim among ms.
func replacing(ms []policy.SignedTx, c *policy.Claim) bool {
	if c.State != policy.ClaimSigned && c.State != policy.ClaimBroadcast {
		return false
	}
	for _, m := range ms {
		if m.TxID == c.TxID {
			return true
		}
	}
	return false
}

func getClaim(tx *bolt.Tx, id string) (*policy.Claim, error) {
	raw := tx.Bucket(storage.BucketClaims).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	var c policy.Claim
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("claim %s: corrupt: %w", id, err)
	}
	return &c, nil
}

func putClaim(tx *bolt.Tx, id string, c policy.Claim) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(storage.BucketClaims).Put([]byte(id), b)
}

// Outflow keys: 8-byte big-endian unix nanoseconds || decision id.
func outflowKey(at time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
	return append(k, id...)
}

// commit stores r and, for an allow, its claims, outflow, accounting and
// allowance, and appends the audit record: all in tx.
func (s *Service) commit(tx *bolt.Tx, r *Record, pre []byte) error {
	seq, err := tx.Bucket(storage.BucketDecisions).NextSequence()
	if err != nil {
		return err
	}
	r.ID = fmt.Sprintf("%.16s-%x", r.TxID, seq)
	ev := EventDeny
	if r.Outcome == policy.Allow {
		ev = EventAllow
	}
	if err := advance(r, ev); err != nil {
		return err
	}
	if r.Outcome == policy.Allow {
		exp := r.Time.Add(s.cfg.DecisionTTL)
		r.ExpiresAt = &exp
		if err := tx.Bucket(storage.BucketDecisionExpiry).Put(timeKey(exp, r.ID), nil); err != nil {
			return err
		}
		for _, id := range r.Decision.Claims {
			c, err := getClaim(tx, id)
			if err != nil {
				return err
			}
			nc := policy.Claim{DecisionID: r.ID, TxID: r.TxID, State: policy.ClaimReserved}
			if c != nil {
				// Only a replacement Evaluate allowed takes over a claim:
				// of a signed transaction it judged (Snapshot.Replaces).
				if !replacing(r.Snapshot.Replaces, c) {
					return fmt.Errorf("claim %s appeared during the transaction", id)
				}
				prev := *c
				nc.Family = append(slices.Clone(c.Family), c.TxID)
				nc.Prev = &prev
			}
			if err := putClaim(tx, id, nc); err != nil {
				return err
			}
		}
		r.OutflowKey = outflowKey(r.Time, r.ID)
		var family [][]byte
		if len(r.Snapshot.Replaces) > 0 {
			if family, _, err = familyKeys(tx, replacedTxids(r.Snapshot.Requests)); err != nil {
				return err
			}
		}
		if err := decisionWindow.enter(tx, r, r.OutflowKey, family); err != nil {
			return err
		}
		sa := tx.Bucket(storage.BucketStakeAccounts)
		if err := addInt(sa, keyStaked, stakeCharge(r)); err != nil {
			return err
		}
		if err := addInt(sa, keyReturned, r.Decision.BridgeSat); err != nil {
			return err
		}
		if a := r.Decision.AllowanceID; a != "" {
			if err := s.cfg.Governance.ConsumeAllowance(tx, a, r.ID); err != nil {
				return fmt.Errorf("consume allowance %s: %w", a, err)
			}
			if _, err := s.cfg.Audit.AppendBody(tx, r.Time, &records.AllowanceUsed{AllowanceID: a, DecisionID: r.ID, TxID: r.TxID}); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
	}
	if err := tx.Bucket(storage.BucketDecisionByTx).Put([]byte(r.TxID), []byte(r.ID)); err != nil {
		return err
	}
	return s.storeDecision(tx, r, pre)
}

// auditRecord is r's decision record for the audit log: everything
// policy.Evaluate read (facts with the staking declarations attached,
// snapshot, now = r.Time) and its result, so an auditor can replay it.
func (r *Record) auditRecord() *records.Decision {
	return &records.Decision{DecisionID: r.ID, TxID: r.TxID, PSBTHash: r.PSBTHash, WhitelistVersion: r.WhitelistVersion,
		ParamsHash: r.ParamsHash, EvaluatedAt: r.Time, Facts: r.Facts, StakingDecls: r.StakingDecls, Snapshot: r.Snapshot,
		Decision: r.Decision, Evidence: r.Evidence, ExpiresAt: r.ExpiresAt}
}

func view(r *Record) *View {
	v := &View{ID: r.ID, Outcome: string(r.Outcome),
		Summary: Summary{TxID: r.TxID, State: string(r.State), ReqIDs: r.Decision.Claims}}
	for _, x := range r.Reasons {
		v.Reasons = append(v.Reasons, string(x.Code))
	}
	if b, err := json.Marshal(r); err == nil {
		v.Record = b
	}
	return v
}
