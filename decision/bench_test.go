package decision

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/policy"
)

// BenchmarkSubmitParallel: the full audited decision (psbtcheck, snapshot,
// Evaluate, claim, outflow, audit append) with a durable (fsync) commit,
// from parallel goroutines through storage.DB.Batch. Each op is a distinct
// allowed withdrawal claiming its own reqId. Reports decisions/s.
// NOSYNC=1 drops the fsync to measure the CPU side alone.
func BenchmarkSubmitParallel(b *testing.B) {
	sc := scenario(b, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	snap.Params.VelocityCapSat = 1 << 62 / 2
	n := b.N
	for i := 0; i < n; i++ {
		snap.Requests = append(snap.Requests, policy.Request{ID: fmt.Sprint(10_000 + i), Kind: policy.KindUnbound, AmountSat: 1e6, Token: snap.Params.BTCToken, State: policy.StateFinalized, TxHash: "0x01", Block: uint64(1 + i), LogIndex: 1})
	}
	e := newEnv(b, sc.WalletSeed, snap, now, os.Getenv("NOSYNC") != "")
	bridge := snap.Whitelist.Entries[0].PkScript
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = buildTx(b, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e6, bridge)}, 2000, fmt.Sprint(10_000+i))
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			v, err := e.svc.Submit(context.Background(), raws[i], false)
			if err != nil || v.Outcome != "allow" {
				b.Errorf("%v %v", v, err)
				return
			}
		}
	})
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "decisions/s")
}

// BenchmarkSubmitIdle: one durable audited decision at a time (an idle
// server): ns/op is a single decision's latency, fsync included (NOSYNC=1
// leaves it out).
func BenchmarkSubmitIdle(b *testing.B) {
	sc := scenario(b, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	snap.Params.VelocityCapSat = 1 << 62 / 2
	n := b.N
	for i := 0; i < n; i++ {
		snap.Requests = append(snap.Requests, policy.Request{ID: fmt.Sprint(10_000 + i), Kind: policy.KindUnbound, AmountSat: 1e6, Token: snap.Params.BTCToken, State: policy.StateFinalized, TxHash: "0x01", Block: uint64(1 + i), LogIndex: 1})
	}
	e := newEnv(b, sc.WalletSeed, snap, now, os.Getenv("NOSYNC") != "")
	bridge := snap.Whitelist.Entries[0].PkScript
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = buildTx(b, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e6, bridge)}, 2000, fmt.Sprint(10_000+i))
	}
	b.ResetTimer()
	for i := range n {
		v, err := e.svc.Submit(context.Background(), raws[i], false)
		if err != nil || v.Outcome != "allow" {
			b.Fatalf("%v %v", v, err)
		}
	}
}
