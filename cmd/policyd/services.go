package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// The API speaks in its own request types; these adapters translate them to
// the domain services' and back. They decide nothing.

// signAdapter serves api.SignService with the decision service.
type signAdapter struct{ d *decision.Service }

func (a signAdapter) Submit(ctx context.Context, req api.SubmitRequest) (*api.DecisionView, error) {
	decls, err := stakingDecls(req.Staking)
	if err != nil {
		return nil, err
	}
	return a.d.SubmitRequest(ctx, decision.Request{PSBT: req.PSBT, Staking: decls, DryRun: req.DryRun})
}

func (a signAdapter) Decision(ctx context.Context, id string) (*api.DecisionView, error) {
	return a.d.Decision(ctx, id)
}

func (a signAdapter) Cancel(ctx context.Context, id string) (*api.DecisionView, error) {
	return a.d.Cancel(ctx, id)
}

// stakingDecls decodes the declarations' hex keys. The keys are untrusted:
// the policy rebuilds each staking output from them and compares it.
func stakingDecls(in []api.StakingDeclaration) (map[int]policy.StakingDecl, error) {
	if len(in) == 0 {
		return nil, nil
	}
	bad := func(format string, a ...any) error {
		return errs.New(errs.KindInvalid, "bad_staking_declaration", fmt.Sprintf(format, a...), nil)
	}
	out := make(map[int]policy.StakingDecl, len(in))
	for _, d := range in {
		if _, dup := out[d.OutputIndex]; dup {
			return nil, bad("output %d declared twice", d.OutputIndex)
		}
		staker, err := hex.DecodeString(d.StakerKey)
		if err != nil {
			return nil, bad("output %d: staker_key is not hex", d.OutputIndex)
		}
		decl := policy.StakingDecl{StakerKey: staker, StakingTime: d.StakingTime}
		for _, fp := range d.FinalityProviders {
			k, err := hex.DecodeString(fp)
			if err != nil {
				return nil, bad("output %d: finality provider key is not hex", d.OutputIndex)
			}
			decl.FinalityProviders = append(decl.FinalityProviders, k)
		}
		out[d.OutputIndex] = decl
	}
	return out, nil
}

// auditAdapter serves api.AuditService with the audit log.
type auditAdapter struct{ l *audit.Log }

func (a auditAdapter) Export(ctx context.Context, w io.Writer, q api.ExportQuery) error {
	return a.l.ExportRange(ctx, w, audit.ExportRequest{From: q.From, To: q.To, Since: q.Since})
}

func (a auditAdapter) Checkpoint(ctx context.Context) ([]byte, error) { return a.l.Checkpoint(ctx) }

func (a auditAdapter) Inclusion(ctx context.Context, index uint64) (json.RawMessage, error) {
	return a.l.Inclusion(ctx, index)
}

// l2View serves api.L2Service from the indexer's ledger.
type l2View struct {
	db *storage.DB
	ix *l2.Indexer
}

type l2StatusView struct {
	l2.Status
	Fresh      bool   `json:"fresh"`
	StaleCause string `json:"stale_cause,omitempty"`
}

func (v l2View) Status(ctx context.Context) (any, error) {
	var out l2StatusView
	err := v.db.View(func(tx *bolt.Tx) error {
		st, err := v.ix.Ledger().Status(tx)
		if err != nil {
			return err
		}
		out.Status = st
		if err := v.ix.Check(tx, time.Now()); err != nil {
			out.StaleCause = err.Error()
		} else {
			out.Fresh = true
		}
		return nil
	})
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "ledger unreadable", err)
	}
	return out, nil
}

func (v l2View) Request(ctx context.Context, id string) (any, error) {
	reqID, ok := new(big.Int).SetString(id, 10)
	if !ok || reqID.Sign() < 0 || reqID.BitLen() > 256 {
		return nil, errs.New(errs.KindInvalid, "bad_req_id", "reqId must be a decimal uint256", nil)
	}
	var rec *l2.Request
	err := v.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = v.ix.Ledger().Get(tx, reqID)
		return err
	})
	if errors.Is(err, l2.ErrNotFound) {
		return nil, errs.New(errs.KindNotFound, "request_not_found", "no finalized event with this reqId", nil)
	}
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "ledger unreadable", err)
	}
	return rec, nil
}
