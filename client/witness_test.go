package client_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/witness"
)

// logScript serves the witness routes from a real audit log, which the test
// swaps for another copy (a fork or an older backup) signed by the same key.
type logScript struct {
	mu     sync.Mutex
	log    *audit.Log
	posted []api.CosignaturesRequest
}

func (s *logScript) cur() *audit.Log {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log
}

func (s *logScript) Cosigned(ctx context.Context) ([]byte, error) {
	return nil, errs.New(errs.KindNotFound, "no_cosigned_checkpoint", "none", nil)
}

func (s *logScript) Consistency(ctx context.Context, q api.ConsistencyQuery) (*api.ConsistencyProof, error) {
	l := s.cur()
	out := &api.ConsistencyProof{Old: q.Old, New: q.New}
	if q.New == 0 {
		cp, err := l.SignedCheckpoint(ctx)
		if err != nil {
			return nil, err
		}
		out.New, out.Checkpoint = cp.Size, string(cp.Note)
	} else if n, err := l.StoredCheckpoint(ctx, q.New); err == nil {
		out.Checkpoint = string(n)
	}
	p, err := l.ConsistencyProof(ctx, out.Old, out.New)
	if err != nil {
		return nil, errs.New(errs.KindInvalid, "audit_bad_range", "bad range", err)
	}
	out.Proof = p
	return out, nil
}

func (s *logScript) AddCosignatures(ctx context.Context, req api.CosignaturesRequest) (*api.CosignaturesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posted = append(s.posted, req)
	return &api.CosignaturesResponse{Witnesses: []string{"w"}}, nil
}

func newLogCopy(t *testing.T, skey string) (*audit.Log, *storage.DB) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	return l, db
}

func appendRecords(t *testing.T, l *audit.Log, db *storage.DB, tag string, n int) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := l.Append(tx, "startup", time.Unix(1700000000, 0), map[string]string{"tag": fmt.Sprintf("%s-%d", tag, i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// One witness pulls the log as it grows, cosigns and posts; then the
// server shows a forked copy (same size, other root) and an older copy
// (smaller): both are security errors with the evidence kept.
func TestContractWitnessPullCosignRefuse(t *testing.T) {
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	a, adb := newLogCopy(t, skey)
	fork, fdb := newLogCopy(t, skey)
	old, odb := newLogCopy(t, skey)
	appendRecords(t, a, adb, "a", 3)
	appendRecords(t, old, odb, "a", 2) // the same first two records: an older copy
	appendRecords(t, fork, fdb, "a", 2)
	appendRecords(t, fork, fdb, "other", 3) // size 5 like a, another root

	ls := &logScript{log: a}
	e := newEnv(t, ls)
	ctx := context.Background()
	wkey, wvkey, _ := witness.GenerateKey("custody")
	w, err := witness.New(witness.Config{LogVerifierKey: vkey, SignerKey: wkey, StateFile: filepath.Join(t.TempDir(), "w.json")})
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.custody.Witness(ctx, w, true)
	if err != nil || got.Checkpoint.Size != 3 || got.OldSize != 0 || got.PostErr != nil || len(ls.posted) != 1 {
		t.Fatalf("first round: %+v %v", got, err)
	}
	appendRecords(t, a, adb, "a", 2)
	got, err = e.reader.Witness(ctx, w, false) // readers may pull; they do not post
	if err != nil || got.Checkpoint.Size != 5 || got.OldSize != 3 || len(ls.posted) != 1 {
		t.Fatalf("second round: %+v %v", got, err)
	}
	// The posted cosignature verifies over the posted checkpoint.
	v, _ := witness.NewCosigVerifier(wvkey)
	cs, err := witness.OpenCosigned([]byte(ls.posted[0].Checkpoint+ls.posted[0].Cosignatures), vkey, []*witness.CosigVerifier{v})
	if err != nil || cs.Size != 3 || cs.Cosigners["custody"].IsZero() {
		t.Fatalf("posted cosignature: %+v %v", cs, err)
	}

	ls.mu.Lock()
	ls.log = fork
	ls.mu.Unlock()
	if _, err := e.custody.Witness(ctx, w, true); !errors.Is(err, witness.ErrSecurity) || !strings.Contains(err.Error(), "forked") {
		t.Fatalf("fork: %v", err)
	}
	ls.mu.Lock()
	ls.log = old
	ls.mu.Unlock()
	if _, err := e.custody.Witness(ctx, w, true); !errors.Is(err, witness.ErrSecurity) || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("rollback: %v", err)
	}
	st := w.Latest()
	if st.Size != 5 || len(st.Evidence) != 2 || len(ls.posted) != 1 {
		t.Fatalf("witness state after fork and rollback: size %d evidence %d posted %d", st.Size, len(st.Evidence), len(ls.posted))
	}
	// GET /v1/audit/cosigned is public; before any cosignature it is a 404
	// with the server's code.
	if _, err := e.anon.AuditCosigned(ctx); errCode(err) != "404 no_cosigned_checkpoint" {
		t.Fatalf("cosigned before any cosignature: %v", err)
	}
	// Only the roles of the routes: an anonymous caller cannot pull.
	if _, err := e.anon.Witness(ctx, w, false); errCode(err) != "401 unauthenticated" && !strings.Contains(errCode(err), "401") {
		t.Fatalf("anonymous pull: %v", err)
	}
}

func TestNewAllowsPlainHTTPOnlyOnLoopback(t *testing.T) {
	if _, err := client.New("http://127.0.0.1:8443"); err == nil {
		t.Fatal("plain http accepted without AllowLoopbackHTTP")
	}
	for _, u := range []string{"http://127.0.0.1:8443", "http://localhost:1", "http://[::1]:2"} {
		if _, err := client.New(u, client.AllowLoopbackHTTP()); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8443", "http://policyd:8443", "ftp://127.0.0.1"} {
		if _, err := client.New(u, client.AllowLoopbackHTTP()); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}
