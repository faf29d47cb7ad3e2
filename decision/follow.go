package decision

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// AuditClaimStage is the audit kind of a claim moving along the chain.
const AuditClaimStage = records.KindClaimStage

// ClaimStage is the body of an AuditClaimStage record.
type ClaimStage = records.ClaimStage

// stageOf is the claim state a signed transaction's L1 stage means; ok is
// false when the claim stays where it is (conflicted: released only by the
// RBF rule, never here).
func stageOf(st l1.Stage) (string, bool) {
	switch st.Kind {
	case l1.StageMempool:
		return policy.ClaimBroadcast, true
	case l1.StageConfirmed:
		if st.Final {
			return policy.ClaimConfirmed, true
		}
		return policy.ClaimBroadcast, true
	case l1.StageUnseen:
		return policy.ClaimSigned, true // never seen, dropped, or reorged out
	}
	return "", false
}

// FollowChain moves every claim of a signed transaction along its L1 stage
// (signed -> broadcast -> confirmed, and back on a reorg or a drop), one
// AuditClaimStage record per change, in one transaction. A claim is never
// released here. It returns the number of claims in each state afterwards
// (a metric). A no-op without Config.Chain.
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
		type move struct {
			id string
			c  policy.Claim
			ev ClaimStage
		}
		var moves []move
		stages := map[string]l1.Stage{}
		err = tx.Bucket(storage.BucketClaims).ForEach(func(k, v []byte) error {
			var cl policy.Claim
			if err := json.Unmarshal(v, &cl); err != nil {
				return fmt.Errorf("claim %s: corrupt: %w", k, err)
			}
			switch cl.State {
			case policy.ClaimSigned, policy.ClaimBroadcast, policy.ClaimConfirmed:
			default:
				counts[cl.State]++
				return nil
			}
			st, seen := stages[cl.TxID]
			if !seen {
				h, err := chainhash.NewHashFromStr(cl.TxID)
				if err != nil {
					return fmt.Errorf("claim %s: txid %q: %w", k, cl.TxID, err)
				}
				if st, err = c.Stage(tx, *h); err != nil {
					return fmt.Errorf("l1 stage of %s: %w", cl.TxID, err)
				}
				stages[cl.TxID] = st
			}
			to, ok := stageOf(st)
			if !ok || to == cl.State {
				counts[cl.State]++
				return nil
			}
			counts[to]++
			moves = append(moves, move{id: string(k), c: cl, ev: ClaimStage{ReqID: string(k), TxID: cl.TxID, From: cl.State, To: to, Height: st.Height, Depth: st.Depth}})
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range moves {
			m.c.State = m.ev.To
			if err := putClaim(tx, m.id, m.c); err != nil {
				return err
			}
			if _, err := s.cfg.Audit.AppendBody(tx, now, &m.ev); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, classify(err)
	}
	return counts, nil
}

// ClaimView is one reqId's claim as GET /v1/decisions/{id} shows it.
type ClaimView struct {
	ReqID      string `json:"req_id"`
	State      string `json:"state"`
	TxID       string `json:"txid"`
	DecisionID string `json:"decision_id,omitempty"`
}

// claimViews reads the current claims of r's reqIds.
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
				out = append(out, ClaimView{ReqID: id, State: c.State, TxID: c.TxID, DecisionID: c.DecisionID})
			}
		}
		return nil
	})
	return out, err
}
