package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type testBody struct {
	N      int    `json:"n"`
	Note   string `json:"note"`
	Amount int64  `json:"amount_sat"`
}

func openDB(t testing.TB, path string, noSync bool) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{NoSync: noSync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestLog(t testing.TB, skey string) (*Log, *storage.DB) {
	t.Helper()
	if skey == "" {
		var err error
		if skey, _, err = GenerateKey(DefaultKeyName); err != nil {
			t.Fatal(err)
		}
	}
	db := openDB(t, filepath.Join(t.TempDir(), "policyd.db"), true)
	l, err := New(Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	return l, db
}

func appendN(t testing.TB, l *Log, db *storage.DB, from, n int, note string) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for i := from; i < from+n; i++ {
			kind := "decision"
			if i%3 == 1 {
				kind = "signature"
			}
			idx, err := l.Append(tx, kind, t0.Add(time.Duration(i)*time.Millisecond), testBody{N: i, Note: note, Amount: int64(i) * 1000})
			if err != nil {
				return err
			}
			if idx != uint64(i) {
				return fmt.Errorf("append %d returned index %d", i, idx)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func export(t testing.TB, l *Log, req ExportRequest) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := l.ExportRange(context.Background(), &buf, req); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkpoint(t testing.TB, l *Log) []byte {
	t.Helper()
	cp, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}
