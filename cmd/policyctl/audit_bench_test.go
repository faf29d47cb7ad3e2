package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
	"github.com/bitlayer-org/policyd/storage"
)

// The typed-log benchmark: a log of POLICYD_AUDIT_BENCH_N (default
// 1,000,000) typed records of real size, mostly decisions (the policy
// scenarios' facts and snapshots, ~4-5 KB each) with their lifecycle
// (begin + signatures, cancel, revoke by the re-check at signing, expire)
// and governance, key ceremony and start-up records between them. It is
// built once per process (NoSync, 10,000 appends per transaction) in a
// temporary directory (about 2 x 5 GB for 1M records), removed at the end.
var bigLog struct {
	once              sync.Once
	err               error
	dir               string
	log               *audit.Log
	db                *storage.DB
	export            string
	n                 int
	bytes, decBytes   int64
	decisions         int
	build, exportTime time.Duration
}

func benchN() int {
	n := 1_000_000
	if s := os.Getenv("POLICYD_AUDIT_BENCH_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	return n
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigLog.db != nil {
		bigLog.db.Close()
	}
	if bigLog.dir != "" {
		os.RemoveAll(bigLog.dir)
	}
	os.Exit(code)
}

func buildBig(b *testing.B) {
	bigLog.once.Do(func() {
		bigLog.n = benchN()
		if bigLog.dir, bigLog.err = os.MkdirTemp("", "policyctl-audit-bench-"); bigLog.err != nil {
			return
		}
		if bigLog.db, bigLog.err = storage.Open(filepath.Join(bigLog.dir, "policyd.db"), storage.Options{NoSync: true}); bigLog.err != nil {
			return
		}
		skey, _, _ := audit.GenerateKey(audit.DefaultKeyName)
		if bigLog.log, bigLog.err = audit.New(audit.Config{DB: bigLog.db, SignerKey: skey}); bigLog.err != nil {
			return
		}
		entry, _ := recordstest.Cycle(b)
		start := time.Now()
		for i := 0; i < bigLog.n && bigLog.err == nil; i += 10_000 {
			bigLog.err = bigLog.db.Update(func(tx *bolt.Tx) error {
				for j := i; j < min(i+10_000, bigLog.n); j++ {
					e := entry(j)
					if _, err := bigLog.log.AppendBody(tx, e.At, e.Body); err != nil {
						return err
					}
					if d, ok := e.Body.(*records.Decision); ok {
						bigLog.decisions++
						enc, _ := audit.EncodeBody(d)
						bigLog.decBytes += int64(len(enc))
					}
				}
				return nil
			})
		}
		bigLog.build = time.Since(start)
		bigLog.export = filepath.Join(bigLog.dir, "export.jsonl")
		f, err := os.Create(bigLog.export)
		if err != nil {
			bigLog.err = err
			return
		}
		start = time.Now()
		if bigLog.err = bigLog.log.Export(b.Context(), f, 0, 0); bigLog.err != nil {
			return
		}
		bigLog.err = f.Close()
		bigLog.exportTime = time.Since(start)
		st, _ := os.Stat(bigLog.export)
		bigLog.bytes = st.Size()
		b.Logf("built %d records (%d decisions, %.0f B each on average; export %.2f GB) in %v; first export %v",
			bigLog.n, bigLog.decisions, float64(bigLog.decBytes)/float64(bigLog.decisions), float64(bigLog.bytes)/1e9, bigLog.build, bigLog.exportTime)
	})
	if bigLog.err != nil {
		b.Fatal(bigLog.err)
	}
}

// BenchmarkAuditTyped1M/export: the server writes the full export (to a
// file, as the API streams it).
// BenchmarkAuditTyped1M/verify: `policyctl audit verify` of that file
// (every body decoded strictly).
// BenchmarkAuditTyped1M/recheck: `policyctl audit recheck` of that file
// (verify + replay of every decision and re-check through the policy).
func BenchmarkAuditTyped1M(b *testing.B) {
	buildBig(b)
	b.Run("export", func(b *testing.B) {
		b.SetBytes(bigLog.bytes)
		for i := 0; i < b.N; i++ {
			if err := bigLog.log.Export(b.Context(), io.Discard, 0, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bigLog.n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(bigLog.bytes)
		for i := 0; i < b.N; i++ {
			f, err := os.Open(bigLog.export)
			if err != nil {
				b.Fatal(err)
			}
			v, err := audit.Verify(f, bigLog.log.VerifierKey(), nil)
			f.Close()
			if err != nil || v.Checkpoint.Size != uint64(bigLog.n) {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(bigLog.n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("recheck", func(b *testing.B) {
		b.SetBytes(bigLog.bytes)
		for i := 0; i < b.N; i++ {
			f, err := os.Open(bigLog.export)
			if err != nil {
				b.Fatal(err)
			}
			res, err := recheckExport(f, bigLog.log.VerifierKey(), nil)
			f.Close()
			if err != nil || len(res.Mismatches) != 0 || res.Decisions != bigLog.decisions {
				b.Fatalf("%v %+v", err, res)
			}
		}
		b.ReportMetric(float64(bigLog.n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
