package l2

import (
	"math/big"

	"github.com/bitlayer-org/policyd/policy"
)

// Pending is one unbound request waiting for its L1 funds, as the FIFO rule
// sees it.
type Pending struct {
	ReqID     *big.Int
	AmountSat int64
}

// MatchFIFO is P002's bridge-relayer rule for an L1 transfer that carries no
// reqIds, over the ledger's types. queue holds the pending UnboundRequired
// requests in L2 order (block number, then log index). It returns
//
//  1. the earliest single request whose amount equals amountSat, else
//  2. the shortest prefix of queue whose amounts sum to amountSat, else
//  3. nil: nothing may be released.
//
// The rule itself is policy.MatchFIFO: the policy engine, the relayer and
// this ledger view apply one implementation (policy.MatchFIFOBy, over the
// queue as it is: no conversion, only the result is allocated), so they
// cannot disagree on which requests a transfer pays. Edge cases (amountSat
// <= 0, an empty queue, a prefix that overshoots, a non-positive or
// out-of-range amount, overflow) all release nothing. The result is a fresh
// slice; queue is not modified.
func MatchFIFO(amountSat int64, queue []Pending) []Pending {
	return policy.MatchFIFOBy(amountSat, queue, func(p *Pending) int64 { return p.AmountSat })
}
