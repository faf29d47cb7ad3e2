package relayer

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// BenchmarkDecideFIFO measures one FIFO decision (no OP_RETURN) against a
// queue of 10,000 pending requests of 100,000 sat, for an amount that no
// single request or prefix matches (the rule scans until the sum overshoots).
//
//	go test -run '^$' -bench DecideFIFO ./relayer
func BenchmarkDecideFIFO(b *testing.B) {
	r := &Relayer{cfg: Config{MatchFIFO: PolicyFIFO, ParseReqIDs: ParseStReqIDs, MaxBatch: 50}}
	var reqs []Request
	for i := 1; i <= 10_000; i++ {
		reqs = append(reqs, Request{ReqID: big.NewInt(int64(i)), AmountWei: big.NewInt(100_000 * 1e10), Token: common.Address{}})
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		q := &pendingQueue{byID: make(map[string]Request, len(reqs))}
		for _, rq := range reqs {
			q.byID[rq.ReqID.String()] = rq
			q.order = append(q.order, Pending{ReqID: rq.ReqID, AmountSat: 100_000})
		}
		t := &Transfer{AmountSat: 100*100_000 + 1}
		b.StartTimer()
		r.decide(t, nil, q)
		if t.State != StateHeld { // 100 x 100,000 + 1 matches nothing
			b.Fatalf("state %s", t.State)
		}
	}
}
