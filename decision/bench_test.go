package decision

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// BenchmarkSubmitParallel: the full audited decision (psbtcheck, snapshot,
// Evaluate, claim, outflow, audit append) with a durable (fsync) commit,
// from 32 goroutines per core through storage.DB.Commit (group commit).
// Each op is a distinct allowed withdrawal claiming its own reqId. Reports
// decisions/s, the bytes stored per decision and "cpu-µs/decision", the
// process's CPU time (all threads, GC included) per decision. NOSYNC=1
// drops the fsync to measure the CPU side alone.
func BenchmarkSubmitParallel(b *testing.B) { submitParallel(b) }

// submitParallel runs BenchmarkSubmitParallel and returns its decisions/s.
func submitParallel(b *testing.B) float64 {
	e, raws := withdrawals(b, os.Getenv("NOSYNC") != "")
	before, cpu := storedBytes(b, e.db), processCPU()
	rate := parallel32(b, func(i int) error { return e.submitAllowed(raws[i]) })
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/decision")
	b.ReportMetric(rate, "decisions/s")
	b.ReportMetric(float64(storedBytes(b, e.db)-before)/float64(b.N), "B/decision")
	return rate
}

// BenchmarkSubmitIdle: one durable audited decision at a time (an idle
// server), each followed by the storage floor on the same disk, so that
// "≤ 2 ms + one fsync" is read off one run: "fsync-ns" is a 4 KB write and
// fdatasync of a file beside the database, "commit-ns" a lone bbolt Update
// putting one record of the decision record's size into a second bbolt
// file (bbolt syncs twice per commit: pages, then meta). ns/op and
// "decision-ns" are the decision's latency (mean, median), fsync included;
// "beyond-fsync-ns" and "beyond-commit-ns" are the median decision less the
// median of each floor. NOSYNC=1 leaves every fsync out.
func BenchmarkSubmitIdle(b *testing.B) {
	noSync := os.Getenv("NOSYNC") != ""
	e, raws := withdrawals(b, noSync)
	n := b.N
	floor := newDiskFloor(b, filepath.Dir(e.db.Path()), decisionRecordSize(b), noSync)
	dec, syncs, commits := make([]time.Duration, 0, n), make([]time.Duration, 0, n), make([]time.Duration, 0, n)
	var total time.Duration
	b.ResetTimer()
	for i := range n {
		start := time.Now()
		v, err := e.svc.Submit(context.Background(), raws[i], false)
		d := time.Since(start)
		if err != nil || v.Outcome != "allow" {
			b.Fatalf("%v %v", v, err)
		}
		dec, total = append(dec, d), total+d
		b.StopTimer()
		syncs = append(syncs, floor.fsync(b))
		commits = append(commits, floor.commit(b, i))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(float64(median(dec)), "decision-ns")
	b.ReportMetric(float64(median(syncs)), "fsync-ns")
	b.ReportMetric(float64(median(commits)), "commit-ns")
	b.ReportMetric(float64(median(dec)-median(syncs)), "beyond-fsync-ns")
	b.ReportMetric(float64(median(dec)-median(commits)), "beyond-commit-ns")
}

// diskFloor measures the storage floor beside the database: a raw
// fdatasync, and a lone durable bbolt commit of one record.
type diskFloor struct {
	f      *os.File
	db     *storage.DB
	page   []byte
	record []byte
	noSync bool
}

func newDiskFloor(b *testing.B, dir string, size int, noSync bool) *diskFloor {
	f, err := os.CreateTemp(dir, "fsync-floor-*")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	db, err := storage.Open(filepath.Join(b.TempDir(), "floor.db"), storage.Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &diskFloor{f: f, db: db, page: bytes.Repeat([]byte{'x'}, 4096), record: bytes.Repeat([]byte{'x'}, size), noSync: noSync}
}

func (d *diskFloor) fsync(b *testing.B) time.Duration {
	start := time.Now()
	if _, err := d.f.WriteAt(d.page, 0); err != nil {
		b.Fatal(err)
	}
	if !d.noSync {
		if err := d.f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

func (d *diskFloor) commit(b *testing.B, i int) time.Duration {
	start := time.Now()
	if err := d.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketAuditRecords).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), d.record)
	}); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// withdrawals is the benchmarks' service (real l2 and governance, a
// velocity cap out of reach) with b.N distinct allowed withdrawals to
// submit, each paying the bridge for its own finalized reqId.
func withdrawals(b *testing.B, noSync bool) (*env, [][]byte) {
	sc := scenario(b, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	snap.Params.VelocityCapSat = 1 << 62 / 2
	n := b.N
	for i := 0; i < n; i++ {
		snap.Requests = append(snap.Requests, policy.Request{ID: fmt.Sprint(10_000 + i), Kind: policy.KindUnbound, AmountSat: 1e6, Token: snap.Params.BTCToken, State: policy.StateFinalized, TxHash: "0x01", Block: uint64(1 + i), LogIndex: 1})
	}
	e := newEnv(b, sc.WalletSeed, snap, now, noSync)
	bridge := snap.Whitelist.Entries[0].PkScript
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = buildTx(b, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e6, bridge)}, 2000, fmt.Sprint(10_000+i))
	}
	return e, raws
}

// parallel32 runs op(0..b.N-1) from 32 goroutines per core and returns
// ops/s; the timer is stopped when it returns.
func parallel32(b *testing.B, op func(i int) error) float64 {
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(int(next.Add(1) - 1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	return rate
}

// submitAllowed submits raw: an error unless it is allowed.
func (e *env) submitAllowed(raw []byte) error {
	v, err := e.svc.Submit(context.Background(), raw, false)
	if err != nil {
		return err
	}
	if v.Outcome != "allow" {
		return fmt.Errorf("outcome %s %v", v.Outcome, v.Reasons)
	}
	return nil
}

// storedBytes is the sum of the key and value lengths of every top-level
// bucket of db: what the decisions wrote, without bbolt's page overhead.
func storedBytes(b *testing.B, db *storage.DB) int64 {
	var n int64
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, bk *bolt.Bucket) error {
			return bk.ForEach(func(k, v []byte) error {
				n += int64(len(k) + len(v))
				return nil
			})
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkDurablePair runs, in one process and one after the other, the
// two sides of the throughput goal with the same goroutine count (32 per
// core) and the same record size: "bbolt" is bbolt's own batched durable
// put (DB.Batch, fsync) of one record per op into a fresh file, the floor
// the goal names; "decisions" is BenchmarkSubmitParallel's audited
// decision. "commit" is a stricter floor: the same puts through
// storage.DB.Commit, the group commit the decisions use (no batch timer).
// Each reports ops/s; "decisions" also reports its ratio to each floor
// measured just before it: "ratio-bbolt" (the goal's, >= 0.60) and
// "ratio-commit". The record size is the decision body's (the bytes a
// decision appends to the log, measured on a first decision). NOSYNC=1
// drops the fsync from all three.
func BenchmarkDurablePair(b *testing.B) {
	size := decisionRecordSize(b)
	rates := map[string]float64{}
	puts := func(name string, put func(*storage.DB, func(*bolt.Tx) error) error) {
		b.Run(name, func(b *testing.B) {
			db, err := storage.Open(filepath.Join(b.TempDir(), "bolt.db"), storage.Options{NoSync: os.Getenv("NOSYNC") != ""})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			val := bytes.Repeat([]byte{'x'}, size)
			rates[name] = parallel32(b, func(i int) error {
				return put(db, func(tx *bolt.Tx) error {
					return tx.Bucket(storage.BucketAuditRecords).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), val)
				})
			})
			b.ReportMetric(rates[name], "puts/s")
			b.ReportMetric(float64(size), "B/record")
		})
	}
	puts("bbolt", (*storage.DB).Batch)
	puts("commit", (*storage.DB).Commit)
	b.Run("decisions", func(b *testing.B) {
		rate := submitParallel(b)
		if rates["bbolt"] > 0 && rates["commit"] > 0 {
			b.ReportMetric(rate/rates["bbolt"], "ratio-bbolt")
			b.ReportMetric(rate/rates["commit"], "ratio-commit")
		}
	})
}

// decisionRecordSize is the size of one decision's audit record in the
// benchmarks' scenario.
func decisionRecordSize(b testing.TB) int {
	sc := scenario(b, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(b, sc.WalletSeed, sc.Snapshot, now, true)
	if _, err := e.svc.Submit(context.Background(), scenarioRaw(b, sc), false); err != nil {
		b.Fatal(err)
	}
	var n int
	if err := e.db.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket(storage.BucketAuditRecords).Cursor().Last()
		n = len(v)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return n
}

func scenarioRaw(b testing.TB, sc scenarios.Scenario) []byte {
	raw, err := sc.RawPSBT()
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkSubmitFullWindow is BenchmarkSubmitParallel with 100,000
// allowed decisions' outflow already in the 24 h window, entered through
// the running sum's own write path (window.put, as commit enters a
// decision), and a window that moves: the clock advances 1 ms before each
// decision and the oldest 50,000 entries are 1 ms apart at the window's
// start, so each decision pushes about one old entry out as it enters its
// own (the running sum subtracts as it would all day); the other 50,000 are
// spread over the rest of the day. After the run the running sum must
// equal a scan of the window. Reports decisions/s and "window-entries",
// the entries in the window at the end.
func BenchmarkSubmitFullWindow(b *testing.B) {
	e, raws := withdrawals(b, os.Getenv("NOSYNC") != "")
	now := e.clock.Now()
	const prior, dense = 100_000, 50_000
	start := now.Add(-24 * time.Hour)
	if err := e.db.Update(func(tx *bolt.Tx) error {
		for i := range prior {
			at := start.Add(time.Duration(i) * time.Millisecond)
			if i >= dense {
				at = start.Add(dense*time.Millisecond + time.Duration(i-dense)*(23*time.Hour/(prior-dense)))
			}
			if err := seedOutflow(tx, at, fmt.Sprintf("prior-%d", i), 1000); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(parallel32(b, func(i int) error {
		e.clock.Advance(time.Millisecond)
		return e.submitAllowed(raws[i])
	}), "decisions/s")
	end := e.clock.Now()
	if err := e.db.View(func(tx *bolt.Tx) error {
		sum, err := decisionWindow.since(tx, end.Add(-24*time.Hour))
		if err != nil {
			return err
		}
		if scan := windowScan(tx, decisionWindow, end.Add(-24*time.Hour), end, ""); sum != scan {
			return fmt.Errorf("running sum %d, scan of the window %d", sum, scan)
		}
		var entries int
		c := tx.Bucket(storage.BucketOutflow).Cursor()
		for k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(end.Add(-24*time.Hour).UnixNano()))); k != nil; k, _ = c.Next() {
			entries++
		}
		b.ReportMetric(float64(entries), "window-entries")
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// seedOutflow enters an allowed decision's outflow as commit does.
func seedOutflow(tx *bolt.Tx, at time.Time, id string, sat int64) error {
	return decisionWindow.put(tx, outflowKey(at, id), sat)
}
