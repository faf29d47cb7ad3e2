// Package undolog makes a chain follower's writes reversible by block, for
// the L1 view and the L2 ledger alike: before a write for block B, the
// key's previous value (or its absence) is appended to the undo bucket under
// B | seq (seq from the bucket's monotonic sequence). Rollback to height H
// replays the entries of blocks above H newest first, which restores every
// key to its value before the first write above H, and forgets the block
// hashes above H, all in the caller's bbolt transaction. Prune drops the
// entries below a floor; a rollback below it fails (the follower must
// rebuild from its start).
//
// Entry layout: bucket index (1) | len(key) (1) | key | present (1) | previous value.
// A bucket is named by its index in Log.Buckets, so that list only grows.
package undolog

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Log describes one follower's undo log.
type Log struct {
	// Name prefixes error messages ("l1", "l2").
	Name string
	// Undo is the undo bucket; Cursor holds the floor (key "undo_floor");
	// Blocks maps 8-byte big-endian heights to block hashes.
	Undo, Cursor, Blocks []byte
	// Buckets are the logged buckets: every write to them goes through a
	// Writer. Append only (entries name them by index).
	Buckets [][]byte
	// ErrTooDeep wraps a rollback below the floor; ErrCorrupt an entry that
	// does not decode (the follower's own sentinel errors).
	ErrTooDeep, ErrCorrupt error
}

var keyFloor = []byte("undo_floor")

func (l *Log) bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%s: bucket %s missing (schema not migrated?)", l.Name, name)
	}
	return b, nil
}

func (l *Log) index(name []byte) (byte, error) {
	for i, b := range l.Buckets {
		if bytes.Equal(b, name) {
			return byte(i), nil
		}
	}
	return 0, fmt.Errorf("%s: bucket %s is not undo-logged", l.Name, name)
}

// Writer writes the logged buckets for one block.
type Writer struct {
	log   *Log
	block uint64
	undo  *bolt.Bucket
	bs    []*bolt.Bucket // by index in log.Buckets
}

// Writer is a writer for block's changes in tx; every logged bucket must
// exist.
func (l *Log) Writer(tx *bolt.Tx, block uint64) (*Writer, error) {
	u, err := l.bucket(tx, l.Undo)
	if err != nil {
		return nil, err
	}
	w := &Writer{log: l, block: block, undo: u, bs: make([]*bolt.Bucket, len(l.Buckets))}
	for i, name := range l.Buckets {
		if w.bs[i], err = l.bucket(tx, name); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Get reads key from the logged bucket name (nil if absent, or if name is
// not logged).
func (w *Writer) Get(name, key []byte) []byte {
	if b := w.Bucket(name); b != nil {
		return b.Get(key)
	}
	return nil
}

// Bucket is the logged bucket name, for reads (nil if name is not
// logged); writes go through Put and Delete.
func (w *Writer) Bucket(name []byte) *bolt.Bucket {
	id, err := w.log.index(name)
	if err != nil {
		return nil
	}
	return w.bs[id]
}

// Put writes key, logging its previous value first.
func (w *Writer) Put(name, key, val []byte) error {
	b, err := w.record(name, key)
	if err != nil {
		return err
	}
	return b.Put(key, val)
}

// Delete deletes key, logging its previous value first.
func (w *Writer) Delete(name, key []byte) error {
	b, err := w.record(name, key)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

// record appends key's current state in bucket name to the undo log.
func (w *Writer) record(name, key []byte) (*bolt.Bucket, error) {
	id, err := w.log.index(name)
	if err != nil {
		return nil, err
	}
	if len(key) > 255 {
		return nil, fmt.Errorf("%s: undo key too long", w.log.Name)
	}
	b := w.bs[id]
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

// Rollback undoes every logged write of blocks above height and forgets
// their block hashes. Below the floor it fails with ErrTooDeep.
func (l *Log) Rollback(tx *bolt.Tx, height uint64) error {
	cur, err := l.bucket(tx, l.Cursor)
	if err != nil {
		return err
	}
	if raw := cur.Get(keyFloor); len(raw) == 8 && height < binary.BigEndian.Uint64(raw) {
		return fmt.Errorf("%w: to %d, undo kept from %d", l.ErrTooDeep, height, binary.BigEndian.Uint64(raw))
	}
	u, err := l.bucket(tx, l.Undo)
	if err != nil {
		return err
	}
	// Collect first, then modify: deleting while a cursor walks a bucket
	// is fragile in bbolt.
	type entry struct{ k, v []byte }
	var undo []entry
	c := u.Cursor()
	for k, v := c.Last(); k != nil && binary.BigEndian.Uint64(k[:8]) > height; k, v = c.Prev() {
		undo = append(undo, entry{bytes.Clone(k), bytes.Clone(v)})
	}
	for _, e := range undo { // newest first
		v := e.v
		if len(v) < 3 || len(v) < 3+int(v[1]) || int(v[0]) >= len(l.Buckets) {
			return fmt.Errorf("%w: undo entry", l.ErrCorrupt)
		}
		key := v[2 : 2+int(v[1])]
		rest := v[2+int(v[1]):]
		b, err := l.bucket(tx, l.Buckets[v[0]])
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
	blocks, err := l.bucket(tx, l.Blocks)
	if err != nil {
		return err
	}
	var drop [][]byte
	bc := blocks.Cursor()
	for k, _ := bc.Last(); k != nil && binary.BigEndian.Uint64(k) > height; k, _ = bc.Prev() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := blocks.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Prune drops the undo entries of blocks below floor and raises the floor:
// reorganizations that deep can no longer be rolled back.
func (l *Log) Prune(tx *bolt.Tx, floor uint64) error {
	u, err := l.bucket(tx, l.Undo)
	if err != nil {
		return err
	}
	cur, err := l.bucket(tx, l.Cursor)
	if err != nil {
		return err
	}
	if raw := cur.Get(keyFloor); len(raw) == 8 && binary.BigEndian.Uint64(raw) >= floor {
		return nil
	}
	var drop [][]byte
	c := u.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k[:8]) < floor; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := u.Delete(k); err != nil {
			return err
		}
	}
	return cur.Put(keyFloor, binary.BigEndian.AppendUint64(nil, floor))
}
