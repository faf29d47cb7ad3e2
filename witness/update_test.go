package witness

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// Update pulls like the custody node: it asks for a proof only when the
// checkpoint is larger, and reports a smaller or forked log as ErrSecurity.
func TestUpdateAsksForProofsOnlyWhenNeeded(t *testing.T) {
	l := newTestLog(t)
	l.append(3, "a")
	w, _ := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "w.json"))
	asked := 0
	prove := func(old, n uint64) ([]tlog.Hash, error) {
		asked++
		return l.log.ConsistencyProof(context.Background(), old, n)
	}
	note := func() []byte { n, _, _ := l.checkpoint(0); return n }
	if _, err := w.Update(note(), prove); err != nil || asked != 0 {
		t.Fatalf("first checkpoint: %v (asked %d)", err, asked)
	}
	snap := l.snapshot()
	l.append(2, "a")
	if _, err := w.Update(note(), prove); err != nil || asked != 1 || w.Latest().Size != 5 {
		t.Fatalf("grown: %v (asked %d)", err, asked)
	}
	if _, err := w.Update(note(), prove); err != nil || asked != 1 {
		t.Fatalf("same: %v (asked %d)", err, asked)
	}
	l.restore(snap) // size 3: a rollback
	if _, err := w.Update(note(), prove); !errors.Is(err, ErrSecurity) || asked != 1 {
		t.Fatalf("rollback: %v", err)
	}
	l.append(2, "b") // size 5 again, another root: a fork
	if _, err := w.Update(note(), prove); !errors.Is(err, ErrSecurity) {
		t.Fatalf("fork: %v", err)
	}
	if st := w.Latest(); st.Size != 5 || len(st.Evidence) != 2 {
		t.Fatalf("state %d, %d pieces of evidence", st.Size, len(st.Evidence))
	}
	// The forked log grows: its own proof from 5 cannot verify against the
	// root this witness accepted at 5.
	l.append(1, "b")
	if _, err := w.Update(note(), prove); !errors.Is(err, ErrSecurity) || !strings.Contains(err.Error(), "cannot prove") {
		t.Fatalf("a forked log that grew: %v", err)
	}
	if st := w.Latest(); st.Size != 5 || len(st.Evidence) != 3 {
		t.Fatalf("state %d, %d pieces of evidence", st.Size, len(st.Evidence))
	}
}
