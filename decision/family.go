package decision

// A claim's RBF family on L1: which of its signed transactions the chain
// picked, and whether the chain has proved that none of them can ever
// confirm. FollowChain reads a family once per poll and moves every claim
// of it the same way.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// family is what the chain says of one claim's signed transactions: the
// claim's own (Claim.TxID) and the earlier ones it replaces (Claim.Family).
type family struct {
	txids  []string
	stages map[string]l1.Stage
	// target is the member the claim names after this poll: a member in
	// the chain if there is one (at most one can be: each member conflicts
	// with every other), else the claim's own if it is in a mempool, else
	// the newest member in a mempool, else the newest member.
	target string
	// to is the claim state the chain means for the family: signed,
	// broadcast, confirmed, or released (every member conflicted N deep).
	to string
	// order is the members in signing order, oldest first (read only when
	// the claim may change member).
	order    []string
	decision map[string]string // member txid -> its decision id

	// Released families only: the conflicting chain transactions, the ids
	// they pay themselves (never released), and a reason to hold every id.
	conflicts     []string
	paid          map[string]bool
	hold          string
	height, depth uint64
}

// followCache keeps what one FollowChain pass has read.
type followCache struct {
	stages   map[string]l1.Stage
	records  map[string]*Record // by txid
	families map[string]*family // by the claim's members, as stored
	// paidUnexplained: conflicting txid -> reqIds Reconcile claimed
	// paid_unexplained for it.
	paidUnexplained map[string][]string
	pending         []policy.Request
	pendingRead     bool
}

func newFollowCache() *followCache {
	return &followCache{stages: map[string]l1.Stage{}, records: map[string]*Record{}, families: map[string]*family{}, paidUnexplained: map[string][]string{}}
}

func (s *Service) stage(tx *bolt.Tx, fc *followCache, txid string) (l1.Stage, error) {
	if st, ok := fc.stages[txid]; ok {
		return st, nil
	}
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		return l1.Stage{}, fmt.Errorf("txid %q: %w", txid, err)
	}
	st, err := s.cfg.Chain.Stage(tx, *h)
	if err != nil {
		return l1.Stage{}, fmt.Errorf("l1 stage of %s: %w", txid, err)
	}
	fc.stages[txid] = st
	return st, nil
}

// signedRecord is the decision record of the signed transaction txid.
func signedRecord(tx *bolt.Tx, fc *followCache, txid string) (*Record, error) {
	if r, ok := fc.records[txid]; ok {
		return r, nil
	}
	id := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(txid))
	if id == nil {
		return nil, fmt.Errorf("signed transaction %s has no decision", txid)
	}
	r, err := loadRecord(tx, string(id))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("signed transaction %s: decision %s missing", txid, id)
	}
	fc.records[txid] = r
	return r, nil
}

// familyOf reads the family of claim c (cached per pass).
func (s *Service) familyOf(tx *bolt.Tx, now time.Time, fc *followCache, c policy.Claim) (*family, error) {
	txids := append(slices.Clone(c.Family), c.TxID)
	key := strings.Join(txids, ",")
	if f, ok := fc.families[key]; ok {
		return f, nil
	}
	f := &family{txids: txids, stages: map[string]l1.Stage{}, decision: map[string]string{}}
	var inChain []string
	buried := true
	for _, m := range txids {
		st, err := s.stage(tx, fc, m)
		if err != nil {
			return nil, err
		}
		f.stages[m] = st
		if st.Kind == l1.StageConfirmed {
			inChain = append(inChain, m)
		}
		buried = buried && st.Kind == l1.StageConflicted && st.Final
	}
	switch {
	case len(inChain) > 0:
		// Deepest first; two members in the chain cannot happen (they
		// conflict), but the answer stays deterministic.
		slices.SortFunc(inChain, func(a, b string) int {
			return cmp.Or(cmp.Compare(f.stages[a].Height, f.stages[b].Height), cmp.Compare(a, b))
		})
		f.target, f.to = inChain[0], policy.ClaimBroadcast
		if f.stages[f.target].Final {
			f.to = policy.ClaimConfirmed
		}
	case buried:
		f.target, f.to = c.TxID, policy.ClaimReleased
		if err := s.conflictsOf(tx, now, fc, f); err != nil {
			return nil, err
		}
	case f.stages[c.TxID].Kind == l1.StageMempool:
		f.target, f.to = c.TxID, policy.ClaimBroadcast
	default:
		if err := f.readOrder(tx, fc); err != nil {
			return nil, err
		}
		f.target, f.to = f.order[len(f.order)-1], policy.ClaimSigned
		for _, m := range slices.Backward(f.order) {
			if f.stages[m].Kind == l1.StageMempool {
				f.target, f.to = m, policy.ClaimBroadcast
				break
			}
		}
	}
	if f.target != c.TxID {
		if err := f.readOrder(tx, fc); err != nil {
			return nil, err
		}
	}
	fc.families[key] = f
	return f, nil
}

// readOrder sorts the members in signing order: a member's decision
// replaced every member signed before it (Snapshot.Replaces), so the
// number it replaced is its place.
func (f *family) readOrder(tx *bolt.Tx, fc *followCache) error {
	if f.order != nil {
		return nil
	}
	place := map[string]int{}
	for _, m := range f.txids {
		r, err := signedRecord(tx, fc, m)
		if err != nil {
			return err
		}
		place[m] = len(r.Snapshot.Replaces)
		f.decision[m] = r.ID
	}
	f.order = slices.Clone(f.txids)
	slices.SortStableFunc(f.order, func(a, b string) int { return cmp.Compare(place[a], place[b]) })
	return nil
}

// others are the members but m, in signing order.
func (f *family) others(m string) []string {
	var out []string
	for _, x := range f.order {
		if x != m {
			out = append(out, x)
		}
	}
	return out
}

// conflictsOf finds, for a family whose every member is conflicted N deep,
// the chain transactions that spend the members' inputs, and the reqIds
// they pay themselves: their OP_RETURN ids, the claims of their own
// decision, the ids Reconcile claimed paid_unexplained for them, and,
// without OP_RETURN ids, what P002's FIFO rule matches to their bridge
// outputs over the whole pending queue (the relayer does not know our
// claims, so it may approve ours for them). Those ids are never released.
func (s *Service) conflictsOf(tx *bolt.Tx, now time.Time, fc *followCache, f *family) error {
	f.paid = map[string]bool{}
	ins := map[string]bool{}
	member := map[string]bool{}
	from := uint64(0)
	for i, m := range f.txids {
		member[m] = true
		r, err := signedRecord(tx, fc, m)
		if err != nil {
			return err
		}
		for _, in := range r.Facts.Inputs {
			ins[in.Outpoint] = true
		}
		st := f.stages[m]
		if i == 0 || st.Height < from {
			from = st.Height
		}
		if st.Height > f.height {
			f.height, f.depth = st.Height, st.Depth
		}
	}
	spends, err := s.cfg.Chain.Spends(tx, from, 0)
	if err != nil {
		return fmt.Errorf("l1 spends: %w", err)
	}
	for _, sp := range spends {
		id := sp.Txid.String()
		if member[id] || !slices.ContainsFunc(sp.Inputs, func(op wire.OutPoint) bool { return ins[op.String()] }) {
			continue
		}
		f.conflicts = append(f.conflicts, id)
		ids, err := opReturnReqIDs(sp.Tx)
		if err != nil {
			f.hold = fmt.Sprintf("conflicting transaction %s: %v", id, err)
		}
		for _, q := range ids {
			f.paid[q] = true
		}
		for _, q := range fc.paidUnexplained[id] {
			f.paid[q] = true
		}
		if did := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(id)); did != nil {
			r, err := loadRecord(tx, string(did))
			if err != nil {
				return err
			}
			if r != nil && (r.State == StateSigning || r.State == StateSigned) {
				for _, q := range r.Decision.Claims {
					f.paid[q] = true
				}
			}
		}
		if len(ids) > 0 || err != nil {
			continue
		}
		bridge, err := s.bridgeSat(tx, now, sp.Tx)
		if err != nil {
			return err
		}
		if bridge <= 0 {
			continue
		}
		if !fc.pendingRead {
			if fc.pending, err = s.cfg.Ledger.PendingUnbound(tx); err != nil {
				return fmt.Errorf("l2 pending queue: %w", err)
			}
			fc.pendingRead = true
		}
		for _, r := range policy.MatchFIFO(bridge, fc.pending) {
			f.paid[r.ID] = true
		}
	}
	if len(f.conflicts) == 0 {
		f.hold = "no conflicting transaction found in the L1 view"
	}
	slices.Sort(f.conflicts)
	return nil
}

// approvedIDs are those of ids the L2 ledger shows as approved unbound
// requests (UnboundApproved, finalized).
func (s *Service) approvedIDs(tx *bolt.Tx, ids []string) (map[string]bool, error) {
	var ints []*big.Int
	for _, id := range ids {
		if n, ok := new(big.Int).SetString(id, 10); ok {
			ints = append(ints, n)
		}
	}
	out := map[string]bool{}
	if len(ints) == 0 {
		return out, nil
	}
	rs, err := s.cfg.Ledger.Requests(tx, ints)
	if err != nil {
		return nil, fmt.Errorf("l2 requests: %w", err)
	}
	for _, r := range rs {
		if r.Kind == policy.KindUnbound && r.State == policy.StateApproved {
			out[r.ID] = true
		}
	}
	return out, nil
}

// prefixChargeReleased marks, in the stake accounts bucket, a signed
// decision whose accounting charges a release gave back (once).
const prefixChargeReleased = "released_charge/"

// releaseCharges gives back the accounting charges of a released family's
// decisions, as a cancel does: each member's staking charge (StakeCharge:
// the family counted once, as its largest member) and bridge amount. None
// of them can confirm any more, so they stake and return nothing. Once per
// decision: a family with several ids is released id by id.
func releaseCharges(tx *bolt.Tx, fc *followCache, fam *family) error {
	sa := tx.Bucket(storage.BucketStakeAccounts)
	for _, m := range fam.txids {
		r, err := signedRecord(tx, fc, m)
		if err != nil {
			return err
		}
		k := []byte(prefixChargeReleased + r.ID)
		if sa.Get(k) != nil {
			continue
		}
		if err := addInt(sa, keyStaked, -stakeCharge(r)); err != nil {
			return err
		}
		if err := addInt(sa, keyReturned, -r.Decision.BridgeSat); err != nil {
			return err
		}
		if err := sa.Put(k, []byte{1}); err != nil {
			return err
		}
	}
	return nil
}

// A released claim leaves the claims bucket (the id is free) and leaves
// its evidence in the reconciliation bucket, under prefixReleased + reqId,
// for the views and the gauge.
const prefixReleased = "released/"

// releasedClaim is the stored evidence of one release.
type releasedClaim struct {
	DecisionID string    `json:"decision_id"`
	TxID       string    `json:"txid"`
	Family     []string  `json:"family,omitempty"`
	Conflicts  []string  `json:"conflicts"`
	Height     uint64    `json:"height"`
	At         time.Time `json:"at"`
}

func putReleased(tx *bolt.Tx, id string, r releasedClaim) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(storage.BucketL1Reconcile).Put([]byte(prefixReleased+id), b)
}

func getReleased(tx *bolt.Tx, id string) (*releasedClaim, error) {
	b := tx.Bucket(storage.BucketL1Reconcile)
	if b == nil {
		return nil, errors.New("bucket " + string(storage.BucketL1Reconcile) + " missing")
	}
	raw := b.Get([]byte(prefixReleased + id))
	if raw == nil {
		return nil, nil
	}
	var r releasedClaim
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("released claim %s: corrupt: %w", id, err)
	}
	return &r, nil
}

// countReleased counts the released ids no decision has claimed since.
func countReleased(tx *bolt.Tx) int {
	claims := tx.Bucket(storage.BucketClaims)
	c := tx.Bucket(storage.BucketL1Reconcile).Cursor()
	n := 0
	p := []byte(prefixReleased)
	for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), prefixReleased); k, _ = c.Next() {
		if claims.Get(k[len(p):]) == nil {
			n++
		}
	}
	return n
}
