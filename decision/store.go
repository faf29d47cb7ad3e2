package decision

// How a decision is stored (docs/policy.md, "Storage layout").
//
// The decision itself (facts, snapshot, result, evidence) is written once:
// as its audit record, a "decision" v2 body encoded by audit.EncodeBody and
// appended as those bytes (audit.Log.AppendCanonical: inside the bbolt
// writer nothing is decoded and re-encoded). The decisions bucket keeps
// only what changes after it, the lifecycle (state, transitions,
// signatures, the velocity entries), and the index of that audit record;
// a transition's re-check at signing is likewise kept by its audit
// record's index (storedTransition).
// The whitelist and parameters the decision read are named by hash; each
// whitelist and each parameter set is appended once ("whitelist_state",
// "params_state") before the first decision that names it, and the
// decision_policy_states bucket maps the hash to that record.
//
// Records stored whole (before this layout, or by a service whose Auditor
// cannot append encoded bytes) are still read; New moves the whole records
// whose audit record holds exactly their decision to the reference layout
// once (referenceLegacy).

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// lifecycle is what the decisions bucket holds of a decision whose audit
// record holds the decision itself. Its JSON starts with lifecyclePrefix
// (a whole record starts with {"v":).
type lifecycle struct {
	AuditIndex        uint64             `json:"audit_index"`
	ID                string             `json:"id"`
	State             State              `json:"state"`
	OutflowKey        policy.HexBytes    `json:"outflow_key,omitempty"`
	OutflowSuperseded []Superseded       `json:"outflow_superseded,omitempty"`
	Signatures        []policy.HexBytes  `json:"signatures,omitempty"`
	CancelledAt       *time.Time         `json:"cancelled_at,omitempty"`
	Transitions       []storedTransition `json:"transitions,omitempty"`
	UnsignedTx        policy.HexBytes    `json:"unsigned_tx,omitempty"`
}

// storedTransition is a Transition as the lifecycle keeps it: a re-check
// held by the transition's own audit record (decision_begin or
// decision_revoke) is named by that record's index, not stored again.
// Transitions stored before this (or without such a record) keep their
// re-check whole and are read as they are.
type storedTransition struct {
	Transition
	RecheckAudit *uint64 `json:"recheck_audit_index,omitempty"`
}

var lifecyclePrefix = []byte(`{"audit_index":`)

func lifecycleOf(r *Record) lifecycle {
	var ts []storedTransition
	if len(r.Transitions) > 0 {
		ts = make([]storedTransition, len(r.Transitions))
		for i, t := range r.Transitions {
			ts[i] = storedTransition{Transition: t}
			if t.recheckAudit != nil && t.Recheck != nil {
				ts[i].Recheck, ts[i].RecheckAudit = nil, t.recheckAudit
			}
		}
	}
	return lifecycle{AuditIndex: *r.AuditIndex, ID: r.ID, State: r.State, OutflowKey: r.OutflowKey, OutflowSuperseded: r.OutflowSuperseded,
		Signatures: r.Signatures, CancelledAt: r.CancelledAt, Transitions: ts, UnsignedTx: r.UnsignedTx}
}

// loadTransitions is the lifecycle's transitions with every referenced
// re-check read back from its audit record, which must be this decision's
// transition of the same event.
func loadTransitions(tx *bolt.Tx, id string, ts []storedTransition) ([]Transition, error) {
	if ts == nil {
		return nil, nil
	}
	out := make([]Transition, len(ts))
	for i, st := range ts {
		t := st.Transition
		if st.RecheckAudit != nil {
			if t.Recheck != nil {
				return nil, fmt.Errorf("transition %d holds a re-check and names audit record %d", i, *st.RecheckAudit)
			}
			rc, err := auditedRecheck(tx, *st.RecheckAudit, id, t.Event)
			if err != nil {
				return nil, fmt.Errorf("transition %d (%s): %w", i, t.Event, err)
			}
			idx := *st.RecheckAudit
			t.Recheck, t.recheckAudit = rc, &idx
		}
		out[i] = t
	}
	return out, nil
}

// auditedRecheck is the re-check of the decision_begin or decision_revoke
// record at index (v1 whole, or v2 with the whitelist and parameters it
// names), which must be decision id's transition by ev.
func auditedRecheck(tx *bolt.Tx, index uint64, id string, ev Event) (*Recheck, error) {
	kind := records.KindDecisionBegin
	if ev == EventRevoke {
		kind = records.KindDecisionRevoke
	} else if ev != EventBegin {
		return nil, fmt.Errorf("a %s transition holds no re-check", ev)
	}
	b, err := auditBody(tx, index, kind)
	if err != nil {
		return nil, err
	}
	var did string
	var rc *Recheck
	switch t := b.(type) {
	case *records.DecisionBegin:
		did, rc = t.DecisionID, t.Recheck
	case *records.DecisionRevoke:
		did, rc = t.DecisionID, t.Recheck
	case *records.DecisionBeginV2:
		did = t.DecisionID
		if t.Recheck != nil {
			if rc, err = fullRecheck(tx, t.Recheck); err != nil {
				return nil, err
			}
		}
	case *records.DecisionRevokeV2:
		did = t.DecisionID
		if t.Recheck != nil {
			if rc, err = fullRecheck(tx, t.Recheck); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("audit record %d is not a typed %s", index, kind)
	}
	if did != id {
		return nil, fmt.Errorf("audit record %d is decision %s's, not %s's", index, did, id)
	}
	if rc == nil {
		return nil, fmt.Errorf("audit record %d holds no re-check", index)
	}
	return rc, nil
}

// fullRecheck is rc with the whitelist and parameters it names.
func fullRecheck(tx *bolt.Tx, rc *records.RecheckV2) (*Recheck, error) {
	p, w, err := policyStates(tx, rc.WhitelistHash, rc.ParamsHash)
	if err != nil {
		return nil, err
	}
	return rc.Full(p, w), nil
}

// loadReferenced reads a lifecycle and the decision of its audit record.
func loadReferenced(tx *bolt.Tx, raw []byte) (*Record, error) {
	var lc lifecycle
	if err := json.Unmarshal(raw, &lc); err != nil {
		return nil, err
	}
	d, err := auditedDecision(tx, lc.AuditIndex)
	if err != nil {
		return nil, err
	}
	if d.DecisionID != lc.ID {
		return nil, fmt.Errorf("audit record %d is decision %s, not %s", lc.AuditIndex, d.DecisionID, lc.ID)
	}
	ts, err := loadTransitions(tx, lc.ID, lc.Transitions)
	if err != nil {
		return nil, err
	}
	idx := lc.AuditIndex
	return &Record{
		V: 1, ID: lc.ID, State: lc.State, Time: d.EvaluatedAt, TxID: d.TxID, PSBTHash: d.PSBTHash,
		WhitelistVersion: d.WhitelistVersion, WhitelistHash: records.WhitelistHash(d.Snapshot.Whitelist), ParamsHash: d.ParamsHash,
		Outcome: d.Decision.Outcome, Reasons: d.Decision.Reasons, Decision: d.Decision, Evidence: d.Evidence, Facts: d.Facts,
		StakingDecls: d.StakingDecls, Snapshot: d.Snapshot, OutflowKey: lc.OutflowKey, OutflowSuperseded: lc.OutflowSuperseded,
		Signatures: lc.Signatures, CancelledAt: lc.CancelledAt, ExpiresAt: d.ExpiresAt, Transitions: ts,
		UnsignedTx: lc.UnsignedTx, AuditIndex: &idx,
	}, nil
}

// auditedDecision decodes the decision record at index (v1, or v2 with the
// whitelist and parameters it names).
func auditedDecision(tx *bolt.Tx, index uint64) (*records.Decision, error) {
	b, err := auditBody(tx, index, records.KindDecision)
	if err != nil {
		return nil, err
	}
	switch d := b.(type) {
	case *records.Decision:
		return d, nil
	case *records.DecisionV2:
		p, w, err := policyStates(tx, d.WhitelistHash, d.ParamsHash)
		if err != nil {
			return nil, err
		}
		return d.Full(p, w), nil
	}
	return nil, fmt.Errorf("audit record %d is not a typed decision", index)
}

// policyStates reads the parameters and whitelist recorded under their
// hashes (the records the decision_policy_states bucket names).
func policyStates(tx *bolt.Tx, whitelistHash, paramsHash string) (policy.Params, policy.Whitelist, error) {
	w, err := auditBody(tx, stateIndex(tx, stateKey(records.KindWhitelistState, whitelistHash)), records.KindWhitelistState)
	if err != nil {
		return policy.Params{}, policy.Whitelist{}, fmt.Errorf("whitelist %s: %w", whitelistHash, err)
	}
	p, err := auditBody(tx, stateIndex(tx, stateKey(records.KindParamsState, paramsHash)), records.KindParamsState)
	if err != nil {
		return policy.Params{}, policy.Whitelist{}, fmt.Errorf("parameters %s: %w", paramsHash, err)
	}
	ws, ps := w.(*records.WhitelistState), p.(*records.ParamsState)
	if ws.Hash != whitelistHash || ps.Hash != paramsHash {
		return policy.Params{}, policy.Whitelist{}, errors.New("policy state index names another state")
	}
	return ps.Params, ws.Whitelist, nil
}

// auditBody decodes the typed body of the audit record at index, which
// must be of kind.
func auditBody(tx *bolt.Tx, index uint64, kind string) (records.Body, error) {
	rec, err := audit.ReadRecord(tx, index)
	if err != nil {
		return nil, err
	}
	if rec.Kind != kind || rec.V != audit.RecordVersion {
		return nil, fmt.Errorf("audit record %d is %s v%d, not a typed %s", index, rec.Kind, rec.V, kind)
	}
	return records.Decode(rec.Kind, rec.KindVersion, rec.Body)
}

func stateKey(kind, hash string) []byte { return []byte(kind + "/" + hash) }

// stateIndex is the audit index of a recorded policy state (beyond any
// index when it is not recorded: ReadRecord then fails).
func stateIndex(tx *bolt.Tx, k []byte) uint64 {
	v := tx.Bucket(storage.BucketPolicyStates).Get(k)
	if len(v) != 8 {
		return 1<<64 - 1
	}
	return binary.BigEndian.Uint64(v)
}

// storeDecision appends r's decision to the audit log and stores r: the
// encoded decision once, in the log, referenced from the decisions bucket
// (or, without a record store, r whole and a v1 decision record).
//
// pre, when set, is preEncode's part of the body for r's facts and
// declarations: only the rest is encoded here, in the writer.
func (s *Service) storeDecision(tx *bolt.Tx, r *Record, pre []byte) error {
	if s.store == nil {
		if err := putRecord(tx, r); err != nil {
			return err
		}
		if _, err := s.cfg.Audit.AppendBody(tx, r.Time, r.auditRecord()); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	}
	if err := s.recordState(tx, r.Time, stateKey(records.KindWhitelistState, r.WhitelistHash),
		&records.WhitelistState{Hash: r.WhitelistHash, Whitelist: r.Snapshot.Whitelist}); err != nil {
		return err
	}
	if err := s.recordState(tx, r.Time, stateKey(records.KindParamsState, r.ParamsHash),
		&records.ParamsState{Hash: r.ParamsHash, Params: r.Snapshot.Params}); err != nil {
		return err
	}
	body := r.auditRecordV2()
	err := records.Validate(body)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var enc []byte
	if pre != nil {
		var rest []byte
		if rest, err = audit.EncodeJSON(writerPart{Decision: body.Decision, DecisionID: body.DecisionID, EvaluatedAt: body.EvaluatedAt, Evidence: body.Evidence,
			ExpiresAt: body.ExpiresAt, Snapshot: body.Snapshot, WhitelistHash: body.WhitelistHash, WhitelistVersion: body.WhitelistVersion}); err == nil {
			enc, err = audit.MergeObjects(pre, rest)
		}
	} else {
		enc, err = audit.EncodeBody(body)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	idx, err := s.store.AppendCanonical(tx, r.Time, body.Kind(), body.Version(), enc)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	r.AuditIndex = &idx
	return putRecord(tx, r)
}

// recordState appends body (a whitelist or parameters state) unless the
// log already holds it under k.
func (s *Service) recordState(tx *bolt.Tx, at time.Time, k []byte, body records.Body) error {
	b := tx.Bucket(storage.BucketPolicyStates)
	if b.Get(k) != nil {
		return nil
	}
	idx, err := s.cfg.Audit.AppendBody(tx, at, body)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, idx))
}

// auditRecordV2 is r's decision record naming the whitelist and parameters
// by hash.
func (r *Record) auditRecordV2() *records.DecisionV2 {
	return &records.DecisionV2{DecisionID: r.ID, TxID: r.TxID, PSBTHash: r.PSBTHash, WhitelistVersion: r.WhitelistVersion,
		WhitelistHash: r.WhitelistHash, ParamsHash: r.ParamsHash, EvaluatedAt: r.Time, Facts: r.Facts, StakingDecls: r.StakingDecls,
		Snapshot: records.SlimSnapshot(r.Snapshot), Decision: r.Decision, Evidence: r.Evidence, ExpiresAt: r.ExpiresAt}
}

// whitelist is the whitelist in effect at now: read once per version when
// the governance can tell the version (the cached value is shared
// read-only: Evaluate never modifies a snapshot).
func (s *Service) whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	gv, ok := s.cfg.Governance.(whitelistVersioner)
	if !ok {
		return s.cfg.Governance.Whitelist(tx, now)
	}
	v, err := gv.WhitelistVersion(tx, now)
	if err != nil {
		return policy.Whitelist{}, err
	}
	if c := s.wl.Load(); c != nil && c.w.Version == v {
		return c.w, nil
	}
	w, err := s.cfg.Governance.Whitelist(tx, now)
	if err != nil {
		return w, err
	}
	if w.Version == v {
		s.wl.Store(&cachedWhitelist{w: w, hash: records.WhitelistHash(w)})
	}
	return w, nil
}

// whitelistHash is records.WhitelistHash(w), computed once per cached
// version.
func (s *Service) whitelistHash(w policy.Whitelist) string {
	if c := s.wl.Load(); c != nil && c.w.Version == w.Version && sameEntries(c.w.Entries, w.Entries) {
		return c.hash
	}
	return records.WhitelistHash(w)
}

// sameEntries: a and b are the same backing array (the cached whitelist).
func sameEntries(a, b []policy.WhitelistEntry) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

var keyReferenced = []byte("decision_records_referenced")

// referenceLegacy moves, once, the decisions stored whole to the reference
// layout: a record whose audit "decision" record (typed) is exactly the
// encoding of its decision keeps only its lifecycle and that index. Any
// other (an untyped v1 audit record, a record the log does not hold as it
// is) stays whole; loadRecord reads both.
func (s *Service) referenceLegacy() error {
	if s.store == nil {
		return nil
	}
	var done bool
	if err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		done = tx.Bucket(storage.BucketMeta).Get(keyReferenced) != nil
		return nil
	}); err != nil || done {
		return err
	}
	return s.cfg.DB.Update(func(tx *bolt.Tx) error {
		index := map[string]uint64{}
		err := audit.ForEachRecord(tx, func(rec *audit.Record) error {
			if rec.Kind != records.KindDecision || rec.V != audit.RecordVersion {
				return nil
			}
			var id struct {
				DecisionID string `json:"decision_id"`
			}
			if json.Unmarshal(rec.Body, &id) == nil {
				index[id.DecisionID] = rec.Index
			}
			return nil
		})
		if err != nil {
			return err
		}
		var whole [][]byte
		err = tx.Bucket(storage.BucketDecisions).ForEach(func(k, v []byte) error {
			if !bytes.HasPrefix(v, lifecyclePrefix) {
				whole = append(whole, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range whole {
			r, err := loadRecord(tx, string(k))
			if err != nil {
				return err
			}
			idx, ok := index[r.ID]
			if !ok {
				continue
			}
			rec, err := audit.ReadRecord(tx, idx)
			if err != nil {
				return err
			}
			want, err := audit.EncodeBody(r.auditRecord())
			if err != nil || rec.KindVersion != 1 || !bytes.Equal(want, rec.Body) {
				continue
			}
			r.AuditIndex = &idx
			if err := putRecord(tx, r); err != nil {
				return err
			}
		}
		return tx.Bucket(storage.BucketMeta).Put(keyReferenced, []byte{1})
	})
}

// requestPart and writerPart split a records.DecisionV2 into the fields
// known before the bbolt writer (what the request says and the parameters)
// and those only the writer knows (the id, the snapshot, the result). Each
// is encoded canonically on its own; audit.MergeObjects joins them into
// exactly audit.EncodeBody's encoding of the whole (the field names and
// options are DecisionV2's).
type requestPart struct {
	Facts        policy.Facts               `json:"facts"`
	ParamsHash   string                     `json:"params_hash"`
	PSBTHash     string                     `json:"psbt_hash"`
	StakingDecls map[int]policy.StakingDecl `json:"staking_decls,omitempty"`
	TxID         string                     `json:"txid"`
}

type writerPart struct {
	Decision         policy.Decision    `json:"decision"`
	DecisionID       string             `json:"decision_id"`
	EvaluatedAt      time.Time          `json:"evaluated_at"`
	Evidence         []records.Evidence `json:"evidence,omitempty"`
	ExpiresAt        *time.Time         `json:"expires_at,omitempty"`
	Snapshot         records.Snapshot   `json:"snapshot"`
	WhitelistHash    string             `json:"whitelist_hash"`
	WhitelistVersion uint64             `json:"whitelist_version"`
}

// preEncode encodes the request's part of the decision's audit record
// (nil without a record store: the record is then encoded whole).
func (s *Service) preEncode(f policy.Facts, decls map[int]policy.StakingDecl) ([]byte, error) {
	if s.store == nil {
		return nil, nil
	}
	return audit.EncodeJSON(requestPart{Facts: f, ParamsHash: s.paramsHash, PSBTHash: hex.EncodeToString(f.PSBTHash), StakingDecls: decls, TxID: f.TxID})
}
