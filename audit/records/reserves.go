package records

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// KindReserves is the periodic reserves record (package decision, every
// l1.reserves_every blocks; issue 16).
const KindReserves = "reserves"

// Reserves sets the wallet's holdings on L1 against what L2 says it owes,
// in satoshis, at one L1 block (docs/api.md, GET /v1/reserves, has every
// field). Its sums are checked by Validate, so a verifier refuses a record
// whose totals do not add up:
//
//	held_sat    = wallet_confirmed_sat + wallet_unconfirmed_sat + staking_sat
//	            + transfers_in_flight_sat + transfers_final_sat
//	owed_sat    = finalized_staked_sat - approved_unbound_sat
//	deficit_sat = max(0, owed_sat - held_sat)
type Reserves struct {
	// L1Height and L1Hash name the block the L1 numbers are taken at;
	// L2Height is the L2 ledger's indexed height.
	L1Height uint64 `json:"l1_height"`
	L1Hash   string `json:"l1_hash"`
	L2Height uint64 `json:"l2_height"`

	WalletConfirmedSat   int64 `json:"wallet_confirmed_sat"`
	WalletUnconfirmedSat int64 `json:"wallet_unconfirmed_sat"`
	StakingSat           int64 `json:"staking_sat"`
	// Transfers of reqIds not yet approved on L2: pending (not mined; its
	// inputs are still wallet outputs, so not held again), in flight
	// (mined, not final), final (N deep, waiting for UnboundApproved).
	TransfersPendingSat  int64 `json:"transfers_pending_sat"`
	TransfersInFlightSat int64 `json:"transfers_in_flight_sat"`
	TransfersFinalSat    int64 `json:"transfers_final_sat"`
	HeldSat              int64 `json:"held_sat"`

	FinalizedStakedSat  int64 `json:"finalized_staked_sat"`
	ApprovedUnboundSat  int64 `json:"approved_unbound_sat"`
	PendingUnboundSat   int64 `json:"pending_unbound_sat"`
	PendingUnboundCount int   `json:"pending_unbound_count"`
	OwedSat             int64 `json:"owed_sat"`

	DeficitSat int64 `json:"deficit_sat"`
	// Claims counts reqId claims by stage.
	Claims map[string]int `json:"claims,omitempty"`
}

func (*Reserves) Kind() string { return KindReserves }
func (*Reserves) Version() int { return 1 }

func (r *Reserves) Validate() error {
	if h, err := hex.DecodeString(r.L1Hash); err != nil || len(h) != 32 {
		return errors.New("l1_hash must be 64 hex digits")
	}
	for name, v := range map[string]int64{
		"wallet_confirmed_sat": r.WalletConfirmedSat, "wallet_unconfirmed_sat": r.WalletUnconfirmedSat,
		"staking_sat": r.StakingSat, "transfers_pending_sat": r.TransfersPendingSat,
		"transfers_in_flight_sat": r.TransfersInFlightSat, "transfers_final_sat": r.TransfersFinalSat,
		"finalized_staked_sat": r.FinalizedStakedSat, "approved_unbound_sat": r.ApprovedUnboundSat,
		"pending_unbound_sat": r.PendingUnboundSat, "deficit_sat": r.DeficitSat,
	} {
		if v < 0 {
			return fmt.Errorf("%s is negative", name)
		}
	}
	if r.PendingUnboundCount < 0 {
		return errors.New("pending_unbound_count is negative")
	}
	held := r.WalletConfirmedSat + r.WalletUnconfirmedSat + r.StakingSat + r.TransfersInFlightSat + r.TransfersFinalSat
	if r.HeldSat != held {
		return fmt.Errorf("held_sat %d is not the sum of its parts (%d)", r.HeldSat, held)
	}
	if owed := r.FinalizedStakedSat - r.ApprovedUnboundSat; r.OwedSat != owed {
		return fmt.Errorf("owed_sat %d is not finalized_staked_sat - approved_unbound_sat (%d)", r.OwedSat, owed)
	}
	if d := max(0, r.OwedSat-r.HeldSat); r.DeficitSat != d {
		return fmt.Errorf("deficit_sat %d is not max(0, owed_sat - held_sat) (%d)", r.DeficitSat, d)
	}
	return nil
}
