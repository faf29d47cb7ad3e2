package l2

import "math/big"

// Pending is one unbound request waiting for its L1 funds, as the FIFO rule
// sees it.
type Pending struct {
	ReqID     *big.Int
	AmountSat int64
}

// MatchFIFO is P002's bridge-relayer rule for an L1 transfer that carries no
// reqIds. queue holds the pending UnboundRequired requests in L2 order (block
// number, then log index). It returns
//
//  1. the earliest single request whose amount equals amountSat, else
//  2. the shortest prefix of queue whose amounts sum to amountSat, else
//  3. nil: nothing may be released.
//
// Edge cases, all resolved towards releasing nothing: amountSat <= 0, an empty
// queue, a prefix that overshoots (amounts are positive, so no longer prefix
// can match), a queue entry with a non-positive amount met while summing the
// prefix (a malformed queue), and sums that would overflow int64. The result
// is a fresh slice; queue is not modified. MatchFIFO is pure.
func MatchFIFO(amountSat int64, queue []Pending) []Pending {
	if amountSat <= 0 {
		return nil
	}
	for _, p := range queue {
		if p.AmountSat == amountSat {
			return []Pending{p}
		}
	}
	var sum int64
	for i, p := range queue {
		if p.AmountSat <= 0 || p.AmountSat > amountSat-sum {
			return nil
		}
		sum += p.AmountSat
		if sum == amountSat {
			out := make([]Pending, i+1)
			copy(out, queue[:i+1])
			return out
		}
	}
	return nil
}
