package l2

import (
	"math/big"
	"strconv"

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
// this ledger view apply one implementation, so they cannot disagree on which
// requests a transfer pays. Edge cases (amountSat <= 0, an empty queue, a
// prefix that overshoots, a non-positive or out-of-range amount, overflow)
// all release nothing. The result is a fresh slice; queue is not modified.
func MatchFIFO(amountSat int64, queue []Pending) []Pending {
	in := make([]policy.Request, len(queue))
	for i, p := range queue {
		// The position is the identity: ids need not be unique or set for
		// the rule, only for the caller.
		in[i] = policy.Request{ID: strconv.Itoa(i), Kind: policy.KindUnbound, AmountSat: p.AmountSat}
	}
	picked := policy.MatchFIFO(amountSat, in)
	if picked == nil {
		return nil
	}
	out := make([]Pending, len(picked))
	for i, r := range picked {
		j, _ := strconv.Atoi(r.ID) // an index we wrote above
		out[i] = queue[j]
	}
	return out
}
