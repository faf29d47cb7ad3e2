package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
)

// ConsumeAllowance marks an open allowance used by decisionID, inside the
// decision's transaction. It fails if the allowance is missing or used.
func (g *Governance) ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error {
	if decisionID == "" {
		return invalid("empty decision id")
	}
	_, _, _, allow, err := buckets(tx)
	if err != nil {
		return err
	}
	var a AllowanceRecord
	ok, err := getJSON(allow, []byte(allowanceID), &a)
	if err != nil {
		return err
	}
	if !ok {
		return fail(errs.KindConflict, "allowance_not_found", ErrAllowanceNotFound, "no such allowance")
	}
	if a.ConsumedBy != "" {
		return fail(errs.KindConflict, "allowance_used", ErrAllowanceUsed, "the allowance was already used")
	}
	now := g.now()
	a.ConsumedBy, a.ConsumedAt = decisionID, &now
	return putJSON(allow, []byte(allowanceID), a)
}

// OpenAllowances lists the allowances not yet consumed, ordered by id.
func (g *Governance) OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error) {
	all, err := g.allowances(tx)
	if err != nil {
		return nil, err
	}
	out := []policy.Allowance{}
	for _, a := range all {
		if a.ConsumedBy == "" {
			out = append(out, policy.Allowance{ID: a.ID, PlanID: a.PlanID, AmountSat: a.AmountSat, PkScript: a.PkScript})
		}
	}
	return out, nil
}

func (g *Governance) allowances(tx *bolt.Tx) ([]AllowanceRecord, error) {
	_, _, _, allow, err := buckets(tx)
	if err != nil {
		return nil, err
	}
	out := []AllowanceRecord{}
	err = allow.ForEach(func(k, v []byte) error {
		var a AllowanceRecord
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("governance: corrupt allowance %q: %w", k, err)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Allowances lists every allowance, open and consumed.
func (g *Governance) Allowances(ctx context.Context) ([]AllowanceRecord, error) {
	var out []AllowanceRecord
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		var err error
		out, err = g.allowances(tx)
		return err
	})
	return out, err
}
