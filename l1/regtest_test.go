package l1

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/storage"
)

const testConf = 3

func nodeEndpoint(n *regtest.Node) Endpoint {
	return Endpoint{URL: "https://" + n.RPCAddr(), User: n.User(), Pass: n.Pass(), CACertPEM: n.Cert()}
}

// rig is one wallet followed by one watcher on the shared node.
type rig struct {
	t      *testing.T
	ctx    context.Context
	n      *regtest.Node
	wallet *regtest.Key
	db     *storage.DB
	w      *Watcher
	start  uint64
}

func newRig(t *testing.T, seed string, extra ...Endpoint) *rig {
	t.Helper()
	n := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	k, err := regtest.NewKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.Height()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: ctx, n: n, wallet: k, db: openDB(t), start: uint64(h) + 1}
	r.w = r.watcher(r.db, extra...)
	return r
}

func (r *rig) watcher(db *storage.DB, extra ...Endpoint) *Watcher {
	r.t.Helper()
	w, err := New(Config{
		Endpoints: append([]Endpoint{nodeEndpoint(r.n)}, extra...),
		Params:    regtest.Params, Scripts: [][]byte{r.wallet.PkScript},
		StartHeight: r.start, Confirmations: testConf,
		Freshness:   Freshness{PollWithin: time.Minute, HeadWithin: time.Hour},
		MempoolScan: true,
	}, db)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(w.Close)
	return w
}

func (r *rig) sync() {
	r.t.Helper()
	if err := r.w.SyncOnce(r.ctx); err != nil {
		r.t.Fatalf("sync: %v", err)
	}
}

func (r *rig) mine(k int) []*chainhash.Hash {
	r.t.Helper()
	hs, err := r.n.Mine(r.ctx, k)
	if err != nil {
		r.t.Fatal(err)
	}
	return hs
}

// fund pays values to the wallet from the miner, in one transaction.
func (r *rig) fund(values ...int64) (*wire.MsgTx, []wire.OutPoint) {
	r.t.Helper()
	var outs []*wire.TxOut
	for _, v := range values {
		outs = append(outs, wire.NewTxOut(v, r.wallet.PkScript))
	}
	tx, err := nodeMiner.Pay(r.ctx, r.n, outs, 10_000)
	if err != nil {
		r.t.Fatal(err)
	}
	ops := make([]wire.OutPoint, len(values))
	for i := range values {
		ops[i] = wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}
	}
	return tx, ops
}

// spend builds and signs a wallet transaction spending ins (values vals)
// to dest, change back to the wallet; broadcast when asked.
func (r *rig) spend(ins []wire.OutPoint, vals []int64, dest []byte, amount, fee int64, broadcast bool) *wire.MsgTx {
	r.t.Helper()
	tx := wire.NewMsgTx(2)
	var prev []*wire.TxOut
	var have int64
	for i := range ins {
		in := wire.NewTxIn(&ins[i], nil, nil)
		in.Sequence = wire.MaxTxInSequenceNum - 2 // signals replaceability
		tx.AddTxIn(in)
		prev = append(prev, wire.NewTxOut(vals[i], r.wallet.PkScript))
		have += vals[i]
	}
	tx.AddTxOut(wire.NewTxOut(amount, dest))
	tx.AddTxOut(wire.NewTxOut(have-amount-fee, r.wallet.PkScript))
	if err := r.wallet.SignInputs(tx, prev); err != nil {
		r.t.Fatal(err)
	}
	if broadcast {
		if _, err := r.n.Broadcast(tx); err != nil {
			r.t.Fatal(err)
		}
	}
	return tx
}

func (r *rig) watch(tx *wire.MsgTx) {
	r.t.Helper()
	if err := r.db.Update(func(btx *bolt.Tx) error { return r.w.View().Watch(btx, tx) }); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) stage(txid chainhash.Hash) Stage {
	r.t.Helper()
	var s Stage
	if err := r.db.View(func(tx *bolt.Tx) (err error) { s, err = r.w.View().Stage(tx, txid); return }); err != nil {
		r.t.Fatal(err)
	}
	return s
}

func (r *rig) input(op wire.OutPoint) (Input, error) {
	r.t.Helper()
	var in Input
	var qerr error
	if err := r.db.View(func(tx *bolt.Tx) error { in, qerr = r.w.View().Input(tx, op); return nil }); err != nil {
		r.t.Fatal(err)
	}
	return in, qerr
}

func (r *rig) reserves() Reserves {
	r.t.Helper()
	var res Reserves
	if err := r.db.View(func(tx *bolt.Tx) (err error) { res, err = r.w.View().Reserves(tx); return }); err != nil {
		r.t.Fatal(err)
	}
	return res
}

func (r *rig) transfers(ids ...chainhash.Hash) Transfers {
	r.t.Helper()
	var tr Transfers
	if err := r.db.View(func(tx *bolt.Tx) (err error) { tr, err = r.w.View().Transfers(tx, ids); return }); err != nil {
		r.t.Fatal(err)
	}
	return tr
}

func (r *rig) spends() []Spend {
	r.t.Helper()
	var sp []Spend
	if err := r.db.View(func(tx *bolt.Tx) (err error) { sp, err = r.w.View().Spends(tx, 0, 0); return }); err != nil {
		r.t.Fatal(err)
	}
	return sp
}

func (r *rig) fresh() error {
	r.t.Helper()
	var ferr error
	if err := r.db.View(func(tx *bolt.Tx) error { ferr = r.w.View().Check(tx, time.Now()); return nil }); err != nil {
		r.t.Fatal(err)
	}
	return ferr
}

func (r *rig) mempoolSpends() []MempoolSpend {
	r.t.Helper()
	var ms []MempoolSpend
	if err := r.db.View(func(tx *bolt.Tx) (err error) { ms, err = r.w.View().MempoolSpends(tx); return }); err != nil {
		r.t.Fatal(err)
	}
	return ms
}

func wantStage(t *testing.T, got Stage, kind StageKind, depth uint64) {
	t.Helper()
	if got.Kind != kind || got.Depth != depth {
		t.Fatalf("stage %s depth %d, want %s depth %d (%+v)", got.Kind, got.Depth, kind, depth, got)
	}
}

// TestRegtestSyncSpendsMempool follows a wallet on a real btcd: funding,
// confirmations, a watched spend through mempool to final, its change as an
// input, an unwatched spend listed for reconciliation, and a watched
// transaction conflicted by a chain spend until buried.
func TestRegtestSyncSpendsMempool(t *testing.T) {
	r := newRig(t, "l1-test-wallet-sync")
	dest, _ := regtest.NewKey("l1-test-dest")
	r.sync()
	if err := r.fresh(); err != nil {
		t.Fatalf("fresh after first sync: %v", err)
	}

	fundTx, ops := r.fund(1_000_000, 2_000_000, 3_000_000)
	vals := []int64{1_000_000, 2_000_000, 3_000_000}
	r.sync()
	if _, err := r.input(ops[0]); !errors.Is(err, ErrInputUnknown) {
		t.Fatalf("unmined deposit: %v, want ErrInputUnknown", err)
	}
	wantStage(t, r.stage(fundTx.TxHash()), StageUnseen, 0) // not watched: mempool unknown
	r.mine(1)
	r.sync()
	if _, err := r.input(ops[0]); !errors.Is(err, ErrInputUnconfirmed) {
		t.Fatalf("deposit at depth 1: %v, want ErrInputUnconfirmed", err)
	}
	wantStage(t, r.stage(fundTx.TxHash()), StageConfirmed, 1)
	if res := r.reserves(); res.UnconfirmedSat != 6_000_000 || res.ConfirmedSat != 0 {
		t.Fatalf("reserves at depth 1: %+v", res)
	}
	r.mine(testConf - 1)
	r.sync()
	in, err := r.input(ops[1])
	if err != nil || in.Kind != InputConfirmed || in.Value != 2_000_000 || in.Depth != testConf {
		t.Fatalf("confirmed deposit: %+v %v", in, err)
	}
	if res := r.reserves(); res.ConfirmedSat != 6_000_000 || res.ConfirmedCount != 3 || res.StakingSat != 0 {
		t.Fatalf("reserves after confirmation: %+v", res)
	}

	// A watched (signed by policyd) spend: mempool, then confirmed, then final.
	s1 := r.spend(ops[:1], vals[:1], dest.PkScript, 400_000, 5_000, false)
	r.watch(s1)
	r.sync()
	wantStage(t, r.stage(s1.TxHash()), StageUnseen, 0)
	// Broadcast through our own client (sendrawtransaction, txid checked).
	cl, err := NewRPC(nodeEndpoint(r.n), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if id, err := cl.Broadcast(r.ctx, s1); err != nil || id != s1.TxHash() {
		t.Fatalf("broadcast: %v %v", id, err)
	}
	r.sync()
	st := r.stage(s1.TxHash())
	wantStage(t, st, StageMempool, 0)
	if !st.Seen || st.Sighting.FirstSeen.IsZero() {
		t.Fatalf("no sighting recorded: %+v", st)
	}
	change := wire.OutPoint{Hash: s1.TxHash(), Index: 1}
	if in, err := r.input(change); err != nil || in.Kind != InputOwnChange || in.Value != 595_000 {
		t.Fatalf("own change in mempool: %+v %v", in, err)
	}
	if _, err := r.input(wire.OutPoint{Hash: s1.TxHash(), Index: 0}); !errors.Is(err, ErrInputUnknown) {
		t.Fatalf("non-wallet output of a watched tx: %v", err)
	}
	// In a mempool: pending, its input still a confirmed wallet output.
	if res, tr := r.reserves(), r.transfers(s1.TxHash()); tr != (Transfers{PendingSat: 400_000, PendingCount: 1}) || res.ConfirmedSat != 6_000_000 {
		t.Fatalf("pending transfer: %+v %+v", tr, res)
	}
	if ms := r.mempoolSpends(); len(ms) != 1 || ms[0].Outpoint != ops[0] || ms[0].Txid != s1.TxHash() || !ms[0].Watched {
		t.Fatalf("mempool spends of the watched spend: %+v", ms)
	}
	r.mine(1)
	r.sync()
	wantStage(t, r.stage(s1.TxHash()), StageConfirmed, 1)
	if _, err := r.input(ops[0]); !errors.Is(err, ErrInputSpent) {
		t.Fatalf("spent input: %v, want ErrInputSpent", err)
	}
	if in, err := r.input(change); err != nil || in.Kind != InputOwnChange || in.Depth != 1 {
		t.Fatalf("own change at depth 1: %+v %v", in, err)
	}
	if res, tr := r.reserves(), r.transfers(s1.TxHash()); tr != (Transfers{InFlightSat: 400_000, InFlightCount: 1}) || res.ConfirmedSat != 5_000_000 || res.UnconfirmedSat != 595_000 {
		t.Fatalf("transfer in flight: %+v %+v", tr, res)
	}
	r.mine(testConf - 1)
	r.sync()
	if st := r.stage(s1.TxHash()); st.Kind != StageConfirmed || !st.Final {
		t.Fatalf("stage after %d blocks: %+v", testConf, st)
	}
	if res, tr := r.reserves(), r.transfers(s1.TxHash()); tr != (Transfers{FinalSat: 400_000, FinalCount: 1}) || res.ConfirmedSat != 5_595_000 {
		t.Fatalf("reserves after the spend: %+v %+v", tr, res)
	}

	// A watched transaction that a different (unwatched) spend of the same
	// input beats: conflicted, then buried.
	loser := r.spend(ops[1:2], vals[1:2], dest.PkScript, 100_000, 1_000, false)
	r.watch(loser)
	winner := r.spend(ops[1:2], vals[1:2], dest.PkScript, 900_000, 2_000, true)
	r.sync()
	if ms := r.mempoolSpends(); len(ms) != 1 || ms[0].Outpoint != ops[1] || ms[0].Txid != winner.TxHash() || ms[0].Watched {
		t.Fatalf("unwatched spend in the mempool: %+v", ms)
	}
	r.mine(1)
	r.sync()
	st = r.stage(loser.TxHash())
	if st.Kind != StageConflicted || st.Final || st.ConflictTx == nil || *st.ConflictTx != winner.TxHash() {
		t.Fatalf("loser after 1 block: %+v", st)
	}
	r.mine(testConf - 1)
	r.sync()
	if st := r.stage(loser.TxHash()); st.Kind != StageConflicted || !st.Final || st.Depth != testConf {
		t.Fatalf("loser buried: %+v", st)
	}

	// Reconciliation list: both chain spends, the unwatched one flagged.
	sp := r.spends()
	if len(sp) != 2 || sp[0].Txid != s1.TxHash() || !sp[0].Watched || sp[1].Txid != winner.TxHash() || sp[1].Watched {
		t.Fatalf("spends: %+v", sp)
	}
	if len(sp[1].Inputs) != 1 || sp[1].Inputs[0] != ops[1] || sp[1].InputSat != 2_000_000 || sp[1].Tx == nil {
		t.Fatalf("unwatched spend detail: %+v", sp[1])
	}
}

// TestRegtestReorgInvalidateBlock: btcd's invalidateblock disconnects the
// block holding a watched spend; the view rolls back (stage confirmed ->
// mempool, input unspent again, spend list empty), then follows the new
// chain when the transaction is mined again.
func TestRegtestReorgInvalidateBlock(t *testing.T) {
	r := newRig(t, "l1-test-wallet-reorg")
	dest, _ := regtest.NewKey("l1-test-dest")
	_, ops := r.fund(5_000_000)
	r.mine(testConf)
	r.sync()
	s := r.spend(ops, []int64{5_000_000}, dest.PkScript, 1_000_000, 5_000, false)
	r.watch(s)
	if _, err := r.n.Broadcast(s); err != nil {
		t.Fatal(err)
	}
	blk := r.mine(1)[0]
	r.mine(1)
	r.sync()
	wantStage(t, r.stage(s.TxHash()), StageConfirmed, 2)
	if len(r.spends()) != 1 {
		t.Fatal("spend not listed")
	}

	if err := r.n.Client().InvalidateBlock(blk); err != nil {
		t.Fatalf("invalidateblock: %v", err)
	}
	r.sync()
	var status Status
	_ = r.db.View(func(tx *bolt.Tx) (err error) { status, err = readStatus(tx); return })
	if status.Reorgs != 1 {
		t.Fatalf("reorgs = %d (%s)", status.Reorgs, status.LastReorg)
	}
	st := r.stage(s.TxHash())
	if st.Kind != StageMempool && st.Kind != StageUnseen {
		t.Fatalf("stage after invalidateblock: %+v", st)
	}
	t.Logf("after invalidateblock the spend is %s (btcd returns disconnected transactions to its mempool)", st.Kind)
	if in, err := r.input(ops[0]); err != nil || in.Kind != InputConfirmed {
		t.Fatalf("input after rollback: %+v %v", in, err)
	}
	if sp := r.spends(); len(sp) != 0 {
		t.Fatalf("spends after rollback: %+v", sp)
	}
	if st.Kind == StageUnseen {
		if _, err := r.n.Broadcast(s); err != nil {
			t.Fatal(err)
		}
	}
	r.mine(1)
	r.sync()
	wantStage(t, r.stage(s.TxHash()), StageConfirmed, 1)
	if _, err := r.input(ops[0]); !errors.Is(err, ErrInputSpent) {
		t.Fatalf("input after re-mining: %v", err)
	}
}

// lyingProxy forwards JSON-RPC calls to a real node, except that while lie
// is set it answers getblockhash with another hash.
func lyingProxy(t *testing.T, n *regtest.Node, lie *atomic.Bool) *httptest.Server {
	up, err := NewRPC(nodeEndpoint(n), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var in rpcRequest
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, "bad request", 400)
			return
		}
		var res json.RawMessage
		var rerr *RPCError
		if in.Method == "getblockhash" && lie.Load() {
			res, _ = json.Marshal(chainhash.HashH([]byte("not the block")).String())
		} else if r, err := up.Call(req.Context(), in.Method, in.Params...); err != nil {
			rerr = &RPCError{Code: -1, Message: "upstream failed"}
		} else {
			res = r
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": res, "error": rerr, "id": in.ID})
	}))
	t.Cleanup(func() { srv.Close(); up.Close() })
	return srv
}

// TestRegtestEndpointDisagrees: a second endpoint that reports another block
// hash makes the view not fresh (ErrEndpointsDisagree); once it agrees
// again, the view is fresh.
func TestRegtestEndpointDisagrees(t *testing.T) {
	var lie atomic.Bool
	n := needNode(t)
	proxy := lyingProxy(t, n, &lie)
	r := newRig(t, "l1-test-wallet-disagree", Endpoint{URL: proxy.URL})
	r.mine(testConf)
	r.sync()
	if err := r.fresh(); err != nil {
		t.Fatalf("agreeing endpoints: %v", err)
	}
	lie.Store(true)
	if err := r.w.SyncOnce(r.ctx); !errors.Is(err, ErrEndpointsDisagree) {
		t.Fatalf("sync with a lying endpoint: %v", err)
	}
	if err := r.fresh(); !errors.Is(err, ErrEndpointsDisagree) {
		t.Fatalf("freshness with a lying endpoint: %v", err)
	}
	lie.Store(false)
	r.sync()
	if err := r.fresh(); err != nil {
		t.Fatalf("after the endpoint agrees again: %v", err)
	}
}

// countingSource counts the blocks a watcher fetches.
type countingSource struct {
	Source
	blocks atomic.Int64
}

func (c *countingSource) Block(ctx context.Context, h chainhash.Hash) (*wire.MsgBlock, error) {
	c.blocks.Add(1)
	return c.Source.Block(ctx, h)
}

// TestRegtestRestartResumes: a watcher on a reopened bbolt file keeps its
// state, fetches only the blocks mined while it was down, and refuses to
// follow another wallet on the same file.
func TestRegtestRestartResumes(t *testing.T) {
	r := newRig(t, "l1-test-wallet-restart")
	_, ops := r.fund(700_000)
	r.mine(testConf)
	r.sync()
	path := r.db.Path()
	before := dumpChainState(t, r.db)
	r.db.Close()

	r.mine(4)
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if got := dumpChainState(t, db); got != before {
		t.Fatal("state changed across close/open")
	}
	rpc, err := NewRPC(nodeEndpoint(r.n), 0)
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingSource{Source: rpc}
	w, err := NewWithSources(Config{Params: regtest.Params, Scripts: [][]byte{r.wallet.PkScript},
		StartHeight: r.start, Confirmations: testConf}, db, cs)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SyncOnce(r.ctx); err != nil {
		t.Fatal(err)
	}
	if got := cs.blocks.Load(); got != 4 {
		t.Fatalf("restart fetched %d blocks, want the 4 new ones", got)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		in, err := w.View().Input(tx, ops[0])
		if err != nil || in.Depth != testConf+4 {
			t.Fatalf("input after restart: %+v %v", in, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	other, _ := regtest.NewKey("l1-test-other-wallet")
	w2, err := NewWithSources(Config{Params: regtest.Params, Scripts: [][]byte{other.PkScript},
		StartHeight: r.start, Confirmations: testConf}, db, cs)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.SyncOnce(r.ctx); !errors.Is(err, ErrWrongWallet) {
		t.Fatalf("other wallet on the same file: %v", err)
	}
}
