package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// BenchmarkEvaluate: 2 inputs, 3 outputs (two bridge outputs + change) plus
// the OP_RETURN, 10 UnboundRequired reqIds.
func BenchmarkEvaluate(b *testing.B) {
	_, snap := base(b)
	w := psbtgen.NewWallet("policyd-scenarios")
	var ids []string
	snap.Requests = nil
	for i := 0; i < 10; i++ {
		id := fmt.Sprint(1000 + i)
		ids = append(ids, id)
		snap.Requests = append(snap.Requests, policy.Request{ID: id, Kind: policy.KindUnbound, AmountSat: 10_000_000, Token: snap.Params.BTCToken, State: policy.StateFinalized, TxHash: "0x01", Block: uint64(i)})
	}
	bridge := snap.Whitelist.Entries[0].PkScript
	bridge2 := snap.Whitelist.Entries[1].PkScript
	outs := []*wire.TxOut{wire.NewTxOut(60_000_000, bridge), wire.NewTxOut(40_000_000, bridge2), wire.NewTxOut(5e8-1e8-3000, w.PkScript())}
	p, err := psbtgen.Build(&chaincfg.MainNetParams, w, []int64{3e8, 2e8}, outs, psbtgen.StReqIDsPayload(ids...))
	if err != nil {
		b.Fatal(err)
	}
	pf, err := psbtcheck.Check(psbtgen.Serialize(p), psbtcheck.Wallet{PubKey: w.PubKey(), Net: &chaincfg.MainNetParams}, psbtcheck.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	facts := policy.FactsFrom(pf)
	if d := policy.Evaluate(facts, snap, time.Time{}); d.Outcome != policy.Allow {
		b.Fatalf("benchmark tx denied: %v", d.Reasons)
	}
	// The service evaluates through an Engine (wallet key decoded once);
	// "uncached" is policy.Evaluate, which decodes it on every call.
	eng := policy.NewEngine(snap.WalletKey)
	b.Run("engine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			eng.Evaluate(facts, snap, time.Time{})
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			policy.Evaluate(facts, snap, time.Time{})
		}
	})
}
