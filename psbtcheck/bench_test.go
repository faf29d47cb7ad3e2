package psbtcheck_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

func nInputs(b *testing.B, n int) []byte {
	w := psbtgen.CaseWallet()
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = 100_000
	}
	p, err := psbtgen.Build(&chaincfg.RegressionNetParams, w, vals,
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", int64(60_000*n)), wire.NewTxOut(int64(39_000*n), w.PkScript())},
		psbtgen.StReqIDsPayload("100", "101"))
	if err != nil {
		b.Fatal(err)
	}
	return psbtgen.Serialize(p)
}

// The pair to compare: full Check of a 2-input/3-output PSBT, and btcd's
// bare parse of the same bytes (goal: Check <= 3x).
func BenchmarkCheck2in3out(b *testing.B) {
	raw := twoInThreeOut(b)
	w := caseWallet()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := psbtcheck.Check(raw, w, psbtcheck.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBtcdParse2in3out(b *testing.B) {
	raw := twoInThreeOut(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck100in(b *testing.B) {
	raw := nInputs(b, 100)
	w := caseWallet()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := psbtcheck.Check(raw, w, psbtcheck.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBtcdParse100in(b *testing.B) {
	raw := nInputs(b, 100)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false); err != nil {
			b.Fatal(err)
		}
	}
}

// Checker.Check: the server's hot path (wallet key validated once).
func BenchmarkChecker2in3out(b *testing.B) {
	raw := twoInThreeOut(b)
	c, err := psbtcheck.NewChecker(caseWallet(), psbtcheck.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Check(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// interleaved runs f and btcd's parse alternately, in batches of 16, on
// the same bytes and reports the ratio of the CPU time each used (thread
// CPU time on Linux): separate benchmarks on a shared, loaded machine
// drift too much to compare. GC work is charged to whichever side
// triggers it.
func interleaved(b *testing.B, raw []byte, f func() error) {
	const batch = 16
	lockThread()
	defer unlockThread()
	var ours, theirs time.Duration
	n := 0
	for b.Loop() {
		t0 := threadCPU()
		for range batch {
			if _, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false); err != nil {
				b.Fatal(err)
			}
		}
		t1 := threadCPU()
		for range batch {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		ours += threadCPU() - t1
		theirs += t1 - t0
		n += batch
	}
	b.ReportMetric(float64(ours)/float64(theirs), "x_btcd")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "check_cpu_ns/op")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(n), "btcd_cpu_ns/op")
}

func BenchmarkRatioCheck2in3out(b *testing.B) {
	raw, w := twoInThreeOut(b), caseWallet()
	interleaved(b, raw, func() error { _, err := psbtcheck.Check(raw, w, psbtcheck.Limits{}); return err })
}

func BenchmarkRatioChecker2in3out(b *testing.B) {
	raw := twoInThreeOut(b)
	c, err := psbtcheck.NewChecker(caseWallet(), psbtcheck.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	interleaved(b, raw, func() error { _, err := c.Check(raw); return err })
}

func BenchmarkRatioCheck100in(b *testing.B) {
	raw, w := nInputs(b, 100), caseWallet()
	interleaved(b, raw, func() error { _, err := psbtcheck.Check(raw, w, psbtcheck.Limits{}); return err })
}
