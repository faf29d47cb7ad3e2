package relayer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/witness"
)

func newLookupRelayer(t *testing.T, pd *fakePolicyd, w Witness, reg prometheus.Registerer) *Relayer {
	t.Helper()
	script := []byte{0x00, 0x14}
	r, err := New(Config{L1: nilL1{}, L2: &countingL2{}, BridgeScript: script, WalletScripts: [][]byte{script}, Confirmations: 1,
		DBPath: filepath.Join(t.TempDir(), "r.db"), Audit: pd, AuditKey: pd.key, Witness: w, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// snapshot and restore stand for a backup of policyd's bbolt file and its
// restoration (same audit key, older records).
func (p *fakePolicyd) snapshot(t *testing.T) []byte {
	t.Helper()
	var raw []byte
	if err := p.db.View(func(tx *bolt.Tx) error {
		f := filepath.Join(t.TempDir(), "snap.db")
		if err := tx.CopyFile(f, 0o600); err != nil {
			return err
		}
		var err error
		raw, err = os.ReadFile(f)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return raw
}

func (p *fakePolicyd) restore(t *testing.T, raw []byte) {
	t.Helper()
	p.db.Close()
	if err := os.WriteFile(p.path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(p.path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := audit.New(audit.Config{DB: db, SignerKey: p.skey})
	if err != nil {
		t.Fatal(err)
	}
	p.db, p.log = db, l
}

const (
	txA = "aa00000000000000000000000000000000000000000000000000000000000001"
	txB = "bb00000000000000000000000000000000000000000000000000000000000002"
)

// The relayer's witness cosigns each checkpoint before its records are
// indexed, and posts the cosignature to policyd.
func TestDecisionsAreWitnessedBeforeUse(t *testing.T) {
	pd := newFakePolicyd(t)
	pd.allow(txA, 1000, policy.SourceOpReturn, "1")
	lw := newLogWitness(t, pd, t.TempDir())
	r := newLookupRelayer(t, pd, lw, nil)
	d, err := r.lookup(context.Background(), txA)
	if err != nil || d.AuditIndex >= lw.Size() || pd.cosigs.Load() != 1 {
		t.Fatalf("lookup: %+v %v (witness size %d, cosignatures %d)", d, err, lw.Size(), pd.cosigs.Load())
	}
}

// policyd restored from an older copy serves a decision the relayer's
// witness never cosigned (the log forked from the one it saw): no approval,
// an alarm, the evidence kept in the witness's state.
func TestRelayerRefusesADecisionOnARolledBackLog(t *testing.T) {
	pd := newFakePolicyd(t)
	pd.allow(txA, 1000, policy.SourceOpReturn, "1")
	backup := pd.snapshot(t)
	pd.allow(txB, 2000, policy.SourceOpReturn, "2")
	wdir := t.TempDir()
	lw := newLogWitness(t, pd, wdir)
	if _, err := newLookupRelayer(t, pd, lw, nil).lookup(context.Background(), txB); err != nil {
		t.Fatal(err)
	}
	seen := lw.Size()

	// Restore the backup and let the restored policyd decide again:
	// another txB decision at the same index as the lost one.
	pd.restore(t, backup)
	pd.allow(txB, 3000, policy.SourceOpReturn, "3")
	reg := prometheus.NewRegistry()
	r := newLookupRelayer(t, pd, newLogWitness(t, pd, wdir), reg) // a fresh index, the same witness
	d, err := r.lookup(context.Background(), txB)
	if !errors.Is(err, witness.ErrSecurity) || d != nil {
		t.Fatalf("lookup on a forked log: %+v %v", d, err)
	}
	if got := testutil.ToFloat64(r.m.alarms.WithLabelValues("audit_rollback")); got != 1 {
		t.Fatalf("relayer_alarms_total{audit_rollback} = %v", got)
	}
	raw, _ := os.ReadFile(filepath.Join(wdir, "state.json"))
	if !strings.Contains(string(raw), `"evidence"`) || lw.Size() != seen {
		t.Fatalf("witness state: %s", raw)
	}
}

// behindWitness accepts every checkpoint but never cosigns past size.
type behindWitness struct{ size uint64 }

func (w behindWitness) Cosign(context.Context, []byte) error { return nil }
func (w behindWitness) Size() uint64                         { return w.size }

// A decision the log holds but the witness has not cosigned (its record
// lies at or beyond the witness's size) is never used.
func TestRelayerRefusesADecisionBeyondItsCosignedSize(t *testing.T) {
	pd := newFakePolicyd(t)
	pd.allow(txA, 1000, policy.SourceOpReturn, "1") // records 0, 1
	pd.allow(txB, 2000, policy.SourceOpReturn, "2") // records 2, 3
	r := newLookupRelayer(t, pd, behindWitness{size: 2}, nil)
	if d, err := r.lookup(context.Background(), txA); err != nil || d.AuditIndex != 0 {
		t.Fatalf("a witnessed decision: %+v %v", d, err)
	}
	if d, err := r.lookup(context.Background(), txB); !errors.Is(err, ErrNotWitnessed) || d != nil {
		t.Fatalf("an unwitnessed decision: %+v %v", d, err)
	}
}
