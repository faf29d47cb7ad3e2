package relayer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The relayer's own bbolt file (not policyd's). Schema version 2:
//
//	relayer_meta       "schema_version" -> uint64 BE
//	relayer_cursor     "next_height" -> int64 BE (next L1 height to scan)
//	                   "last_hash"   -> 32-byte hash of block next_height-1
//	relayer_transfers  L1 txid (display hex) -> Transfer (JSON)
//	relayer_claims     "req:<decimal id>" / "plan:<decimal id>" -> L1 txid
//	relayer_audit      "next" -> uint64 BE, records of policyd's audit log indexed
//	                   "checkpoint" -> the last verified signed checkpoint (note)
//	                   "decision:<txid>" -> Decision (JSON), allowed decisions
//	                   "decision_id:<id>" -> txid
//	                   "allowance:<id>" -> plan id of an opened allowance
//
// Version 1 files (before decisions came from policyd) are migrated by
// adding relayer_audit; their transfers keep their records.
//
// A claim is written in the same transaction as the transfer that names it,
// so one reqId (or plan) is released for at most one L1 transfer.
var (
	bucketMeta      = []byte("relayer_meta")
	bucketCursor    = []byte("relayer_cursor")
	bucketTransfers = []byte("relayer_transfers")
	bucketClaims    = []byte("relayer_claims")
	bucketAudit     = []byte("relayer_audit")

	keyAuditNext       = []byte("next")
	keyAuditCheckpoint = []byte("checkpoint")

	keySchema     = []byte("schema_version")
	keyNextHeight = []byte("next_height")
	keyLastHash   = []byte("last_hash")
)

const schemaVersion = 2

// ErrSchemaMismatch is returned when the file's schema is not this binary's.
var ErrSchemaMismatch = errors.New("relayer: database schema version mismatch")

// Transfer states.
const (
	// StateIntent: the release is decided and recorded, its L2 calls are not
	// all confirmed yet. Poll drives it to StateReleased.
	StateIntent = "intent"
	// StateReleased: every L2 call of the transfer is confirmed (or the
	// contract already showed the ids approved).
	StateReleased = "released"
	// StateProposed: the approvals are proposed to the governor multisig;
	// released once UnboundApproved events show they were executed.
	StateProposed = "proposed"
	// StateHeld: nothing is released; Reason says why. An operator decides.
	StateHeld = "held"
	// StateAlarm: the transfer disagrees with policyd (Alarm says how);
	// nothing is released, relayer_alarms_total counts it.
	StateAlarm = "alarm"
)

// Alarm codes.
const (
	AlarmNoDecision  = "no_decision"  // a wallet transfer policyd never allowed
	AlarmCancelled   = "cancelled"    // its decision was cancelled, yet it confirmed
	AlarmConflict    = "conflict"     // two allowed decisions for one txid
	AlarmAmount      = "amount"       // bridge amount differs from the decision's
	AlarmOpReturn    = "op_return"    // OP_RETURN differs from the decision's claims
	AlarmDoubleClaim = "double_claim" // a reqId already released for another transfer
)

// Transfer kinds: where the released ids come from.
const (
	KindDecision = "decision" // policyd's decision for the txid
	KindNone     = "none"     // no decision
)

// Batch is one L2 call of a transfer.
type Batch struct {
	ReqIDs []string `json:"req_ids,omitempty"` // approveUnbound ids (decimal)
	PlanID string   `json:"plan_id,omitempty"` // approveWithdraw plan (decimal)
	L2Tx   string   `json:"l2_tx,omitempty"`   // hash of RawTx
	// RawTx is the signed L2 transaction (hex), recorded before it is
	// first broadcast and re-broadcast as is after a restart.
	RawTx string `json:"raw_tx,omitempty"`
	// Proposed: the governor proposal of this batch is mined.
	Proposed bool `json:"proposed,omitempty"`
	Done     bool `json:"done"`
}

// Transfer is the relayer's record of one L1 transaction paying the bridge.
type Transfer struct {
	TxID      string `json:"txid"`
	Height    int64  `json:"height"`
	BlockHash string `json:"block_hash"`
	AmountSat int64  `json:"amount_sat"`
	Kind      string `json:"kind"`
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	Alarm     string `json:"alarm,omitempty"`
	// DecisionID is policyd's decision the release follows.
	DecisionID string    `json:"decision_id,omitempty"`
	Batches    []Batch   `json:"batches,omitempty"`
	Updated    time.Time `json:"updated"`
}

// ReqIDs lists every approveUnbound id of t.
func (t *Transfer) ReqIDs() []string {
	var out []string
	for _, b := range t.Batches {
		out = append(out, b.ReqIDs...)
	}
	return out
}

type store struct {
	db *bolt.DB
}

func openStore(path string) (*store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("relayer: db dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("relayer: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if raw := meta.Get(keySchema); raw != nil {
			if len(raw) != 8 {
				return fmt.Errorf("%w: file %x, binary %d", ErrSchemaMismatch, raw, schemaVersion)
			}
			switch binary.BigEndian.Uint64(raw) {
			case schemaVersion:
				return nil
			case 1: // migrate: add the audit index
			default:
				return fmt.Errorf("%w: file %x, binary %d", ErrSchemaMismatch, raw, schemaVersion)
			}
		}
		for _, b := range [][]byte{bucketCursor, bucketTransfers, bucketClaims, bucketAudit} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], schemaVersion)
		return meta.Put(keySchema, v[:])
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("relayer: init %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// cursor returns the next height to scan and the hash of the block before
// it; ok is false on a fresh file.
func (s *store) cursor() (next int64, lastHash []byte, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCursor)
		raw := b.Get(keyNextHeight)
		if raw == nil {
			return nil
		}
		if len(raw) != 8 {
			return errors.New("relayer: corrupt cursor")
		}
		next, ok = int64(binary.BigEndian.Uint64(raw)), true
		lastHash = append([]byte(nil), b.Get(keyLastHash)...)
		return nil
	})
	return next, lastHash, ok, err
}

func putCursor(tx *bolt.Tx, next int64, hash []byte) error {
	b := tx.Bucket(bucketCursor)
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(next))
	if err := b.Put(keyNextHeight, v[:]); err != nil {
		return err
	}
	return b.Put(keyLastHash, hash)
}

func putTransfer(tx *bolt.Tx, t *Transfer) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketTransfers).Put([]byte(t.TxID), raw)
}

func getTransfer(tx *bolt.Tx, txid string) (*Transfer, error) {
	raw := tx.Bucket(bucketTransfers).Get([]byte(txid))
	if raw == nil {
		return nil, nil
	}
	var t Transfer
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("relayer: transfer %s: %w", txid, err)
	}
	return &t, nil
}

func claimKey(kind, id string) []byte { return []byte(kind + ":" + id) }

// claimedBy returns the L1 txid holding a claim, or "".
func claimedBy(tx *bolt.Tx, key []byte) string {
	return string(tx.Bucket(bucketClaims).Get(key))
}

// ReadTransfers opens a relayer database read-only (shared lock: fails
// while a relayer holds it) and returns its transfers, for status tools.
func ReadTransfers(path string) ([]Transfer, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("relayer: open %s read-only: %w", path, err)
	}
	defer db.Close()
	var ok bool
	if err := db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		ok = m != nil && len(m.Get(keySchema)) == 8 && binary.BigEndian.Uint64(m.Get(keySchema)) == schemaVersion
		return nil
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrSchemaMismatch, path)
	}
	ts, err := (&store{db: db}).transfers()
	if err != nil {
		return nil, err
	}
	sortTransfers(ts)
	return ts, nil
}

// Transfers returns every recorded transfer (for status tools and tests).
func (s *store) transfers() ([]Transfer, error) {
	var out []Transfer
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTransfers).ForEach(func(k, v []byte) error {
			var t Transfer
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("relayer: transfer %s: %w", k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}
