package l2

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Freshness errors. Each means: do not sign on this ledger view.
var (
	ErrNotSynced          = errors.New("l2: ledger never synced")
	ErrRPCFailed          = errors.New("l2: last L2 poll failed")
	ErrEndpointsDisagree  = errors.New("l2: RPC endpoints disagree on a block hash")
	ErrPollStale          = errors.New("l2: no successful L2 poll within the freshness bound")
	ErrHeadStalled        = errors.New("l2: L2 head stopped moving")
	ErrIndexedBlockTooOld = errors.New("l2: last indexed block is older than the freshness bound")
)

// Status is the indexer's view, stored in BucketL2Cursor and changed in the
// same transaction as the ledger it describes.
type Status struct {
	// Synced is false until the first successful sync.
	Synced bool `json:"synced"`
	// Contract and StartBlock the ledger was built for; the indexer refuses a
	// file built for another contract.
	Contract   common.Address `json:"contract"`
	StartBlock uint64         `json:"start_block"`
	// Indexed* describe the highest block whose events are in the ledger.
	IndexedHeight uint64      `json:"indexed_height"`
	IndexedHash   common.Hash `json:"indexed_hash"`
	IndexedTime   time.Time   `json:"indexed_time"` // the block's own timestamp
	// Head is the lowest head height among the endpoints at the last poll;
	// HeadChangedAt is the local time that value last increased.
	Head          uint64    `json:"head"`
	HeadChangedAt time.Time `json:"head_changed_at"`
	// LastPollOK is the local time of the last fully successful poll.
	LastPollOK time.Time `json:"last_poll_ok"`
	// LastError is the error of the last poll, empty when it succeeded.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitempty"`
	// Disagree is set while the endpoints report different hashes for the
	// same height.
	Disagree     bool   `json:"disagree"`
	DisagreeInfo string `json:"disagree_info,omitempty"`
	// Reorgs counts rollbacks; LastReorg describes the latest.
	Reorgs    uint64 `json:"reorgs"`
	LastReorg string `json:"last_reorg,omitempty"`
}

// Fresh is the pure freshness rule: nil means the ledger view may be used at
// now. The view is refused when it was never synced, when the last poll
// failed, when the endpoints disagree, when no poll succeeded within
// staleAfter, when the head has not moved within staleAfter, or when the last
// indexed block's timestamp is older than staleAfter (staleAfter must
// therefore exceed confirmations × block time). staleAfter <= 0 refuses all.
func (s Status) Fresh(now time.Time, staleAfter time.Duration) error {
	switch {
	case !s.Synced:
		return ErrNotSynced
	case s.Disagree:
		return fmt.Errorf("%w: %s", ErrEndpointsDisagree, s.DisagreeInfo)
	case s.LastError != "":
		return fmt.Errorf("%w: %s", ErrRPCFailed, s.LastError)
	case staleAfter <= 0:
		return fmt.Errorf("%w: no bound configured", ErrPollStale)
	case now.Sub(s.LastPollOK) > staleAfter:
		return fmt.Errorf("%w: last at %s", ErrPollStale, s.LastPollOK.UTC().Format(time.RFC3339))
	case now.Sub(s.HeadChangedAt) > staleAfter:
		return fmt.Errorf("%w: head %d since %s", ErrHeadStalled, s.Head, s.HeadChangedAt.UTC().Format(time.RFC3339))
	case now.Sub(s.IndexedTime) > staleAfter:
		return fmt.Errorf("%w: block %d at %s", ErrIndexedBlockTooOld, s.IndexedHeight, s.IndexedTime.UTC().Format(time.RFC3339))
	}
	return nil
}

var keyStatus = []byte("status")

// Status reads the indexer status inside tx (the zero Status before the
// first sync, which Fresh refuses).
func (l *Ledger) Status(tx *bolt.Tx) (Status, error) {
	var s Status
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return s, err
	}
	if raw := b.Get(keyStatus); raw != nil {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, fmt.Errorf("%w: status: %v", ErrCorrupt, err)
		}
	}
	return s, nil
}

func putStatus(tx *bolt.Tx, s Status) error {
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.Put(keyStatus, v)
}
