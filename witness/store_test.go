package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"testing"
)

func hashAtFunc(l *testLog) func(uint64) (string, error) {
	return func(n uint64) (string, error) {
		h, err := l.log.TreeHash(context.Background(), n)
		return base64.StdEncoding.EncodeToString(h[:]), err
	}
}

// The log keeps its largest cosigned checkpoint apart from its database; a
// database restored from a backup is caught by Check, before any signing.
func TestStoreCatchesRestoredDatabase(t *testing.T) {
	l := newTestLog(t)
	w1, k1 := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "w1.json"))
	w2, k2 := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "w2.json"))
	v1, _ := NewCosigVerifier(k1)
	v2, _ := NewCosigVerifier(k2)
	path := filepath.Join(t.TempDir(), "cosigned", "checkpoint")
	s, err := OpenStore(path, l.vkey, []*CosigVerifier{v1, v2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(0, hashAtFunc(l)); err != nil {
		t.Fatalf("empty store: %v", err)
	}
	l.append(3, "a")
	snap := l.snapshot()
	l.append(2, "b")
	msg, n, _ := l.checkpoint(0)
	line1, err := w1.AddCheckpoint(0, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if names, err := s.Add(msg, line1); err != nil || len(names) != 1 {
		t.Fatalf("add: %v %v", names, err)
	}
	line2, err := w2.AddCheckpoint(0, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(msg, line2); err != nil {
		t.Fatal(err)
	}
	if got := s.Latest(); got.Size != n || len(got.Cosigners) != 2 {
		t.Fatalf("latest %+v", got)
	}
	// A forged cosignature line is refused and changes nothing.
	forged := bytes.Replace(line2, []byte(line2[len(line2)-6:len(line2)-1]), []byte("AAAA="), 1)
	if _, err := s.Add(msg, forged); err == nil {
		t.Fatal("forged cosignature accepted")
	}
	if err := s.Check(n, hashAtFunc(l)); err != nil {
		t.Fatalf("healthy log: %v", err)
	}

	// Reopen (policyd restarts) and restore yesterday's database.
	s2, err := OpenStore(path, l.vkey, []*CosigVerifier{v1, v2})
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Latest().Cosigners) != 2 {
		t.Fatal("cosignatures lost across a restart")
	}
	l.restore(snap)
	size, _ := l.log.Size(context.Background())
	err = s2.Check(size, hashAtFunc(l))
	var rb *RollbackError
	if !errors.As(err, &rb) || rb.Fork || !errors.Is(err, ErrSecurity) || rb.CosignedSize != n {
		t.Fatalf("restored database: %v", err)
	}
	// The restored log grows past the cosigned size with other records:
	// still refused, now as a fork.
	l.append(4, "other")
	size, _ = l.log.Size(context.Background())
	if err := s2.Check(size, hashAtFunc(l)); !errors.As(err, &rb) || !rb.Fork {
		t.Fatalf("forked log: %v", err)
	}
}
