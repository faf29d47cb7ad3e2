package l2

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

func syncOnce(t *testing.T, ix *Indexer) {
	t.Helper()
	if err := ix.SyncOnce(context.Background()); err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
}

func pendingIDs(t *testing.T, ix *Indexer) []int64 {
	t.Helper()
	var q []Pending
	if err := ix.db.View(func(tx *bolt.Tx) (err error) { q, err = ix.Ledger().PendingQueue(tx); return }); err != nil {
		t.Fatal(err)
	}
	return ids(q)
}

func hasConflict(r *Request, code string) bool {
	for _, c := range r.Conflicts {
		if strings.HasPrefix(c, code+":") {
			return true
		}
	}
	return false
}

// TestIndexerLedger drives the real contract on the simulated backend: native
// and ERC-20 stakes from several users, a non-satoshi amount, unbound
// requests, approvals, confirmations and an idempotent re-run.
func TestIndexerLedger(t *testing.T) {
	c := newTestChain(t, 3)
	db := tempDB(t)
	ix, err := NewWithClients(c.config(3), db, c.client)
	if err != nil {
		t.Fatal(err)
	}

	// reqIds 1-3: native stakes of 1, 2, 1 BTC; 4: 5 sat + 1 wei.
	c.mine(c.stake(0, btcWei(1), 7), c.stake(1, btcWei(2), 7), c.stake(2, btcWei(1), 8))
	c.mine(c.stake(0, new(big.Int).Add(satWei(5), big.NewInt(1)), 7))
	// reqId 5: an ERC-20 stake (allowed by the governor, but not BTC).
	tokAddr, tx, tok, err := bindings.DeployTestToken(c.gov, c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.mine(tx)
	tx1, _ := tok.Mint(c.users[1], c.users[1].From, big.NewInt(1000))
	tx2, _ := tok.Approve(c.users[1], c.poolAddr, big.NewInt(1000))
	tx3, _ := c.pool.SetTokenAllowed(c.gov, tokAddr, true)
	c.mine(tx1, tx2, tx3)
	tx4, err := c.pool.Stake(c.users[1], tokAddr, big.NewInt(1000), big.NewInt(7), big.NewInt(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.mine(tx4)
	// reqIds 6, 7, 8: unbound requests of stakes 1, 2, 3 (1, 2, 1 BTC).
	c.mine(c.requestUnbound(0, 1), c.requestUnbound(1, 2))
	c.mine(c.requestUnbound(2, 3))
	lastEvent := c.head()

	c.mineN(2) // only 2 confirmations
	syncOnce(t, ix)
	db.View(func(tx *bolt.Tx) error {
		if _, err := ix.Ledger().Get(tx, big.NewInt(8)); !errors.Is(err, ErrNotFound) {
			t.Errorf("reqId 8 with 2 of 3 confirmations: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	c.mineN(1)
	syncOnce(t, ix)

	tests := []struct {
		id       int64
		kind     Kind
		user     int
		sat      int64
		conflict string
	}{
		{1, KindStaked, 0, 100_000_000, ""},
		{2, KindStaked, 1, 200_000_000, ""},
		{3, KindStaked, 2, 100_000_000, ""},
		{4, KindStaked, 0, 0, ConflictNotWholeSat},
		{5, KindStaked, 1, 0, ConflictTokenNotBTC},
		{6, KindUnbound, 0, 100_000_000, ""},
		{7, KindUnbound, 1, 200_000_000, ""},
		{8, KindUnbound, 2, 100_000_000, ""},
	}
	for _, tt := range tests {
		t.Run(big.NewInt(tt.id).String(), func(t *testing.T) {
			r := mustGet(t, db, ix.Ledger(), tt.id)
			if r.Kind != tt.kind || r.User != c.users[tt.user].From || r.AmountSat != tt.sat || r.State != StateFinalized {
				t.Fatalf("record %+v", r)
			}
			if tt.conflict == "" && len(r.Conflicts) != 0 {
				t.Fatalf("unexpected conflicts %v", r.Conflicts)
			}
			if tt.conflict != "" && !hasConflict(r, tt.conflict) {
				t.Fatalf("conflicts %v, want %s", r.Conflicts, tt.conflict)
			}
			if r.BlockNumber == 0 || r.BlockHash == (common.Hash{}) || r.TxHash == (common.Hash{}) {
				t.Fatalf("position missing: %+v", r)
			}
		})
	}
	if r := mustGet(t, db, ix.Ledger(), 1); r.PlanID.Int64() != 7 || r.Duration.Int64() != 86400 || string(r.ExtraInfo) != "x" {
		t.Fatalf("stake fields %+v", r)
	}
	if got := pendingIDs(t, ix); !reflect.DeepEqual(got, []int64{6, 7, 8}) {
		t.Fatalf("pending %v", got)
	}
	var tot Totals
	var st Status
	db.View(func(tx *bolt.Tx) error {
		tot, _ = ix.Ledger().Totals(tx)
		st, _ = ix.Ledger().Status(tx)
		return nil
	})
	if want := (Totals{StakedSat: 400_000_000, UnboundSat: 400_000_000, StakedCount: 3, UnboundCount: 3}); tot != want {
		t.Fatalf("totals %+v, want %+v", tot, want)
	}
	if st.IndexedHeight != lastEvent || !st.Synced || st.Head != lastEvent+3 {
		t.Fatalf("status %+v (last event block %d)", st, lastEvent)
	}
	if err := st.Fresh(time.Now(), time.Hour); err != nil {
		t.Fatalf("fresh: %v", err)
	}

	// P002's FIFO example on the real queue: 3 BTC releases 6 and 7.
	q := pendingQueue(t, ix)
	if got := ids(MatchFIFO(300_000_000, q)); !reflect.DeepEqual(got, []int64{6, 7}) {
		t.Fatalf("MatchFIFO = %v", got)
	}

	// Idempotent: a re-run without new blocks changes nothing.
	before := dump(t, db)
	syncOnce(t, ix)
	if after := dump(t, db); !reflect.DeepEqual(before, after) {
		t.Fatal("re-sync changed the ledger")
	}

	// Approvals become visible only once confirmed.
	c.mine(c.approve(6, 7))
	syncOnce(t, ix)
	if r := mustGet(t, db, ix.Ledger(), 6); r.State != StateFinalized {
		t.Fatalf("approval ingested before confirmations: %+v", r)
	}
	c.mineN(3)
	syncOnce(t, ix)
	if r := mustGet(t, db, ix.Ledger(), 6); r.State != StateApproved || r.ApprovedTx == nil {
		t.Fatalf("reqId 6 after approval: %+v", r)
	}
	if got := pendingIDs(t, ix); !reflect.DeepEqual(got, []int64{8}) {
		t.Fatalf("pending after approval %v", got)
	}

	// Plan redemption.
	txw, err := c.pool.ApproveWithdraw(c.gov, big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	c.mine(txw)
	c.mineN(3)
	syncOnce(t, ix)
	var plan *PlanWithdraw
	if err := db.View(func(tx *bolt.Tx) (err error) { plan, err = ix.Ledger().Plan(tx, big.NewInt(7)); return }); err != nil || plan.TxHash != txw.Hash() {
		t.Fatalf("plan 7: %+v %v", plan, err)
	}
}

func pendingQueue(t *testing.T, ix *Indexer) []Pending {
	t.Helper()
	var q []Pending
	if err := ix.db.View(func(tx *bolt.Tx) (err error) { q, err = ix.Ledger().PendingQueue(tx); return }); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestIndexerReorg indexes a stake, then replaces its block by a longer
// branch in which the same account spends that nonce on something else: the
// stake must disappear from the ledger and the totals, and the new branch's
// events must be indexed.
func TestIndexerReorg(t *testing.T) {
	c := newTestChain(t, 2)
	db := tempDB(t)
	ix, err := NewWithClients(c.config(1), db, c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.mine(c.stake(0, btcWei(1), 1)) // reqId 1
	c.mineN(1)
	syncOnce(t, ix)
	parent, err := c.client.HeaderByNumber(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := dump(t, db)

	stake := c.stake(1, btcWei(3), 1) // reqId 2 on the old branch
	c.mine(stake)
	c.mineN(1)
	syncOnce(t, ix)
	if r := mustGet(t, db, ix.Ledger(), 2); r.AmountSat != 300_000_000 || r.User != c.users[1].From {
		t.Fatalf("reqId 2 before reorg: %+v", r)
	}

	// New branch from parent: user 1 spends the same nonce on a plain
	// transfer (higher tip so it replaces the stake in the pool), and user 0
	// stakes 2 BTC, which takes reqId 2 there.
	if err := c.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	replace := c.replaceNonce(1, stake)
	c.mine(replace)
	c.mine(c.stake(0, btcWei(2), 1))
	c.mineN(2)
	syncOnce(t, ix)

	r := mustGet(t, db, ix.Ledger(), 2)
	if r.User != c.users[0].From || r.AmountSat != 200_000_000 {
		t.Fatalf("reqId 2 after reorg: %+v", r)
	}
	var st Status
	var tot Totals
	db.View(func(tx *bolt.Tx) error { st, _ = ix.Ledger().Status(tx); tot, _ = ix.Ledger().Totals(tx); return nil })
	if st.Reorgs != 1 || !strings.Contains(st.LastReorg, "rolled back") {
		t.Fatalf("status after reorg: %+v", st)
	}
	if tot.StakedSat != 300_000_000 || tot.StakedCount != 2 {
		t.Fatalf("totals after reorg %+v", tot)
	}
	// Rolling the ledger back to the fork point gives exactly the old state.
	if err := db.Update(func(tx *bolt.Tx) error { return ix.Ledger().Rollback(tx, parent.Number.Uint64()) }); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, db); !reflect.DeepEqual(before, after) {
		t.Fatalf("rollback to the fork point differs:\nbefore %v\nafter  %v", before, after)
	}
}

// replaceNonce sends a 0-value self transfer from user with tx's nonce.
func (c *testChain) replaceNonce(user int, old *types.Transaction) *types.Transaction {
	c.t.Helper()
	ctx := context.Background()
	tip := new(big.Int).Mul(old.GasTipCap(), big.NewInt(3))
	fee := new(big.Int).Mul(old.GasFeeCap(), big.NewInt(3))
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: simChainID, Nonce: old.Nonce(), GasTipCap: tip, GasFeeCap: fee, Gas: 21000, To: &c.users[user].From, Value: big.NewInt(0)})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(simChainID), c.userKeys[user])
	if err != nil {
		c.t.Fatal(err)
	}
	// The pool resets to the new head asynchronously after Fork: until then
	// it reports the old branch's nonce. Retry until it caught up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err = c.client.SendTransaction(ctx, signed)
		if err == nil || time.Now().After(deadline) || !strings.Contains(err.Error(), "nonce too low") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return signed
}

// TestIndexerRestart stops indexing half-way (the bbolt file is closed and
// reopened by a new Indexer) and must end with exactly the ledger of an
// uninterrupted run.
func TestIndexerRestart(t *testing.T) {
	c := newTestChain(t, 3)
	for i := 0; i < 6; i++ {
		c.mine(c.stake(i%3, btcWei(int64(1+i)), 1), c.stake((i+1)%3, satWei(int64(1000+i)), 2))
	}
	c.mine(c.requestUnbound(0, 1), c.requestUnbound(1, 2))
	c.mine(c.approve(13))
	c.mineN(2)
	mid := c.deployed + 4
	full := c.head()

	path := filepath.Join(t.TempDir(), "restart.db")
	db := openDB(t, path)
	cfg := c.config(2)
	ix, _ := NewWithClients(cfg, db, &cappedClient{Client: c.client, head: mid + 2})
	syncOnce(t, ix)
	var st Status
	db.View(func(tx *bolt.Tx) (err error) { st, err = ix.Ledger().Status(tx); return })
	if st.IndexedHeight != mid {
		t.Fatalf("first run indexed to %d, want %d", st.IndexedHeight, mid)
	}
	db.Close()

	db = openDB(t, path)
	defer db.Close()
	ix, _ = NewWithClients(cfg, db, c.client)
	syncOnce(t, ix)
	syncOnce(t, ix)

	ref := tempDB(t)
	rix, _ := NewWithClients(cfg, ref, c.client)
	syncOnce(t, rix)
	if a, b := dump(t, db), dump(t, ref); !reflect.DeepEqual(a, b) {
		t.Fatalf("restarted ledger differs from an uninterrupted one (%d vs %d keys)", len(a), len(b))
	}
	if r := mustGet(t, db, ix.Ledger(), 13); r.State != StateApproved {
		t.Fatalf("reqId 13 %+v", r)
	}
	db.View(func(tx *bolt.Tx) (err error) { st, err = ix.Ledger().Status(tx); return })
	if st.IndexedHeight != full-2 {
		t.Fatalf("indexed %d, want %d", st.IndexedHeight, full-2)
	}
}

// cappedClient pretends the chain ends at head.
type cappedClient struct {
	Client
	head uint64
}

func (c *cappedClient) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	if n == nil {
		n = new(big.Int).SetUint64(c.head)
	}
	return c.Client.HeaderByNumber(ctx, n)
}

// failingClient fails every call.
type failingClient struct{ Client }

func (failingClient) HeaderByNumber(context.Context, *big.Int) (*types.Header, error) {
	return nil, errors.New("connection refused by http://secret-key@rpc.example")
}

// TestIndexerEndpoints: endpoints on different chains disagree, a failing
// endpoint makes the view stale; both are recorded and refused by Fresh.
func TestIndexerEndpoints(t *testing.T) {
	c := newTestChain(t, 1)
	other := simulated.NewBackend(types.GenesisAlloc{c.users[0].From: {Balance: btcWei(1)}})
	defer other.Close()
	for i := 0; i < 5; i++ {
		c.sim.Commit()
		other.Commit()
	}
	t.Run("agree", func(t *testing.T) {
		ix, _ := NewWithClients(c.config(1), tempDB(t), c.client, c.client)
		syncOnce(t, ix)
		if err := ix.db.View(func(tx *bolt.Tx) error { return ix.Check(tx, time.Now()) }); err != nil {
			t.Fatalf("Check: %v", err)
		}
	})
	t.Run("disagree", func(t *testing.T) {
		ix, _ := NewWithClients(c.config(1), tempDB(t), c.client, other.Client())
		if err := ix.SyncOnce(context.Background()); !errors.Is(err, ErrEndpointsDisagree) {
			t.Fatalf("SyncOnce = %v, want ErrEndpointsDisagree", err)
		}
		err := ix.db.View(func(tx *bolt.Tx) error { return ix.Check(tx, time.Now()) })
		if !errors.Is(err, ErrEndpointsDisagree) && !errors.Is(err, ErrNotSynced) {
			t.Fatalf("Check = %v", err)
		}
	})
	t.Run("rpc fails after a good sync", func(t *testing.T) {
		db := tempDB(t)
		cfg := c.config(1)
		cfg.RPCURLs = []string{"http://secret-key@rpc.example"}
		good, _ := NewWithClients(cfg, db, c.client)
		syncOnce(t, good)
		bad, _ := NewWithClients(cfg, db, failingClient{c.client})
		if err := bad.SyncOnce(context.Background()); err == nil {
			t.Fatal("SyncOnce succeeded against a failing endpoint")
		}
		var st Status
		db.View(func(tx *bolt.Tx) (err error) { st, err = good.Ledger().Status(tx); return })
		if err := st.Fresh(time.Now(), time.Hour); !errors.Is(err, ErrRPCFailed) {
			t.Fatalf("Fresh = %v, want ErrRPCFailed", err)
		}
		if strings.Contains(st.LastError, "secret-key") {
			t.Fatalf("status leaks the endpoint URL: %q", st.LastError)
		}
		syncOnce(t, good) // recovers
		db.View(func(tx *bolt.Tx) (err error) { st, err = good.Ledger().Status(tx); return })
		if err := st.Fresh(time.Now(), time.Hour); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
	t.Run("other contract in the same file", func(t *testing.T) {
		db := tempDB(t)
		ix, _ := NewWithClients(c.config(1), db, c.client)
		syncOnce(t, ix)
		cfg := c.config(1)
		cfg.Contract = common.HexToAddress("0x1234")
		ix2, _ := NewWithClients(cfg, db, c.client)
		if err := ix2.SyncOnce(context.Background()); !errors.Is(err, ErrWrongContract) {
			t.Fatalf("SyncOnce = %v, want ErrWrongContract", err)
		}
	})
}

func TestIndexerConfig(t *testing.T) {
	ok := Config{Contract: common.HexToAddress("0x1"), StartBlock: 1, Confirmations: 1}
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"no contract", func(c *Config) { c.Contract = common.Address{} }},
		{"start block 0", func(c *Config) { c.StartBlock = 0 }},
		{"zero confirmations", func(c *Config) { c.Confirmations = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			if _, err := NewWithClients(cfg, nil, failingClient{}); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := New(context.Background(), ok, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("New without URLs: %v", err)
	}
	if _, err := NewWithClients(ok, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewWithClients without clients: %v", err)
	}
}

// TestIndexerRun: the loop indexes new confirmed blocks and stops with ctx.
func TestIndexerRun(t *testing.T) {
	c := newTestChain(t, 1)
	db := tempDB(t)
	cfg := c.config(1)
	cfg.PollInterval = 10 * time.Millisecond
	ix, _ := NewWithClients(cfg, db, c.client)
	c.mine(c.stake(0, btcWei(1), 1))
	c.mineN(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		db.View(func(tx *bolt.Tx) error { _, err = ix.Ledger().Get(tx, big.NewInt(1)); return nil })
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not index reqId 1")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}
