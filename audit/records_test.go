package audit

import (
	"bytes"
	"errors"
	"testing"
)

// TestVerifyRecords: the records come back only from an export that
// verifies, decoded and in order; an incremental export from a saved
// checkpoint returns just the new ones; a changed record returns none.
func TestVerifyRecords(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 5, "first")
	v, recs, err := VerifyRecords(bytes.NewReader(export(t, l, ExportRequest{})), l.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || v.From != 0 || v.To != 5 {
		t.Fatalf("%d records, range [%d,%d)", len(recs), v.From, v.To)
	}
	for i, r := range recs {
		b, err := DecodeBody(r)
		if err != nil || r.Index != uint64(i) || normalize(t, b) != normalize(t, testRecord(i, "first")) {
			t.Fatalf("record %d: %+v %+v %v", i, r, b, err)
		}
	}
	prev := v.Checkpoint.Note
	appendN(t, l, db, 5, 3, "second")
	v2, recs2, err := VerifyRecords(bytes.NewReader(export(t, l, ExportRequest{From: 5, Since: 5})), l.VerifierKey(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs2) != 3 || recs2[0].Index != 5 || !v2.ConsistentWithPrevious {
		t.Fatalf("incremental: %d records from %d, consistent %v", len(recs2), recs2[0].Index, v2.ConsistentWithPrevious)
	}
	bad := bytes.Replace(export(t, l, ExportRequest{}), []byte(`second`), []byte(`secont`), 1) // the note, in every test record
	if _, recs, err := VerifyRecords(bytes.NewReader(bad), l.VerifierKey(), nil); !errors.Is(err, ErrSecurity) || recs != nil {
		t.Fatalf("changed export: %d records, %v", len(recs), err)
	}
}
