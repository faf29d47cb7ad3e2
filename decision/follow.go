package decision

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// AuditClaimStage is the audit kind of a claim moving along the chain.
const AuditClaimStage = records.KindClaimStage

// ClaimStage is the body of an AuditClaimStage record.
type ClaimStage = records.ClaimStage

// followed is a claim FollowChain moves: of a signed transaction, not
// yet approved.
type followed struct {
	id string
	c  policy.Claim
}

// FollowChain moves every claim of a signed transaction along the chain,
// one AuditClaimStage record per change, in one transaction, after every
// L1 poll (approvals are read from the L2 ledger then):
//
//   - signed -> broadcast -> confirmed, following whichever member of the
//     claim's RBF family the chain picked (an earlier member confirming
//     instead of the newest: the claim names it), and back on a reorg or a
//     drop;
//   - -> approved once the L2 ledger shows the reqId approved
//     (UnboundApproved, finalized), from signed and broadcast too; an
//     approved claim never moves again;
//   - -> released (the reqId is free again) when every member of the
//     family is conflicted by a transaction buried N deep, the view is
//     fresh, and no conflicting transaction pays the reqId itself.
//
// Reconciliation runs first in the same transaction, so a conflict that is
// itself an unexplained spend has frozen signing and claimed its reqIds
// paid before anything is released. It returns the number of claims in
// each state afterwards, released ids included (a metric). A no-op without
// Config.Chain.
func (s *Service) FollowChain(ctx context.Context) (map[string]int, error) {
	c := s.cfg.Chain
	if c == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var counts map[string]int
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		counts = map[string]int{}
		now, err := s.clock(tx, s.cfg.Now(), true)
		if err != nil {
			return err
		}
		if err := s.catchUp(tx, now); err != nil {
			return err
		}
		fc := newFollowCache()
		var todo []followed
		var ids []string
		err = tx.Bucket(storage.BucketClaims).ForEach(func(k, v []byte) error {
			var cl policy.Claim
			if err := json.Unmarshal(v, &cl); err != nil {
				return fmt.Errorf("claim %s: corrupt: %w", k, err)
			}
			switch cl.State {
			case policy.ClaimSigned, policy.ClaimBroadcast, policy.ClaimConfirmed:
				todo = append(todo, followed{id: string(k), c: cl})
				ids = append(ids, string(k))
			case policy.ClaimPaidUnexplained:
				fc.paidUnexplained[cl.TxID] = append(fc.paidUnexplained[cl.TxID], string(k))
				counts[cl.State]++
			default:
				counts[cl.State]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		approved, err := s.approvedIDs(tx, ids)
		if err != nil {
			return err
		}
		fresh := c.Check(tx, now) == nil
		for _, f := range todo {
			to, err := s.followClaim(tx, now, fc, f, approved[f.id], fresh)
			if err != nil {
				return err
			}
			if to != "" {
				counts[to]++
			}
		}
		counts[policy.ClaimReleased] = countReleased(tx)
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	return counts, nil
}

// followClaim moves one claim (see FollowChain) and returns its state
// afterwards (released: the id is free).
func (s *Service) followClaim(tx *bolt.Tx, now time.Time, fc *followCache, f followed, approved, fresh bool) (string, error) {
	fam, err := s.familyOf(tx, now, fc, f.c)
	if err != nil {
		return "", err
	}
	st := fam.stages[fam.target]
	ev := ClaimStage{ReqID: f.id, TxID: fam.target, From: f.c.State, To: fam.to, Height: st.Height, Depth: st.Depth}
	switch {
	case approved:
		ev.To = policy.ClaimApproved
	case fam.to == policy.ClaimReleased:
		if !fresh || fam.hold != "" || fam.paid[f.id] {
			// Held: not in the chain, not in a mempool (signed), until the
			// view is fresh again, or for good when a conflicting
			// transaction pays the id itself (approved once L2 says so).
			// (Debug: it is asked again every poll; the conflict itself
			// was alarmed when reconciliation judged it.)
			if fam.hold != "" || fam.paid[f.id] {
				s.cfg.Logger.Debug("decision: claim not released: a conflicting transaction may pay it", "req_id", f.id, "txid", f.c.TxID, "conflicts", fam.conflicts, "hold", fam.hold)
			}
			ev.To = policy.ClaimSigned
			break
		}
		ev.Height, ev.Depth, ev.Conflicts = fam.height, fam.depth, fam.conflicts
		if err := tx.Bucket(storage.BucketClaims).Delete([]byte(f.id)); err != nil {
			return "", err
		}
		if err := releaseCharges(tx, fc, fam); err != nil {
			return "", err
		}
		rel := releasedClaim{DecisionID: f.c.DecisionID, TxID: f.c.TxID, Family: f.c.Family, Conflicts: fam.conflicts, Height: fam.height, At: now.UTC()}
		if err := putReleased(tx, f.id, rel); err != nil {
			return "", err
		}
		if _, err := s.cfg.Audit.AppendBody(tx, now, &ev); err != nil {
			return "", fmt.Errorf("audit: %w", err)
		}
		return "", nil
	}
	if ev.To == f.c.State && fam.target == f.c.TxID {
		return f.c.State, nil
	}
	nc := f.c
	nc.State = ev.To
	if fam.target != f.c.TxID {
		ev.FromTxID = f.c.TxID
		nc.TxID, nc.DecisionID, nc.Family = fam.target, fam.decision[fam.target], fam.others(fam.target)
	}
	if err := putClaim(tx, f.id, nc); err != nil {
		return "", err
	}
	if _, err := s.cfg.Audit.AppendBody(tx, now, &ev); err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	return ev.To, nil
}

// ClaimView is one reqId's claim as GET /v1/decisions/{id} shows it.
type ClaimView struct {
	ReqID      string `json:"req_id"`
	State      string `json:"state"`
	TxID       string `json:"txid"`
	DecisionID string `json:"decision_id,omitempty"`
	// Family are the other signed transactions of the claim (RBF).
	Family []string `json:"family,omitempty"`
	// Conflicts are the chain transactions that made a released claim free.
	Conflicts []string `json:"conflicts,omitempty"`
}

// claimViews reads the current claims of r's reqIds; an id without a claim
// that was released shows its release.
func (s *Service) claimViews(r *Record) ([]ClaimView, error) {
	if len(r.Decision.Claims) == 0 {
		return nil, nil
	}
	var out []ClaimView
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		out = nil
		for _, id := range r.Decision.Claims {
			c, err := getClaim(tx, id)
			if err != nil {
				return err
			}
			if c != nil {
				out = append(out, ClaimView{ReqID: id, State: c.State, TxID: c.TxID, DecisionID: c.DecisionID, Family: c.Family})
				continue
			}
			rel, err := getReleased(tx, id)
			if err != nil {
				return err
			}
			if rel != nil {
				out = append(out, ClaimView{ReqID: id, State: policy.ClaimReleased, TxID: rel.TxID, DecisionID: rel.DecisionID, Family: rel.Family, Conflicts: rel.Conflicts})
			}
		}
		return nil
	})
	return out, err
}
