package relayer

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/policy"
)

// BenchmarkAuditSync10k measures one first sync of the relayer's audit
// index: download (in process), verify and index an export of 10,000
// allowed decisions of 2 claims each.
//
//	go test -run '^$' -bench AuditSync10k -benchtime 5x ./relayer
func BenchmarkAuditSync10k(b *testing.B) {
	pd := newFakePolicyd(b)
	if err := pd.db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 10_000; i++ {
			txid := fmt.Sprintf("%064x", i)
			r := decision.Record{V: 1, ID: fmt.Sprintf("dec-%d", i), TxID: txid, Outcome: policy.Allow, Time: time.Unix(0, 0).UTC(),
				Decision: policy.Decision{Outcome: policy.Allow, Claims: []string{fmt.Sprint(2 * i), fmt.Sprint(2*i + 1)}, BridgeSat: 1000}}
			if _, err := pd.log.Append(tx, "decision", r.Time, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	wit := newLogWitness(b, pd, b.TempDir()) // cosigns the same checkpoint each round
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st, err := openStore(filepath.Join(dir, fmt.Sprintf("r%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		r := &Relayer{cfg: Config{Witness: wit}, st: st, audit: auditIndex{fetch: pd, key: pd.key}, m: mustMetrics(b)}
		if err := r.syncAudit(context.Background()); err != nil {
			b.Fatal(err)
		}
		st.close()
	}
}

func mustMetrics(b *testing.B) *metrics {
	m, err := newMetrics(nil)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
