package decision

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/storage"
)

// Reserves sets the wallet's holdings on L1 against what L2 and the
// decisions say (GET /v1/reserves), all read in one transaction, in sat.
type Reserves struct {
	// L1 is the L1 view's count: confirmed and unconfirmed wallet outputs,
	// transfers in flight (signed, not yet final).
	L1 l1.Reserves `json:"l1"`
	// L2: every finalized TokenStaked amount; finalized unbound requests
	// not yet approved (what the wallet still owes the bridge).
	L2 ReservesL2 `json:"l2"`
	// Allowed: staking and bridge outputs of every allowed decision not
	// released (replacements count each member).
	AllowedStakedSat   int64 `json:"allowed_staked_sat"`
	AllowedReturnedSat int64 `json:"allowed_returned_sat"`
	// Claims counts reqId claims by stage.
	Claims map[string]int `json:"claims"`
}

// ReservesL2 is the L2 side of Reserves.
type ReservesL2 struct {
	FinalizedStakedSat  int64 `json:"finalized_staked_sat"`
	PendingUnboundSat   int64 `json:"pending_unbound_sat"`
	PendingUnboundCount int   `json:"pending_unbound_count"`
}

// Reserves reads the reserves (errs.KindUnavailable without an L1 view).
func (s *Service) Reserves(ctx context.Context) (*Reserves, error) {
	if s.cfg.Chain == nil {
		return nil, errs.New(errs.KindUnavailable, "no_l1_view", "policyd runs without an L1 view (no l1 block)", nil)
	}
	if err := ctx.Err(); err != nil {
		return nil, errs.New(errs.KindUnavailable, "cancelled", "request cancelled", err)
	}
	var out *Reserves
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		r := &Reserves{Claims: map[string]int{}}
		var err error
		if r.L1, err = s.cfg.Chain.Reserves(tx); err != nil {
			return fmt.Errorf("l1 reserves: %w", err)
		}
		if r.L2.FinalizedStakedSat, err = s.cfg.Ledger.FinalizedStakedSat(tx); err != nil {
			return fmt.Errorf("l2 staked total: %w", err)
		}
		q, err := s.cfg.Ledger.PendingUnbound(tx)
		if err != nil {
			return fmt.Errorf("l2 pending queue: %w", err)
		}
		for _, p := range q {
			r.L2.PendingUnboundSat += p.AmountSat
			r.L2.PendingUnboundCount++
		}
		sa := tx.Bucket(storage.BucketStakeAccounts)
		r.AllowedStakedSat, r.AllowedReturnedSat = getInt(sa, keyStaked), getInt(sa, keyReturned)
		err = tx.Bucket(storage.BucketClaims).ForEach(func(k, _ []byte) error {
			c, err := getClaim(tx, string(k))
			if err != nil {
				return err
			}
			r.Claims[c.State]++
			return nil
		})
		out = r
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}
