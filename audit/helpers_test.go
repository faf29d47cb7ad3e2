package audit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/storage"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testRecord is the i-th typed record of a test log: a signature when
// i%3 == 1, else an allowance_open whose allowance is of i*1000 sat (the
// tamper tests edit "amount_sat":5000 of record 5 and the kind of record 1).
func testRecord(i int, note string) records.Body {
	if i%3 == 1 {
		return &records.Signature{DecisionID: fmt.Sprintf("d-%d", i), TxID: fmt.Sprintf("%064x", i), Input: i,
			Sighash: fmt.Sprintf("%064x", i*7919), Signature: "30440220" + note}
	}
	return &records.AllowanceOpen{ProposalID: fmt.Sprintf("0x%064x", i), Approvers: []string{note},
		Allowance: records.Allowance{ID: fmt.Sprintf("0x%064x", i), PlanID: note, AmountSat: int64(i) * 1000,
			Address: "bc1qbridge", PkScript: []byte{0, 20, byte(i)}, OpenedAt: t0}}
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
			idx, err := l.AppendBody(tx, t0.Add(time.Duration(i)*time.Millisecond), testRecord(i, note))
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

func testFreeze() records.Body {
	return &records.Freeze{State: records.FreezeState{Frozen: true, By: "0xadmin", Reason: "test", At: t0}, Nonce: "n", Expiry: 1, Signature: "0xsig"}
}

// badBody is a body of any kind and version (registered or not).
type badBody struct {
	K string
	V int
}

func (b badBody) Kind() string { return b.K }
func (b badBody) Version() int { return b.V }

// appendV1 appends an untyped v1 record exactly as the v1 code did (the
// benchmarks of the log's mechanics use small v1 records).
func (l *Log) appendV1(tx *bolt.Tx, kind string, at time.Time, body any) (uint64, error) {
	return l.appendEncoded(tx, func(n uint64) ([]byte, error) { return EncodeRecordV1(n, kind, at, body) })
}
