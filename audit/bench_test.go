package audit

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
	"github.com/bitlayer-org/policyd/storage"
)

// A body about the size of a real decision record.
type benchBody struct {
	DecisionID string   `json:"decision_id"`
	Txid       string   `json:"txid"`
	Outcome    string   `json:"outcome"`
	ReqIDs     []uint64 `json:"req_ids"`
	Outputs    []string `json:"outputs"`
	AmountSat  int64    `json:"amount_sat"`
	FeeSat     int64    `json:"fee_sat"`
	Reasons    []string `json:"reasons"`
}

func benchRecord(i int) benchBody {
	return benchBody{
		DecisionID: fmt.Sprintf("d-%016x", i),
		Txid:       fmt.Sprintf("%064x", i*7919),
		Outcome:    "allow",
		ReqIDs:     []uint64{uint64(i), uint64(i + 1)},
		Outputs:    []string{"bc1qbridgehotwallet0000000000000000000000", "bc1qchange00000000000000000000000000000000"},
		AmountSat:  int64(i) * 1000,
		FeeSat:     1200,
		Reasons:    []string{"outputs_whitelisted", "reqids_finalized"},
	}
}

// BenchmarkAppendDurable: one fsynced Update per append.
func BenchmarkAppendDurable(b *testing.B) {
	skey, _, _ := GenerateKey(DefaultKeyName)
	db := openDB(b, filepath.Join(b.TempDir(), "bench.db"), false)
	l, err := New(Config{DB: db, SignerKey: skey})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := db.Update(func(tx *bolt.Tx) error {
			_, err := l.appendV1(tx, "decision", t0, benchRecord(i))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkAppendBatch: durable appends from 16 goroutines through
// storage.DB.Batch, which coalesces them into fewer fsyncs.
func BenchmarkAppendBatch(b *testing.B) {
	skey, _, _ := GenerateKey(DefaultKeyName)
	db := openDB(b, filepath.Join(b.TempDir(), "bench.db"), false)
	l, err := New(Config{DB: db, SignerKey: skey})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8) // 8 x GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			err := db.Batch(func(tx *bolt.Tx) error {
				_, err := l.appendV1(tx, "decision", t0, benchRecord(i))
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

var (
	bigLogOnce sync.Once
	bigLog     *Log
	bigLogErr  error
	bigLogDir  string // removed by TestMain
	// bigLogBytes is the records' total size (their canonical bytes).
	bigLogBytes int64
)

// benchSize is the export benchmark's log size (POLICYD_AUDIT_BENCH_N to
// override, e.g. for a quick run).
func benchSize() int {
	n := 1_000_000
	if s := os.Getenv("POLICYD_AUDIT_BENCH_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	return n
}

// buildBigLog builds the log once per process (NoSync, 10k appends per tx)
// so -count=N repeats only the measured part. It is written as the
// decision service writes its log: decision records of kind "decision" v2
// (records.Decision.Slim of recordstest.Decisions: the policy scenarios'
// facts, slim snapshot and result, the whitelist and parameters named by
// hash), cycled with distinct decision ids and increasing times, each
// whitelist_state and params_state record appended once, before the first
// decision that names it (so a replay of the log resolves every hash).
// bigLogBytes counts every record's canonical bytes, the state records
// included.
func buildBigLog(b *testing.B, n int) *Log {
	bigLogOnce.Do(func() {
		ds := recordstest.Decisions(b)
		dir, err := os.MkdirTemp("", "audit-bench-")
		if err != nil {
			bigLogErr = err
			return
		}
		bigLogDir = dir
		db, err := storage.Open(filepath.Join(dir, "big.db"), storage.Options{NoSync: true})
		if err != nil {
			bigLogErr = err
			return
		}
		skey, _, _ := GenerateKey(DefaultKeyName)
		bigLog, bigLogErr = New(Config{DB: db, SignerKey: skey})
		if bigLogErr != nil {
			return
		}
		recorded := map[string]bool{} // state records already in the log, by kind and hash
		j, states := 0, 0
		appendAt := func(tx *bolt.Tx, body records.Body) error {
			if _, err := bigLog.AppendBody(tx, t0.Add(time.Duration(j)*time.Second), body); err != nil {
				return err
			}
			bigLogBytes += int64(len(tx.Bucket(storage.BucketAuditRecords).Get(u64key(uint64(j)))))
			j++
			return nil
		}
		start := time.Now()
		for j < n && bigLogErr == nil {
			bigLogErr = db.Update(func(tx *bolt.Tx) error {
				for end := min(j+10_000, n); j < end; {
					d := ds[(j-states)%len(ds)]
					v2 := d.Slim()
					v2.DecisionID = fmt.Sprintf("%s-%d", d.DecisionID, j)
					// The states the decision names, those not yet
					// recorded, then the decision.
					next := []struct {
						key  string
						body records.Body
					}{
						{records.KindWhitelistState + "/" + v2.WhitelistHash, &records.WhitelistState{Hash: v2.WhitelistHash, Whitelist: d.Snapshot.Whitelist}},
						{records.KindParamsState + "/" + v2.ParamsHash, &records.ParamsState{Hash: v2.ParamsHash, Params: d.Snapshot.Params}},
						{"", v2},
					}
					for _, r := range next {
						if recorded[r.key] || j >= end {
							continue
						}
						if r.key != "" {
							recorded[r.key] = true
							states++
						}
						if err := appendAt(tx, r.body); err != nil {
							return err
						}
					}
				}
				return nil
			})
		}
		b.Logf("built %d-record log in %v (%s): %d state records, then decision v2 records; %d bytes per record on average",
			n, time.Since(start), dir, states, bigLogBytes/int64(max(n, 1)))
		// The build's garbage (bbolt's write transactions) is collected
		// and returned to the OS now, not by the scavenger during the
		// measured part.
		runtime.GC()
		debug.FreeOSMemory()
	})
	if bigLogErr != nil {
		b.Fatal(bigLogErr)
	}
	return bigLog
}

// BenchmarkExportVerify1M: export the whole log (server side) and verify it
// (auditor side) through a pipe, as `policyctl audit export` + `verify` do,
// in one process; cores is the CPU time both sides used over the wall time,
// sys_ns/record the part of the CPU time spent in the kernel. Before the
// measured part one export to io.Discard reads the database through
// bbolt's fresh memory map (the build wrote it with pwrite): its CPU per
// record, page faults included, is first_export_cpu_ns/record.
func BenchmarkExportVerify1M(b *testing.B) {
	n := benchSize()
	l := buildBigLog(b, n)
	cpuW := processCPU()
	if err := l.ExportRange(b.Context(), io.Discard, ExportRequest{}); err != nil {
		b.Fatal(err)
	}
	first := processCPU() - cpuW
	b.SetBytes(bigLogBytes)
	cpu0, sys0, start := processCPU(), processSysCPU(), time.Now()
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(l.ExportRange(b.Context(), pw, ExportRequest{})) }()
		cp, err := VerifyExport(pr, l.VerifierKey(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if cp.Size != uint64(n) {
			b.Fatalf("size %d", cp.Size)
		}
	}
	cpu, sys, wall := processCPU()-cpu0, processSysCPU()-sys0, time.Since(start)
	b.ReportMetric(float64(sys.Nanoseconds())/float64(b.N)/float64(max(n, 1)), "sys_ns/record")
	b.ReportMetric(float64(first.Nanoseconds())/float64(max(n, 1)), "first_export_cpu_ns/record")
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(float64(bigLogBytes)/float64(max(n, 1)), "B/record")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu_ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(max(n, 1)), "cpu_ns/record")
	b.ReportMetric(float64(cpu)/float64(wall), "cores")
}

// BenchmarkVerify1M: the auditor's side alone, from an export in memory.
func BenchmarkVerify1M(b *testing.B) {
	n := benchSize()
	l := buildBigLog(b, n)
	var buf bytes.Buffer
	if err := l.ExportRange(b.Context(), &buf, ExportRequest{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := VerifyExport(bytes.NewReader(buf.Bytes()), l.VerifierKey(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify1MWorkers: BenchmarkVerify1M's export checked by the
// sequential pass (seq), by the sequential pass with the strict body
// check alone (seq-strict: what every body cost before the fast path, and
// its oracle), and by the parallel record checks with GOMAXPROCS workers
// (par), one after the other in one process; cores is the CPU time the run
// used over its wall time.
func BenchmarkVerify1MWorkers(b *testing.B) {
	n := benchSize()
	l := buildBigLog(b, n)
	var buf bytes.Buffer
	if err := l.ExportRange(b.Context(), &buf, ExportRequest{}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		workers int
		strict  bool // typed bodies by the strict path alone (the fast path's oracle)
	}{{"seq-strict", 1, true}, {"seq", 1, false}, {"par", 0, false}} {
		b.Run(c.name, func(b *testing.B) {
			fastBodies = !c.strict
			defer func() { fastBodies = true }()
			b.SetBytes(int64(buf.Len()))
			cpu0, t0 := processCPU(), time.Now()
			for b.Loop() {
				if _, err := VerifyWith(bytes.NewReader(buf.Bytes()), l.VerifierKey(), nil, VerifyOptions{workers: c.workers}); err != nil {
					b.Fatal(err)
				}
			}
			// cores: CPU time over wall time (what the run got of the machine).
			cpu, wall := processCPU()-cpu0, time.Since(t0)
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu_ns/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(max(n, 1)), "cpu_ns/record")
			b.ReportMetric(float64(cpu)/float64(wall), "cores")
		})
	}
}

// BenchmarkCheckRecord: the per-record work of verification on one
// real-size decision record line (a decision v2, as buildBigLog writes), by phase, the phases interleaved in each
// iteration and timed with the thread's CPU clock (so the ratios hold
// under load): the record's envelope and canonical form (DecodeRecord),
// its leaf hash, its typed body by the strict path (records.Decode,
// Validate, re-encode, compare: the oracle), by the fast path decoding a
// new body (body-fast: what OnRecord is given) and checking it in a
// reused scratch (body-check: VerifyExport), and checkRecord whole
// (envelope, hash, fast body) both ways. Metrics are CPU ns per record
// for each phase.
func BenchmarkCheckRecord(b *testing.B) {
	d := recordstest.Decisions(b)[0].Slim()
	rec, err := EncodeRecord(7, t0, d)
	if err != nil {
		b.Fatal(err)
	}
	line := bytes.TrimSuffix(appendRecordLine(nil, 7, rec), []byte("\n"))
	r, err := DecodeRecord(rec)
	if err != nil {
		b.Fatal(err)
	}
	var scratch fastScratch
	phases := []struct {
		name string
		f    func() bool
		cpu  time.Duration
	}{
		{name: "DecodeRecord", f: func() bool { _, err := DecodeRecord(rec); return err == nil }},
		{name: "RecordHash", f: func() bool { return tlog.RecordHash(rec) != tlog.Hash{} }},
		{name: "body-strict", f: func() bool { _, err := decodeBody(r.Kind, r.KindVersion, r.Body); return err == nil }},
		{name: "body-fast", f: func() bool { _, ok := fastDecodeBody(r.Kind, r.KindVersion, r.Body); return ok }},
		{name: "body-check", f: func() bool { return fastCheckBody(r.Kind, r.KindVersion, r.Body, &scratch) }},
		{name: "checkRecord", f: func() bool { return checkRecord(7, 2, line, true, nil).body != nil }},
		{name: "checkRecord-scratch", f: func() bool { res := checkRecord(7, 2, line, true, &scratch); return res.err == nil && res.rec == nil }},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		for k := range phases {
			c0 := threadCPU()
			if !phases[k].f() {
				b.Fatal(phases[k].name, ": refused")
			}
			phases[k].cpu += threadCPU() - c0
		}
	}
	for _, p := range phases {
		b.ReportMetric(float64(p.cpu.Nanoseconds())/float64(b.N), p.name+"_cpu_ns")
	}
}
