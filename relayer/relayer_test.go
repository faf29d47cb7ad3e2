package relayer

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
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
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

const satWei = 1e10

// chain is the L2 side of a test: the simulated backend with a block
// producer and one of the two contract profiles:
//   - the reference StakingPool, whose governor is the approver's key (or
//     a GovernorMultisig in which the approver only proposes);
//   - RestakingPool behind ERC1967Proxy: AccessControl, hash-seeded
//     77-digit ids, approveUnbound that never reverts.
type chain struct {
	sim      *simulated.Backend
	client   simulated.Client
	addr     common.Address // the staking contract (proxy)
	pool     *bindings.StakingPool
	restake  *bindings.RestakingPool
	approver *bind.TransactOpts // the relayer's key
	admin    *bind.TransactOpts
	user     *bind.TransactOpts
	bitlayer *bind.TransactOpts // governor multisig signer (proposal profile)
	ms       *bindings.GovernorMultisig
	msAddr   common.Address
	stop     func()
}

type profile int

const (
	profileReference profile = iota // StakingPool, governor = relayer key
	profileRestaking                // RestakingPool, APPROVER_ROLE = relayer key
	profileGovernor                 // StakingPool, governor = GovernorMultisig; relayer proposes
)

func mustKey(t *testing.T, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newChain(t *testing.T, p profile) *chain {
	t.Helper()
	keys := map[string]*ecdsa.PrivateKey{}
	alloc := types.GenesisAlloc{}
	rich := new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1000))
	for _, n := range []string{"approver", "admin", "user", "bitlayer"} {
		keys[n] = mustKey(t, "relayer-"+n)
		alloc[crypto.PubkeyToAddress(keys[n].PublicKey)] = types.Account{Balance: rich}
	}
	sim := simulated.NewBackend(alloc)
	client := sim.Client()
	chainID, err := client.ChainID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{sim: sim, client: client}
	opts := func(n string) *bind.TransactOpts {
		o, err := bind.NewKeyedTransactorWithChainID(keys[n], chainID)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	c.approver, c.admin, c.user, c.bitlayer = opts("approver"), opts("admin"), opts("user"), opts("bitlayer")
	switch p {
	case profileReference:
		c.addr, _, c.pool, err = bindings.DeployStakingPool(c.admin, client, c.approver.From)
	case profileGovernor:
		var ms common.Address
		ms, _, c.ms, err = bindings.DeployGovernorMultisig(c.admin, client, c.bitlayer.From, []common.Address{c.approver.From, c.admin.From}, big.NewInt(1))
		if err != nil {
			t.Fatal(err)
		}
		sim.Commit()
		c.msAddr = ms
		c.addr, _, c.pool, err = bindings.DeployStakingPool(c.admin, client, ms)
	case profileRestaking:
		c.addr, c.restake = deployRestaking(t, sim, client, c.admin, c.approver.From)
	}
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
	var once sync.Once
	c.stop = func() { once.Do(func() { close(done); wg.Wait(); sim.Close() }) }
	t.Cleanup(c.stop)
	return c
}

// deployRestaking deploys RestakingPool behind ERC1967Proxy (proxy admin:
// admin), initialized with admin as DEFAULT_ADMIN_ROLE and approver as
// APPROVER_ROLE.
func deployRestaking(t *testing.T, sim *simulated.Backend, client simulated.Client, admin *bind.TransactOpts, approver common.Address) (common.Address, *bindings.RestakingPool) {
	t.Helper()
	impl, _, _, err := bindings.DeployRestakingPool(admin, client)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	parsed, _ := bindings.RestakingPoolMetaData.GetAbi()
	init, err := parsed.Pack("initialize", admin.From, approver, [32]byte{0x42})
	if err != nil {
		t.Fatal(err)
	}
	// The proxy admin must not be a user of the pool (transparent proxy):
	// a fresh key administers upgrades.
	proxyAdmin := crypto.PubkeyToAddress(mustKey(t, "relayer-proxy-admin").PublicKey)
	addr, _, _, err := bindings.DeployERC1967Proxy(admin, client, impl, proxyAdmin, init)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	pool, err := bindings.NewRestakingPool(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	return addr, pool
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

func (c *chain) lastReqID(t *testing.T) *big.Int {
	t.Helper()
	var id *big.Int
	var err error
	if c.restake != nil {
		id, err = c.restake.LastReqId(nil)
	} else {
		id, err = c.pool.LastReqId(nil)
	}
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
	if c.restake != nil {
		c.wait(t)(c.restake.Stake(&opts, common.Address{}, wei, big.NewInt(plan), big.NewInt(0), nil))
	} else {
		c.wait(t)(c.pool.Stake(&opts, common.Address{}, wei, big.NewInt(plan), big.NewInt(0), nil))
	}
	return c.lastReqID(t)
}

// unbound stakes amountSat in plan and asks to unbond it; it returns the
// UnboundRequired reqId.
func (c *chain) unbound(t *testing.T, amountSat int64, plan int64) *big.Int {
	t.Helper()
	stakeID := c.stake(t, amountSat, plan)
	if c.restake != nil {
		c.wait(t)(c.restake.RequestUnbound(c.user, stakeID, nil))
	} else {
		c.wait(t)(c.pool.RequestUnbound(c.user, stakeID, nil))
	}
	return c.lastReqID(t)
}

// approved lists the reqIds of every UnboundApproved event, in order
// (any P002 contract: the event's topic, not a binding).
func (c *chain) approved(t *testing.T) []string {
	t.Helper()
	parsed, err := abi.JSON(strings.NewReader(p002ABI))
	if err != nil {
		t.Fatal(err)
	}
	logs, err := c.client.FilterLogs(context.Background(), ethereum.FilterQuery{
		FromBlock: big.NewInt(0), Addresses: []common.Address{c.addr},
		Topics: [][]common.Hash{{parsed.Events["UnboundApproved"].ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, lg := range logs {
		out = append(out, new(big.Int).SetBytes(lg.Topics[1].Bytes()).String())
	}
	return out
}

// countingL2 counts the L2 transactions the relayer builds and can fail
// Send or Receipt, to stand for a crash around the broadcast.
type countingL2 struct {
	L2
	builds   atomic.Int32
	failSend atomic.Bool
}

func (c *countingL2) BuildApproveUnbound(ctx context.Context, ids []*big.Int) (*types.Transaction, error) {
	c.builds.Add(1)
	return c.L2.BuildApproveUnbound(ctx, ids)
}

func (c *countingL2) BuildApproveWithdraw(ctx context.Context, plan *big.Int) (*types.Transaction, error) {
	c.builds.Add(1)
	return c.L2.BuildApproveWithdraw(ctx, plan)
}

var errCrash = errors.New("test: crash")

func (c *countingL2) Send(ctx context.Context, tx *types.Transaction) error {
	if c.failSend.Load() {
		return errCrash
	}
	return c.L2.Send(ctx, tx)
}

func ids(vs ...*big.Int) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

const btc = 100_000_000

// l1 is the Bitcoin side shared by every scenario of the package: one
// btcd --regtest, a dedicated wallet, and one bridge per scenario.
type l1 struct {
	node   *regtest.Node
	wallet *regtest.Key
}

func (b *l1) pay(t *testing.T, ctx context.Context, bridge []byte, amount int64, memo []byte) string {
	t.Helper()
	outs := []*wire.TxOut{wire.NewTxOut(amount, bridge)}
	if memo != nil {
		// Any size (Core 30's policy; btcd --regtest relays non-standard
		// transactions): full-width ids do not fit in 80 bytes.
		outs = append(outs, wire.NewTxOut(0, psbtgen.OpReturnScript(memo)))
	}
	tx, err := b.wallet.Pay(ctx, b.node, outs, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	return tx.TxHash().String()
}

func (b *l1) mine(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	if _, err := b.node.Mine(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// harness is one relayer over one chain profile, one bridge, one policyd.
type harness struct {
	t       *testing.T
	ctx     context.Context
	l1      *l1
	l2      *chain
	pd      *fakePolicyd
	bridge  *regtest.Key
	counter *countingL2
	cfg     Config
	r       *Relayer
	reg     *prometheus.Registry
}

func newHarness(t *testing.T, ctx context.Context, b *l1, p profile, seed string) *harness {
	t.Helper()
	l2 := newChain(t, p)
	bridge, err := regtest.NewKey("relayer-test-bridge-" + seed)
	if err != nil {
		t.Fatal(err)
	}
	cc := ContractConfig{Backend: l2.client, Address: l2.addr, Auth: l2.approver}
	if p == profileGovernor {
		cc.Governor = l2.msAddr
	}
	contract, err := NewContract(cc)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := b.node.Height()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ctx: ctx, l1: b, l2: l2, pd: newFakePolicyd(t), bridge: bridge, counter: &countingL2{L2: contract}, reg: prometheus.NewRegistry()}
	h.cfg = Config{
		L1: b.node.Client(), L2: h.counter, BridgeScript: bridge.PkScript, WalletScripts: [][]byte{b.wallet.PkScript},
		Confirmations: 2, StartHeight: tip + 1, DBPath: filepath.Join(t.TempDir(), "relayer.db"), MaxBatch: 1,
		Audit: h.pd, AuditKey: h.pd.key, Witness: newLogWitness(t, h.pd, t.TempDir()), TxTimeout: 30 * time.Second, ReceiptPoll: 20 * time.Millisecond,
	}
	first := h.cfg
	first.Metrics = h.reg
	if h.r, err = New(first); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.r.Close() })
	return h
}

func (h *harness) pay(amount int64, memo []byte) string {
	return h.l1.pay(h.t, h.ctx, h.bridge.PkScript, amount, memo)
}

func (h *harness) poll() {
	h.t.Helper()
	if err := h.r.Poll(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) restart() {
	h.t.Helper()
	if err := h.r.Close(); err != nil {
		h.t.Fatal(err)
	}
	r, err := New(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.r = r
}

// restartSendsNothingNew restarts the relayer, polls twice and checks that
// no transaction was built since builds and the one recorded before the
// restart was mined (nonce + 1 exactly).
func (h *harness) restartSendsNothingNew(builds int32, nonce uint64) {
	h.t.Helper()
	h.restart()
	h.poll()
	h.poll()
	if got := h.counter.builds.Load(); got != builds {
		h.t.Fatalf("restart built %d new transactions", got-builds)
	}
	if got := h.nonce(); got != nonce+1 {
		h.t.Fatalf("nonce %d -> %d, want exactly one transaction", nonce, got)
	}
}

func (h *harness) transfer(txid string) Transfer {
	h.t.Helper()
	ts, err := h.r.Transfers()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.TxID == txid {
			return tr
		}
	}
	h.t.Fatalf("no transfer %s in %+v", txid, ts)
	return Transfer{}
}

func (h *harness) nonce() uint64 {
	h.t.Helper()
	n, err := h.l2.client.NonceAt(h.ctx, h.l2.approver.From, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func startL1(t *testing.T) *l1 {
	t.Helper()
	wallet, err := regtest.NewKey("relayer-test-dedicated-wallet")
	if err != nil {
		t.Fatal(err)
	}
	node := regtest.StartT(t, regtest.Config{MiningAddr: wallet.Addr, InitialBlocks: regtest.ReadyHeight})
	return &l1{node: node, wallet: wallet}
}

// TestRelayer runs the relayer against one real btcd regtest node (shared
// by every scenario) and the contract profiles on go-ethereum's simulated
// backend, with policyd's decisions from a real, verified audit log.
func TestRelayer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	b := startL1(t)
	t.Run("reference StakingPool", func(t *testing.T) { testReference(t, ctx, b) })
	t.Run("RestakingPool (upgradeable, AccessControl, never reverts)", func(t *testing.T) { testRestaking(t, ctx, b) })
	t.Run("governor multisig: the relayer proposes", func(t *testing.T) { testGovernor(t, ctx, b) })
}

func testReference(t *testing.T, ctx context.Context, b *l1) {
	h := newHarness(t, ctx, b, profileReference, "reference")
	l2, pd := h.l2, h.pd
	r1, r2, r3 := l2.unbound(t, 1*btc, 1), l2.unbound(t, 2*btc, 1), l2.unbound(t, 1*btc, 1)
	r4, r5 := l2.unbound(t, 30_000_000, 1), l2.unbound(t, 20_000_000, 1)
	const plan, planAmount = 7, 12_345_678
	l2.stake(t, planAmount, plan)

	t.Run("releases exactly the decision's claims, only once confirmed", func(t *testing.T) {
		txid := h.pay(50_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r4, r5}))
		pd.allow(txid, 50_000_000, policy.SourceOpReturn, ids(r4, r5)...)
		h.poll() // in the mempool: nothing
		b.mine(t, ctx, 1)
		h.poll() // one confirmation of two: nothing
		if got := h.counter.builds.Load(); got != 0 {
			t.Fatalf("%d L2 transactions before 2 confirmations", got)
		}
		b.mine(t, ctx, 1)
		h.poll()
		if got, want := l2.approved(t), ids(r4, r5); !slices.Equal(got, want) {
			t.Fatalf("UnboundApproved %v, want %v", got, want)
		}
		if got := h.counter.builds.Load(); got != 2 { // MaxBatch 1: two batches
			t.Fatalf("%d L2 transactions, want 2", got)
		}
		tr := h.transfer(txid)
		if tr.Kind != KindDecision || tr.State != StateReleased || tr.DecisionID == "" {
			t.Fatalf("transfer %+v", tr)
		}
	})

	t.Run("no OP_RETURN: releases what policyd's FIFO claimed, not a choice of its own", func(t *testing.T) {
		// 3 BTC. The naive FIFO over the queue (r1, r2, r3) would take r1 and
		// r2; policyd claimed r2 and r3 (say r1 was reserved by another
		// decision). The relayer follows policyd.
		before := h.counter.builds.Load()
		txid := h.pay(3*btc, nil)
		pd.allow(txid, 3*btc, policy.SourceFIFO, ids(r2, r3)...)
		b.mine(t, ctx, 2)
		h.poll()
		if got, want := l2.approved(t), ids(r4, r5, r2, r3); !slices.Equal(got, want) {
			t.Fatalf("UnboundApproved %v, want %v", got, want)
		}
		if got := h.counter.builds.Load() - before; got != 2 {
			t.Fatalf("%d L2 transactions, want 2", got)
		}
		if got := testutil.ToFloat64(h.r.m.sends.WithLabelValues("approveUnbound")); got != 4 {
			t.Fatalf("relayer_l2_sends_total{approveUnbound} = %v, want 4", got)
		}
		if n, err := testutil.GatherAndCount(h.reg, "relayer_l1_scanned_height"); err != nil || n != 1 {
			t.Fatalf("scanned height series: %d, %v", n, err)
		}
	})

	t.Run("a wallet transfer with no decision is an alarm, never an approval", func(t *testing.T) {
		before, approvedBefore := h.counter.builds.Load(), l2.approved(t)
		txid := h.pay(1*btc, psbtcheck.EncodeStReqIDs([]*big.Int{r1})) // r1 is pending and 1 BTC
		denied := h.pay(1*btc, nil)
		pd.deny(denied)
		b.mine(t, ctx, 2)
		h.poll()
		if got := h.counter.builds.Load() - before; got != 0 {
			t.Fatalf("%d L2 transactions for undecided transfers", got)
		}
		if got := l2.approved(t); !slices.Equal(got, approvedBefore) {
			t.Fatalf("approvals changed: %v", got)
		}
		for _, id := range []string{txid, denied} {
			if tr := h.transfer(id); tr.State != StateAlarm || tr.Alarm != AlarmNoDecision || len(tr.Batches) != 0 {
				t.Fatalf("transfer %+v", tr)
			}
		}
		if got := testutil.ToFloat64(h.r.m.alarms.WithLabelValues(AlarmNoDecision)); got != 2 {
			t.Fatalf("relayer_alarms_total{no_decision} = %v, want 2", got)
		}
	})

	t.Run("a deposit to the bridge not from the dedicated wallet is ignored", func(t *testing.T) {
		outsider, err := regtest.NewKey("relayer-test-outsider")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.wallet.Pay(ctx, b.node, []*wire.TxOut{wire.NewTxOut(2*btc, outsider.PkScript)}, 5_000); err != nil {
			t.Fatal(err)
		}
		b.mine(t, ctx, 1)
		tx, err := outsider.Pay(ctx, b.node, []*wire.TxOut{wire.NewTxOut(1*btc, h.bridge.PkScript)}, 5_000)
		if err != nil {
			t.Fatal(err)
		}
		b.mine(t, ctx, 2)
		alarms := testutil.ToFloat64(h.r.m.alarms.WithLabelValues(AlarmNoDecision))
		h.poll()
		ts, _ := h.r.Transfers()
		for _, tr := range ts {
			if tr.TxID == tx.TxHash().String() {
				t.Fatalf("outsider deposit recorded: %+v", tr)
			}
		}
		if got := testutil.ToFloat64(h.r.m.alarms.WithLabelValues(AlarmNoDecision)); got != alarms {
			t.Fatal("an outsider deposit raised an alarm")
		}
	})

	t.Run("a plan allowance decision calls approveWithdraw", func(t *testing.T) {
		txid := h.pay(planAmount, nil)
		pd.allowPlan(txid, planAmount, "7")
		b.mine(t, ctx, 2)
		h.poll()
		open, err := l2.pool.PlanOpen(nil, big.NewInt(plan)) // test-side check of the reference contract
		if err != nil || !open {
			t.Fatalf("plan open %v, %v", open, err)
		}
		if tr := h.transfer(txid); tr.State != StateReleased || len(tr.Batches) != 1 || tr.Batches[0].PlanID != "7" {
			t.Fatalf("transfer %+v", tr)
		}
	})

	t.Run("disagreements with the decision are alarms", func(t *testing.T) {
		r6, r7 := l2.unbound(t, 10_000_000, 1), l2.unbound(t, 10_000_000, 1)
		before, approvedBefore := h.counter.builds.Load(), l2.approved(t)
		otherIDs := h.pay(10_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r6}))
		pd.allow(otherIDs, 10_000_000, policy.SourceOpReturn, r7.String())
		amount := h.pay(10_000_000, nil)
		pd.allow(amount, 20_000_000, policy.SourceFIFO, r7.String())
		cancelled := h.pay(10_000_000, nil)
		pd.cancel(cancelled, pd.allow(cancelled, 10_000_000, policy.SourceFIFO, r7.String()), r7.String())
		double := h.pay(20_000_000, nil)
		pd.allow(double, 20_000_000, policy.SourceFIFO, r4.String(), r6.String()) // r4 released above
		b.mine(t, ctx, 2)
		h.poll()
		if got := h.counter.builds.Load() - before; got != 0 {
			t.Fatalf("%d L2 transactions", got)
		}
		if got := l2.approved(t); !slices.Equal(got, approvedBefore) {
			t.Fatalf("approvals changed: %v", got)
		}
		for txid, want := range map[string]string{otherIDs: AlarmOpReturn, amount: AlarmAmount, cancelled: AlarmCancelled, double: AlarmDoubleClaim} {
			if tr := h.transfer(txid); tr.State != StateAlarm || tr.Alarm != want {
				t.Fatalf("%s: transfer %+v, want alarm %s", txid, tr, want)
			}
		}
	})

	t.Run("an audit export that does not verify stops releases", func(t *testing.T) {
		r8 := l2.unbound(t, 10_000_000, 1)
		txid := h.pay(10_000_000, nil)
		pd.allow(txid, 10_000_000, policy.SourceFIFO, r8.String())
		b.mine(t, ctx, 2)
		pd.tamper.Store(true)
		if err := h.r.Poll(ctx); err == nil {
			t.Fatal("poll accepted a tampered audit export")
		}
		if got := testutil.ToFloat64(h.r.m.alarms.WithLabelValues("audit_unverified")); got != 1 {
			t.Fatalf("relayer_alarms_total{audit_unverified} = %v", got)
		}
		pd.tamper.Store(false)
		h.poll() // the cursor did not move: the transfer is handled now
		if got := l2.approved(t); got[len(got)-1] != r8.String() {
			t.Fatalf("UnboundApproved %v, want last %s", got, r8)
		}
	})

	t.Run("crash after recording, before the broadcast: the same transaction is sent after restart", func(t *testing.T) {
		r9 := l2.unbound(t, 10_000_000, 1)
		txid := h.pay(10_000_000, nil)
		pd.allow(txid, 10_000_000, policy.SourceFIFO, r9.String())
		b.mine(t, ctx, 2)
		h.counter.failSend.Store(true)
		if err := h.r.Poll(ctx); !errors.Is(err, errCrash) {
			t.Fatalf("poll: %v, want the simulated crash", err)
		}
		builds, nonce := h.counter.builds.Load(), h.nonce()
		recorded := h.transfer(txid).Batches[0].L2Tx
		if recorded == "" {
			t.Fatal("no transaction recorded before the broadcast")
		}
		h.counter.failSend.Store(false)
		h.restartSendsNothingNew(builds, nonce)
		if tr := h.transfer(txid); tr.State != StateReleased || tr.Batches[0].L2Tx != recorded {
			t.Fatalf("transfer %+v", tr)
		}
	})

	t.Run("crash between broadcast and receipt: reconciled, nothing sent twice", func(t *testing.T) {
		r10 := l2.unbound(t, 10_000_000, 1)
		txid := h.pay(10_000_000, nil)
		pd.allow(txid, 10_000_000, policy.SourceFIFO, r10.String())
		b.mine(t, ctx, 2)
		nonce := h.nonce()
		h.r.cfg.L2, h.r.cfg.TxTimeout = &slowReceipts{L2: h.counter}, 0 // broadcast, then give up waiting
		if err := h.r.Poll(ctx); err == nil {
			t.Fatal("poll: want the receipt timeout")
		}
		builds := h.counter.builds.Load()
		// The transaction lands while the relayer is down.
		for deadline := time.Now().Add(30 * time.Second); !slices.Contains(l2.approved(t), r10.String()); {
			if time.Now().After(deadline) {
				t.Fatal("the broadcast approval never landed")
			}
			time.Sleep(20 * time.Millisecond)
		}
		h.restartSendsNothingNew(builds, nonce)
		if tr := h.transfer(txid); tr.State != StateReleased {
			t.Fatalf("transfer %+v", tr)
		}
	})

	t.Run("restart with a rewound cursor re-reads blocks without releasing again", func(t *testing.T) {
		builds, nonce := h.counter.builds.Load(), h.nonce()
		if err := h.r.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := openStore(h.cfg.DBPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketCursor).Delete(keyNextHeight) }); err != nil {
			t.Fatal(err)
		}
		st.close()
		h.r, err = New(h.cfg)
		if err != nil {
			t.Fatal(err)
		}
		h.poll()
		if h.counter.builds.Load() != builds || h.nonce() != nonce {
			t.Fatal("rescan sent L2 transactions")
		}
	})

	t.Run("a reorg within the confirmation depth is harmless", func(t *testing.T) {
		r11 := l2.unbound(t, 10_000_000, 1)
		builds := h.counter.builds.Load()
		txid := h.pay(10_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r11}))
		pd.allow(txid, 10_000_000, policy.SourceOpReturn, r11.String())
		hs, err := b.node.Mine(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		h.poll()
		if err := b.node.Client().InvalidateBlock(hs[0]); err != nil {
			t.Fatal(err)
		}
		b.mine(t, ctx, 2)
		th, _ := chainhash.NewHashFromStr(txid)
		if c, err := b.node.Confirmations(th); err != nil || c != 2 {
			t.Fatalf("re-mined transfer: %d confirmations, %v", c, err)
		}
		h.poll()
		if got := h.counter.builds.Load() - builds; got != 1 {
			t.Fatalf("%d L2 transactions, want 1", got)
		}
	})

	t.Run("a reorg below the confirmation depth stops the relayer", func(t *testing.T) {
		next, _, ok, err := h.r.st.cursor()
		if err != nil || !ok {
			t.Fatalf("cursor: %v %v", ok, err)
		}
		scanned, err := b.node.Client().GetBlockHash(next - 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.node.Client().InvalidateBlock(scanned); err != nil {
			t.Fatal(err)
		}
		b.mine(t, ctx, int(h.cfg.Confirmations)+3)
		if err := h.r.Poll(ctx); !errors.Is(err, ErrDeepReorg) {
			t.Fatalf("poll after a deep reorg: %v, want ErrDeepReorg", err)
		}
	})
}

// testRestaking: the upgradeable AccessControl contract with 77-digit ids
// whose approveUnbound never reverts. Exactly-once must come from the
// relayer's records and the UnboundApproved events.
func testRestaking(t *testing.T, ctx context.Context, b *l1) {
	h := newHarness(t, ctx, b, profileRestaking, "restaking")
	l2, pd := h.l2, h.pd
	r1, r2, r3 := l2.unbound(t, 40_000_000, 1), l2.unbound(t, 60_000_000, 1), l2.unbound(t, 25_000_000, 1)
	for _, id := range []*big.Int{r1, r2, r3} {
		if len(id.String()) != 77 {
			t.Fatalf("reqId %s has %d digits, want 77", id, len(id.String()))
		}
	}
	// Someone with the role approved r2 already (say a previous relayer).
	l2.wait(t)(l2.restake.ApproveUnbound(l2.approver, []*big.Int{r2}))

	txid := h.pay(100_000_000, psbtcheck.EncodeStReqIDs([]*big.Int{r1, r2})) // 170-byte payload
	pd.allow(txid, 100_000_000, policy.SourceOpReturn, ids(r1, r2)...)
	b.mine(t, ctx, 2)
	h.poll()
	if got, want := l2.approved(t), ids(r2, r1); !slices.Equal(got, want) {
		t.Fatalf("UnboundApproved %v, want %v (r2 not sent again)", got, want)
	}
	if got := h.counter.builds.Load(); got != 1 {
		t.Fatalf("%d L2 transactions, want 1", got)
	}

	// Crash after the broadcast, before the receipt; restart: the contract
	// would happily emit UnboundApproved twice, the relayer does not ask.
	txid2 := h.pay(25_000_000, nil)
	pd.allow(txid2, 25_000_000, policy.SourceFIFO, r3.String())
	b.mine(t, ctx, 2)
	nonce := h.nonce()
	h.r.cfg.L2, h.r.cfg.TxTimeout = &slowReceipts{L2: h.counter}, 0 // broadcast, then give up waiting
	if err := h.r.Poll(ctx); err == nil {
		t.Fatal("poll: want the receipt timeout")
	}
	h.restart()
	h.poll()
	h.poll()
	n := 0
	for _, id := range l2.approved(t) {
		if id == r3.String() {
			n++
		}
	}
	if n != 1 || h.nonce() != nonce+1 {
		t.Fatalf("r3 approved %d times, nonce %d -> %d", n, nonce, h.nonce())
	}
	if tr := h.transfer(txid2); tr.State != StateReleased {
		t.Fatalf("transfer %+v", tr)
	}
}

// slowReceipts hides every receipt: the relayer's wait times out after
// its broadcast, as if it crashed there.
type slowReceipts struct{ L2 }

func (s *slowReceipts) Receipt(ctx context.Context, h common.Hash) (bool, bool, error) {
	return false, false, nil
}

// testGovernor: the relayer's key is one signer of the governor multisig;
// it proposes, Bitlayer's key confirms and executes. The relayer holds no
// key that can approve alone.
func testGovernor(t *testing.T, ctx context.Context, b *l1) {
	h := newHarness(t, ctx, b, profileGovernor, "governor")
	l2, pd := h.l2, h.pd
	r1 := l2.unbound(t, 30_000_000, 1)
	if _, err := l2.pool.ApproveUnbound(l2.approver, []*big.Int{r1}); err == nil {
		t.Fatal("the relayer's key could approve alone")
	}
	txid := h.pay(30_000_000, nil)
	pd.allow(txid, 30_000_000, policy.SourceFIFO, r1.String())
	b.mine(t, ctx, 2)
	h.poll()
	if tr := h.transfer(txid); tr.State != StateProposed || !tr.Batches[0].Proposed {
		t.Fatalf("transfer %+v, want proposed", tr)
	}
	if got := l2.approved(t); len(got) != 0 {
		t.Fatalf("approved before execution: %v", got)
	}
	h.poll() // still waiting: no second proposal
	n, err := l2.ms.CallCount(nil)
	if err != nil || n.Int64() != 1 {
		t.Fatalf("proposals %v, %v; want 1", n, err)
	}
	// Bitlayer's signer confirms and executes.
	l2.wait(t)(l2.ms.Confirm(l2.bitlayer, big.NewInt(0)))
	l2.wait(t)(l2.ms.Execute(l2.bitlayer, big.NewInt(0)))
	h.poll()
	if got := l2.approved(t); !slices.Equal(got, ids(r1)) {
		t.Fatalf("UnboundApproved %v", got)
	}
	if tr := h.transfer(txid); tr.State != StateReleased {
		t.Fatalf("transfer %+v", tr)
	}
}

func TestNewRejectsUnsafeConfig(t *testing.T) {
	script := []byte{0x00, 0x14}
	pd := newFakePolicyd(t)
	base := func() Config {
		return Config{L1: nilL1{}, L2: &countingL2{}, BridgeScript: script, WalletScripts: [][]byte{script}, Confirmations: 1,
			DBPath: filepath.Join(t.TempDir(), "r.db"), Audit: pd, AuditKey: pd.key, Witness: newLogWitness(t, pd, t.TempDir())}
	}
	cases := []struct {
		name string
		mut  func(*Config)
	}{
		{"zero confirmations", func(c *Config) { c.Confirmations = 0 }},
		{"no bridge", func(c *Config) { c.BridgeScript = nil }},
		{"no wallet", func(c *Config) { c.WalletScripts = nil }},
		{"no db", func(c *Config) { c.DBPath = "" }},
		{"no L1", func(c *Config) { c.L1 = nil }},
		{"no policyd audit export", func(c *Config) { c.Audit = nil }},
		{"no audit verifier key", func(c *Config) { c.AuditKey = "" }},
		{"no witness of policyd's log", func(c *Config) { c.Witness = nil }},
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

// TestStoreMigratesV1: a version-1 file (decisions were the relayer's own)
// opens, keeps its transfers and gains the audit index.
func TestStoreMigratesV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bucketMeta)
		for _, b := range [][]byte{bucketCursor, bucketTransfers, bucketClaims} {
			tx.CreateBucket(b)
		}
		tx.Bucket(bucketTransfers).Put([]byte("aa"), []byte(`{"txid":"aa","state":"released"}`))
		return m.Put(keySchema, []byte{0, 0, 0, 0, 0, 0, 0, 1})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	ts, err := st.transfers()
	if err != nil || len(ts) != 1 || ts[0].State != StateReleased {
		t.Fatalf("transfers %+v %v", ts, err)
	}
	if err := st.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAudit) == nil {
			return errors.New("no audit bucket")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

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
