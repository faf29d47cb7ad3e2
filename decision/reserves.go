package decision

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// Reserves sets what the wallet holds on L1 against what L2 says it owes,
// in satoshis, all read in one bbolt transaction (GET /v1/reserves, the
// reserves audit record, the deficit metric). docs/api.md has every field.
//
//	held    = L1 wallet outputs (confirmed + unconfirmed) + staking outputs
//	          + transfers in flight + transfers final
//	owed    = finalized TokenStaked - approved UnboundRequired
//	deficit = max(0, owed - held)
//
// A transfer is the part of a signed transaction that leaves the wallet
// (neither change nor a staking output) for reqIds L2 has not yet
// approved: once mined it is no longer a wallet output, yet L2 still counts
// its reqIds as owed until UnboundApproved, so it is held on the way.
// Pending transfers (not mined) are shown but not added: their inputs are
// still wallet outputs. Fees leave the wallet for good, so a wallet whose
// fees nobody tops up drifts into a deficit by exactly the fees paid.
type Reserves struct {
	L1 ReservesL1 `json:"l1"`
	L2 ReservesL2 `json:"l2"`
	// DeficitSat = max(0, L2.OwedSat - L1.HeldSat); SurplusSat the other
	// way round. At most one is non-zero.
	DeficitSat int64 `json:"deficit_sat"`
	SurplusSat int64 `json:"surplus_sat"`
	// Allowed: staking and bridge outputs of every allowed decision not
	// released (replacements count each member): the policy's accounting.
	AllowedStakedSat   int64 `json:"allowed_staked_sat"`
	AllowedReturnedSat int64 `json:"allowed_returned_sat"`
	// Claims counts reqId claims by stage.
	Claims map[string]int `json:"claims"`
}

// ReservesL1 is the L1 side: the L1 view's numbers, unchanged.
type ReservesL1 struct {
	l1.Reserves
	// Transfers of the claims whose reqIds L2 has not approved yet.
	Transfers l1.Transfers `json:"transfers"`
	// HeldSat = ConfirmedSat + UnconfirmedSat + StakingSat +
	// Transfers.InFlightSat + Transfers.FinalSat.
	HeldSat int64 `json:"held_sat"`
}

// ReservesL2 is the L2 side, from the l2 ledger (conflict-free requests).
type ReservesL2 struct {
	// Height is the ledger's indexed L2 height.
	Height              uint64 `json:"height"`
	FinalizedStakedSat  int64  `json:"finalized_staked_sat"`
	ApprovedUnboundSat  int64  `json:"approved_unbound_sat"`
	PendingUnboundSat   int64  `json:"pending_unbound_sat"`
	PendingUnboundCount int    `json:"pending_unbound_count"`
	// OwedSat = FinalizedStakedSat - ApprovedUnboundSat.
	OwedSat int64 `json:"owed_sat"`
}

// ReservesChain is the L1 view's reserves side (*l1.View satisfies it).
// Config.Chain provides it; without it the reserves are unavailable.
type ReservesChain interface {
	Status(tx *bolt.Tx) (l1.Status, error)
	Reserves(tx *bolt.Tx) (l1.Reserves, error)
	Transfers(tx *bolt.Tx, txids []chainhash.Hash) (l1.Transfers, error)
	WatchStaking(tx *bolt.Tx, ops []wire.OutPoint) error
}

var _ ReservesChain = (*l1.View)(nil)

// ApprovedLedger is the l2 ledger's approved-unbound total
// (*l2.PolicyLedger satisfies it). Config.Ledger provides it; without it
// the reserves are unavailable.
type ApprovedLedger interface {
	// ApprovedUnboundSat is the sum of every conflict-free UnboundRequired
	// amount L2 has approved (UnboundApproved finalized).
	ApprovedUnboundSat(tx *bolt.Tx) (int64, error)
}

func (s *Service) reservesSources() (ReservesChain, ApprovedLedger, error) {
	if s.cfg.Chain == nil {
		return nil, nil, errs.New(errs.KindUnavailable, "no_l1_view", "policyd runs without an L1 view (no l1 block)", nil)
	}
	c, ok := s.cfg.Chain.(ReservesChain)
	a, ok2 := s.cfg.Ledger.(ApprovedLedger)
	if !ok || !ok2 {
		return nil, nil, errs.New(errs.KindUnavailable, "no_reserves", "the L1 view or the L2 ledger keeps no reserves", nil)
	}
	return c, a, nil
}

// Reserves reads the reserves (errs.KindUnavailable without an L1 view).
func (s *Service) Reserves(ctx context.Context) (*Reserves, error) {
	c, a, err := s.reservesSources()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, errs.New(errs.KindUnavailable, "cancelled", "request cancelled", err)
	}
	var out *Reserves
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		out, err = s.reserves(tx, c, a)
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

// reserves computes the reserves inside tx.
func (s *Service) reserves(tx *bolt.Tx, c ReservesChain, a ApprovedLedger) (*Reserves, error) {
	r := &Reserves{Claims: map[string]int{}}
	var err error
	if r.L1.Reserves, err = c.Reserves(tx); err != nil {
		return nil, fmt.Errorf("l1 reserves: %w", err)
	}
	l2s, err := s.cfg.Ledger.Status(tx, s.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("l2 status: %w", err)
	}
	r.L2.Height = l2s.Height
	if r.L2.FinalizedStakedSat, err = s.cfg.Ledger.FinalizedStakedSat(tx); err != nil {
		return nil, fmt.Errorf("l2 staked total: %w", err)
	}
	if r.L2.ApprovedUnboundSat, err = a.ApprovedUnboundSat(tx); err != nil {
		return nil, fmt.Errorf("l2 approved total: %w", err)
	}
	q, err := s.cfg.Ledger.PendingUnbound(tx)
	if err != nil {
		return nil, fmt.Errorf("l2 pending queue: %w", err)
	}
	for _, p := range q {
		r.L2.PendingUnboundSat += p.AmountSat
		r.L2.PendingUnboundCount++
	}
	r.L2.OwedSat = r.L2.FinalizedStakedSat - r.L2.ApprovedUnboundSat
	sa := tx.Bucket(storage.BucketStakeAccounts)
	r.AllowedStakedSat, r.AllowedReturnedSat = getInt(sa, keyStaked), getInt(sa, keyReturned)
	open, err := s.openTransfers(tx, r.Claims)
	if err != nil {
		return nil, err
	}
	if r.L1.Transfers, err = c.Transfers(tx, open); err != nil {
		return nil, fmt.Errorf("l1 transfers: %w", err)
	}
	l := &r.L1
	l.HeldSat = l.ConfirmedSat + l.UnconfirmedSat + l.StakingSat + l.Transfers.InFlightSat + l.Transfers.FinalSat
	r.DeficitSat = max(0, r.L2.OwedSat-l.HeldSat)
	r.SurplusSat = max(0, l.HeldSat-r.L2.OwedSat)
	return r, nil
}

// openTransfers counts the claims by stage into counts and returns the
// transactions policyd signed (each claim's and its replacement family's)
// that pay UnboundRequired reqIds L2 has not approved yet. TokenStaked
// claims are no transfer (their staking outputs are counted as such).
func (s *Service) openTransfers(tx *bolt.Tx, counts map[string]int) ([]chainhash.Hash, error) {
	claims := map[string]*policy.Claim{}
	var ids []*big.Int
	err := tx.Bucket(storage.BucketClaims).ForEach(func(k, _ []byte) error {
		c, err := getClaim(tx, string(k))
		if err != nil {
			return err
		}
		counts[c.State]++
		switch c.State {
		case policy.ClaimSigned, policy.ClaimBroadcast, policy.ClaimConfirmed:
		default:
			// Not signed yet, approved, or paid by a spend policyd did not
			// sign (paid_unexplained: its outputs were never checked, so
			// they are not held; the spend shows as a deficit until L2
			// approves its reqIds).
			return nil
		}
		id, ok := new(big.Int).SetString(string(k), 10)
		if !ok {
			return fmt.Errorf("claim key %q is not a decimal reqId", k)
		}
		claims[string(k)] = c
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	reqs, err := s.cfg.Ledger.Requests(tx, ids)
	if err != nil {
		return nil, fmt.Errorf("l2 requests: %w", err)
	}
	var out []chainhash.Hash
	seen := map[string]bool{}
	for _, q := range reqs {
		c := claims[q.ID]
		if c == nil || q.Kind != policy.KindUnbound || q.State == policy.StateApproved {
			continue
		}
		for _, txid := range append([]string{c.TxID}, c.Family...) {
			if seen[txid] {
				continue
			}
			seen[txid] = true
			h, err := chainhash.NewHashFromStr(txid)
			if err != nil {
				return nil, fmt.Errorf("claim %s: txid %q: %w", q.ID, txid, err)
			}
			out = append(out, *h)
		}
	}
	return out, nil
}

// watchStaking names r's verified Babylon staking outputs to the L1 view
// (in the transaction that puts t on the watch list), so the reserves count
// them from the block that mines t until they are spent.
func (s *Service) watchStaking(tx *bolt.Tx, r *Record, t *wire.MsgTx) error {
	c, ok := s.cfg.Chain.(ReservesChain)
	if !ok || len(r.Decision.StakingOutputs) == 0 {
		return nil
	}
	id := t.TxHash()
	ops := make([]wire.OutPoint, 0, len(r.Decision.StakingOutputs))
	for _, i := range r.Decision.StakingOutputs {
		if i < 0 || i >= len(t.TxOut) {
			return fmt.Errorf("decision %s: staking output %d of a %d-output transaction", r.ID, i, len(t.TxOut))
		}
		ops = append(ops, wire.OutPoint{Hash: id, Index: uint32(i)})
	}
	return c.WatchStaking(tx, ops)
}

// DefaultReservesEvery is the default period of the reserves record, in L1
// blocks (about a day on mainnet).
const DefaultReservesEvery = 144

var keyReservesHeight = []byte("recorded_height")

// RecordReserves reads the reserves and, when the L1 view is synced and its
// tip has entered a new period of every blocks since the last record (or
// none was written yet), appends a signed KindReserves record of them in
// the same transaction. It returns the reserves and the record (nil when
// none was due). every 0 means DefaultReservesEvery.
func (s *Service) RecordReserves(ctx context.Context, every uint64) (*Reserves, *records.Reserves, error) {
	c, a, err := s.reservesSources()
	if err != nil {
		return nil, nil, err
	}
	if every == 0 {
		every = DefaultReservesEvery
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	due := func(tx *bolt.Tx) (bool, l1.Status, error) {
		st, err := c.Status(tx)
		if err != nil || !st.Synced {
			return false, st, err
		}
		raw := tx.Bucket(storage.BucketReserves).Get(keyReservesHeight)
		if len(raw) != 8 {
			return true, st, nil
		}
		return st.TipHeight/every > binary.BigEndian.Uint64(raw)/every, st, nil
	}
	var out *Reserves
	var rec *records.Reserves
	// Read-only first: a record is due once a period, the reserves are
	// read after every poll.
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		ok, _, err := due(tx)
		if err != nil || ok {
			return err
		}
		out, err = s.reserves(tx, c, a)
		return err
	})
	if err != nil {
		return nil, nil, classify(err)
	}
	if out != nil {
		return out, nil, nil
	}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		ok, st, err := due(tx)
		if err != nil {
			return err
		}
		if out, err = s.reserves(tx, c, a); err != nil || !ok {
			return err
		}
		rec = out.record(st)
		if _, err := s.cfg.Audit.AppendBody(tx, now, rec); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		var h [8]byte
		binary.BigEndian.PutUint64(h[:], st.TipHeight)
		return tx.Bucket(storage.BucketReserves).Put(keyReservesHeight, h[:])
	})
	if err != nil {
		return nil, nil, classify(err)
	}
	return out, rec, nil
}

// record is r as the audit log keeps it, at the L1 block of st.
func (r *Reserves) record(st l1.Status) *records.Reserves {
	rec := &records.Reserves{
		L1Height: st.TipHeight, L1Hash: st.TipHash.String(), L2Height: r.L2.Height,
		WalletConfirmedSat: r.L1.ConfirmedSat, WalletUnconfirmedSat: r.L1.UnconfirmedSat, StakingSat: r.L1.StakingSat,
		TransfersPendingSat: r.L1.Transfers.PendingSat, TransfersInFlightSat: r.L1.Transfers.InFlightSat,
		TransfersFinalSat: r.L1.Transfers.FinalSat, HeldSat: r.L1.HeldSat,
		FinalizedStakedSat: r.L2.FinalizedStakedSat, ApprovedUnboundSat: r.L2.ApprovedUnboundSat,
		PendingUnboundSat: r.L2.PendingUnboundSat, PendingUnboundCount: r.L2.PendingUnboundCount, OwedSat: r.L2.OwedSat,
		DeficitSat: r.DeficitSat,
	}
	if len(r.Claims) > 0 {
		rec.Claims = r.Claims
	}
	return rec
}
