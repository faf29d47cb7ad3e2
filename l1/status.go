package l1

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	bolt "go.etcd.io/bbolt"
)

// Freshness errors. Each means: do not sign on this L1 view.
var (
	ErrNotSynced = errors.New("l1: view never synced")
	// ErrNotPolled: the watcher of this process has not completed a poll
	// yet. The stored status may look fresh (a restart within PollWithin,
	// a file restored from a copy) while the chain moved on without it.
	ErrNotPolled         = errors.New("l1: no successful Bitcoin poll since start")
	ErrRPCFailed         = errors.New("l1: last Bitcoin poll failed")
	ErrEndpointsDisagree = errors.New("l1: Bitcoin endpoints disagree on a block hash")
	ErrPollStale         = errors.New("l1: no successful Bitcoin poll within the freshness bound")
	ErrHeadStalled       = errors.New("l1: Bitcoin head stopped moving")
)

// Freshness bounds the age of a usable view. Bitcoin blocks are a Poisson
// process (mean 10 min): a gap of an hour happens about once a week, of three
// hours practically never, so HeadWithin is much larger than PollWithin.
type Freshness struct {
	// PollWithin: the last fully successful poll (chain and mempool) must be
	// at most this old (<= 0 refuses everything).
	PollWithin time.Duration
	// HeadWithin: the lowest endpoint head must have increased within this
	// bound (<= 0 refuses everything).
	HeadWithin time.Duration
}

// DefaultFreshness suits mainnet with a poll interval of seconds.
var DefaultFreshness = Freshness{PollWithin: 2 * time.Minute, HeadWithin: 3 * time.Hour}

// Status is the watcher's view, stored in BucketL1Cursor and changed in the
// same transaction as the chain state it describes.
type Status struct {
	// Synced is false until the first successful sync.
	Synced bool `json:"synced"`
	// Wallet is a fingerprint of the watched scripts and StartHeight; the
	// watcher refuses a file built for another wallet.
	Wallet string `json:"wallet"`
	// StartHeight is the first block scanned.
	StartHeight uint64 `json:"start_height"`
	// Tip is the highest block in the view (the lowest endpoint head at the
	// last poll, or below while catching up).
	TipHeight uint64         `json:"tip_height"`
	TipHash   chainhash.Hash `json:"tip_hash"`
	TipTime   time.Time      `json:"tip_time"` // the block's own (miner-set) timestamp
	// Head is the lowest head among the endpoints at the last poll;
	// HeadChangedAt is the local time that value last increased.
	Head          uint64    `json:"head"`
	HeadChangedAt time.Time `json:"head_changed_at"`
	// LastPollOK is the local time of the last fully successful poll
	// (chain caught up to Head and mempool sightings refreshed).
	LastPollOK time.Time `json:"last_poll_ok"`
	// MempoolAt is the local time of the last mempool snapshot.
	MempoolAt time.Time `json:"mempool_at"`
	// LastError is the error of the last poll, empty when it succeeded.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitempty"`
	// Disagree is set while the endpoints report different hashes at the
	// compared height.
	Disagree     bool   `json:"disagree"`
	DisagreeInfo string `json:"disagree_info,omitempty"`
	// Reorgs counts rollbacks; LastReorg describes the latest.
	Reorgs    uint64 `json:"reorgs"`
	LastReorg string `json:"last_reorg,omitempty"`
}

// Fresh is the pure freshness rule: nil means the view may be used at now.
// It refuses a view never synced, built from disagreeing endpoints, whose
// last poll failed, with no successful poll within f.PollWithin, or whose
// head has not increased within f.HeadWithin. Callers fail closed.
func (s Status) Fresh(now time.Time, f Freshness) error {
	switch {
	case !s.Synced:
		return ErrNotSynced
	case s.Disagree:
		return fmt.Errorf("%w: %s", ErrEndpointsDisagree, s.DisagreeInfo)
	case s.LastError != "":
		return fmt.Errorf("%w: %s", ErrRPCFailed, s.LastError)
	case f.PollWithin <= 0 || f.HeadWithin <= 0:
		return fmt.Errorf("%w: no bound configured", ErrPollStale)
	case now.Sub(s.LastPollOK) > f.PollWithin:
		return fmt.Errorf("%w: last at %s", ErrPollStale, s.LastPollOK.UTC().Format(time.RFC3339))
	case now.Sub(s.HeadChangedAt) > f.HeadWithin:
		return fmt.Errorf("%w: head %d since %s", ErrHeadStalled, s.Head, s.HeadChangedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

var (
	keyStatus = []byte("status")
	// keyTip holds Status.TipHeight as 8 big-endian bytes, so per-input
	// queries do not decode the whole status.
	keyTip = []byte("tip")
)

func readTip(tx *bolt.Tx) (uint64, error) {
	b, err := bucket(tx, BucketL1Cursor)
	if err != nil {
		return 0, err
	}
	raw := b.Get(keyTip)
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("%w: tip", ErrCorrupt)
	}
	return beUint64(raw), nil
}

func readStatus(tx *bolt.Tx) (Status, error) {
	var s Status
	b, err := bucket(tx, BucketL1Cursor)
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
	b, err := bucket(tx, BucketL1Cursor)
	if err != nil {
		return err
	}
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := b.Put(keyTip, heightKey(s.TipHeight)); err != nil {
		return err
	}
	return b.Put(keyStatus, v)
}
