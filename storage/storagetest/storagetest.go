// Package storagetest is a conformance suite any transactional backend of
// policyd's store can run (in the spirit of x/mod/sumdb/storage's test.go):
// it checks the properties the domain packages rely on — every bucket of the
// schema exists, a failed transaction leaves nothing behind, a read
// transaction cannot write, and concurrent read-modify-writes
// through Update and Batch lose no update.
package storagetest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Backend is the transactional surface domain packages use.
type Backend interface {
	Update(fn func(*bolt.Tx) error) error
	Batch(fn func(*bolt.Tx) error) error
	View(fn func(*bolt.Tx) error) error
}

// Run runs the suite. open returns a fresh, migrated backend; buckets are the
// bucket names the schema promises; scratch is one of them the suite may
// write test keys into (keys are prefixed "storagetest/").
//
// Snapshot isolation of a long read transaction is not tested here: with
// bbolt a writer that must grow the mmap waits for open readers, so such a
// test would deadlock; TestHotBackupRestores in package storage checks that a
// backup taken during writes is a consistent prefix instead.
func Run(t *testing.T, open func(t *testing.T) Backend, buckets [][]byte, scratch []byte) {
	t.Run("buckets exist", func(t *testing.T) {
		b := open(t)
		err := b.View(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				if tx.Bucket(name) == nil {
					return fmt.Errorf("bucket %q missing", name)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("failed update rolls back", func(t *testing.T) {
		b := open(t)
		boom := errors.New("boom")
		err := b.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(scratch).Put([]byte("storagetest/rollback"), []byte("x")); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want the callback's error", err)
		}
		if v := get(t, b, scratch, "storagetest/rollback"); v != nil {
			t.Fatalf("rolled-back write visible: %q", v)
		}
	})
	t.Run("committed update is visible", func(t *testing.T) {
		b := open(t)
		if err := b.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(scratch).Put([]byte("storagetest/k"), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
		if v := get(t, b, scratch, "storagetest/k"); string(v) != "v" {
			t.Fatalf("got %q", v)
		}
	})
	t.Run("view is read-only", func(t *testing.T) {
		b := open(t)
		err := b.View(func(tx *bolt.Tx) error {
			return tx.Bucket(scratch).Put([]byte("storagetest/ro"), []byte("x"))
		})
		if err == nil {
			t.Fatal("write inside View succeeded")
		}
	})
	for _, mode := range []string{"Update", "Batch"} {
		t.Run("concurrent increments via "+mode, func(t *testing.T) {
			b := open(t)
			const n = 64
			var wg sync.WaitGroup
			errc := make(chan error, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					fn := func(tx *bolt.Tx) error {
						bk := tx.Bucket(scratch)
						var c uint64
						if raw := bk.Get([]byte("storagetest/counter")); len(raw) == 8 {
							c = binary.BigEndian.Uint64(raw)
						}
						var buf [8]byte
						binary.BigEndian.PutUint64(buf[:], c+1)
						return bk.Put([]byte("storagetest/counter"), buf[:])
					}
					if mode == "Batch" {
						errc <- b.Batch(fn)
					} else {
						errc <- b.Update(fn)
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Fatal(err)
				}
			}
			raw := get(t, b, scratch, "storagetest/counter")
			if len(raw) != 8 || binary.BigEndian.Uint64(raw) != n {
				t.Fatalf("counter = %x, want %d", raw, n)
			}
		})
	}
}

func get(t *testing.T, b Backend, bucket []byte, key string) []byte {
	t.Helper()
	var v []byte
	if err := b.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bucket).Get([]byte(key)); raw != nil {
			v = append([]byte(nil), raw...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
