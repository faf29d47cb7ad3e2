package audit

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/storage"
)

// TestExportCarriesStoredLeafHashes: each export line carries the leaf
// hash stored at append time, so a record whose stored bytes were changed
// afterwards (disk corruption, a tampered database) is named by the
// verifier at its index ("does not match its leaf hash"), and every line of
// an intact log carries exactly the hash of its record. A missing stored
// leaf hash is a corrupt log: the export refuses.
func TestExportCarriesStoredLeafHashes(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 40, "x")
	checkpoint(t, l) // signed before the corruption, as a server would have
	exp := export(t, l, ExportRequest{})
	for _, ln := range bytes.Split(bytes.TrimSpace(exp), []byte("\n")) {
		if rl, ok := parseRecordLine(ln); ok && rl.Hash != tlog.RecordHash(rl.Record) {
			t.Fatalf("record %d: line hash %v is not its record's", rl.Index, rl.Hash)
		}
	}

	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(storage.BucketAuditRecords)
		v := bytes.Clone(b.Get(u64key(17)))
		return b.Put(u64key(17), bytes.Replace(v, []byte(`"x`), []byte(`"y`), 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(bytes.NewReader(export(t, l, ExportRequest{})), l.VerifierKey(), nil)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Index != 17 || !errors.Is(err, ErrSecurity) || !strings.Contains(err.Error(), "does not match its leaf hash") {
		t.Fatalf("err = %v, want record 17 named as not matching its leaf hash", err)
	}

	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketAuditHashes).Delete(u64key(uint64(tlog.StoredHashIndex(0, 23))))
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.ExportRange(t.Context(), &buf, ExportRequest{}); err == nil || !strings.Contains(err.Error(), "stored hash of record 23 missing") {
		t.Fatalf("export with a stored hash missing: %v", err)
	}
}

// TestExportChunksByBytes: an export cut into read transactions by size
// (here a few records each) is byte for byte the export in one chunk, and
// verifies.
func TestExportChunksByBytes(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 50, "chunk")
	whole := export(t, l, ExportRequest{From: 3, To: 47})
	defer func(n int) { exportChunkBytes = n }(exportChunkBytes)
	exportChunkBytes = 700
	small := export(t, l, ExportRequest{From: 3, To: 47})
	if !bytes.Equal(whole, small) {
		t.Fatalf("exports differ:\n%s\n%s", whole, small)
	}
	if _, err := Verify(bytes.NewReader(small), l.VerifierKey(), nil); err != nil {
		t.Fatal(err)
	}
}
