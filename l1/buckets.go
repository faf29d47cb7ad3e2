package l1

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Bucket names of the L1 view: owned by storage (schema 3, migration
// "create l1 buckets"); aliased here for the package's own code.
var (
	BucketL1Blocks        = storage.BucketL1Blocks
	BucketL1UTXOs         = storage.BucketL1UTXOs
	BucketL1Spent         = storage.BucketL1Spent
	BucketL1Txs           = storage.BucketL1Txs
	BucketL1TxOrder       = storage.BucketL1TxOrder
	BucketL1Cursor        = storage.BucketL1Cursor
	BucketL1Undo          = storage.BucketL1Undo
	BucketL1Watch         = storage.BucketL1Watch
	BucketL1Mempool       = storage.BucketL1Mempool
	BucketL1MempoolSpends = storage.BucketL1MempoolSpends
	BucketL1Staking       = storage.BucketL1Staking // schema 5
)

// AllBuckets is every bucket of the L1 view.
var AllBuckets = [][]byte{
	BucketL1Blocks, BucketL1UTXOs, BucketL1Spent, BucketL1Txs, BucketL1TxOrder,
	BucketL1Cursor, BucketL1Undo, BucketL1Watch, BucketL1Mempool, BucketL1MempoolSpends,
	BucketL1Staking,
}

// CreateBuckets creates the L1 buckets (idempotent; a no-op on a file
// migrated to schema 5, kept for tools that build a view in a bare bbolt).
func CreateBuckets(tx *bolt.Tx) error {
	for _, b := range AllBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("l1: create bucket %s: %w", b, err)
		}
	}
	return nil
}

func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("l1: bucket %s missing (CreateBuckets not run)", name)
	}
	return b, nil
}
