package main

import (
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// An upgrade, admin change or role change of the watched L2 contract
// (l2.TrustEvent) means the events policyd reads may no longer mean what
// they meant: signing stops until Bitlayer's admins have looked.
//
// The stored trust event is turned into a governance system freeze (its
// audit record names the event) and marked as handed over, in one bbolt
// transaction; the freeze is then lifted only by the admins' quorum
// unfreeze, which is the review. Until that handover commits (the window
// between the indexer's commit and the hook, or a crash in it), trustGuard
// makes every decision and every begin-signing see the wallet frozen.

// trustGuard is the decision service's Governance: governance's source,
// frozen also while the L2 ledger holds a trust event not yet turned into a
// system freeze.
type trustGuard struct {
	*governance.PolicySource
	ledger *l2.Ledger
	// baseline is l2.trust_reviewed_through: trust events in blocks up to
	// it were reviewed before this deployment started (the contract's own
	// deployment emits Upgraded, AdminChanged and RoleGranted).
	baseline uint64
}

func (g trustGuard) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	frozen, err := g.PolicySource.Frozen(tx, now)
	if err != nil || frozen {
		return true, err
	}
	hold, err := g.ledger.TrustHold(tx)
	if err != nil {
		return true, err // fail closed
	}
	_, rest := splitBaseline(hold, g.baseline)
	return len(rest) > 0, nil
}

// splitBaseline splits held trust events (in block order) into those at or
// below the configured baseline block and the rest.
func splitBaseline(hold []l2.TrustEvent, baseline uint64) (known, rest []l2.TrustEvent) {
	i := 0
	for i < len(hold) && hold[i].BlockNumber <= baseline {
		i++
	}
	return hold[:i], hold[i:]
}

// freezeOnTrustEvents turns every trust event still held into a system
// freeze (at start-up, and from the indexer's hook for each new one).
func freezeOnTrustEvents(db *storage.DB, gov *governance.Governance, ledger *l2.Ledger, baseline uint64, now func() time.Time, log *slog.Logger) error {
	return db.Update(func(tx *bolt.Tx) error {
		all, err := ledger.TrustHold(tx)
		if err != nil || len(all) == 0 {
			return err
		}
		at := now()
		known, hold := splitBaseline(all, baseline)
		if len(known) > 0 {
			who := fmt.Sprintf("config:l2.trust_reviewed_through=%d", baseline)
			if err := ledger.ReviewTrust(tx, known[len(known)-1].Seq, who, at); err != nil {
				return err
			}
			log.Warn("l2 trust events at or below l2.trust_reviewed_through taken as reviewed (the contract's deployment)",
				"events", len(known), "through_block", baseline)
		}
		if len(hold) == 0 {
			return nil
		}
		last := hold[len(hold)-1]
		reason := fmt.Sprintf("L2 contract %s: %s in block %d (tx %s)", last.Contract.Hex(), last.Name, last.BlockNumber, last.TxHash.Hex())
		if len(hold) > 1 {
			reason = fmt.Sprintf("%s and %d more trust events", reason, len(hold)-1)
		}
		fs, err := gov.SystemFreeze(tx, at, "l2", reason, trustEvidence(hold))
		if err != nil {
			return err
		}
		if err := ledger.ReviewTrust(tx, last.Seq, "policyd:system_freeze", at); err != nil {
			return err
		}
		log.Error("signing frozen: the watched L2 contract changed its code, admin or roles; a quorum unfreeze by Bitlayer's admins lifts it after review",
			"events", len(hold), "last", last.Name, "block", last.BlockNumber, "tx", last.TxHash.Hex(), "freeze_epoch", fs.Epoch)
		return nil
	})
}

// trustEvidence is the audit record's evidence of held trust events.
func trustEvidence(hold []l2.TrustEvent) records.FreezeEvidence {
	var ev records.FreezeEvidence
	for _, e := range hold {
		te := records.TrustEvent{Seq: e.Seq, Name: e.Name, Topic0: e.Topic0.Hex(), Topics: []string{}, Data: e.Data.String(), Contract: e.Contract.Hex(),
			BlockNumber: e.BlockNumber, BlockHash: e.BlockHash.Hex(), TxHash: e.TxHash.Hex(), LogIndex: e.LogIndex, SeenAt: e.SeenAt}
		for _, t := range e.Topics {
			te.Topics = append(te.Topics, t.Hex())
		}
		ev.TrustEvents = append(ev.TrustEvents, te)
	}
	return ev
}
