package relayer

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/witness"
)

// fakePolicyd is policyd's audit log as the relayer sees it: a real
// audit.Log (package audit, signed checkpoints) whose export the relayer
// verifies. Decisions are appended with decision.Record, the type policyd
// itself audits.
type fakePolicyd struct {
	t       testing.TB
	path    string
	db      *storage.DB
	log     *audit.Log
	skey    string
	key     string
	fetches atomic.Int32
	tamper  atomic.Bool  // serve an export that does not verify
	cosigs  atomic.Int32 // cosignatures posted by the relayer's witness
}

func newFakePolicyd(t testing.TB) *fakePolicyd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policyd.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, vkey, err := audit.GenerateKey("policyd-audit")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	return &fakePolicyd{t: t, path: path, db: db, log: l, skey: skey, key: vkey}
}

func (p *fakePolicyd) append(kind string, body any) {
	p.t.Helper()
	if err := p.db.Update(func(tx *bolt.Tx) error {
		_, err := p.log.Append(tx, kind, time.Now().UTC(), body)
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
}

// allow records an allowed decision for txid claiming ids.
func (p *fakePolicyd) allow(txid string, bridgeSat int64, source string, claims ...string) string {
	p.t.Helper()
	id := "dec-" + txid[:8]
	r := decision.Record{V: 1, ID: id, State: decision.StateReserved, Time: time.Now().UTC(), TxID: txid, Outcome: policy.Allow,
		Decision: policy.Decision{Outcome: policy.Allow, Claims: claims, BridgeSource: source, BridgeSat: bridgeSat, OutflowSat: bridgeSat}}
	p.append("decision", r)
	p.append("signature", map[string]any{"decision_id": id, "txid": txid, "input": 0})
	return id
}

// allowPlan records an opened plan allowance and a decision consuming it.
func (p *fakePolicyd) allowPlan(txid string, bridgeSat int64, plan string) {
	p.t.Helper()
	aid := "allow-" + txid[:8]
	p.append(governance.EventAllowance, map[string]any{"proposal_id": aid, "allowance": governance.AllowanceRecord{ID: aid, PlanID: plan, AmountSat: bridgeSat}})
	r := decision.Record{V: 1, ID: "dec-" + txid[:8], State: decision.StateReserved, Time: time.Now().UTC(), TxID: txid, Outcome: policy.Allow,
		Decision: policy.Decision{Outcome: policy.Allow, BridgeSource: policy.SourceAllowance, AllowanceID: aid, BridgeSat: bridgeSat}}
	p.append("decision", r)
}

func (p *fakePolicyd) deny(txid string) {
	p.t.Helper()
	r := decision.Record{V: 1, ID: "deny-" + txid[:8], State: decision.StateDenied, Time: time.Now().UTC(), TxID: txid, Outcome: policy.Deny,
		Decision: policy.Decision{Outcome: policy.Deny}}
	p.append("decision", r)
}

func (p *fakePolicyd) cancel(txid, decisionID string, claims ...string) {
	p.append("decision_cancel", map[string]any{"decision_id": decisionID, "txid": txid, "released": claims})
}

// FetchExport implements ExportFetcher with the audit log's own exporter.
func (p *fakePolicyd) FetchExport(ctx context.Context, from, since uint64) (io.ReadCloser, error) {
	p.fetches.Add(1)
	var buf bytes.Buffer
	if err := p.log.ExportRange(ctx, &buf, audit.ExportRequest{From: from, Since: since}); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if p.tamper.Load() {
		b = bytes.Replace(b, []byte(`"outcome":"allow"`), []byte(`"outcome":"allow" `), 1)
		b = bytes.Replace(b, []byte(`"bridge_sat":`), []byte(`"bridge_sat":1`), 1)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// AuditConsistency and AuditCosignatures implement PolicydLog (the routes
// the relayer's witness calls) with the audit log's own proofs.
func (p *fakePolicyd) AuditConsistency(ctx context.Context, old, n uint64) (*api.ConsistencyProof, error) {
	proof, err := p.log.ConsistencyProof(ctx, old, n)
	if err != nil {
		return nil, err
	}
	return &api.ConsistencyProof{Old: old, New: n, Proof: proof}, nil
}

func (p *fakePolicyd) AuditCosignatures(ctx context.Context, req api.CosignaturesRequest) (*api.CosignaturesResponse, error) {
	p.cosigs.Add(1)
	return &api.CosignaturesResponse{Witnesses: []string{"relayer"}}, nil
}

// newLogWitness is a relayer witness (its own key and state file in dir)
// of p's log.
func newLogWitness(t testing.TB, p *fakePolicyd, dir string) *LogWitness {
	t.Helper()
	w, _, err := witness.OpenDir(dir, "relayer", p.key)
	if err != nil {
		t.Fatal(err)
	}
	return &LogWitness{W: w, Log: p}
}
