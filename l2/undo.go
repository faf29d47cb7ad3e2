package l2

import (
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/storage/undolog"
)

// Every ledger write of block B is reversible (storage/undolog): Rollback
// to height H restores each key to the value it had before the first write
// above H.

// ErrReorgTooDeep is returned when a rollback would need undo entries that
// were already pruned; the operator must rebuild the ledger from scratch.
var ErrReorgTooDeep = errors.New("l2: reorganization deeper than the retained undo log")

// undo logs the ledger's buckets (append only: entries name them by index).
var undo = &undolog.Log{
	Name: "l2", Undo: storage.BucketL2Undo, Cursor: storage.BucketL2Cursor, Blocks: storage.BucketL2Blocks,
	Buckets: [][]byte{
		storage.BucketLedger, storage.BucketLedgerOrder, storage.BucketL2Pending,
		storage.BucketL2Plans, storage.BucketL2Cursor,
	},
	ErrTooDeep: ErrReorgTooDeep, ErrCorrupt: ErrCorrupt,
}

type writer = undolog.Writer

// Rollback undoes every ledger write of blocks above height and forgets their
// block hashes. It fails with ErrReorgTooDeep below the pruning floor.
func (l *Ledger) Rollback(tx *bolt.Tx, height uint64) error { return undo.Rollback(tx, height) }

// PruneUndo drops undo entries of blocks below floor: reorganizations that
// deep can no longer be rolled back (ErrReorgTooDeep).
func (l *Ledger) PruneUndo(tx *bolt.Tx, floor uint64) error { return undo.Prune(tx, floor) }
