package l2

import (
	"errors"
	"math/big"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"
)

func ev(typ EventType, id int64, block uint64, idx uint, amount *big.Int) Event {
	return Event{
		Type: typ, ReqID: big.NewInt(id), User: common.HexToAddress("0xabc"), Amount: amount,
		PlanID: big.NewInt(1), Duration: big.NewInt(0),
		BlockNumber: block, BlockHash: common.BigToHash(big.NewInt(int64(block))),
		TxHash: common.BigToHash(big.NewInt(int64(block*1000) + int64(idx))), LogIndex: idx,
	}
}

func applyAll(t testing.TB, db interface {
	Update(func(*bolt.Tx) error) error
}, l *Ledger, evs ...Event) {
	t.Helper()
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, e := range evs {
			if err := l.Apply(tx, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestLedgerConflicts: odd events are recorded as conflicts, never dropped.
func TestLedgerConflicts(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		id     int64
		state  State
		kind   Kind
		want   []string // conflict codes in order
	}{
		{"clean stake", []Event{ev(EventTokenStaked, 1, 10, 0, satWei(5))}, 1, StateFinalized, KindStaked, nil},
		{"non-satoshi", []Event{ev(EventTokenStaked, 1, 10, 0, big.NewInt(WeiPerSat+1))}, 1, StateFinalized, KindStaked, []string{ConflictNotWholeSat}},
		{"zero", []Event{ev(EventUnboundRequired, 1, 10, 0, big.NewInt(0))}, 1, StateFinalized, KindUnbound, []string{ConflictZeroAmount}},
		{"above supply", []Event{ev(EventTokenStaked, 1, 10, 0, satWei(MaxSat+1))}, 1, StateFinalized, KindStaked, []string{ConflictAmountTooLarge}},
		{"huge", []Event{ev(EventTokenStaked, 1, 10, 0, new(big.Int).Lsh(big.NewInt(1), 255))}, 1, StateFinalized, KindStaked, []string{ConflictNotWholeSat}},
		{"duplicate reqId", []Event{ev(EventTokenStaked, 1, 10, 0, satWei(5)), ev(EventUnboundRequired, 1, 11, 3, satWei(5))}, 1, StateFinalized, KindStaked, []string{ConflictDuplicateReqID}},
		{"approval of unknown", []Event{ev(EventUnboundApproved, 9, 10, 0, nil)}, 9, StateApproved, KindUnknown, []string{ConflictApprovalUnknown}},
		{"approval of a stake", []Event{ev(EventTokenStaked, 1, 10, 0, satWei(5)), ev(EventUnboundApproved, 1, 11, 0, nil)}, 1, StateFinalized, KindStaked, []string{ConflictApprovalNotUnb}},
		{"double approval", []Event{ev(EventUnboundRequired, 1, 10, 0, satWei(5)), ev(EventUnboundApproved, 1, 11, 0, nil), ev(EventUnboundApproved, 1, 12, 0, nil)}, 1, StateApproved, KindUnbound, []string{ConflictDuplicateApprove}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tempDB(t)
			l := NewLedger(common.Address{})
			applyAll(t, db, l, tt.events...)
			r := mustGet(t, db, l, tt.id)
			if r.State != tt.state || r.Kind != tt.kind {
				t.Fatalf("state %s kind %s, want %s %s", r.State, r.Kind, tt.state, tt.kind)
			}
			if len(r.Conflicts) != len(tt.want) {
				t.Fatalf("conflicts %v, want %v", r.Conflicts, tt.want)
			}
			for i, code := range tt.want {
				if !hasConflict(&Request{Conflicts: r.Conflicts[i : i+1]}, code) {
					t.Fatalf("conflict %d = %q, want %s", i, r.Conflicts[i], code)
				}
			}
			var tot Totals
			var q []Pending
			db.View(func(tx *bolt.Tx) error { tot, _ = l.Totals(tx); q, _ = l.PendingQueue(tx); return nil })
			if len(tt.want) > 0 && (tot.StakedSat != 0 || tot.UnboundSat != 0 || len(q) != 0) {
				t.Fatalf("conflicting request counted: totals %+v pending %v", tot, ids(q))
			}
		})
	}
}

func TestLedgerTokenAndLookupErrors(t *testing.T) {
	db := tempDB(t)
	wbtc := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	l := NewLedger(wbtc)
	native := ev(EventTokenStaked, 1, 10, 0, satWei(1))
	tok := ev(EventTokenStaked, 2, 10, 1, satWei(1))
	tok.Token = wbtc
	applyAll(t, db, l, native, tok)
	if !hasConflict(mustGet(t, db, l, 1), ConflictTokenNotBTC) {
		t.Fatal("native BTC accepted with a configured ERC-20 BTC token")
	}
	if r := mustGet(t, db, l, 2); !r.Usable() {
		t.Fatalf("configured token conflicts: %v", r.Conflicts)
	}
	db.View(func(tx *bolt.Tx) error {
		for _, id := range []*big.Int{big.NewInt(3), big.NewInt(-1), new(big.Int).Lsh(big.NewInt(1), 256), nil} {
			if _, err := l.Get(tx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%v) = %v, want ErrNotFound", id, err)
			}
		}
		if _, err := l.Plan(tx, big.NewInt(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Plan = %v", err)
		}
		return nil
	})
}

// TestLedgerRollbackProperty: applying random events for blocks 1..n and
// rolling back to h equals applying only the events of blocks <= h.
func TestLedgerRollbackProperty(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rollbackCase(t, seed)
	}
}

func randomEvents(rng *rand.Rand, n int) []Event {
	var evs []Event
	var block uint64 = 1
	for i := 0; i < n; i++ {
		if rng.Intn(3) == 0 {
			block++
		}
		id := int64(rng.Intn(n/2 + 1))
		amt := satWei(int64(rng.Intn(5)))
		if rng.Intn(10) == 0 {
			amt.Add(amt, big.NewInt(1))
		}
		typ := []EventType{EventTokenStaked, EventUnboundRequired, EventUnboundRequired, EventUnboundApproved, EventWithdrawApproved}[rng.Intn(5)]
		evs = append(evs, ev(typ, id, block, uint(i), amt))
	}
	return evs
}

func rollbackCase(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	evs := randomEvents(rng, 40)
	h := uint64(rng.Intn(int(evs[len(evs)-1].BlockNumber) + 1))
	l := NewLedger(common.Address{})
	a, b := tempDB(t), tempDB(t)
	applyAll(t, a, l, evs...)
	if err := a.Update(func(tx *bolt.Tx) error { return l.Rollback(tx, h) }); err != nil {
		t.Fatal(err)
	}
	var prefix []Event
	for _, e := range evs {
		if e.BlockNumber <= h {
			prefix = append(prefix, e)
		}
	}
	applyAll(t, b, l, prefix...)
	if da, db := dump(t, a), dump(t, b); !reflect.DeepEqual(da, db) {
		t.Fatalf("seed %d: rollback to %d differs from re-application (%d vs %d keys)", seed, h, len(da), len(db))
	}
}

func TestLedgerPruneUndo(t *testing.T) {
	db := tempDB(t)
	l := NewLedger(common.Address{})
	applyAll(t, db, l, ev(EventTokenStaked, 1, 10, 0, satWei(1)), ev(EventTokenStaked, 2, 20, 0, satWei(1)))
	if err := db.Update(func(tx *bolt.Tx) error { return l.PruneUndo(tx, 15) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *bolt.Tx) error { return l.Rollback(tx, 5) })
	if !errors.Is(err, ErrReorgTooDeep) {
		t.Fatalf("Rollback below the floor = %v", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return l.Rollback(tx, 15) }); err != nil {
		t.Fatal(err)
	}
	mustGet(t, db, l, 1)
	db.View(func(tx *bolt.Tx) error {
		if _, err := l.Get(tx, big.NewInt(2)); !errors.Is(err, ErrNotFound) {
			t.Errorf("reqId 2 survived the rollback: %v", err)
		}
		return nil
	})
}

func TestStatusFresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	good := Status{Synced: true, LastPollOK: now.Add(-5 * time.Second), HeadChangedAt: now.Add(-10 * time.Second), IndexedTime: now.Add(-30 * time.Second)}
	mod := func(f func(*Status)) Status { s := good; f(&s); return s }
	tests := []struct {
		name  string
		s     Status
		bound time.Duration
		want  error
	}{
		{"fresh", good, time.Minute, nil},
		{"exactly at the bound", mod(func(s *Status) { s.IndexedTime = now.Add(-time.Minute) }), time.Minute, nil},
		{"never synced", Status{}, time.Minute, ErrNotSynced},
		{"endpoints disagree", mod(func(s *Status) { s.Disagree = true }), time.Minute, ErrEndpointsDisagree},
		{"last poll failed", mod(func(s *Status) { s.LastError = "timeout" }), time.Minute, ErrRPCFailed},
		{"poller stopped", mod(func(s *Status) { s.LastPollOK = now.Add(-2 * time.Minute) }), time.Minute, ErrPollStale},
		{"head stalled", mod(func(s *Status) { s.HeadChangedAt = now.Add(-61 * time.Second) }), time.Minute, ErrHeadStalled},
		{"indexed block old", mod(func(s *Status) { s.IndexedTime = now.Add(-61 * time.Second) }), time.Minute, ErrIndexedBlockTooOld},
		{"no bound", good, 0, ErrPollStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Fresh(now, tt.bound)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Fresh = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzLedgerRollback: the rollback property for fuzzed event sequences.
func FuzzLedgerRollback(f *testing.F) {
	f.Add(int64(1), uint8(10))
	f.Add(int64(42), uint8(60))
	f.Fuzz(func(t *testing.T, seed int64, n uint8) {
		if n == 0 {
			return
		}
		rng := rand.New(rand.NewSource(seed))
		evs := randomEvents(rng, int(n%64)+1)
		h := uint64(rng.Intn(int(evs[len(evs)-1].BlockNumber) + 1))
		l := NewLedger(common.Address{})
		a, b := tempDB(t), tempDB(t)
		applyAll(t, a, l, evs...)
		if err := a.Update(func(tx *bolt.Tx) error { return l.Rollback(tx, h) }); err != nil {
			t.Fatal(err)
		}
		var prefix []Event
		for _, e := range evs {
			if e.BlockNumber <= h {
				prefix = append(prefix, e)
			}
		}
		applyAll(t, b, l, prefix...)
		if !reflect.DeepEqual(dump(t, a), dump(t, b)) {
			t.Fatalf("rollback to %d differs", h)
		}
	})
}
