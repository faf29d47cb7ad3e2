package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// The audit log and the L2 ledger, seen by the API. They decide nothing.

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
