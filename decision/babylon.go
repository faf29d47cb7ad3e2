package decision

// Babylon staking in the snapshot (issue 17): the parameters version in
// force at the L1 view's height, and the staking accounting of an RBF
// family counted once.

import (
	"github.com/bitlayer-org/policyd/policy"
)

// babylonAt puts the Babylon version in force at the L1 view's height into
// snap, when the transaction may stake (policy.MayStake): bridge transfers
// do not carry it in their records. Without a schedule or an L1 view it
// stays nil and Evaluate verifies no staking output.
func (s *Service) babylonAt(f policy.Facts, snap *policy.Snapshot) {
	if s.cfg.Babylon == nil || snap.L1 == nil || !policy.MayStake(f) {
		return
	}
	snap.Babylon = policy.BabylonAt(s.cfg.Babylon, snap.L1.Height)
}

// stakeCharge is what r adds to (and, released, takes from) the staking
// accounting: its stake beyond the largest member of the RBF family it
// replaces, which is counted already (policy.StakeCharge). A record from
// before SignedTx.StakingSat existed charges its whole stake, as it did.
func stakeCharge(r *Record) int64 {
	return policy.StakeCharge(r.Decision.StakingSat, r.Snapshot.Replaces)
}
