package l2

import (
	"context"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// BenchmarkIndexThroughput indexes a simulated chain holding 2,000 contract
// events (100 blocks of 20 stakes) into a durable (fsync) bbolt file, in
// ranges of 100 blocks, and reports events/s.
func BenchmarkIndexThroughput(b *testing.B) {
	c := newTestChain(b, 20)
	const blocks, perBlock = 100, 20
	for i := 0; i < blocks; i++ {
		for u := 0; u < perBlock; u++ {
			c.stake(u, satWei(int64(1000+i)), 1)
		}
		c.sim.Commit()
	}
	c.mineN(2)
	cfg := c.config(2)
	cfg.MaxRange = 100
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := storage.Open(filepath.Join(b.TempDir(), "bench.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ix, err := NewWithClients(cfg, db, c.client)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := ix.SyncOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		var tot Totals
		db.View(func(tx *bolt.Tx) (err error) { tot, err = ix.Ledger().Totals(tx); return })
		if tot.StakedCount != blocks*perBlock {
			b.Fatalf("indexed %d events", tot.StakedCount)
		}
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(blocks*perBlock*b.N)/total.Seconds(), "events/s")
}

const lookupN = 1_000_000

var bigLedger struct {
	once sync.Once
	path string
	err  error
}

// buildBigLedger writes lookupN requests through Ledger.Apply (the indexer's
// write path, undo log included) into a NoSync bbolt file, once per process.
func buildBigLedger(b *testing.B) string {
	bigLedger.once.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			bigLedger.err = err
			return
		}
		bigLedger.path = filepath.Join(dir, "ledger1m.db")
		db, err := storage.Open(bigLedger.path, storage.Options{NoSync: true})
		if err != nil {
			bigLedger.err = err
			return
		}
		defer db.Close()
		l := NewLedger(common.Address{})
		const batch = 20_000
		for start := 0; start < lookupN && bigLedger.err == nil; start += batch {
			bigLedger.err = db.Update(func(tx *bolt.Tx) error {
				for i := start; i < start+batch; i++ {
					typ := EventTokenStaked
					if i%3 == 2 {
						typ = EventUnboundRequired
					}
					e := ev(typ, int64(i+1), uint64(i/10+1), uint(i%10), satWei(int64(1+i%5000)))
					if err := l.Apply(tx, e); err != nil {
						return err
					}
				}
				return nil
			})
		}
	})
	if bigLedger.err != nil {
		b.Fatal(bigLedger.err)
	}
	return bigLedger.path
}

// BenchmarkLookup1M measures Ledger.Get of random reqIds among 1,000,000
// indexed requests, each in its own read transaction, and reports p50/p99.
func BenchmarkLookup1M(b *testing.B) {
	path := buildBigLedger(b)
	db, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l := NewLedger(common.Address{})
	rng := rand.New(rand.NewSource(1))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := big.NewInt(int64(rng.Intn(lookupN) + 1))
		start := time.Now()
		err := db.View(func(tx *bolt.Tx) error {
			r, err := l.Get(tx, id)
			if err == nil && r.ReqID.Cmp(id) != 0 {
				b.Fatalf("got %s for %s", r.ReqID, id)
			}
			return err
		})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "policyd-l2-bench-") }
