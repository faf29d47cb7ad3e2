package decision

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// Chain is the L1 view as the decision service reads it, inside the
// caller's bbolt transaction (*l1.View satisfies it). Config.Chain nil means
// policyd runs without an L1 view: inputs are not checked against Bitcoin.
type Chain interface {
	// Check is the freshness rule at now (nil: usable).
	Check(tx *bolt.Tx, now time.Time) error
	// Status is the watcher's stored status (tip, disagreement).
	Status(tx *bolt.Tx) (l1.Status, error)
	// Input answers for one outpoint: acceptable, or an error wrapping
	// l1.ErrInputUnknown, l1.ErrInputSpent or l1.ErrInputUnconfirmed.
	Input(tx *bolt.Tx, op wire.OutPoint) (l1.Input, error)
	// Stage is where a (watched) transaction stands on L1.
	Stage(tx *bolt.Tx, txid chainhash.Hash) (l1.Stage, error)
	// Watch adds a signed transaction (as the decision has it, unsigned).
	Watch(tx *bolt.Tx, t *wire.MsgTx) error
	// Spends lists chain transactions spending wallet outputs from height up.
	Spends(tx *bolt.Tx, fromHeight uint64, limit int) ([]l1.Spend, error)
	// MempoolSpends lists mempool transactions spending wallet outputs.
	MempoolSpends(tx *bolt.Tx) ([]l1.MempoolSpend, error)
	// Reserves counts the wallet's outputs and transfers in flight.
	Reserves(tx *bolt.Tx) (l1.Reserves, error)
}

var _ Chain = (*l1.View)(nil)

// l1State fills snap.L1 and snap.Inputs for the inputs of f (no-op without
// a Chain). An input the view does not accept is a state, not an error:
// Evaluate denies it with its own code. Anything else the view answers is
// an error (fail closed).
func (s *Service) l1State(tx *bolt.Tx, f policy.Facts, now time.Time, snap *policy.Snapshot) error {
	c := s.cfg.Chain
	if c == nil {
		return nil
	}
	st, err := c.Status(tx)
	if err != nil {
		return fmt.Errorf("l1 status: %w", err)
	}
	ls := &policy.L1Status{Height: st.TipHeight}
	if err := c.Check(tx, now); err != nil {
		if errors.Is(err, l1.ErrEndpointsDisagree) {
			ls.Disagree = true
		} else {
			ls.Stale = true
		}
		ls.Detail = err.Error()
	}
	rec, err := reconciledTip(tx)
	if err != nil {
		return err
	}
	if !st.Synced || rec == nil || rec.Height != st.TipHeight || rec.Hash != st.TipHash.String() {
		ls.NotReconciled = true
	}
	snap.L1 = ls
	snap.Inputs = make([]policy.InputState, 0, len(f.Inputs))
	for _, in := range f.Inputs {
		op, err := wire.NewOutPointFromString(in.Outpoint)
		if err != nil {
			return fmt.Errorf("input %d outpoint %q: %w", in.Index, in.Outpoint, err)
		}
		is := policy.InputState{Outpoint: in.Outpoint}
		got, err := c.Input(tx, *op)
		switch {
		case err == nil:
			is.Value, is.Depth = got.Value, got.Depth
			is.State = policy.InputConfirmed
			if got.Kind == l1.InputOwnChange {
				is.State = policy.InputOwnChange
			}
		case errors.Is(err, l1.ErrInputUnknown):
			is.State, is.Detail = policy.InputUnknown, err.Error()
		case errors.Is(err, l1.ErrInputSpent):
			is.State, is.Detail = policy.InputSpent, err.Error()
		case errors.Is(err, l1.ErrInputUnconfirmed):
			is.State, is.Detail = policy.InputUnconfirmed, err.Error()
		default:
			return fmt.Errorf("l1 input %s: %w", in.Outpoint, err)
		}
		snap.Inputs = append(snap.Inputs, is)
	}
	s.babylonAt(f, snap)
	return nil
}

// unsignedTx encodes t (nil stays nil).
func unsignedTx(t *wire.MsgTx) (policy.HexBytes, error) {
	if t == nil {
		return nil, nil
	}
	var b bytes.Buffer
	if err := t.SerializeNoWitness(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// watch puts r's transaction on the L1 view's watch list (no-op without a
// Chain). A record without its transaction cannot be watched: an error,
// so the signatures are not recorded either (fail closed).
func (s *Service) watch(tx *bolt.Tx, r *Record) error {
	if s.cfg.Chain == nil {
		return nil
	}
	if len(r.UnsignedTx) == 0 {
		return fmt.Errorf("decision %s: no transaction stored to watch on L1", r.ID)
	}
	var t wire.MsgTx
	if err := t.DeserializeNoWitness(bytes.NewReader(r.UnsignedTx)); err != nil {
		return fmt.Errorf("decision %s: stored transaction: %w", r.ID, err)
	}
	if t.TxHash().String() != r.TxID {
		return fmt.Errorf("decision %s: stored transaction hashes to %s, not %s", r.ID, t.TxHash(), r.TxID)
	}
	if err := s.cfg.Chain.Watch(tx, &t); err != nil {
		return err
	}
	return s.watchStaking(tx, r, &t)
}

// replaces builds Snapshot.Replaces (with an L1 view only): the signed
// transactions txids (a claim's transaction and its family), each from its
// decision record and its L1 stage.
func (s *Service) replaces(tx *bolt.Tx, txids []string) ([]policy.SignedTx, error) {
	if s.cfg.Chain == nil || len(txids) == 0 {
		return nil, nil
	}
	var out []policy.SignedTx
	seen := map[string]bool{}
	for _, txid := range txids {
		if seen[txid] {
			continue
		}
		seen[txid] = true
		id := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(txid))
		if id == nil {
			return nil, fmt.Errorf("signed transaction %s has no decision", txid)
		}
		r, err := loadRecord(tx, string(id))
		if err != nil || r == nil {
			return nil, fmt.Errorf("decision of signed transaction %s: %v", txid, err)
		}
		h, err := chainhash.NewHashFromStr(txid)
		if err != nil {
			return nil, err
		}
		st, err := s.cfg.Chain.Stage(tx, *h)
		if err != nil {
			return nil, fmt.Errorf("l1 stage of %s: %w", txid, err)
		}
		m := policy.SignedTx{TxID: txid, ReqIDs: r.Decision.Claims, Fee: r.Facts.Fee, FeeRate: r.Facts.FeeRate, Stage: string(st.Kind), StakingSat: r.Decision.StakingSat}
		for _, in := range r.Facts.Inputs {
			m.Inputs = append(m.Inputs, in.Outpoint)
		}
		for _, o := range r.Facts.Outputs {
			if o.Class == policy.ClassExternal {
				m.External = append(m.External, o)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// replacedTxids are the signed transactions (and their families) of the
// claims in reqs that a replacement would take over.
func replacedTxids(reqs []policy.Request) []string {
	var out []string
	for _, q := range reqs {
		if c := q.Claim; c != nil && (c.State == policy.ClaimSigned || c.State == policy.ClaimBroadcast) {
			out = append(out, c.Family...)
			out = append(out, c.TxID)
		}
	}
	return out
}
