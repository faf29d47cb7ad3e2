package l2

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Kind is what a ledger record stands for.
type Kind string

const (
	KindStaked  Kind = "staked"  // TokenStaked
	KindUnbound Kind = "unbound" // UnboundRequired
	// KindUnknown is a record created by an UnboundApproved for a reqId the
	// ledger never saw; it always carries a conflict.
	KindUnknown Kind = "unknown"
)

// State is how far a request got on L2. Reservations and signatures are
// kept by the decision service, not here.
type State string

const (
	StateFinalized State = "finalized" // its event has the configured confirmations
	StateApproved  State = "approved"  // UnboundApproved seen (final, confirmed)
)

// Conflict codes: the first word of each Request.Conflicts entry. A request
// with any conflict must be refused by the policy.
const (
	ConflictNotWholeSat      = "amount_not_whole_sat"    // wei amount not a multiple of 1e10
	ConflictAmountTooLarge   = "amount_too_large"        // more than 21e6 BTC
	ConflictZeroAmount       = "amount_zero"             // zero amount
	ConflictTokenNotBTC      = "token_not_btc"           // token differs from the configured BTC token
	ConflictDuplicateReqID   = "duplicate_req_id"        // a second TokenStaked/UnboundRequired with this reqId
	ConflictApprovalUnknown  = "approval_of_unknown"     // UnboundApproved for a reqId never seen
	ConflictApprovalNotUnb   = "approval_of_non_unbound" // UnboundApproved for a staked reqId
	ConflictDuplicateApprove = "duplicate_approval"      // a second UnboundApproved
)

// WeiPerSat is the L2 native BTC scale: 18 decimals, so 1 sat = 1e10 wei.
const WeiPerSat = 10_000_000_000

// MaxSat is the whole Bitcoin supply in satoshis; larger amounts conflict.
const MaxSat = 21_000_000 * 100_000_000

// ErrNotFound is returned by Get and Plan for an unknown key.
var ErrNotFound = errors.New("l2: not found")

// ErrCorrupt is returned when a stored value does not decode.
var ErrCorrupt = errors.New("l2: corrupt ledger entry")

// Request is the ledger's record of one reqId. JSON is its stored form.
type Request struct {
	ReqID     *big.Int       `json:"req_id"`
	Kind      Kind           `json:"kind"`
	User      common.Address `json:"user"`
	AmountWei string         `json:"amount_wei"` // decimal
	AmountSat int64          `json:"amount_sat"` // 0 when the amount conflicts
	Token     common.Address `json:"token"`
	PlanID    *big.Int       `json:"plan_id,omitempty"`  // staked only
	Duration  *big.Int       `json:"duration,omitempty"` // staked only
	ExtraInfo hexutil.Bytes  `json:"extra_info"`

	TxHash      common.Hash `json:"tx_hash"`
	BlockNumber uint64      `json:"block_number"`
	BlockHash   common.Hash `json:"block_hash"`
	LogIndex    uint        `json:"log_index"`

	State State `json:"state"`
	// Approval position, when State is approved.
	ApprovedTx    *common.Hash `json:"approved_tx,omitempty"`
	ApprovedBlock uint64       `json:"approved_block,omitempty"`

	Conflicts []string `json:"conflicts,omitempty"`
}

// Usable reports whether the policy may rely on r at all: no conflicts.
func (r *Request) Usable() bool { return len(r.Conflicts) == 0 }

// PlanWithdraw records a WithdrawApproved(planId) event.
type PlanWithdraw struct {
	PlanID      *big.Int    `json:"plan_id"`
	TxHash      common.Hash `json:"tx_hash"`
	BlockNumber uint64      `json:"block_number"`
	BlockHash   common.Hash `json:"block_hash"`
	LogIndex    uint        `json:"log_index"`
	Duplicates  int         `json:"duplicates,omitempty"`
}

// Totals are running sums over finalized, conflict-free requests.
type Totals struct {
	StakedSat    int64 `json:"staked_sat"`  // all usable TokenStaked
	UnboundSat   int64 `json:"unbound_sat"` // all usable UnboundRequired (approved or not)
	StakedCount  int64 `json:"staked_count"`
	UnboundCount int64 `json:"unbound_count"`
}

// Ledger reads and writes the request ledger inside the caller's bbolt
// transaction. It holds no state besides its configuration, so one Ledger may
// serve concurrent transactions.
type Ledger struct {
	btcToken common.Address
}

// NewLedger returns a Ledger that marks every token other than btcToken (the
// zero address for native BTC) as conflicting.
func NewLedger(btcToken common.Address) *Ledger { return &Ledger{btcToken: btcToken} }

// Key layouts.
//
//	BucketLedger:      reqId (32-byte big-endian) -> Request JSON
//	BucketLedgerOrder: block (8) | logIndex (4) -> reqId (32)   (staked and unbound events)
//	BucketL2Pending:   block (8) | logIndex (4) -> reqId (32)   (usable, unapproved unbound)
//	BucketL2Plans:     planId (32) -> PlanWithdraw JSON
//	BucketL2Blocks:    block (8) -> hash (32)                   (event blocks and range ends)
//	BucketL2Undo:      block (8) | seq (4) -> undo entry        (see undo.go)
//	BucketL2Cursor:    named keys (see status.go)
func reqKey(id *big.Int) ([]byte, error) {
	if id == nil || id.Sign() < 0 || id.BitLen() > 256 {
		return nil, fmt.Errorf("l2: reqId out of uint256 range")
	}
	var k [32]byte
	id.FillBytes(k[:])
	return k[:], nil
}

func posKey(block uint64, logIndex uint) []byte {
	var k [12]byte
	binary.BigEndian.PutUint64(k[:8], block)
	binary.BigEndian.PutUint32(k[8:], uint32(logIndex))
	return k[:]
}

func heightKey(h uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], h)
	return k[:]
}

func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("l2: bucket %s missing (schema not migrated?)", name)
	}
	return b, nil
}

func decodeRequest(raw []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &r, nil
}

// Get returns the record of reqID, or ErrNotFound.
func (l *Ledger) Get(tx *bolt.Tx, reqID *big.Int) (*Request, error) {
	k, err := reqKey(reqID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	b, err := bucket(tx, storage.BucketLedger)
	if err != nil {
		return nil, err
	}
	raw := b.Get(k)
	if raw == nil {
		return nil, fmt.Errorf("%w: reqId %s", ErrNotFound, reqID)
	}
	return decodeRequest(raw)
}

// PendingUnbound returns, in L2 order, every unbound request that is
// finalized, not approved and conflict-free: the relayer's FIFO queue.
func (l *Ledger) PendingUnbound(tx *bolt.Tx) ([]Request, error) {
	pb, err := bucket(tx, storage.BucketL2Pending)
	if err != nil {
		return nil, err
	}
	lb, err := bucket(tx, storage.BucketLedger)
	if err != nil {
		return nil, err
	}
	var out []Request
	err = pb.ForEach(func(_, id []byte) error {
		raw := lb.Get(id)
		if raw == nil {
			return fmt.Errorf("%w: pending entry without record", ErrCorrupt)
		}
		r, err := decodeRequest(raw)
		if err != nil {
			return err
		}
		out = append(out, *r)
		return nil
	})
	return out, err
}

// PendingQueue is PendingUnbound reduced to what MatchFIFO needs.
func (l *Ledger) PendingQueue(tx *bolt.Tx) ([]Pending, error) {
	rs, err := l.PendingUnbound(tx)
	if err != nil {
		return nil, err
	}
	q := make([]Pending, len(rs))
	for i, r := range rs {
		q[i] = Pending{ReqID: r.ReqID, AmountSat: r.AmountSat}
	}
	return q, nil
}

// Plan returns the WithdrawApproved record of planID, or ErrNotFound.
func (l *Ledger) Plan(tx *bolt.Tx, planID *big.Int) (*PlanWithdraw, error) {
	k, err := reqKey(planID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	b, err := bucket(tx, storage.BucketL2Plans)
	if err != nil {
		return nil, err
	}
	raw := b.Get(k)
	if raw == nil {
		return nil, fmt.Errorf("%w: plan %s", ErrNotFound, planID)
	}
	var p PlanWithdraw
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &p, nil
}

var keyTotals = []byte("totals")

// Totals returns the running sums (zero before the first event).
func (l *Ledger) Totals(tx *bolt.Tx) (Totals, error) {
	var t Totals
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return t, err
	}
	if raw := b.Get(keyTotals); raw != nil {
		if err := json.Unmarshal(raw, &t); err != nil {
			return t, fmt.Errorf("%w: totals: %v", ErrCorrupt, err)
		}
	}
	return t, nil
}

// Apply ingests one decoded event into the ledger inside tx. Every write is
// recorded in the undo log under ev.BlockNumber, so Rollback can remove the
// block again. Apply never drops an event: anything odd becomes a conflict on
// the affected record. It is not idempotent by itself; the indexer's cursor
// guarantees each event is applied once.
func (l *Ledger) Apply(tx *bolt.Tx, ev Event) error {
	w, err := undo.Writer(tx, ev.BlockNumber)
	if err != nil {
		return err
	}
	return l.apply(w, ev)
}

func (l *Ledger) apply(w *writer, ev Event) error {
	switch ev.Type {
	case EventTokenStaked, EventUnboundRequired:
		return l.applyRequest(w, ev)
	case EventUnboundApproved:
		return l.applyApproval(w, ev)
	case EventWithdrawApproved:
		return l.applyPlan(w, ev)
	default:
		return fmt.Errorf("l2: unknown event type %q", ev.Type)
	}
}

func where(ev Event) string {
	return fmt.Sprintf("block %d log %d tx %s", ev.BlockNumber, ev.LogIndex, ev.TxHash.Hex())
}

// weiToSat converts a native-BTC amount; ok is false (with a conflict code)
// when it is not a whole, positive, in-supply number of satoshis.
func weiToSat(wei *big.Int) (int64, string) {
	if wei == nil || wei.Sign() <= 0 {
		return 0, ConflictZeroAmount
	}
	q, r := new(big.Int).QuoRem(wei, big.NewInt(WeiPerSat), new(big.Int))
	if r.Sign() != 0 {
		return 0, ConflictNotWholeSat
	}
	if !q.IsInt64() || q.Int64() > MaxSat {
		return 0, ConflictAmountTooLarge
	}
	return q.Int64(), ""
}

func (l *Ledger) applyRequest(w *writer, ev Event) error {
	k, err := reqKey(ev.ReqID)
	if err != nil {
		return err
	}
	if ev.Amount == nil {
		ev.Amount = new(big.Int)
	}
	if raw := w.Get(storage.BucketLedger, k); raw != nil {
		old, err := decodeRequest(raw)
		if err != nil {
			return err
		}
		upd := *old
		upd.Conflicts = append(append([]string(nil), old.Conflicts...),
			fmt.Sprintf("%s: %s amount %s at %s", ConflictDuplicateReqID, ev.Type, ev.Amount, where(ev)))
		return l.putRequest(w, k, old, &upd)
	}
	r := &Request{
		ReqID:       new(big.Int).Set(ev.ReqID),
		User:        ev.User,
		AmountWei:   ev.Amount.String(),
		Token:       ev.Token,
		ExtraInfo:   append(hexutil.Bytes{}, ev.ExtraInfo...),
		TxHash:      ev.TxHash,
		BlockNumber: ev.BlockNumber,
		BlockHash:   ev.BlockHash,
		LogIndex:    ev.LogIndex,
		State:       StateFinalized,
	}
	if ev.Type == EventTokenStaked {
		r.Kind = KindStaked
		r.PlanID, r.Duration = cloneInt(ev.PlanID), cloneInt(ev.Duration)
	} else {
		r.Kind = KindUnbound
	}
	sat, c := weiToSat(ev.Amount)
	if c != "" {
		r.Conflicts = append(r.Conflicts, fmt.Sprintf("%s: %s wei", c, ev.Amount))
	}
	r.AmountSat = sat
	if ev.Token != l.btcToken {
		r.Conflicts = append(r.Conflicts, fmt.Sprintf("%s: %s", ConflictTokenNotBTC, ev.Token.Hex()))
	}
	if err := w.Put(storage.BucketLedgerOrder, posKey(ev.BlockNumber, ev.LogIndex), k); err != nil {
		return err
	}
	return l.putRequest(w, k, nil, r)
}

func (l *Ledger) applyApproval(w *writer, ev Event) error {
	k, err := reqKey(ev.ReqID)
	if err != nil {
		return err
	}
	raw := w.Get(storage.BucketLedger, k)
	if raw == nil {
		r := &Request{
			ReqID: new(big.Int).Set(ev.ReqID), Kind: KindUnknown, AmountWei: "0",
			TxHash: ev.TxHash, BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, LogIndex: ev.LogIndex,
			State:     StateApproved,
			Conflicts: []string{fmt.Sprintf("%s: at %s", ConflictApprovalUnknown, where(ev))},
		}
		h := ev.TxHash
		r.ApprovedTx, r.ApprovedBlock = &h, ev.BlockNumber
		return l.putRequest(w, k, nil, r)
	}
	old, err := decodeRequest(raw)
	if err != nil {
		return err
	}
	upd := *old
	upd.Conflicts = append([]string(nil), old.Conflicts...)
	switch {
	case old.Kind != KindUnbound:
		upd.Conflicts = append(upd.Conflicts, fmt.Sprintf("%s: at %s", ConflictApprovalNotUnb, where(ev)))
	case old.State == StateApproved:
		upd.Conflicts = append(upd.Conflicts, fmt.Sprintf("%s: at %s", ConflictDuplicateApprove, where(ev)))
	default:
		h := ev.TxHash
		upd.State, upd.ApprovedTx, upd.ApprovedBlock = StateApproved, &h, ev.BlockNumber
	}
	return l.putRequest(w, k, old, &upd)
}

func (l *Ledger) applyPlan(w *writer, ev Event) error {
	k, err := reqKey(ev.PlanID)
	if err != nil {
		return err
	}
	p := PlanWithdraw{PlanID: cloneInt(ev.PlanID), TxHash: ev.TxHash, BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, LogIndex: ev.LogIndex}
	if raw := w.Get(storage.BucketL2Plans, k); raw != nil {
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		p.Duplicates++
	}
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return w.Put(storage.BucketL2Plans, k, v)
}

func cloneInt(x *big.Int) *big.Int {
	if x == nil {
		return nil
	}
	return new(big.Int).Set(x)
}

// contribution is what r adds to the totals.
func contribution(r *Request) (t Totals) {
	if r == nil || !r.Usable() {
		return t
	}
	switch r.Kind {
	case KindStaked:
		t.StakedSat, t.StakedCount = r.AmountSat, 1
	case KindUnbound:
		t.UnboundSat, t.UnboundCount = r.AmountSat, 1
	}
	return t
}

func pendingOf(r *Request) bool {
	return r != nil && r.Kind == KindUnbound && r.State == StateFinalized && r.Usable()
}

// putRequest stores upd (replacing old, nil when new) and keeps the pending
// index and the totals in step, all through the undo-logging writer.
func (l *Ledger) putRequest(w *writer, k []byte, old, upd *Request) error {
	v, err := json.Marshal(upd)
	if err != nil {
		return err
	}
	if err := w.Put(storage.BucketLedger, k, v); err != nil {
		return err
	}
	pk := posKey(upd.BlockNumber, upd.LogIndex)
	switch was, is := pendingOf(old), pendingOf(upd); {
	case !was && is:
		err = w.Put(storage.BucketL2Pending, pk, k)
	case was && !is:
		err = w.Delete(storage.BucketL2Pending, pk)
	}
	if err != nil {
		return err
	}
	co, cn := contribution(old), contribution(upd)
	if co == cn {
		return nil
	}
	var t Totals
	if raw := w.Get(storage.BucketL2Cursor, keyTotals); raw != nil {
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("%w: totals: %v", ErrCorrupt, err)
		}
	}
	t.StakedSat += cn.StakedSat - co.StakedSat
	t.UnboundSat += cn.UnboundSat - co.UnboundSat
	t.StakedCount += cn.StakedCount - co.StakedCount
	t.UnboundCount += cn.UnboundCount - co.UnboundCount
	tv, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return w.Put(storage.BucketL2Cursor, keyTotals, tv)
}
