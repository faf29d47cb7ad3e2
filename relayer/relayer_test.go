package relayer

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

const satWei = 1e10

// chain is the L2 side of a test: the simulated backend with the real
// StakingPool, whose governor is the relayer's key, and a block producer.
type chain struct {
	sim      *simulated.Backend
	client   simulated.Client
	pool     *bindings.StakingPool
	addr     common.Address
	governor *bind.TransactOpts
	user     *bind.TransactOpts
	stop     func()
}

func mustKey(t *testing.T, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newChain(t *testing.T) *chain {
	t.Helper()
	gk, uk := mustKey(t, "relayer-governor"), mustKey(t, "relayer-user")
	rich := new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1000))
	sim := simulated.NewBackend(types.GenesisAlloc{
		crypto.PubkeyToAddress(gk.PublicKey): {Balance: rich},
		crypto.PubkeyToAddress(uk.PublicKey): {Balance: rich},
	})
	client := sim.Client()
	chainID, err := client.ChainID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gov, err := bind.NewKeyedTransactorWithChainID(gk, chainID)
	if err != nil {
		t.Fatal(err)
	}
	user, err := bind.NewKeyedTransactorWithChainID(uk, chainID)
	if err != nil {
		t.Fatal(err)
	}
	addr, _, pool, err := bindings.DeployStakingPool(gov, client, gov.From)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	// A block producer, like a real chain's: receipts appear without the
	// code under test committing blocks itself.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				sim.Commit()
			}
		}
	}()
	c := &chain{sim: sim, client: client, pool: pool, addr: addr, governor: gov, user: user}
	var once sync.Once
	c.stop = func() { once.Do(func() { close(done); wg.Wait(); sim.Close() }) }
	t.Cleanup(c.stop)
	return c
}

func (c *chain) wait(t *testing.T) func(*types.Transaction, error) *types.Receipt {
	return func(tx *types.Transaction, err error) *types.Receipt { return c.mined(t, tx, err) }
}

func (c *chain) mined(t *testing.T, tx *types.Transaction, err error) *types.Receipt {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := bind.WaitMined(ctx, c.client, tx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tx %s reverted", tx.Hash())
	}
	return r
}

// unbound stakes amountSat in plan and asks to unbond it; it returns the
// UnboundRequired reqId.
func (c *chain) unbound(t *testing.T, amountSat int64, plan int64) *big.Int {
	t.Helper()
	wei := new(big.Int).Mul(big.NewInt(amountSat), big.NewInt(satWei))
	opts := *c.user
	opts.Value = wei
	c.wait(t)(c.pool.Stake(&opts, common.Address{}, wei, big.NewInt(plan), big.NewInt(0), nil))
	stakeID, err := c.pool.LastReqId(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.wait(t)(c.pool.RequestUnbound(c.user, stakeID, nil))
	id, err := c.pool.LastReqId(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (c *chain) stake(t *testing.T, amountSat int64, plan int64) *big.Int {
	t.Helper()
	wei := new(big.Int).Mul(big.NewInt(amountSat), big.NewInt(satWei))
	opts := *c.user
	opts.Value = wei
	c.wait(t)(c.pool.Stake(&opts, common.Address{}, wei, big.NewInt(plan), big.NewInt(0), nil))
	id, err := c.pool.LastReqId(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// approved lists the reqIds of every UnboundApproved event, in order.
func (c *chain) approved(t *testing.T) []string {
	t.Helper()
	it, err := c.pool.FilterUnboundApproved(&bind.FilterOpts{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for it.Next() {
		out = append(out, it.Event.ReqId.String())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countingL2 counts the L2 transactions the relayer sends and can make
// WaitMined fail, to stand for a crash between send and receipt.
type countingL2 struct {
	L2
	sends    atomic.Int32
	failWait atomic.Bool
}

func (c *countingL2) SendApproveUnbound(ctx context.Context, ids []*big.Int) (common.Hash, error) {
	c.sends.Add(1)
	return c.L2.SendApproveUnbound(ctx, ids)
}

func (c *countingL2) SendApproveWithdraw(ctx context.Context, plan *big.Int) (common.Hash, error) {
	c.sends.Add(1)
	return c.L2.SendApproveWithdraw(ctx, plan)
}

var errCrash = errors.New("test: crash before the receipt")

func (c *countingL2) WaitMined(ctx context.Context, h common.Hash) error {
	if c.failWait.Load() {
		return errCrash
	}
	return c.L2.WaitMined(ctx, h)
}

func ids(vs ...*big.Int) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

const btc = 100_000_000

// TestRelayerEndToEnd runs the relayer against a real btcd regtest node and
// the real StakingPool on go-ethereum's simulated backend.
func TestRelayerEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	wallet, err := regtest.NewKey("relayer-test-dedicated-wallet")
	if err != nil {
		t.Fatal(err)
	}
	bridge, err := regtest.NewKey("relayer-test-bridge-hot-wallet")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: wallet.Addr, InitialBlocks: regtest.ReadyHeight})
	l2 := newChain(t)

	contract, err := NewContract(ContractConfig{Backend: l2.client, Address: l2.addr, Auth: l2.governor, Confirmations: 1, ReceiptPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingL2{L2: contract}
	dbPath := filepath.Join(t.TempDir(), "relayer.db")
	const plan = 7
	const planAmount = 12_345_678
	tip, err := node.Height()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		L1: node.Client(), L2: counter, BridgeScript: bridge.PkScript, WalletScripts: [][]byte{wallet.PkScript},
		Confirmations: 2, StartHeight: tip + 1, DBPath: dbPath, MaxBatch: 1,
		Plans:     []PlanRedemption{{AmountSat: planAmount, PlanID: big.NewInt(plan)}},
		TxTimeout: 30 * time.Second,
	}
	reg := prometheus.NewRegistry()
	first := cfg
	first.Metrics = reg
	r, err := New(first)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Close() }()

	// L2: P002's FIFO example (1, 2, 1 BTC) and two requests an OP_RETURN names.
	r1, r2, r3 := l2.unbound(t, 1*btc, 1), l2.unbound(t, 2*btc, 1), l2.unbound(t, 1*btc, 1)
	r4, r5 := l2.unbound(t, 30_000_000, 1), l2.unbound(t, 20_000_000, 1)
	l2.stake(t, planAmount, plan)

	pay := func(t *testing.T, amount int64, memo []byte) wire.OutPoint {
		t.Helper()
		outs := []*wire.TxOut{wire.NewTxOut(amount, bridge.PkScript)}
		if memo != nil {
			o, err := regtest.OpReturn(memo)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, o)
		}
		tx, err := wallet.Pay(ctx, node, outs, 5_000)
		if err != nil {
			t.Fatal(err)
		}
		return wire.OutPoint{Hash: tx.TxHash()}
	}
	poll := func(t *testing.T) {
		t.Helper()
		if err := r.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mine := func(t *testing.T, n int) {
		t.Helper()
		if _, err := node.Mine(ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("op_return releases exactly the named ids, only once confirmed", func(t *testing.T) {
		op := pay(t, 50_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r4, r5}))
		poll(t) // in the mempool: nothing
		mine(t, 1)
		poll(t) // one confirmation of two: nothing
		if got := counter.sends.Load(); got != 0 {
			t.Fatalf("%d L2 sends before 2 confirmations", got)
		}
		if got := l2.approved(t); len(got) != 0 {
			t.Fatalf("approved before confirmation: %v", got)
		}
		mine(t, 1)
		poll(t)
		if got, want := l2.approved(t), ids(r4, r5); !slices.Equal(got, want) {
			t.Fatalf("UnboundApproved %v, want %v", got, want)
		}
		if got := counter.sends.Load(); got != 2 { // MaxBatch 1: two batches
			t.Fatalf("%d sends, want 2", got)
		}
		ts, err := r.Transfers()
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].TxID != op.Hash.String() || ts[0].Kind != KindOpReturn || ts[0].State != StateReleased {
			t.Fatalf("transfers %+v", ts)
		}
	})

	t.Run("no op_return: FIFO releases the first two of 1,2,1 BTC for 3 BTC", func(t *testing.T) {
		before := counter.sends.Load()
		pay(t, 3*btc, nil)
		mine(t, 2)
		poll(t)
		if got, want := l2.approved(t), ids(r4, r5, r1, r2); !slices.Equal(got, want) {
			t.Fatalf("UnboundApproved %v, want %v", got, want)
		}
		if got := counter.sends.Load() - before; got != 2 {
			t.Fatalf("%d sends, want 2", got)
		}
		if got := testutil.ToFloat64(r.m.sends.WithLabelValues("approveUnbound")); got != 4 {
			t.Fatalf("relayer_l2_sends_total{approveUnbound} = %v, want 4", got)
		}
		if got := testutil.ToFloat64(r.m.transfers.WithLabelValues(KindFIFO, StateIntent)); got != 1 {
			t.Fatalf("relayer_transfers_total{fifo,intent} = %v, want 1", got)
		}
		if n, err := testutil.GatherAndCount(reg, "relayer_l1_scanned_height"); err != nil || n != 1 {
			t.Fatalf("scanned height series: %d, %v", n, err)
		}
		st, err := contract.UnboundStatus(ctx, []*big.Int{r3})
		if err != nil {
			t.Fatal(err)
		}
		if st[0] != StatusPending {
			t.Fatalf("r3 status %v, want pending", st[0])
		}
	})

	t.Run("a deposit to the bridge not from the dedicated wallet is ignored", func(t *testing.T) {
		outsider, err := regtest.NewKey("relayer-test-outsider")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wallet.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(2*btc, outsider.PkScript)}, 5_000); err != nil {
			t.Fatal(err)
		}
		mine(t, 1)
		before := counter.sends.Load()
		// 1 BTC would match r3 by FIFO, and the OP_RETURN-less form is the
		// one a stranger could abuse.
		tx, err := outsider.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(1*btc, bridge.PkScript)}, 5_000)
		if err != nil {
			t.Fatal(err)
		}
		mine(t, 2)
		poll(t)
		if got := counter.sends.Load() - before; got != 0 {
			t.Fatalf("%d L2 sends for an outsider deposit", got)
		}
		ts, err := r.Transfers()
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if tr.TxID == tx.TxHash().String() {
				t.Fatalf("outsider deposit recorded: %+v", tr)
			}
		}
	})

	t.Run("plan redemption amount calls approveWithdraw", func(t *testing.T) {
		pay(t, planAmount, nil)
		mine(t, 2)
		poll(t)
		open, err := contract.PlanOpen(ctx, big.NewInt(plan))
		if err != nil {
			t.Fatal(err)
		}
		if !open {
			t.Fatal("plan not opened")
		}
	})

	t.Run("unmatched and bad OP_RETURN transfers are held", func(t *testing.T) {
		before := counter.sends.Load()
		approvedBefore := l2.approved(t)
		pay(t, 7_777, nil)                                                   // no FIFO match
		pay(t, 1*btc, psbtcheck.EncodeStReqIDs([]*big.Int{r1}))              // r1 already released
		pay(t, 1*btc, []byte(`{"StReqIds":"01"}`))                           // not canonical
		pay(t, 1*btc, psbtcheck.EncodeStReqIDs([]*big.Int{big.NewInt(999)})) // unknown id
		mine(t, 2)
		poll(t)
		if got := counter.sends.Load() - before; got != 0 {
			t.Fatalf("%d sends for unmatched transfers", got)
		}
		if got := l2.approved(t); !slices.Equal(got, approvedBefore) {
			t.Fatalf("approvals changed: %v", got)
		}
		ts, err := r.Transfers()
		if err != nil {
			t.Fatal(err)
		}
		held := 0
		for _, tr := range ts {
			if tr.State == StateHeld {
				held++
				if tr.Reason == "" || len(tr.Batches) != 0 {
					t.Fatalf("held transfer without reason or with batches: %+v", tr)
				}
			}
		}
		if held != 4 {
			t.Fatalf("%d held transfers, want 4: %+v", held, ts)
		}
	})

	t.Run("crash between send and receipt, restart: reconciled, nothing sent twice", func(t *testing.T) {
		counter.failWait.Store(true)
		pay(t, 1*btc, psbtcheck.EncodeStReqIDs([]*big.Int{r3}))
		mine(t, 2)
		if err := r.Poll(ctx); !errors.Is(err, errCrash) {
			t.Fatalf("poll: %v, want the simulated crash", err)
		}
		sent := counter.sends.Load()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		counter.failWait.Store(false)
		// The L2 transaction lands while the relayer is down.
		deadline := time.Now().Add(30 * time.Second)
		for !slices.Contains(l2.approved(t), r3.String()) {
			if time.Now().After(deadline) {
				t.Fatal("the sent approval never landed")
			}
			time.Sleep(20 * time.Millisecond)
		}
		nonce, err := l2.client.NonceAt(ctx, l2.governor.From, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err = New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		poll(t)
		poll(t)
		if got := counter.sends.Load(); got != sent {
			t.Fatalf("restart sent %d more L2 transactions", got-sent)
		}
		after, err := l2.client.NonceAt(ctx, l2.governor.From, nil)
		if err != nil {
			t.Fatal(err)
		}
		if after != nonce {
			t.Fatalf("governor nonce %d -> %d after restart", nonce, after)
		}
		if got, want := l2.approved(t), ids(r4, r5, r1, r2, r3); !slices.Equal(got, want) {
			t.Fatalf("UnboundApproved %v, want %v", got, want)
		}
		ts, err := r.Transfers()
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if tr.State == StateIntent {
				t.Fatalf("transfer %s still in intent after restart", tr.TxID)
			}
		}
	})

	t.Run("restart with a rewound cursor re-reads blocks without releasing again", func(t *testing.T) {
		sent := counter.sends.Load()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		// Rewind the cursor to the start: every block is scanned again.
		st, err := openStore(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.db.Update(func(tx *boltTx) error {
			return tx.Bucket(bucketCursor).Delete(keyNextHeight)
		}); err != nil {
			t.Fatal(err)
		}
		st.close()
		r, err = New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		poll(t)
		if got := counter.sends.Load(); got != sent {
			t.Fatalf("rescan sent %d L2 transactions", got-sent)
		}
	})

	t.Run("a reorg within the confirmation depth is harmless", func(t *testing.T) {
		r6 := l2.unbound(t, 10_000_000, 1)
		sent := counter.sends.Load()
		op := pay(t, 10_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r6}))
		hs, err := node.Mine(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		poll(t) // one confirmation: not yet
		// The block is replaced; btcd puts its transaction back in the
		// mempool and the new chain mines it again.
		if err := node.Client().InvalidateBlock(hs[0]); err != nil {
			t.Fatal(err)
		}
		mine(t, 2)
		if c, err := node.Confirmations(&op.Hash); err != nil || c != 2 {
			t.Fatalf("re-mined transfer: %d confirmations, %v", c, err)
		}
		poll(t)
		if got := counter.sends.Load() - sent; got != 1 {
			t.Fatalf("%d sends, want 1", got)
		}
		if got := l2.approved(t); got[len(got)-1] != r6.String() {
			t.Fatalf("UnboundApproved %v, want last %s", got, r6)
		}
	})

	t.Run("a reorg below the confirmation depth stops the relayer", func(t *testing.T) {
		next, _, ok, err := r.st.cursor()
		if err != nil || !ok {
			t.Fatalf("cursor: %v %v", ok, err)
		}
		scanned, err := node.Client().GetBlockHash(next - 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := node.Client().InvalidateBlock(scanned); err != nil {
			t.Fatal(err)
		}
		mine(t, int(cfg.Confirmations)+3)
		if err := r.Poll(ctx); !errors.Is(err, ErrDeepReorg) {
			t.Fatalf("poll after a deep reorg: %v, want ErrDeepReorg", err)
		}
	})
}

func TestNewRejectsUnsafeConfig(t *testing.T) {
	script := []byte{0x00, 0x14}
	base := func() Config {
		return Config{L1: nilL1{}, L2: &countingL2{}, BridgeScript: script, WalletScripts: [][]byte{script}, Confirmations: 1, DBPath: filepath.Join(t.TempDir(), "r.db")}
	}
	cases := []struct {
		name string
		mut  func(*Config)
	}{
		{"zero confirmations", func(c *Config) { c.Confirmations = 0 }},
		{"no bridge", func(c *Config) { c.BridgeScript = nil }},
		{"no wallet", func(c *Config) { c.WalletScripts = nil }},
		{"no db", func(c *Config) { c.DBPath = "" }},
		{"duplicate plan amount", func(c *Config) {
			c.Plans = []PlanRedemption{{AmountSat: 5, PlanID: big.NewInt(1)}, {AmountSat: 5, PlanID: big.NewInt(2)}}
		}},
		{"no L1", func(c *Config) { c.L1 = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mut(&c)
			if r, err := New(c); err == nil {
				r.Close()
				t.Fatal("New accepted an unsafe config")
			}
		})
	}
	r, err := New(base())
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	r.Close()
}

type boltTx = bolt.Tx

// nilL1 is an L1 that is never reached (New does not call the node).
type nilL1 struct{}

func (nilL1) GetBlockCount() (int64, error) { return 0, errors.New("unreachable") }
func (nilL1) GetBlockHash(int64) (*chainhash.Hash, error) {
	return nil, errors.New("unreachable")
}
func (nilL1) GetBlock(*chainhash.Hash) (*wire.MsgBlock, error) {
	return nil, errors.New("unreachable")
}
func (nilL1) GetRawTransaction(*chainhash.Hash) (*btcutil.Tx, error) {
	return nil, errors.New("unreachable")
}
