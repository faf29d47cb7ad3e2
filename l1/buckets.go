package l1

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bucket names of the L1 view. They belong in storage/buckets.go with a
// schema migration (docs/l1.md, integration step 0); until the storage owner
// adds them, CreateBuckets makes them in one transaction at New.
var (
	BucketL1Blocks  = []byte("l1_blocks")   // height (8) -> block hash (32)
	BucketL1UTXOs   = []byte("l1_utxos")    // outpoint (36) -> utxo record
	BucketL1Spent   = []byte("l1_spent")    // outpoint (36) -> spending txid (32) | height (8)
	BucketL1Txs     = []byte("l1_txs")      // txid (32) -> tx record (wallet transactions in the chain)
	BucketL1TxOrder = []byte("l1_tx_order") // height (8) | position (4) -> txid (32)
	BucketL1Cursor  = []byte("l1_cursor")   // status, totals, undo floor
	BucketL1Undo    = []byte("l1_undo")     // height (8) | seq (8) -> undo entry
	BucketL1Watch   = []byte("l1_watch")    // txid (32) -> raw signed tx (written by the decision side)
	BucketL1Mempool = []byte("l1_mempool")  // txid (32) -> mempool sighting of a watched tx
	// outpoint (36) -> txid (32) of a mempool transaction spending that
	// wallet output (MempoolScan; replaced by every snapshot)
	BucketL1MempoolSpends = []byte("l1_mempool_spends")
)

// AllBuckets is every bucket of the L1 view.
var AllBuckets = [][]byte{
	BucketL1Blocks, BucketL1UTXOs, BucketL1Spent, BucketL1Txs, BucketL1TxOrder,
	BucketL1Cursor, BucketL1Undo, BucketL1Watch, BucketL1Mempool, BucketL1MempoolSpends,
}

// CreateBuckets creates the L1 buckets (idempotent).
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
