package l1

import (
	"encoding/binary"
	"errors"

	"github.com/bitlayer-org/policyd/storage/undolog"
)

// The chain state is undo-logged by block (storage/undolog, as the L2
// ledger is): a rollback to height H restores every chain-state key to its
// value before the first write above H and forgets the block hashes above
// H, in the caller's (single) bbolt transaction.

// ErrReorgTooDeep is returned when a rollback needs undo entries already
// pruned; the view must be rebuilt from StartHeight.
var ErrReorgTooDeep = errors.New("l1: reorganization deeper than the retained undo log")

// ErrCorrupt is returned when a stored value does not decode.
var ErrCorrupt = errors.New("l1: corrupt stored entry")

// undo logs the chain-state buckets: every write to them goes through a
// writer. The watch list and mempool sightings are not chain state and are
// not undo-logged. New buckets are appended (an entry names its bucket by
// index).
var undo = &undolog.Log{
	Name: "l1", Undo: BucketL1Undo, Cursor: BucketL1Cursor, Blocks: BucketL1Blocks,
	Buckets:    [][]byte{BucketL1UTXOs, BucketL1Spent, BucketL1Txs, BucketL1TxOrder, BucketL1Cursor, BucketL1Staking},
	ErrTooDeep: ErrReorgTooDeep, ErrCorrupt: ErrCorrupt,
}

type writer = undolog.Writer

func heightKey(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }
