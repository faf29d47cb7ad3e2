package storage_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/storage/storagetest"
)

func openTemp(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	buckets := [][]byte{storage.BucketMeta, storage.BucketWhitelist, storage.BucketWhitelistProposals,
		storage.BucketGovernance, storage.BucketAllowances, storage.BucketDecisions, storage.BucketClaims,
		storage.BucketAuditRecords, storage.BucketAuditHashes, storage.BucketTokens}
	storagetest.Run(t, func(t *testing.T) storagetest.Backend { return openTemp(t) }, buckets, storage.BucketMeta)
}

func TestFreshFileIsAtLatestSchema(t *testing.T) {
	db := openTemp(t)
	v, err := db.SchemaVersion()
	if err != nil || v != storage.LatestSchemaVersion() || v == 0 {
		t.Fatalf("schema version %d (latest %d): %v", v, storage.LatestSchemaVersion(), err)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policyd.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(storage.BucketWhitelist).Put([]byte("k"), []byte("v")) })
	db.Close()
	db, err = storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, _ := db.SchemaVersion()
	if v != storage.LatestSchemaVersion() {
		t.Fatalf("version %d after reopen", v)
	}
	db.View(func(tx *bolt.Tx) error {
		if string(tx.Bucket(storage.BucketWhitelist).Get([]byte("k"))) != "v" {
			t.Fatal("data lost across reopen")
		}
		return nil
	})
}

// writeVersion opens the raw bbolt file and forces a schema version.
func writeVersion(t *testing.T, path string, v uint64, dropBuckets bool) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		if dropBuckets {
			if err := tx.DeleteBucket(storage.BucketWhitelist); err != nil {
				return err
			}
		}
		m, err := tx.CreateBucketIfNotExists(storage.BucketMeta)
		if err != nil {
			return err
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], v)
		return m.Put([]byte("schema_version"), buf[:])
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMigrations(t *testing.T) {
	t.Run("version 0 file is migrated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		writeVersion(t, path, 0, false)
		db, err := storage.Open(path, storage.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, _ := db.SchemaVersion(); v != storage.LatestSchemaVersion() {
			t.Fatalf("version %d", v)
		}
		db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(storage.BucketWhitelist) == nil || tx.Bucket(storage.BucketAuditRecords) == nil {
				t.Fatal("v1 buckets not created")
			}
			return nil
		})
	})
	t.Run("newer schema is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		db, err := storage.Open(path, storage.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		writeVersion(t, path, storage.LatestSchemaVersion()+1, false)
		if _, err := storage.Open(path, storage.Options{NoSync: true}); !errors.Is(err, storage.ErrSchemaTooNew) {
			t.Fatalf("open newer file: %v", err)
		}
		if _, err := storage.Open(path, storage.Options{ReadOnly: true}); !errors.Is(err, storage.ErrSchemaTooNew) {
			t.Fatalf("read-only open of newer file: %v", err)
		}
	})
	t.Run("read-only open does not migrate", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ro.db")
		writeVersion(t, path, 0, false)
		db, err := storage.Open(path, storage.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, _ := db.SchemaVersion(); v != 0 {
			t.Fatalf("read-only open migrated to %d", v)
		}
	})
	t.Run("a locked file times out", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "locked.db")
		db, err := storage.Open(path, storage.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := storage.Open(path, storage.Options{Timeout: 50e6}); err == nil {
			t.Fatal("second writer opened a locked file")
		}
	})
}

// TestHotBackupRestores writes while Backup (Tx.WriteTo) runs, restores the
// copy into a new file, opens it with Open and reads it back.
func TestHotBackupRestores(t *testing.T) {
	db := openTemp(t)
	const before = 500
	for i := 0; i < before; i++ {
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketDecisions).Put([]byte(fmt.Sprintf("d%05d", i)), bytes.Repeat([]byte{byte(i)}, 100))
		}); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Add(1)
	go func() { // a concurrent writer: the backup must not block it nor see half of it
		defer wg.Done()
		for i := 0; !stop.Load() && i < 10000; i++ {
			db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(storage.BucketClaims).Put([]byte(fmt.Sprintf("c%05d", i)), []byte("x"))
			})
			written.Add(1)
		}
	}()
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	stop.Store(true)
	wg.Wait()
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup: n=%d len=%d err=%v", n, buf.Len(), err)
	}
	restored := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(restored, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	rdb, err := storage.Open(restored, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if v, _ := rdb.SchemaVersion(); v != storage.LatestSchemaVersion() {
		t.Fatalf("restored version %d", v)
	}
	rdb.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket(storage.BucketDecisions).Stats().KeyN; got != before {
			t.Fatalf("restored %d decisions, want %d", got, before)
		}
		if v := tx.Bucket(storage.BucketDecisions).Get([]byte("d00007")); !bytes.Equal(v, bytes.Repeat([]byte{7}, 100)) {
			t.Fatal("restored value differs")
		}
		// claims are a consecutive prefix c00000..c(k-1): a consistent snapshot
		c := tx.Bucket(storage.BucketClaims).Cursor()
		i := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if string(k) != fmt.Sprintf("c%05d", i) {
				t.Fatalf("snapshot not consistent at %s", k)
			}
			i++
		}
		if int64(i) > written.Load() {
			t.Fatalf("backup holds %d claims, only %d were written", i, written.Load())
		}
		return nil
	})
	// the restored copy is writable and independent of the source
	if err := rdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(storage.BucketDecisions).Put([]byte("new"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(storage.BucketDecisions).Get([]byte("new")) != nil {
			t.Fatal("restored copy shares state with the source")
		}
		return nil
	})
}

func BenchmarkUpdate(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "bench.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketDecisions).Put([]byte(fmt.Sprint(i)), []byte("v"))
		})
	}
}

func BenchmarkBatchParallel(b *testing.B) {
	db, err := storage.Open(filepath.Join(b.TempDir(), "bench.db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			db.Batch(func(tx *bolt.Tx) error {
				return tx.Bucket(storage.BucketDecisions).Put([]byte(fmt.Sprint(i)), []byte("v"))
			})
		}
	})
}

// TestL1BucketsMigrated: schema 3 creates every bucket of the L1 view and
// the decisions' reconciliation bucket, so nothing creates them lazily.
func TestL1BucketsMigrated(t *testing.T) {
	db := openTemp(t)
	if v, _ := db.SchemaVersion(); v < 3 {
		t.Fatalf("schema %d, want >= 3", v)
	}
	err := db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{storage.BucketL1Blocks, storage.BucketL1UTXOs, storage.BucketL1Spent, storage.BucketL1Txs,
			storage.BucketL1TxOrder, storage.BucketL1Cursor, storage.BucketL1Undo, storage.BucketL1Watch,
			storage.BucketL1Mempool, storage.BucketL1MempoolSpends, storage.BucketL1Reconcile} {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
