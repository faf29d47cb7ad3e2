package decision

// Adapters from the real packages to this package's consumer interfaces.
// cmd/policyd wires them:
//
//	ix, _ := l2.New(ctx, l2cfg, db)          // the indexer owns the freshness bound
//	gov, _ := governance.New(govcfg)
//	svc, _ := decision.New(decision.Config{
//		Ledger:     decision.NewL2Ledger(ix),
//		Governance: decision.NewGovernance(gov),
//		…
//	})
//
// Both read inside the caller's bbolt transaction, so the snapshot, the
// evaluation and the commit see one consistent state.

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
)

// L2Source is what the ledger adapter needs from the L2 indexer:
// *l2.Indexer implements it. Check applies the indexer's configured
// freshness bound to the status stored in tx.
type L2Source interface {
	Ledger() *l2.Ledger
	Check(tx *bolt.Tx, now time.Time) error
}

// NewL2Ledger adapts the L2 indexer's request ledger and freshness rule.
// Status is stale whenever l2.Status.Fresh refuses the view (never synced,
// last poll failed, no poll, head stalled or last indexed block too old
// within the indexer's StaleAfter) and disagreeing whenever the endpoints
// disagree, so Evaluate denies with l2_stale / l2_endpoints_disagree. A
// status that cannot be read at all is an error (no decision).
func NewL2Ledger(src L2Source) Ledger {
	if src == nil || src.Ledger() == nil {
		return failingLedger{errors.New("decision: no L2 indexer configured")}
	}
	return &l2Ledger{src: src, l: src.Ledger()}
}

type l2Ledger struct {
	src L2Source
	l   *l2.Ledger
}

// freshnessErrors are the l2 sentinels that mean "stale view", as opposed to
// an unreadable store.
var freshnessErrors = []error{
	l2.ErrNotSynced, l2.ErrRPCFailed, l2.ErrPollStale, l2.ErrHeadStalled, l2.ErrIndexedBlockTooOld,
}

func (a *l2Ledger) Status(tx *bolt.Tx, now time.Time) (policy.L2Status, error) {
	st, err := a.l.Status(tx)
	if err != nil {
		return policy.L2Status{}, fmt.Errorf("l2 status: %w", err)
	}
	out := policy.L2Status{Height: st.IndexedHeight, HeadTime: st.IndexedTime.UTC(), Disagree: st.Disagree}
	if st.Disagree {
		out.Detail = st.DisagreeInfo
	}
	ferr := a.src.Check(tx, now)
	switch {
	case ferr == nil:
	case errors.Is(ferr, l2.ErrEndpointsDisagree):
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

func (a *l2Ledger) Requests(tx *bolt.Tx, ids []*big.Int) ([]policy.Request, error) {
	var out []policy.Request
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == nil || seen[id.String()] {
			continue
		}
		seen[id.String()] = true
		r, err := a.l.Get(tx, id)
		if errors.Is(err, l2.ErrNotFound) {
			continue // unknown: Evaluate denies reqid_unknown
		}
		if err != nil {
			return nil, fmt.Errorf("l2 request %s: %w", id, err)
		}
		out = append(out, requestFromL2(r))
	}
	return out, nil
}

func (a *l2Ledger) PendingUnbound(tx *bolt.Tx) ([]policy.Request, error) {
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

func (a *l2Ledger) FinalizedStakedSat(tx *bolt.Tx) (int64, error) {
	t, err := a.l.Totals(tx)
	if err != nil {
		return 0, err
	}
	if t.StakedSat < 0 {
		return 0, fmt.Errorf("l2 totals: negative staked sum %d", t.StakedSat)
	}
	return t.StakedSat, nil
}

// requestFromL2 maps one ledger record. Kinds and states map one to one;
// anything the policy does not know passes through verbatim so Evaluate
// denies it (reqid_wrong_kind / reqid_not_finalized).
func requestFromL2(r *l2.Request) policy.Request {
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
	case l2.KindStaked:
		q.Kind = policy.KindStaked
	case l2.KindUnbound:
		q.Kind = policy.KindUnbound
	default:
		q.Kind = string(r.Kind)
	}
	switch r.State {
	case l2.StateFinalized:
		q.State = policy.StateFinalized
	case l2.StateApproved:
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

// failingLedger fails every read (fail closed on a wiring error).
type failingLedger struct{ err error }

func (f failingLedger) Status(*bolt.Tx, time.Time) (policy.L2Status, error) {
	return policy.L2Status{}, f.err
}
func (f failingLedger) Requests(*bolt.Tx, []*big.Int) ([]policy.Request, error) { return nil, f.err }
func (f failingLedger) PendingUnbound(*bolt.Tx) ([]policy.Request, error)       { return nil, f.err }
func (f failingLedger) FinalizedStakedSat(*bolt.Tx) (int64, error)              { return 0, f.err }

// NewGovernance adapts the whitelist governance. governance already reads in
// the caller's transaction and speaks policy's types; the adapter copies
// what it returns (nothing aliases governance's buffers), refuses a
// whitelist holding an entry that could never be matched (a destination
// without a script, a key kind without a key: a corrupt store), and fails
// closed on a nil Governance.
func NewGovernance(g *governance.Governance) Governance {
	if g == nil {
		return failingGov{errors.New("decision: no governance configured")}
	}
	return govAdapter{g: g}
}

type govAdapter struct{ g *governance.Governance }

func (a govAdapter) Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	w, err := a.g.Whitelist(tx, now)
	if err != nil {
		return policy.Whitelist{}, err
	}
	out := policy.Whitelist{Version: w.Version, Entries: make([]policy.WhitelistEntry, 0, len(w.Entries))}
	for _, e := range w.Entries {
		switch e.Kind {
		case policy.KindBridgeHotWallet, policy.KindStakingDestination:
			if len(e.PkScript) == 0 {
				return policy.Whitelist{}, fmt.Errorf("whitelist: %s entry %q has no script", e.Kind, e.Address)
			}
		default:
			if len(e.PubKey) == 0 {
				return policy.Whitelist{}, fmt.Errorf("whitelist: %s entry %q has no key", e.Kind, e.Address)
			}
		}
		out.Entries = append(out.Entries, policy.WhitelistEntry{
			Kind: e.Kind, Address: e.Address, Label: e.Label,
			PkScript: cloneHex(e.PkScript), PubKey: cloneHex(e.PubKey),
		})
	}
	return out, nil
}

func (a govAdapter) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	f, err := a.g.Frozen(tx, now)
	if err != nil {
		return true, err
	}
	return f, nil
}

func (a govAdapter) OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error) {
	as, err := a.g.OpenAllowances(tx, now)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Allowance, 0, len(as))
	for _, x := range as {
		out = append(out, policy.Allowance{ID: x.ID, PlanID: x.PlanID, AmountSat: x.AmountSat, PkScript: cloneHex(x.PkScript)})
	}
	return out, nil
}

func (a govAdapter) ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error {
	return a.g.ConsumeAllowance(tx, allowanceID, decisionID)
}

func cloneHex(b policy.HexBytes) policy.HexBytes {
	if b == nil {
		return nil
	}
	return append(policy.HexBytes(nil), b...)
}

type failingGov struct{ err error }

func (f failingGov) Whitelist(*bolt.Tx, time.Time) (policy.Whitelist, error) {
	return policy.Whitelist{}, f.err
}
func (f failingGov) Frozen(*bolt.Tx, time.Time) (bool, error) { return true, f.err }
func (f failingGov) OpenAllowances(*bolt.Tx, time.Time) ([]policy.Allowance, error) {
	return nil, f.err
}
func (f failingGov) ConsumeAllowance(*bolt.Tx, string, string) error { return f.err }
