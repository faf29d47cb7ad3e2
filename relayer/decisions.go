package relayer

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/witness"
)

// ErrNoDecision: policyd's verified audit log holds no usable decision for
// a transfer from the dedicated wallet. The relayer never approves such a
// transfer; it raises an alarm (metric relayer_alarms_total, error log).
var ErrNoDecision = errors.New("relayer: no policyd decision for this transfer")

// Decision is what the relayer needs of one policyd decision, read from a
// "decision" record of policyd's audit log (decision.Record).
type Decision struct {
	ID          string   `json:"id"`
	TxID        string   `json:"txid"`
	Outcome     string   `json:"outcome"`
	Claims      []string `json:"claims,omitempty"` // reqIds the decision claimed (listed or FIFO-picked by policyd)
	Source      string   `json:"bridge_source,omitempty"`
	AllowanceID string   `json:"allowance_id,omitempty"`
	PlanID      string   `json:"plan_id,omitempty"` // the allowance's plan (approveWithdraw), if any
	BridgeSat   int64    `json:"bridge_sat"`
	AuditIndex  uint64   `json:"audit_index"`
	Cancelled   bool     `json:"cancelled,omitempty"`
	// Conflict is set when the log holds two allowed decisions for one txid.
	Conflict string `json:"conflict,omitempty"`
}

// ExportFetcher returns policyd's audit export of records [from, latest
// checkpoint) with a consistency proof from the tree size since (0: none):
// GET /v1/audit/export?from=F&since_size=S.
type ExportFetcher interface {
	FetchExport(ctx context.Context, from, since uint64) (io.ReadCloser, error)
}

// maxExport bounds one export read into memory (it is verified whole
// before any record is used).
const maxExport = 1 << 30

// auditIndex keeps, in the relayer's bbolt file, the verified prefix of
// policyd's audit log that matters to releases: decisions by txid,
// cancellations, and allowance plans. It advances only by verified
// exports that extend the checkpoint it saved last (a rollback or fork is
// audit.ErrSecurity and stops the relayer's releases).
type auditIndex struct {
	fetch ExportFetcher
	key   string // policyd's audit verifier key
}

// lookup returns the decision for txid, syncing the index first when it is
// not known yet.
func (r *Relayer) lookup(ctx context.Context, txid string) (*Decision, error) {
	d, err := r.storedDecision(txid)
	if err != nil {
		return nil, err
	}
	if d != nil && r.witnessed(d) {
		return d, nil
	}
	if err := r.syncAudit(ctx); err != nil {
		return nil, err
	}
	d, err = r.storedDecision(txid)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, ErrNoDecision
	}
	if !r.witnessed(d) {
		return nil, fmt.Errorf("%w: decision %s (audit record %d), witness at size %d", ErrNotWitnessed, d.ID, d.AuditIndex, r.cfg.Witness.Size())
	}
	return d, nil
}

// witnessed: the decision's record is included in a checkpoint the
// relayer's witness cosigned (every checkpoint of size n includes records
// 0..n-1).
func (r *Relayer) witnessed(d *Decision) bool { return d.AuditIndex < r.cfg.Witness.Size() }

func (r *Relayer) storedDecision(txid string) (*Decision, error) {
	var d *Decision
	err := r.st.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAudit).Get(decisionKey(txid))
		if raw == nil {
			return nil
		}
		d = new(Decision)
		return json.Unmarshal(raw, d)
	})
	return d, err
}

func decisionKey(txid string) []byte { return []byte("decision:" + txid) }
func allowanceKey(id string) []byte  { return []byte("allowance:" + id) }
func decisionIDKey(id string) []byte { return []byte("decision_id:" + id) }

// syncAudit fetches the records after the index's end, verifies the export
// against policyd's verifier key and the saved checkpoint, and indexes it,
// all in one bbolt transaction with the new checkpoint.
func (r *Relayer) syncAudit(ctx context.Context) error {
	var next uint64
	var prev []byte
	if err := r.st.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if v := b.Get(keyAuditNext); len(v) == 8 {
			next = binary.BigEndian.Uint64(v)
		}
		if v := b.Get(keyAuditCheckpoint); v != nil {
			prev = bytes.Clone(v)
		}
		return nil
	}); err != nil {
		return err
	}
	rc, err := r.audit.fetch.FetchExport(ctx, next, next)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(rc, maxExport+1))
	rc.Close()
	if err != nil {
		return fmt.Errorf("relayer: read audit export: %w", err)
	}
	if len(raw) > maxExport {
		return errors.New("relayer: audit export too large")
	}
	v, recs, err := audit.VerifyRecords(bytes.NewReader(raw), r.audit.key, prev)
	if err != nil {
		r.m.alarms.WithLabelValues("audit_unverified").Inc()
		r.log.Error("relayer ALARM: policyd's audit export does not verify", "err", err)
		return fmt.Errorf("relayer: audit export: %w", err)
	}
	if v.From != next {
		return fmt.Errorf("relayer: audit export starts at %d, asked for %d", v.From, next)
	}
	// Nothing is indexed before the relayer's own witness accepted (and
	// cosigned) the checkpoint: a log smaller than, or forked from, one it
	// saw stops releases, whatever the saved checkpoint says.
	if err := r.cfg.Witness.Cosign(ctx, v.Checkpoint.Note); err != nil {
		if errors.Is(err, witness.ErrSecurity) {
			r.m.alarms.WithLabelValues("audit_rollback").Inc()
			r.log.Error("relayer ALARM: policyd's audit log is smaller than or forked from a checkpoint this relayer's witness cosigned", "err", err)
		}
		return fmt.Errorf("relayer: witness: %w", err)
	}
	err = r.st.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		for _, rec := range recs {
			if err := indexRecord(b, rec); err != nil {
				return fmt.Errorf("audit record %d (%s): %w", rec.Index, rec.Kind, err)
			}
		}
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], v.To)
		if err := b.Put(keyAuditNext, n[:]); err != nil {
			return err
		}
		return b.Put(keyAuditCheckpoint, v.Checkpoint.Note)
	})
	if err != nil {
		return fmt.Errorf("relayer: index audit log: %w", err)
	}
	return nil
}

// The parts of policyd's audit bodies the index reads.
type (
	// decisionBody reads a decision record: v1 (the decision service's
	// stored record: id, outcome, txid, decision) or v2 (records.Decision:
	// decision_id, txid, decision; its body was decoded strictly by the
	// verifier already).
	decisionBody struct {
		ID         string `json:"id"`          // v1
		DecisionID string `json:"decision_id"` // v2
		TxID       string `json:"txid"`
		Outcome    string `json:"outcome"` // v1
		Decision   struct {
			Outcome      string   `json:"outcome"`
			Claims       []string `json:"claims"`
			BridgeSource string   `json:"bridge_source"`
			AllowanceID  string   `json:"allowance_id"`
			BridgeSat    int64    `json:"bridge_sat"`
		} `json:"decision"`
	}
	cancelBody struct {
		DecisionID string `json:"decision_id"`
		TxID       string `json:"txid"`
	}
	allowanceBody struct {
		Allowance struct {
			ID     string `json:"id"`
			PlanID string `json:"plan_id"`
		} `json:"allowance"`
	}
)

// Audit record kinds the index reads (decision.Service, governance).
const (
	kindDecision       = "decision"
	kindDecisionCancel = "decision_cancel"
	kindAllowanceOpen  = "allowance_open"
)

func indexRecord(b *bolt.Bucket, rec *audit.Record) error {
	switch rec.Kind {
	case kindDecision:
		var body decisionBody
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			return err
		}
		if rec.V != audit.RecordVersion1 {
			body.ID, body.Outcome = body.DecisionID, body.Decision.Outcome
		}
		if body.Decision.Outcome != "allow" || body.Outcome != "allow" || body.TxID == "" {
			return nil // denials claim nothing
		}
		d := Decision{
			ID: body.ID, TxID: body.TxID, Outcome: body.Decision.Outcome, Claims: body.Decision.Claims,
			Source: body.Decision.BridgeSource, AllowanceID: body.Decision.AllowanceID,
			BridgeSat: body.Decision.BridgeSat, AuditIndex: rec.Index,
		}
		for _, id := range d.Claims {
			if !canonicalDecimal(id) {
				return fmt.Errorf("claim %q is not a decimal reqId", id)
			}
		}
		if d.AllowanceID != "" {
			d.PlanID = string(b.Get(allowanceKey(d.AllowanceID)))
		}
		if raw := b.Get(decisionKey(d.TxID)); raw != nil {
			var old Decision
			if err := json.Unmarshal(raw, &old); err != nil {
				return err
			}
			if old.ID == d.ID {
				return nil
			}
			if !old.Cancelled {
				old.Conflict = fmt.Sprintf("decisions %s (audit %d) and %s (audit %d) both allow this txid", old.ID, old.AuditIndex, d.ID, d.AuditIndex)
				return putJSON(b, decisionKey(d.TxID), old)
			}
		}
		if err := b.Put(decisionIDKey(d.ID), []byte(d.TxID)); err != nil {
			return err
		}
		return putJSON(b, decisionKey(d.TxID), d)
	case kindDecisionCancel:
		var body cancelBody
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			return err
		}
		raw := b.Get(decisionKey(body.TxID))
		if raw == nil {
			return nil
		}
		var d Decision
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		if d.ID != body.DecisionID {
			return nil
		}
		d.Cancelled = true
		return putJSON(b, decisionKey(d.TxID), d)
	case kindAllowanceOpen:
		var body allowanceBody
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			return err
		}
		if body.Allowance.ID != "" && body.Allowance.PlanID != "" {
			if !canonicalDecimal(body.Allowance.PlanID) {
				return fmt.Errorf("plan %q is not decimal", body.Allowance.PlanID)
			}
			return b.Put(allowanceKey(body.Allowance.ID), []byte(body.Allowance.PlanID))
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// canonicalDecimal: a uint256 in canonical decimal (no sign, no leading zero).
func canonicalDecimal(s string) bool {
	if s == "" || len(s) > 78 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	v, ok := parseUint256(s)
	return ok && v != nil
}
