package audit

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
)

// verifyOutcome is everything VerifyWith reports, for comparing passes.
type verifyOutcome struct {
	err     string
	index   int64
	line    int
	seen    []uint64 // OnRecord's indices, in call order
	kinds   map[string]uint64
	untyped uint64
	size    uint64
}

// runVerify verifies exp with an OnRecord that records the indices it is
// given and fails at stopAt, or (stopAt noOnRecord) with no OnRecord, as
// VerifyExport does (the records are then checked in scratch memory).
func runVerify(exp []byte, key string, workers, batch int, stopAt int64) verifyOutcome {
	var o verifyOutcome
	opts := VerifyOptions{workers: workers, batch: batch}
	if stopAt != noOnRecord {
		opts.OnRecord = func(rec *Record, _ records.Body) error {
			o.seen = append(o.seen, rec.Index)
			if int64(rec.Index) == stopAt {
				return fmt.Errorf("stop at %d", rec.Index)
			}
			return nil
		}
	}
	v, err := VerifyWith(bytes.NewReader(exp), key, nil, opts)
	o.index = -3
	if err != nil {
		o.err = err.Error()
		var ve *VerifyError
		if errors.As(err, &ve) {
			o.index, o.line = ve.Index, ve.Line
		}
		return o
	}
	o.kinds, o.untyped, o.size = v.Kinds, v.Untyped, v.Checkpoint.Size
	return o
}

// noOnRecord is runVerify's stopAt for a run without OnRecord.
const noOnRecord = -2

// withoutCalls is o without the OnRecord calls (what a run with no
// OnRecord must report).
func withoutCalls(o verifyOutcome) verifyOutcome {
	o.seen = nil
	return o
}

// TestVerifyParallelMatchesSequential: the parallel record checks report
// exactly what the sequential pass reports (the same first failing index,
// line and message, the same OnRecord calls in order, the same counts) on
// clean and corrupted exports, whatever the worker count and batch size.
func TestVerifyParallelMatchesSequential(t *testing.T) {
	l, db := newTestLog(t, "")
	const n = 120
	appendN(t, l, db, 0, n, "orig")
	full := export(t, l, ExportRequest{})
	sub := export(t, l, ExportRequest{From: 17, To: 101})
	change := func(ls [][]byte, k int) {
		ls[k+1] = bytes.Replace(ls[k+1], []byte(`"amount_sat":`), []byte(`"amount_sat":9`), 1)
	}
	cases := []struct {
		name   string
		exp    []byte
		stopAt int64 // OnRecord fails at this index (-1: never)
		want   string
	}{
		{"clean", full, -1, ""},
		{"clean sub-range", sub, -1, ""},
		{"OnRecord error", full, 77, "stop at 77"},
		{"two changed records, first wins", edit(full, func(ls [][]byte) [][]byte {
			change(ls, 90)
			change(ls, 33)
			return ls
		}), -1, "does not match its leaf hash"},
		{"changed record late in a batch", edit(full, func(ls [][]byte) [][]byte {
			change(ls, 117)
			return ls
		}), -1, "does not match its leaf hash"},
		{"non-canonical then changed", edit(full, func(ls [][]byte) [][]byte {
			ls[52] = bytes.Replace(ls[52], []byte(`"index":51,"kind"`), []byte(`"index": 51,"kind"`), 1)
			change(ls, 60)
			return ls
		}), -1, "not a canonical record"},
		{"dropped record", edit(full, func(ls [][]byte) [][]byte {
			return append(ls[:64:64], ls[65:]...)
		}), -1, "absent"},
		{"garbage line", edit(full, func(ls [][]byte) [][]byte {
			ls[45] = []byte(`{"type":"record"`)
			return ls
		}), -1, "unparseable record line"},
		{"ends early", edit(full, func(ls [][]byte) [][]byte {
			return ls[:70]
		}), -1, "export ends before record 69"},
		{"ends at a batch boundary", edit(full, func(ls [][]byte) [][]byte {
			return ls[:1+96]
		}), -1, "export ends before record 96"},
		{"changed after OnRecord error", edit(full, func(ls [][]byte) [][]byte {
			change(ls, 99)
			return ls
		}), 20, "stop at 20"},
		{"changed before OnRecord error", edit(full, func(ls [][]byte) [][]byte {
			change(ls, 9)
			return ls
		}), 20, "does not match its leaf hash"},
		{"changed in sub-range", edit(sub, func(ls [][]byte) [][]byte {
			ls[40] = rehash(t, bytes.Replace(ls[40], []byte(`orig`), []byte(`evil`), 1))
			change(ls, 70)
			return ls
		}), -1, "does not match its leaf hash"},
	}
	// A signed log with two bodies that fail their schema (records 40 and
	// 70): the first is reported, after the root; OnRecord stops at 39.
	sl, sdb := newTestLog(t, "")
	appendN(t, sl, sdb, 0, 40, "before")
	bad := func() {
		if err := sdb.Update(func(tx *bolt.Tx) error {
			_, err := sl.appendEncoded(tx, func(n uint64) ([]byte, error) {
				return rawRecord(n, records.KindAllowanceUsed, 1, `{"allowance_id":"a","decision_id":"d"}`), nil
			})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	bad()
	appendN(t, sl, sdb, 41, 29, "mid")
	bad()
	appendN(t, sl, sdb, 71, 30, "after")
	schema := export(t, sl, ExportRequest{})
	cases = append(cases, []struct {
		name   string
		exp    []byte
		stopAt int64
		want   string
	}{
		{"schema errors", schema, -1, "schema: the allowance_used record"},
		{"schema error then changed", edit(schema, func(ls [][]byte) [][]byte {
			change(ls, 90)
			return ls
		}), -1, "does not match its leaf hash"},
	}...)
	for _, tc := range cases {
		key := l.VerifierKey()
		if strings.HasPrefix(tc.name, "schema") {
			key = sl.VerifierKey()
		}
		t.Run(tc.name, func(t *testing.T) {
			seq := runVerify(tc.exp, key, 1, 0, tc.stopAt)
			if tc.want == "" && seq.err != "" || !strings.Contains(seq.err, tc.want) {
				t.Fatalf("sequential: %q, want %q", seq.err, tc.want)
			}
			if tc.name == "schema errors" && (seq.index != 40 || len(seq.seen) != 40) {
				t.Fatalf("schema error at %d after %d OnRecord calls, want 40 and 40", seq.index, len(seq.seen))
			}
			for _, workers := range []int{1, 2, 3, 8} {
				for _, batch := range []int{1, 4, 32, 0} {
					if workers > 1 {
						par := runVerify(tc.exp, key, workers, batch, tc.stopAt)
						if !reflect.DeepEqual(par, seq) {
							t.Fatalf("workers %d batch %d:\nparallel   %+v\nsequential %+v", workers, batch, par, seq)
						}
					}
					if tc.stopAt != -1 {
						continue
					}
					// Without OnRecord: the same outcome, from scratch checks.
					if bare := runVerify(tc.exp, key, workers, batch, noOnRecord); !reflect.DeepEqual(bare, withoutCalls(seq)) {
						t.Fatalf("workers %d batch %d without OnRecord:\n%+v\nsequential %+v", workers, batch, bare, seq)
					}
				}
			}
		})
	}
}
