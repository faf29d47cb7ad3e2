package l2

// The indexer's view in policy's types: what the decision service reads to
// build a policy.Snapshot, inside the caller's bbolt transaction so the
// snapshot, the evaluation and the commit see one consistent state.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// PolicyLedger serves the decision service (decision.Ledger) from the
// indexer's request ledger and freshness rule. Status is stale whenever
// Status.Fresh refuses the view (never synced, last poll failed, no poll,
// head stalled or last indexed block too old within the indexer's
// StaleAfter) and disagreeing whenever the endpoints disagree, so Evaluate
// denies with l2_stale / l2_endpoints_disagree. A status that cannot be
// read at all is an error (no decision). Without an indexer every read
// fails (fail closed on a wiring error).
//
// Status decodes the stored indexer status only when its bytes change: the
// last decoded status is kept with a copy of the bytes it came from, and
// each call compares them with the bytes in the caller's transaction. Every
// change of the status (a poll, a reorg, a restore, another writer) changes
// those bytes, so the cache is never stale; a rolled-back change is never
// seen, because the bytes read are the transaction's own.
type PolicyLedger struct {
	ix     *Indexer
	l      *Ledger
	err    error
	status atomic.Pointer[decodedStatus]
}

// decodedStatus is a status decoded from raw (a private copy).
type decodedStatus struct {
	raw []byte
	st  Status
}

// NewPolicyLedger returns ix's view in policy's types.
func NewPolicyLedger(ix *Indexer) *PolicyLedger {
	if ix == nil || ix.Ledger() == nil {
		return &PolicyLedger{err: errors.New("l2: no indexer configured")}
	}
	return &PolicyLedger{ix: ix, l: ix.Ledger()}
}

// freshnessErrors are the l2 sentinels that mean "stale view", as opposed to
// an unreadable store.
var freshnessErrors = []error{
	ErrNotSynced, ErrRPCFailed, ErrPollStale, ErrHeadStalled, ErrIndexedBlockTooOld,
}

func (a *PolicyLedger) Status(tx *bolt.Tx, now time.Time) (policy.L2Status, error) {
	if a.err != nil {
		return policy.L2Status{}, a.err
	}
	st, err := a.storedStatus(tx)
	if err != nil {
		return policy.L2Status{}, fmt.Errorf("l2 status: %w", err)
	}
	out := policy.L2Status{Height: st.IndexedHeight, HeadTime: st.IndexedTime.UTC(), Disagree: st.Disagree}
	if st.Disagree {
		out.Detail = st.DisagreeInfo
	}
	ferr := st.Fresh(now, a.ix.cfg.StaleAfter) // Indexer.Check on the status just read
	switch {
	case ferr == nil:
	case errors.Is(ferr, ErrEndpointsDisagree):
		out.Disagree = true
		out.Detail = ferr.Error()
	default:
		known := false
		for _, s := range freshnessErrors {
			known = known || errors.Is(ferr, s)
		}
		if !known {
			// Not a freshness verdict: the view could not be judged.
			return policy.L2Status{}, fmt.Errorf("l2 freshness: %w", ferr)
		}
		out.Stale = true
		out.Detail = ferr.Error()
	}
	return out, nil
}

// storedStatus is Ledger.Status(tx), decoded again only when the stored
// bytes differ from those of the last decode.
func (a *PolicyLedger) storedStatus(tx *bolt.Tx) (Status, error) {
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return Status{}, err
	}
	raw := b.Get(keyStatus)
	if c := a.status.Load(); c != nil && (c.raw == nil) == (raw == nil) && bytes.Equal(c.raw, raw) {
		return c.st, nil
	}
	var st Status
	if raw != nil {
		if err := json.Unmarshal(raw, &st); err != nil {
			return Status{}, fmt.Errorf("%w: status: %v", ErrCorrupt, err)
		}
	}
	a.status.Store(&decodedStatus{raw: bytes.Clone(raw), st: st})
	return st, nil
}

func (a *PolicyLedger) Requests(tx *bolt.Tx, ids []*big.Int) ([]policy.Request, error) {
	if a.err != nil {
		return nil, a.err
	}
	var out []policy.Request
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == nil || seen[id.String()] {
			continue
		}
		seen[id.String()] = true
		r, err := a.l.Get(tx, id)
		if errors.Is(err, ErrNotFound) {
			continue // unknown: Evaluate denies reqid_unknown
		}
		if err != nil {
			return nil, fmt.Errorf("l2 request %s: %w", id, err)
		}
		out = append(out, requestFromL2(r))
	}
	return out, nil
}

func (a *PolicyLedger) PendingUnbound(tx *bolt.Tx) ([]policy.Request, error) {
	if a.err != nil {
		return nil, a.err
	}
	rs, err := a.l.PendingUnbound(tx)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Request, len(rs))
	for i := range rs {
		out[i] = requestFromL2(&rs[i])
	}
	return out, nil
}

func (a *PolicyLedger) FinalizedStakedSat(tx *bolt.Tx) (int64, error) {
	if a.err != nil {
		return 0, a.err
	}
	t, err := a.l.Totals(tx)
	if err != nil {
		return 0, err
	}
	if t.StakedSat < 0 {
		return 0, fmt.Errorf("l2 totals: negative staked sum %d", t.StakedSat)
	}
	return t.StakedSat, nil
}

// ApprovedUnboundSat is the sum of every conflict-free UnboundRequired
// amount L2 approved: the unbound total less the pending queue (the
// reserves' approved total, decision.ApprovedLedger).
func (a *PolicyLedger) ApprovedUnboundSat(tx *bolt.Tx) (int64, error) {
	if a.err != nil {
		return 0, a.err
	}
	t, err := a.l.Totals(tx)
	if err != nil {
		return 0, err
	}
	q, err := a.l.PendingUnbound(tx)
	if err != nil {
		return 0, err
	}
	sum := t.UnboundSat
	for _, r := range q {
		sum -= r.AmountSat
	}
	if sum < 0 {
		return 0, fmt.Errorf("l2 totals: unbound sum %d below the pending queue's", t.UnboundSat)
	}
	return sum, nil
}

// requestFromL2 maps one ledger record. Kinds and states map one to one;
// anything the policy does not know passes through verbatim so Evaluate
// denies it (reqid_wrong_kind / reqid_not_finalized).
func requestFromL2(r *Request) policy.Request {
	q := policy.Request{
		AmountSat: r.AmountSat,
		AmountWei: r.AmountWei,
		Token:     strings.ToLower(r.Token.Hex()),
		TxHash:    r.TxHash.Hex(),
		BlockHash: r.BlockHash.Hex(),
		Block:     r.BlockNumber,
		LogIndex:  r.LogIndex,
		User:      strings.ToLower(r.User.Hex()),
	}
	if r.ReqID != nil {
		q.ID = r.ReqID.String()
	}
	switch r.Kind {
	case KindStaked:
		q.Kind = policy.KindStaked
	case KindUnbound:
		q.Kind = policy.KindUnbound
	default:
		q.Kind = string(r.Kind)
	}
	switch r.State {
	case StateFinalized:
		q.State = policy.StateFinalized
	case StateApproved:
		q.State = policy.StateApproved
	default:
		q.State = string(r.State)
	}
	if r.PlanID != nil {
		q.PlanID = r.PlanID.String()
	}
	if len(r.Conflicts) > 0 {
		q.Conflicts = append([]string(nil), r.Conflicts...)
	}
	return q
}
