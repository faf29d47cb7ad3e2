package l1

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

func openDB(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func synthWatcher(t testing.TB, db *storage.DB, conf uint64, srcs ...Source) *Watcher {
	t.Helper()
	w, err := NewWithSources(Config{
		Params: &chaincfg.RegressionNetParams, Scripts: [][]byte{synthWallet}, StartHeight: 1, Confirmations: conf,
		BatchBlocks: 7, Freshness: Freshness{PollWithin: time.Minute, HeadWithin: time.Hour},
	}, db, srcs...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// dumpChainState renders every chain-state bucket (undo-logged ones and the
// block hashes), so two views can be compared byte for byte.
func dumpChainState(t testing.TB, db *storage.DB) string {
	t.Helper()
	var out bytes.Buffer
	err := db.View(func(tx *bolt.Tx) error {
		for _, name := range append([][]byte{BucketL1Blocks}, undo.Buckets...) {
			b := tx.Bucket(name)
			var keys []string
			_ = b.ForEach(func(k, v []byte) error {
				if bytes.Equal(name, BucketL1Cursor) && !bytes.Equal(k, keyTotals) {
					return nil // status and undo floor describe the sync, not the state
				}
				keys = append(keys, string(name)+"|"+string(k)+"="+string(v))
				return nil
			})
			sort.Strings(keys)
			for _, k := range keys {
				out.WriteString(k)
				out.WriteByte('\n')
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestSynthReorgEqualsFreshSync: a view that followed a chain, then a reorg
// that replaces its last blocks (spends moved, some dropped), ends byte for
// byte equal to a view synced only on the winning chain: the undo log
// restores exactly.
func TestSynthReorgEqualsFreshSync(t *testing.T) {
	ctx := context.Background()
	chain, pool := buildWalletChain(40, 400, 60)
	db := openDB(t)
	w := synthWatcher(t, db, 3, chain)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Fork at 30: ten blocks replaced by six others (a spend of two pool
	// outputs and deposits).
	chain.truncate(30)
	chain.add(deposit(1_000_001, 5_000), spendTx([]wire.OutPoint{pool[len(pool)-1].op}, pool[len(pool)-1].value, 1))
	for i := 0; i < 5; i++ {
		chain.add(deposit(uint64(2_000_000+i), 7_000))
	}
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var st Status
	_ = db.View(func(tx *bolt.Tx) (err error) { st, err = readStatus(tx); return })
	if st.Reorgs != 1 || st.TipHeight != 36 {
		t.Fatalf("status after reorg: reorgs %d tip %d (%s)", st.Reorgs, st.TipHeight, st.LastReorg)
	}
	fresh := openDB(t)
	w2 := synthWatcher(t, fresh, 3, chain)
	if err := w2.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := dumpChainState(t, db), dumpChainState(t, fresh); a != b {
		t.Fatalf("reorged view differs from a fresh sync (%d vs %d bytes)", len(a), len(b))
	}
}

// TestSynthShorterChainRollsBack: the endpoint's chain gets shorter than the
// view (invalidateblock does this); the view rolls back to the new tip.
func TestSynthShorterChainRollsBack(t *testing.T) {
	ctx := context.Background()
	chain, _ := buildWalletChain(20, 100, 20)
	db := openDB(t)
	w := synthWatcher(t, db, 2, chain)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	before := dumpChainState(t, db)
	chain.add(deposit(99, 1234))
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	chain.truncate(20)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dumpChainState(t, db); after != before {
		t.Fatal("rollback to a shorter chain did not restore the state")
	}
}

// tamperSource returns altered blocks from an otherwise honest source.
type tamperSource struct {
	Source
	tamper func(*wire.MsgBlock) *wire.MsgBlock
}

func (s tamperSource) Block(ctx context.Context, h chainhash.Hash) (*wire.MsgBlock, error) {
	b, err := s.Source.Block(ctx, h)
	if err != nil {
		return nil, err
	}
	c := *b
	return s.tamper(&c), nil
}

// TestSynthBlockVerification: a source that alters a block's transactions,
// header or proof of work is refused and nothing is applied.
func TestSynthBlockVerification(t *testing.T) {
	chain, _ := buildWalletChain(5, 20, 4)
	cases := map[string]func(*wire.MsgBlock) *wire.MsgBlock{
		"extra transaction": func(b *wire.MsgBlock) *wire.MsgBlock {
			b.Transactions = append(append([]*wire.MsgTx(nil), b.Transactions...), deposit(777, 1))
			return b
		},
		"duplicated last transaction (CVE-2012-2459)": func(b *wire.MsgBlock) *wire.MsgBlock {
			if len(b.Transactions)%2 == 1 && len(b.Transactions) > 1 {
				b.Transactions = append(append([]*wire.MsgTx(nil), b.Transactions...), b.Transactions[len(b.Transactions)-1])
			} else {
				b.Transactions = append(append([]*wire.MsgTx(nil), b.Transactions...), b.Transactions[len(b.Transactions)-2:]...)
			}
			return b
		},
		"other header": func(b *wire.MsgBlock) *wire.MsgBlock { b.Header.Nonce++; return b },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			db := openDB(t)
			w := synthWatcher(t, db, 1, tamperSource{chain, f})
			err := w.SyncOnce(context.Background())
			if !errors.Is(err, ErrBadBlock) {
				t.Fatalf("err = %v, want ErrBadBlock", err)
			}
			var st Status
			_ = db.View(func(tx *bolt.Tx) (err error) { st, err = readStatus(tx); return })
			if st.TipHeight != 0 || st.Fresh(time.Now(), DefaultFreshness) == nil {
				t.Fatalf("tampered block applied or view fresh: tip %d", st.TipHeight)
			}
		})
	}
}

// readReserves reads the view's reserves and the transfers of ids.
func readReserves(t testing.TB, db *storage.DB, w *Watcher, ids ...chainhash.Hash) (Reserves, Transfers) {
	t.Helper()
	var r Reserves
	var tr Transfers
	if err := db.View(func(tx *bolt.Tx) (err error) {
		if r, err = w.View().Reserves(tx); err != nil {
			return err
		}
		tr, err = w.View().Transfers(tx, ids)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return r, tr
}

// TestSynthReservesReplacementFamily: two watched transactions spending the
// same wallet output (an original and its RBF replacement) are one transfer,
// pending (not added: its input is still a wallet output) at the larger
// outflow; mined, the replacement's outflow is in flight, then final, and
// the original is conflicted and buried.
func TestSynthReservesReplacementFamily(t *testing.T) {
	ctx := context.Background()
	chain := newSynthChain()
	d := deposit(1, 1_000_000)
	chain.add(d)
	chain.add()
	chain.add()
	db := openDB(t)
	w := synthWatcher(t, db, 3, chain)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	a := wire.OutPoint{Hash: d.TxHash(), Index: 0}
	orig := spendTx([]wire.OutPoint{a}, 1_000_000, 100_000)
	repl := spendTx([]wire.OutPoint{a}, 1_000_000, 150_000)
	ids := []chainhash.Hash{orig.TxHash(), repl.TxHash()}
	read := func() (Reserves, Transfers) { t.Helper(); return readReserves(t, db, w, ids...) }
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := w.View().Watch(tx, orig); err != nil {
			return err
		}
		return w.View().Watch(tx, repl)
	}); err != nil {
		t.Fatal(err)
	}
	if r, tr := read(); tr != (Transfers{PendingSat: 150_000, PendingCount: 1}) || r.ConfirmedSat != 1_000_000 {
		t.Fatalf("family unmined: %+v %+v", r, tr)
	}
	chain.add(repl)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if r, tr := read(); tr != (Transfers{InFlightSat: 150_000, InFlightCount: 1}) || r.UnconfirmedSat != 1_000_000-150_000-1000 || r.ConfirmedSat != 0 {
		t.Fatalf("replacement at depth 1: %+v %+v", r, tr)
	}
	chain.add()
	chain.add()
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if r, tr := read(); tr != (Transfers{FinalSat: 150_000, FinalCount: 1}) || r.ConfirmedSat != 849_000 || r.UnconfirmedSat != 0 {
		t.Fatalf("after the replacement is final: %+v %+v", r, tr)
	}
	var st Stage
	_ = db.View(func(tx *bolt.Tx) (err error) { st, err = w.View().Stage(tx, orig.TxHash()); return })
	if st.Kind != StageConflicted || !st.Final || *st.ConflictTx != repl.TxHash() {
		t.Fatalf("original: %+v", st)
	}
	// Only the original asked about: conflicted, nothing counts.
	ids = ids[:1]
	if _, tr := read(); tr != (Transfers{}) {
		t.Fatalf("conflicted original alone: %+v", tr)
	}
}

// TestSynthStakingOutputs: a staking output named before its transaction is
// mined is held from that block until a chain transaction spends it, is not
// a transfer, and follows a reorg; an output named after mining, or never
// named, is not counted.
func TestSynthStakingOutputs(t *testing.T) {
	ctx := context.Background()
	chain := newSynthChain()
	d := deposit(1, 1_000_000)
	chain.add(d)
	chain.add()
	db := openDB(t)
	w := synthWatcher(t, db, 2, chain)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Stake 600 000 (output 0), 10 000 to the bridge (output 1), change.
	stake := wire.NewMsgTx(2)
	stake.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: d.TxHash(), Index: 0}, nil, nil))
	stake.AddTxOut(wire.NewTxOut(600_000, []byte{0x51, 0x20, 1, 2, 3}))
	stake.AddTxOut(wire.NewTxOut(10_000, synthExternal))
	stake.AddTxOut(wire.NewTxOut(389_000, synthWallet))
	sid := stake.TxHash()
	read := func() (Reserves, Transfers) { t.Helper(); return readReserves(t, db, w, sid) }
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := w.View().Watch(tx, stake); err != nil {
			return err
		}
		return w.View().WatchStaking(tx, []wire.OutPoint{{Hash: sid, Index: 0}})
	}); err != nil {
		t.Fatal(err)
	}
	if r, tr := read(); r.StakingSat != 0 || tr != (Transfers{PendingSat: 10_000, PendingCount: 1}) {
		t.Fatalf("named, unmined: %+v %+v", r, tr)
	}
	chain.add(stake)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	r, tr := read()
	if r.StakingSat != 600_000 || r.StakingCount != 1 || r.UnconfirmedSat != 389_000 || tr != (Transfers{InFlightSat: 10_000, InFlightCount: 1}) {
		t.Fatalf("mined: %+v %+v", r, tr)
	}
	// Named after mining: not followed (documented), so not counted.
	if err := db.Update(func(tx *bolt.Tx) error {
		return w.View().WatchStaking(tx, []wire.OutPoint{{Hash: sid, Index: 1}, {Hash: sid, Index: 0}})
	}); err != nil {
		t.Fatal(err)
	}
	if r, _ := read(); r.StakingSat != 600_000 || r.StakingCount != 1 {
		t.Fatalf("late name counted: %+v", r)
	}
	// The staking output is spent (an unbonding transaction): no longer held.
	unbond := wire.NewMsgTx(2)
	unbond.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: sid, Index: 0}, nil, nil))
	unbond.AddTxOut(wire.NewTxOut(599_000, []byte{0x51, 0x20, 9}))
	chain.add(unbond)
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := read(); r.StakingSat != 0 || r.StakingCount != 0 {
		t.Fatalf("spent staking output still held: %+v", r)
	}
	// A reorg that drops the unbonding block restores the output.
	chain.truncate(len(chain.blocks) - 2)
	chain.add()
	chain.add()
	if err := w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := read(); r.StakingSat != 600_000 {
		t.Fatalf("after the reorg: %+v", r)
	}
}

// TestSynthUnbondingOutputFollowed: an output named before its transaction
// is mined is followed even when that transaction spends no wallet output
// but a followed staking output (an unbonding transaction policyd
// co-signed): the stake stays held through the unbonding, a reorg undoes
// it, and a withdrawal to the wallet moves it back to the wallet's
// outputs. Held (wallet + staking) moves only by the fees.
func TestSynthUnbondingOutputFollowed(t *testing.T) {
	ctx := context.Background()
	chain := newSynthChain()
	d := deposit(1, 1_000_000)
	chain.add(d)
	db := openDB(t)
	w := synthWatcher(t, db, 1, chain)
	stake := wire.NewMsgTx(2)
	stake.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: d.TxHash(), Index: 0}, nil, nil))
	stake.AddTxOut(wire.NewTxOut(600_000, []byte{0x51, 0x20, 1, 2, 3}))
	stake.AddTxOut(wire.NewTxOut(399_000, synthWallet))
	unbond := wire.NewMsgTx(2)
	unbond.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: stake.TxHash(), Index: 0}, nil, nil))
	unbond.AddTxOut(wire.NewTxOut(599_000, []byte{0x51, 0x20, 9}))
	if err := db.Update(func(tx *bolt.Tx) error {
		return w.View().WatchStaking(tx, []wire.OutPoint{{Hash: stake.TxHash(), Index: 0}, {Hash: unbond.TxHash(), Index: 0}})
	}); err != nil {
		t.Fatal(err)
	}
	held := func(name string, staking int64, want int64) {
		t.Helper()
		if err := w.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		r, _ := readReserves(t, db, w)
		if r.StakingSat != staking || r.ConfirmedSat+r.UnconfirmedSat+r.StakingSat != want {
			t.Fatalf("%s: %+v, want staking %d, held %d", name, r, staking, want)
		}
	}
	held("funded", 0, 1_000_000)
	chain.add(stake)
	held("staked", 600_000, 999_000)
	chain.add(unbond)
	held("unbonding", 599_000, 998_000)
	chain.truncate(len(chain.blocks) - 2) // drops the unbonding block
	chain.add()
	chain.add()
	held("unbonding reorged out", 600_000, 999_000)
	chain.add(unbond)
	held("unbonding again", 599_000, 998_000)
	withdraw := wire.NewMsgTx(2)
	withdraw.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: unbond.TxHash(), Index: 0}, nil, nil))
	withdraw.AddTxOut(wire.NewTxOut(598_000, synthWallet))
	chain.add(withdraw)
	held("withdrawn", 0, 997_000)
}

// TestSynthCoinbaseMaturity: a coinbase paying the wallet is spendable only
// once 100 deep (the next block is then 100 blocks after it).
func TestSynthCoinbaseMaturity(t *testing.T) {
	chain := newSynthChain()
	chain.coinbaseTo = synthWallet
	cb := chain.add()
	chain.coinbaseTo = nil
	for i := 0; i < 98; i++ {
		chain.add()
	}
	db := openDB(t)
	w := synthWatcher(t, db, 6, chain)
	op := wire.OutPoint{Hash: cb.Transactions[0].TxHash(), Index: 0}
	input := func() (Input, error) {
		if err := w.SyncOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		var in Input
		var qerr error
		_ = db.View(func(tx *bolt.Tx) error { in, qerr = w.View().Input(tx, op); return nil })
		return in, qerr
	}
	if _, err := input(); !errors.Is(err, ErrInputUnconfirmed) {
		t.Fatalf("coinbase at depth 99: %v", err)
	}
	chain.add()
	if in, err := input(); err != nil || !in.Coinbase || in.Depth != 100 {
		t.Fatalf("coinbase at depth 100: %+v %v", in, err)
	}
}
