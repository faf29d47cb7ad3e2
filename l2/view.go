package l2

import (
	"context"
	"errors"
	"math/big"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
)

// StatusView is what GET /v1/l2/status renders: the stored status and the
// verdict of the indexer's freshness rule at the moment of reading.
type StatusView struct {
	Status
	Fresh      bool   `json:"fresh"`
	StaleCause string `json:"stale_cause,omitempty"`
}

// StatusView reads the indexer's status for operators (api.L2Service).
func (ix *Indexer) StatusView(ctx context.Context) (*StatusView, error) {
	var out StatusView
	err := ix.db.View(func(tx *bolt.Tx) error {
		st, err := ix.ledger.Status(tx)
		if err != nil {
			return err
		}
		out.Status = st
		if err := ix.Check(tx, ix.cfg.Now()); err != nil {
			out.StaleCause = err.Error()
		} else {
			out.Fresh = true
		}
		return nil
	})
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "ledger unreadable", err)
	}
	return &out, nil
}

// RequestView is one finalized event's ledger record by its decimal reqId
// (api.L2Service): 400 bad_req_id, 404 request_not_found.
func (ix *Indexer) RequestView(ctx context.Context, id string) (*Request, error) {
	reqID, ok := new(big.Int).SetString(id, 10)
	if !ok || reqID.Sign() < 0 || reqID.BitLen() > 256 {
		return nil, errs.New(errs.KindInvalid, "bad_req_id", "reqId must be a decimal uint256", nil)
	}
	var rec *Request
	err := ix.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = ix.ledger.Get(tx, reqID)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, errs.New(errs.KindNotFound, "request_not_found", "no finalized event with this reqId", nil)
	}
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "ledger unreadable", err)
	}
	return rec, nil
}
