package storage_test

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// TestCommitAloneDoesNotWait: a Commit with no other in flight commits at
// once, whatever the batch timer (set here to a minute).
func TestCommitAloneDoesNotWait(t *testing.T) {
	db := openTemp(t)
	db.Bolt().MaxBatchDelay = time.Minute
	start := time.Now()
	for i := range 3 {
		if err := db.Commit(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketMeta).Put([]byte("commit_test"), []byte{byte(i)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("three lone commits took %v: they waited for the batch timer", d)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(storage.BucketMeta).Get([]byte("commit_test")); len(v) != 1 || v[0] != 2 {
			t.Fatalf("value %v", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCommitConcurrent: overlapping Commits (batched) all apply, and the
// fn errors reach their own callers.
func TestCommitConcurrent(t *testing.T) {
	db := openTemp(t)
	const g, n = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, g*n)
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				fail := i == 7
				err := db.Commit(func(tx *bolt.Tx) error {
					b := tx.Bucket(storage.BucketMeta)
					var c uint64
					if v := b.Get([]byte("commit_count")); v != nil {
						c = binary.BigEndian.Uint64(v)
					}
					if err := b.Put([]byte("commit_count"), binary.BigEndian.AppendUint64(nil, c+1)); err != nil {
						return err
					}
					if fail {
						return errTestFail
					}
					return nil
				})
				if fail != (err == errTestFail) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("commit error %v", err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(storage.BucketMeta).Get([]byte("commit_count"))
		if got := binary.BigEndian.Uint64(v); got != g*(n-1) {
			t.Fatalf("count %d, want %d", got, g*(n-1))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTestFail = testErr("fail")
