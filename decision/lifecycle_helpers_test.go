package decision

import (
	"context"
	"testing"
)

// recordSighashes are the sighashes stored in decision id's record (what an
// honest custody node computes for the same PSBT).
func recordSighashes(t testing.TB, e *env, id string) [][32]byte {
	t.Helper()
	r, err := e.svc.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out [][32]byte
	for _, in := range r.Facts.Inputs {
		var h [32]byte
		copy(h[:], in.Sighash)
		out = append(out, h)
	}
	return out
}
