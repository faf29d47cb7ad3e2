package l1

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// BenchmarkSyncWallet10kUTXO100kTx syncs, from an empty bbolt file (fsync
// on, as in production), a SYNTHETIC in-process chain (synthChain: real
// headers, proof of work, Merkle roots; no node, no RPC) of 1 000 blocks
// holding 100 000 wallet transactions (55 000 deposits, 45 000 two-input
// spends) that leave 10 000 unspent wallet outputs. It measures the
// watcher's verification, state writes and undo log, not the network.
func BenchmarkSyncWallet10kUTXO100kTx(b *testing.B) {
	chain, pool := buildWalletChain(1000, 100_000, 10_000)
	if len(pool) != 10_000 {
		b.Fatalf("synthetic chain leaves %d outputs", len(pool))
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := storage.Open(filepath.Join(b.TempDir(), "policyd.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		w, err := NewWithSources(Config{
			Params: &chaincfg.RegressionNetParams, Scripts: [][]byte{synthWallet},
			StartHeight: 1, Confirmations: 6, Freshness: DefaultFreshness,
		}, db, chain)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := w.SyncOnce(ctx); err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.StopTimer()
		var r Reserves
		if err := db.View(func(tx *bolt.Tx) (err error) { r, err = w.View().Reserves(tx); return }); err != nil {
			b.Fatal(err)
		}
		if r.ConfirmedCount+r.UnconfirmedCount != 10_000 || r.Spends != 45_000 {
			b.Fatalf("reserves after sync: %+v", r)
		}
		b.ReportMetric(100_000/el.Seconds(), "tx/s")
		fi, _ := db.Bolt().Begin(false)
		b.ReportMetric(float64(fi.Size())/1e6, "MB")
		_ = fi.Rollback()
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkInputCheck is the decision side's cost on a 10 000-UTXO view
// (after the 100 000-transaction synthetic sync): View.Input per input and
// View.Check once per decision, inside an open read transaction as the
// decision's own.
func BenchmarkInputCheck(b *testing.B) {
	chain, pool := buildWalletChain(1000, 100_000, 10_000)
	db, err := storage.Open(filepath.Join(b.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w, err := NewWithSources(Config{Params: &chaincfg.RegressionNetParams, Scripts: [][]byte{synthWallet},
		StartHeight: 1, Confirmations: 6}, db, chain)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.SyncOnce(context.Background()); err != nil {
		b.Fatal(err)
	}
	v := w.View()
	// Marginal cost inside the decision's own read transaction.
	b.Run("input", func(b *testing.B) {
		if err := db.View(func(tx *bolt.Tx) error {
			for i := 0; i < b.N; i++ {
				if _, err := v.Input(tx, pool[i%9000].op); err != nil { // the newest outputs are still shallow
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	})
	// Once per decision: the freshness rule on the stored status.
	b.Run("check", func(b *testing.B) {
		if err := db.View(func(tx *bolt.Tx) error {
			for i := 0; i < b.N; i++ {
				if err := v.Check(tx, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	})
}
