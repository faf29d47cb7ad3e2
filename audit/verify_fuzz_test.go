package audit

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerifyExport feeds arbitrary bytes to the export reader. It must never
// panic, must fail closed (every error is classified), and anything it
// accepts must be the one signed history: the fuzzer cannot forge the key,
// so an accepted input has the checkpoint of the real log.
func FuzzVerifyExport(f *testing.F) {
	l, db := newTestLog(f, "")
	appendN(f, l, db, 0, 9, "seed")
	cp := checkpoint(f, l)
	f.Add(export(f, l, ExportRequest{}))
	f.Add(export(f, l, ExportRequest{From: 3, To: 7}))
	f.Add(export(f, l, ExportRequest{From: 8, Since: 2}))
	f.Add(export(f, l, ExportRequest{From: 9}))
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	want, err := OpenCheckpoint(cp, l.VerifierKey())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Verify(bytes.NewReader(data), l.VerifierKey(), nil)
		if err != nil {
			if !errors.Is(err, ErrSecurity) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if v.Checkpoint.Size != want.Size || v.Checkpoint.Hash != want.Hash {
			t.Fatalf("accepted a checkpoint that was never signed: %+v", v.Checkpoint)
		}
		if v.To > want.Size || v.From > v.To {
			t.Fatalf("accepted range [%d,%d) of size %d", v.From, v.To, want.Size)
		}
	})
}
