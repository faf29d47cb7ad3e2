package decision

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
)

// FreezeFunc freezes signing inside the caller's transaction, audited with
// its evidence (governance.SystemFreeze).
type FreezeFunc func(tx *bolt.Tx, now time.Time, source, reason string, evidence records.FreezeEvidence) error

// AuditUnexplainedSpend is the audit kind of a wallet spend on L1 that no
// decision of this database explains.
const AuditUnexplainedSpend = records.KindUnexplainedSpend

// UnexplainedSpend is the body of an AuditUnexplainedSpend record.
type UnexplainedSpend = records.UnexplainedSpend

// reconcile watermark: the view's tip as last reconciled.
type reconciled struct {
	Height uint64 `json:"height"`
	Hash   string `json:"hash"`
	Reorgs uint64 `json:"reorgs"`
}

var (
	keyReconciled     = []byte("reconciled")
	prefixJudgedChain = "chain/"
	prefixJudgedMem   = "mempool/"
)

func reconciledTip(tx *bolt.Tx) (*reconciled, error) {
	b := tx.Bucket(storage.BucketL1Reconcile)
	if b == nil {
		return nil, fmt.Errorf("bucket %s missing", storage.BucketL1Reconcile)
	}
	raw := b.Get(keyReconciled)
	if raw == nil {
		return nil, nil
	}
	var r reconciled
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("reconcile watermark: corrupt: %w", err)
	}
	return &r, nil
}

// Reconcile matches every wallet spend in the L1 view (chain and mempool)
// to a decision of this database: a transaction of a decision that began
// signing is explained; anything else is unexplained, and in ONE
// transaction policyd freezes signing (source "l1"), appends an
// AuditUnexplainedSpend record and claims the reqIds of its OP_RETURN
// paid_unexplained, so no later decision pays them again (a database
// restored from a backup forgets the claims made after it). It then moves
// the watermark to the view's tip: until then decisions are denied
// l1_not_reconciled. Run at start-up and after every L1 poll; idempotent
// (each spend is judged once). A no-op without Config.Chain, or before the
// view's first sync.
func (s *Service) Reconcile(ctx context.Context) (unexplained int, err error) {
	c := s.cfg.Chain
	if c == nil {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		unexplained, err = s.reconcileTx(tx, now)
		return err
	})
	if err != nil {
		return 0, classify(err)
	}
	s.reportUnexplained(unexplained)
	return unexplained, nil
}

func (s *Service) reportUnexplained(n int) {
	if n == 0 {
		return
	}
	s.cfg.Logger.Error("decision: wallet spends on Bitcoin that no decision explains: signing frozen", "count", n)
	if s.cfg.OnUnexplainedSpend != nil {
		for i := 0; i < n; i++ {
			s.cfg.OnUnexplainedSpend()
		}
	}
}

// catchUp reconciles inside a decision's own writable transaction when the
// watermark is behind the view's tip, BEFORE the snapshot is read: a
// decision or a BeginSigning right after a poll neither waits for the
// background reconciliation nor misses its freeze or paid claims. A
// read-only transaction (dry run) is left as it is (l1_not_reconciled).
func (s *Service) catchUp(tx *bolt.Tx, now time.Time) error {
	c := s.cfg.Chain
	if c == nil || !tx.Writable() {
		return nil
	}
	st, err := c.Status(tx)
	if err != nil || !st.Synced {
		return err
	}
	rec, err := reconciledTip(tx)
	if err != nil {
		return err
	}
	if rec != nil && rec.Height == st.TipHeight && rec.Hash == st.TipHash.String() && rec.Reorgs == st.Reorgs {
		return nil
	}
	n, err := s.reconcileTx(tx, now)
	if err != nil {
		return err
	}
	// Reported before the commit: a retried batch may count one twice.
	s.reportUnexplained(n)
	return nil
}

// reconcileTx is Reconcile's work inside tx at now.
func (s *Service) reconcileTx(tx *bolt.Tx, now time.Time) (unexplained int, err error) {
	c := s.cfg.Chain
	st, err := c.Status(tx)
	if err != nil || !st.Synced {
		return unexplained, err
	}
	wm, err := reconciledTip(tx)
	if err != nil {
		return unexplained, err
	}
	var from uint64
	if wm != nil && wm.Reorgs == st.Reorgs && wm.Height <= st.TipHeight {
		from = wm.Height + 1 // no rollback since: only new blocks
	}
	spends, err := c.Spends(tx, from, 0)
	if err != nil {
		return unexplained, fmt.Errorf("l1 spends: %w", err)
	}
	judged := tx.Bucket(storage.BucketL1Reconcile)
	for _, sp := range spends {
		key := []byte(prefixJudgedChain + sp.Txid.String())
		if judged.Get(key) != nil {
			continue
		}
		ok, err := s.explained(tx, sp.Txid.String())
		if err != nil {
			return unexplained, err
		}
		if ok {
			if err := judged.Put(key, []byte("explained")); err != nil {
				return unexplained, err
			}
			continue
		}
		ev := UnexplainedSpend{TxID: sp.Txid.String(), Height: sp.Height, InputSat: sp.InputSat}
		for _, op := range sp.Inputs {
			ev.Inputs = append(ev.Inputs, op.String())
		}
		if err := s.unexplained(tx, now, ev, sp.Tx); err != nil {
			return unexplained, err
		}
		if err := judged.Put(key, []byte("unexplained")); err != nil {
			return unexplained, err
		}
		unexplained++
	}
	mps, err := c.MempoolSpends(tx)
	if err != nil {
		return unexplained, fmt.Errorf("l1 mempool spends: %w", err)
	}
	byTx := map[string][]string{}
	var order []string
	for _, m := range mps {
		id := m.Txid.String()
		if _, seen := byTx[id]; !seen {
			order = append(order, id)
		}
		byTx[id] = append(byTx[id], m.Outpoint.String())
	}
	for _, id := range order {
		key := []byte(prefixJudgedMem + id)
		if judged.Get(key) != nil || judged.Get([]byte(prefixJudgedChain+id)) != nil {
			continue
		}
		ok, err := s.explained(tx, id)
		if err != nil {
			return unexplained, err
		}
		verdict := "explained"
		if !ok {
			// The mempool scan keeps no transaction: its reqIds are
			// claimed when it is mined (judged again as a chain spend).
			if err := s.unexplained(tx, now, UnexplainedSpend{TxID: id, Mempool: true, Inputs: byTx[id]}, nil); err != nil {
				return unexplained, err
			}
			verdict = "unexplained"
			unexplained++
		}
		if err := judged.Put(key, []byte(verdict)); err != nil {
			return unexplained, err
		}
	}
	b, err := json.Marshal(reconciled{Height: st.TipHeight, Hash: st.TipHash.String(), Reorgs: st.Reorgs})
	if err != nil {
		return unexplained, err
	}
	return unexplained, judged.Put(keyReconciled, b)
}

// explained: txid is the transaction of a decision that began signing.
func (s *Service) explained(tx *bolt.Tx, txid string) (bool, error) {
	id := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(txid))
	if id == nil {
		return false, nil
	}
	r, err := loadRecord(tx, string(id))
	if err != nil || r == nil {
		return false, err
	}
	return r.State == StateSigning || r.State == StateSigned, nil
}

// unexplained records one unexplained spend in tx: reqIds claimed paid,
// audit record, system freeze. t is the transaction (nil: mempool).
func (s *Service) unexplained(tx *bolt.Tx, now time.Time, ev UnexplainedSpend, t *wire.MsgTx) error {
	if t != nil {
		ids, err := opReturnReqIDs(t)
		if err != nil {
			ev.ReqIDsError = err.Error()
		}
		if len(ids) > 0 {
			ev.ReqIDsSource = policy.SourceOpReturn
		} else if ids, ev.BridgeSat, err = s.fifoReqIDs(tx, now, t); err != nil {
			return err
		} else if len(ids) > 0 {
			ev.ReqIDsSource = policy.SourceFIFO
		}
		for _, id := range ids {
			ev.ReqIDs = append(ev.ReqIDs, id)
			// Overwrites a live reservation too: that decision can no
			// longer begin signing (its re-check sees the id paid).
			if err := putClaim(tx, id, policy.Claim{TxID: ev.TxID, State: policy.ClaimPaidUnexplained}); err != nil {
				return err
			}
		}
	}
	if _, err := s.cfg.Audit.AppendBody(tx, now, &ev); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	where := fmt.Sprintf("block %d", ev.Height)
	if ev.Mempool {
		where = "a mempool"
	}
	reason := fmt.Sprintf("wallet spend %s in %s that no decision explains", ev.TxID, where)
	evidence := records.FreezeEvidence{Values: map[string]string{"txid": ev.TxID, "inputs": strings.Join(ev.Inputs, ","), "req_ids": strings.Join(ev.ReqIDs, ",")}}
	if ev.Mempool {
		evidence.Values["mempool"] = "true"
	} else {
		evidence.Values["height"] = strconv.FormatUint(ev.Height, 10)
	}
	if err := s.cfg.Freeze(tx, now, "l1", reason, evidence); err != nil {
		return fmt.Errorf("system freeze: %w", err)
	}
	return nil
}

// opReturnReqIDs reads the StReqIds of t's OP_RETURN outputs (none: nil).
func opReturnReqIDs(t *wire.MsgTx) ([]string, error) {
	var out []string
	for _, o := range t.TxOut {
		if len(o.PkScript) == 0 || o.PkScript[0] != txscript.OP_RETURN {
			continue
		}
		pushes, err := txscript.PushedData(o.PkScript)
		if err != nil {
			return out, fmt.Errorf("OP_RETURN: %w", err)
		}
		var payload []byte
		for _, p := range pushes {
			payload = append(payload, p...)
		}
		ids, err := psbtcheck.ParseStReqIDs(payload)
		if err != nil {
			return out, err
		}
		for _, id := range ids {
			out = append(out, id.String())
		}
	}
	return out, nil
}

// fifoReqIDs are the unclaimed pending unbound requests P002's FIFO rule
// matches to what t pays the bridge hot wallets (the relayer's rule for a
// transfer without OP_RETURN), whatever policy.fifo_fallback says: an
// unexplained transfer may be approved by the relayer all the same.
func (s *Service) fifoReqIDs(tx *bolt.Tx, now time.Time, t *wire.MsgTx) ([]string, int64, error) {
	bridge, err := s.bridgeSat(tx, now, t)
	if err != nil || bridge <= 0 {
		return nil, 0, err
	}
	q, err := s.cfg.Ledger.PendingUnbound(tx)
	if err != nil {
		return nil, 0, fmt.Errorf("l2 pending queue: %w", err)
	}
	var open []policy.Request
	for _, r := range q {
		c, err := getClaim(tx, r.ID)
		if err != nil {
			return nil, 0, err
		}
		if c == nil {
			open = append(open, r)
		}
	}
	var ids []string
	for _, r := range policy.MatchFIFO(bridge, open) {
		ids = append(ids, r.ID)
	}
	return ids, bridge, nil
}

// bridgeSat is what t pays the whitelisted bridge hot wallets.
func (s *Service) bridgeSat(tx *bolt.Tx, now time.Time, t *wire.MsgTx) (int64, error) {
	wl, err := s.cfg.Governance.Whitelist(tx, now)
	if err != nil {
		return 0, fmt.Errorf("whitelist: %w", err)
	}
	var bridge int64
	for _, o := range t.TxOut {
		for _, e := range wl.Entries {
			if e.Kind == policy.KindBridgeHotWallet && len(e.PkScript) > 0 && string(e.PkScript) == string(o.PkScript) {
				bridge += o.Value
				break
			}
		}
	}
	return bridge, nil
}
