package l1

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The undo log is the L2 ledger's discipline (l2/undo.go) applied to the
// chain state: before a write for block B, the key's previous value (or its
// absence) is appended under B | seq. Rollback to height H replays the
// entries of blocks > H newest first, restoring every key to its value before
// the first write above H, and forgets the block hashes above H, in the
// caller's (single) bbolt transaction.
//
// Entry layout: bucketID (1) | len(key) (1) | key | present (1) | previous value.

// ErrReorgTooDeep is returned when a rollback needs undo entries already
// pruned; the view must be rebuilt from StartHeight.
var ErrReorgTooDeep = errors.New("l1: reorganization deeper than the retained undo log")

// ErrCorrupt is returned when a stored value does not decode.
var ErrCorrupt = errors.New("l1: corrupt stored entry")

// Chain-state buckets: every write to them goes through a writer. The watch
// list and mempool sightings are not chain state and are not undo-logged.
// New buckets are appended (an entry names its bucket by index).
var undoBuckets = [][]byte{BucketL1UTXOs, BucketL1Spent, BucketL1Txs, BucketL1TxOrder, BucketL1Cursor, BucketL1Staking}

func undoID(name []byte) (byte, error) {
	for i, b := range undoBuckets {
		if bytes.Equal(b, name) {
			return byte(i), nil
		}
	}
	return 0, fmt.Errorf("l1: bucket %s is not undo-logged", name)
}

type writer struct {
	tx    *bolt.Tx
	block uint64
	undo  *bolt.Bucket
	bs    [6]*bolt.Bucket
}

func newWriter(tx *bolt.Tx, block uint64) (*writer, error) {
	u, err := bucket(tx, BucketL1Undo)
	if err != nil {
		return nil, err
	}
	w := &writer{tx: tx, block: block, undo: u}
	for i, name := range undoBuckets {
		if w.bs[i], err = bucket(tx, name); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *writer) get(name, key []byte) []byte {
	id, err := undoID(name)
	if err != nil {
		return nil
	}
	return w.bs[id].Get(key)
}

func (w *writer) record(name, key []byte) (*bolt.Bucket, error) {
	id, err := undoID(name)
	if err != nil {
		return nil, err
	}
	b := w.bs[id]
	if len(key) > 255 {
		return nil, fmt.Errorf("l1: undo key too long")
	}
	prev := b.Get(key)
	entry := make([]byte, 0, 3+len(key)+len(prev))
	entry = append(entry, id, byte(len(key)))
	entry = append(entry, key...)
	if prev != nil {
		entry = append(entry, 1)
		entry = append(entry, prev...)
	} else {
		entry = append(entry, 0)
	}
	seq, err := w.undo.NextSequence()
	if err != nil {
		return nil, err
	}
	var k [16]byte
	binary.BigEndian.PutUint64(k[:8], w.block)
	binary.BigEndian.PutUint64(k[8:], seq)
	return b, w.undo.Put(k[:], entry)
}

func (w *writer) put(name, key, val []byte) error {
	b, err := w.record(name, key)
	if err != nil {
		return err
	}
	return b.Put(key, val)
}

func (w *writer) del(name, key []byte) error {
	b, err := w.record(name, key)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

var keyUndoFloor = []byte("undo_floor")

// rollback undoes every chain-state write of blocks above height and forgets
// their block hashes. It fails with ErrReorgTooDeep below the pruning floor.
func rollback(tx *bolt.Tx, height uint64) error {
	cur, err := bucket(tx, BucketL1Cursor)
	if err != nil {
		return err
	}
	if raw := cur.Get(keyUndoFloor); len(raw) == 8 && height < binary.BigEndian.Uint64(raw) {
		return fmt.Errorf("%w: to %d, undo kept from %d", ErrReorgTooDeep, height, binary.BigEndian.Uint64(raw))
	}
	u, err := bucket(tx, BucketL1Undo)
	if err != nil {
		return err
	}
	type entry struct{ k, v []byte }
	var undo []entry
	c := u.Cursor()
	for k, v := c.Last(); k != nil && binary.BigEndian.Uint64(k[:8]) > height; k, v = c.Prev() {
		undo = append(undo, entry{append([]byte(nil), k...), append([]byte(nil), v...)})
	}
	for _, e := range undo { // newest first
		v := e.v
		if len(v) < 3 || len(v) < 3+int(v[1]) || int(v[0]) >= len(undoBuckets) {
			return fmt.Errorf("%w: undo entry", ErrCorrupt)
		}
		key := v[2 : 2+int(v[1])]
		rest := v[2+int(v[1]):]
		b, err := bucket(tx, undoBuckets[v[0]])
		if err != nil {
			return err
		}
		if rest[0] == 1 {
			err = b.Put(key, rest[1:])
		} else {
			err = b.Delete(key)
		}
		if err != nil {
			return err
		}
		if err := u.Delete(e.k); err != nil {
			return err
		}
	}
	blocks, err := bucket(tx, BucketL1Blocks)
	if err != nil {
		return err
	}
	var drop [][]byte
	bc := blocks.Cursor()
	for k, _ := bc.Last(); k != nil && binary.BigEndian.Uint64(k) > height; k, _ = bc.Prev() {
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := blocks.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// pruneUndo drops undo entries of blocks below floor: reorganizations that
// deep can no longer be rolled back (ErrReorgTooDeep).
func pruneUndo(tx *bolt.Tx, floor uint64) error {
	u, err := bucket(tx, BucketL1Undo)
	if err != nil {
		return err
	}
	cur, err := bucket(tx, BucketL1Cursor)
	if err != nil {
		return err
	}
	if raw := cur.Get(keyUndoFloor); len(raw) == 8 && binary.BigEndian.Uint64(raw) >= floor {
		return nil
	}
	var drop [][]byte
	c := u.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k[:8]) < floor; k, _ = c.Next() {
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := u.Delete(k); err != nil {
			return err
		}
	}
	return cur.Put(keyUndoFloor, heightKey(floor))
}

func heightKey(h uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], h)
	return k[:]
}
