package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bitlayer-org/policyd/witness"
)

// withShare is validConfig with the fixture share, so the decision service
// and the signing gate are wired.
func withShare(t *testing.T) Config {
	t.Helper()
	cfg := validConfig(t, t.TempDir())
	ct, err := tssfixtures.Share("policyd")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg.MPC.ShareFile, ct, 0o600)
	os.WriteFile(cfg.MPC.PassphraseFile, []byte(tssfixtures.DevPassphrase+"\n"), 0o600)
	cfg.MPC.WorkFactor = 0
	return cfg
}

// testWitness is a tlog-witness over HTTP (package witness's handler) for
// the log key of the data directory's audit key.
func testWitness(t *testing.T, name, logVKey string) (*witness.Witness, string, string) {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(witness.Config{LogVerifierKey: logVKey, SignerKey: skey, StateFile: filepath.Join(t.TempDir(), name+".json")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(witness.Handler(w))
	t.Cleanup(srv.Close)
	return w, vkey, srv.URL
}

// firstStart starts and stops policyd once (creating its audit key and the
// start-up record) and returns the log's verifier key.
func firstStart(t *testing.T, cfg Config) string {
	t.Helper()
	s, err := newServer(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	return s.audit.VerifierKey()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// An older bbolt file restored under a policyd whose witnesses cosigned a
// larger tree: the real signing gate refuses, policyd freezes itself with
// source "audit" and the evidence, and the rollback metric counts it. The
// same server before the restore cosigns through its witness, and the
// cosigned checkpoint it serves verifies with witness.OpenCosigned.
func TestRestoredDatabaseRefusesSigning(t *testing.T) {
	cfg := withShare(t)
	cfg.Audit.WitnessInterval = Duration(time.Hour)
	ctx := context.Background()

	logVKey := firstStart(t, cfg)
	old := filepath.Join(t.TempDir(), "policyd-old.db")
	copyFile(t, cfg.DBPath(), old) // the "backup": one record

	w, vkey, url := testWitness(t, "w1", logVKey)
	cfg.Audit.Witnesses = []WitnessConfig{{Name: "w1", Key: vkey, URL: url}}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	s2, err := newServer(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	s2.wit.pushAll(ctx)
	n, _ := s2.audit.Size(ctx)
	if st := w.Latest(); st == nil || st.Size != n || n < 2 {
		t.Fatalf("witness state %+v, log size %d", st, n)
	}
	// The gate lets a healthy log through to the decision service (which
	// knows no such decision).
	if _, err := s2.authz.BeginSigning(ctx, "no-such-decision", nil); err == nil || isRollback(err) {
		t.Fatalf("healthy log: BeginSigning error %v", err)
	}
	if err := s2.musigGate(ctx); err != nil { // the MuSig2 sessions' gate
		t.Fatalf("healthy log: MuSig2 gate %v", err)
	}
	// GET /v1/audit/cosigned (public) serves the note with the witness's
	// cosignature; it verifies with the witness key.
	rec := httptest.NewRecorder()
	s2.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/audit/cosigned", nil))
	v, _ := witness.NewCosigVerifier(vkey)
	cs, err := witness.OpenCosigned(rec.Body.Bytes(), logVKey, []*witness.CosigVerifier{v})
	if rec.Code != 200 || err != nil || cs.Size != n || cs.Cosigners["w1"].IsZero() {
		t.Fatalf("cosigned: %d %s %v", rec.Code, rec.Body, err)
	}
	s2.close()
	if raw, err := os.ReadFile(cfg.Audit.CosignedFile); err != nil || !strings.Contains(string(raw), "— w1 ") ||
		filepath.Dir(cfg.Audit.CosignedFile) == cfg.DataDir {
		t.Fatalf("cosigned file %s beside the data dir: %v %q", cfg.Audit.CosignedFile, err, raw)
	}

	// Restore the older copy and start again.
	copyFile(t, old, cfg.DBPath())
	s3, err := newServer(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatalf("a rolled-back policyd still starts (frozen, to serve the evidence): %v", err)
	}
	defer s3.close()
	_, err = s3.authz.BeginSigning(ctx, "no-such-decision", nil)
	if !isRollback(err) {
		t.Fatalf("rolled back: BeginSigning error %v, want audit_rollback", err)
	}
	// The MuSig2 sessions' gate refuses for the same reason (not only
	// because of the freeze the rollback caused).
	if err := s3.musigGate(ctx); !isRollback(err) {
		t.Fatalf("rolled back: MuSig2 gate %v, want audit_rollback", err)
	}
	fs, err := s3.gov.FreezeState(ctx)
	if err != nil || !fs.Frozen || fs.By != "policyd:audit" || !strings.Contains(fs.Reason, "restored from an older copy") {
		t.Fatalf("freeze state %+v %v", fs, err)
	}
	var frozeRecord bool
	s3.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketAuditRecords).ForEach(func(k, v []byte) error {
			if strings.Contains(string(v), `"kind":"system_freeze"`) && strings.Contains(string(v), `"source":"audit"`) &&
				strings.Contains(string(v), `"cosigned_size":`+itoa(n)) {
				frozeRecord = true
			}
			return nil
		})
	})
	if !frozeRecord {
		t.Fatal("no audited system_freeze with the evidence")
	}
	fams, _ := s3.registry.Gather()
	var counted bool
	for _, f := range fams {
		if f.GetName() == "policyd_audit_rollbacks_total" && f.GetMetric()[0].GetCounter().GetValue() >= 1 {
			counted = true
		}
	}
	if !counted {
		t.Fatal("policyd_audit_rollbacks_total not counted")
	}
	// The rolled-back log is not pushed: the witness keeps its size.
	s3.wit.pushAll(ctx)
	if st := w.Latest(); st.Size != n {
		t.Fatalf("witness moved to %d", st.Size)
	}
	// Every later attempt is refused as well (not only the first).
	if _, err := s3.authz.BeginSigning(ctx, "x", nil); !isRollback(err) {
		t.Fatalf("still rolled back: %v", err)
	}
}

// A witness that pulls posts its cosignature; policyd keeps it only if it
// verifies against a configured witness key.
func TestPulledCosignaturesAreVerified(t *testing.T) {
	cfg := withShare(t)
	ctx := context.Background()
	logVKey := firstStart(t, cfg)
	skey, vkey, _ := witness.GenerateKey("custody")
	strangerKey, _, _ := witness.GenerateKey("custody")
	cfg.Audit.Witnesses = []WitnessConfig{{Name: "custody", Key: vkey}}
	s, err := newServer(ctx, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	p, err := s.wit.Consistency(ctx, api.ConsistencyQuery{})
	if err != nil || p.Checkpoint == "" || p.New < 2 {
		t.Fatalf("consistency %+v %v", p, err)
	}
	for _, k := range []string{strangerKey, skey} {
		w, err := witness.New(witness.Config{LogVerifierKey: logVKey, SignerKey: k, StateFile: filepath.Join(t.TempDir(), "w.json")})
		if err != nil {
			t.Fatal(err)
		}
		line, err := w.AddCheckpoint(0, nil, []byte(p.Checkpoint))
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.wit.AddCosignatures(ctx, api.CosignaturesRequest{Checkpoint: p.Checkpoint, Cosignatures: string(line)})
		if k == strangerKey {
			if e, ok := errs.As(err); !ok || e.Code != "bad_checkpoint" && e.Code != "unknown_witness" {
				t.Fatalf("a stranger's cosignature: %v", err)
			}
			continue
		}
		if err != nil || r.CosignedSize != p.New || r.Witnesses[0] != "custody" {
			t.Fatalf("cosignatures: %+v %v", r, err)
		}
	}
	got, err := s.wit.Cosigned(ctx)
	if err != nil || !strings.HasPrefix(string(got), p.Checkpoint) {
		t.Fatalf("cosigned %q %v", got, err)
	}
	if _, err := s.authz.BeginSigning(ctx, "x", nil); isRollback(err) {
		t.Fatal(err)
	}
}

func isRollback(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Code == "audit_rollback"
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestWitnessConfigIsValidated(t *testing.T) {
	_, vkey, _ := witness.GenerateKey("w1")
	for _, tc := range []struct {
		w    []WitnessConfig
		want string
	}{
		{[]WitnessConfig{{Name: "w1", Key: "nonsense"}}, "audit.witnesses[0].key"},
		{[]WitnessConfig{{Name: "w2", Key: vkey}}, "audit.witnesses[0].name"},
		{[]WitnessConfig{{Name: "w1", Key: vkey}, {Name: "w1", Key: vkey}}, "audit.witnesses[1].name"},
		{[]WitnessConfig{{Name: "w1", Key: vkey, URL: "http://witness.example:8080"}}, "audit.witnesses[0].url"},
	} {
		cfg := validConfig(t, t.TempDir())
		cfg.Audit.Witnesses = tc.w
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want a problem with %s", tc.w, err, tc.want)
		}
	}
	cfg := validConfig(t, t.TempDir())
	cfg.Audit.Witnesses = []WitnessConfig{{Name: "w1", Key: vkey, URL: "http://127.0.0.1:9000"}}
	if err := cfg.validate(); err != nil {
		t.Fatalf("loopback http witness: %v", err)
	}
	if cfg.Audit.CosignedFile != filepath.Clean(cfg.DataDir)+".cosigned" {
		t.Fatalf("default cosigned file %s", cfg.Audit.CosignedFile)
	}
}
