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

// TestCommitGroupsQueuedCalls: the calls that queue while a Commit is
// running commit together, in one transaction, as soon as it is done: not
// after the batch timer (a minute here), and in arrival order.
func TestCommitGroupsQueuedCalls(t *testing.T) {
	db := openTemp(t)
	db.Bolt().MaxBatchDelay = time.Minute
	hold, first := holdCommit(db)
	const k = 8
	var mu sync.Mutex
	var order []int
	txs := map[int]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, k)
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Commit(func(tx *bolt.Tx) error {
				mu.Lock()
				defer mu.Unlock()
				order = append(order, i)
				txs[tx.ID()] = true
				return tx.Bucket(storage.BucketMeta).Put([]byte{'g', byte(i)}, []byte{1})
			})
		}()
		// Queued one after the other (each behind the running call).
		waitQueued(t, db, i+1)
	}
	start := time.Now()
	close(hold)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("the queued calls took %v: they waited for the batch timer", d)
	}
	if len(txs) != 1 || len(order) != k {
		t.Fatalf("%d queued calls ran %d times in %d transactions, want %d in 1", k, len(order), len(txs), k)
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("order %v, want arrival order", order)
		}
	}
}

// waitQueued waits until n calls wait behind the running Commit.
func waitQueued(t *testing.T, db *storage.DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); storage.QueuedCommits(db) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", storage.QueuedCommits(db), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCommitPanicInGroup: a call that panics inside a group does not take
// the others down: they commit, and the panic is its own caller's (fn run
// again alone).
func TestCommitPanicInGroup(t *testing.T) {
	db := openTemp(t)
	hold, first := holdCommit(db)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_ = db.Commit(func(tx *bolt.Tx) error {
			if err := tx.Bucket(storage.BucketMeta).Put([]byte("panic_test"), []byte{1}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, db, 1)
	other := make(chan error, 1)
	go func() {
		other <- db.Commit(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketMeta).Put([]byte("after_panic"), []byte{1})
		})
	}()
	waitQueued(t, db, 2)
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if p := <-panicked; p != "boom" {
		t.Fatalf("the panicking caller got %v", p)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(storage.BucketMeta)
		if m.Get([]byte("after_panic")) == nil || m.Get([]byte("panic_test")) != nil {
			t.Fatalf("after_panic %v, panic_test %v", m.Get([]byte("after_panic")), m.Get([]byte("panic_test")))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// holdCommit starts a Commit whose fn waits until hold is closed, and
// returns once it runs; its result arrives on first.
func holdCommit(db *storage.DB) (hold chan struct{}, first chan error) {
	hold, running := make(chan struct{}), make(chan struct{})
	first = make(chan error, 1)
	go func() {
		first <- db.Commit(func(tx *bolt.Tx) error {
			close(running)
			<-hold
			return nil
		})
	}()
	<-running
	return hold, first
}
