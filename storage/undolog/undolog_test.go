package undolog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var (
	errDeep    = errors.New("too deep")
	errCorrupt = errors.New("corrupt")
	testLog    = &Log{Name: "t", Undo: []byte("undo"), Cursor: []byte("cursor"), Blocks: []byte("blocks"),
		Buckets: [][]byte{[]byte("a"), []byte("b"), []byte("cursor")}, ErrTooDeep: errDeep, ErrCorrupt: errCorrupt}
)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "u.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, n := range [][]byte{testLog.Undo, testLog.Blocks, []byte("a"), []byte("b"), []byte("cursor"), []byte("unlogged")} {
			if _, err := tx.CreateBucket(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// dump renders the logged buckets and the block hashes (the floor key is
// the log's own bookkeeping).
func dump(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var out bytes.Buffer
	_ = db.View(func(tx *bolt.Tx) error {
		for _, n := range append([][]byte{testLog.Blocks}, testLog.Buckets...) {
			_ = tx.Bucket(n).ForEach(func(k, v []byte) error {
				if !bytes.Equal(k, keyFloor) {
					fmt.Fprintf(&out, "%s|%x=%x\n", n, k, v)
				}
				return nil
			})
		}
		return nil
	})
	return out.String()
}

// TestRollbackRestoresEveryHeight: random puts and deletes over 40
// blocks (keys that exist, that do not, written again in the same block);
// rolling back to any height gives exactly the state after that block.
func TestRollbackRestoresEveryHeight(t *testing.T) {
	const blocks = 40
	rng := rand.New(rand.NewPCG(1, 2))
	for _, target := range []uint64{0, 1, 17, 39, 40} {
		db := openDB(t)
		states := []string{dump(t, db)}
		for h := uint64(1); h <= blocks; h++ {
			err := db.Update(func(tx *bolt.Tx) error {
				w, err := testLog.Writer(tx, h)
				if err != nil {
					return err
				}
				for range rng.IntN(6) {
					name := testLog.Buckets[rng.IntN(len(testLog.Buckets))]
					key := []byte{byte(rng.IntN(8))}
					if rng.IntN(3) == 0 {
						err = w.Delete(name, key)
					} else {
						err = w.Put(name, key, fmt.Appendf(nil, "v%d-%d", h, rng.IntN(100)))
					}
					if err != nil {
						return err
					}
				}
				return tx.Bucket(testLog.Blocks).Put(binary.BigEndian.AppendUint64(nil, h), []byte{byte(h)})
			})
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, dump(t, db))
		}
		if err := db.Update(func(tx *bolt.Tx) error { return testLog.Rollback(tx, target) }); err != nil {
			t.Fatal(err)
		}
		if got := dump(t, db); got != states[target] {
			t.Fatalf("rollback to %d:\n%s\nwant\n%s", target, got, states[target])
		}
	}
}

func TestPruneFloorAndRefusals(t *testing.T) {
	db := openDB(t)
	for h := uint64(1); h <= 10; h++ {
		if err := db.Update(func(tx *bolt.Tx) error {
			w, err := testLog.Writer(tx, h)
			if err != nil {
				return err
			}
			return w.Put([]byte("a"), []byte("k"), []byte{byte(h)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(func(tx *bolt.Tx) error { return testLog.Prune(tx, 6) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return testLog.Rollback(tx, 4) }); !errors.Is(err, errDeep) {
		t.Fatalf("rollback below the floor: %v", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return testLog.Rollback(tx, 7) }); err != nil {
		t.Fatal(err)
	}
	var v []byte
	_ = db.View(func(tx *bolt.Tx) error { v = bytes.Clone(tx.Bucket([]byte("a")).Get([]byte("k"))); return nil })
	if !bytes.Equal(v, []byte{7}) {
		t.Fatalf("after rollback to 7: %x", v)
	}
	// Writes outside the logged buckets, and keys too long to log, are refused.
	err := db.Update(func(tx *bolt.Tx) error {
		w, err := testLog.Writer(tx, 8)
		if err != nil {
			return err
		}
		if w.Put([]byte("unlogged"), []byte("k"), nil) == nil || w.Put([]byte("a"), make([]byte, 256), nil) == nil {
			return errors.New("accepted")
		}
		// A corrupt entry (bucket index out of range) stops a rollback.
		return tx.Bucket(testLog.Undo).Put(bytes.Repeat([]byte{0xff}, 16), []byte{9, 1, 'k', 0})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return testLog.Rollback(tx, 7) }); !errors.Is(err, errCorrupt) {
		t.Fatalf("corrupt entry: %v", err)
	}
}
