package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/tlsutil"
)

type stubWitness struct {
	calls atomic.Int32
	mu    sync.Mutex
	lastQ ConsistencyQuery
	lastR CosignaturesRequest
}

func (w *stubWitness) Cosigned(ctx context.Context) ([]byte, error) {
	w.calls.Add(1)
	return []byte("go.sum database tree\n3\nabc=\n\n— policyd-audit x\n— custody y\n"), nil
}

func (w *stubWitness) Consistency(ctx context.Context, q ConsistencyQuery) (*ConsistencyProof, error) {
	w.calls.Add(1)
	w.mu.Lock()
	w.lastQ = q
	w.mu.Unlock()
	if q.Old > 10 {
		return nil, errs.New(errs.KindInvalid, "audit_bad_range", "invalid range", nil)
	}
	return &ConsistencyProof{Old: q.Old, New: 10, Proof: []tlog.Hash{{1}, {2}}, Checkpoint: "note"}, nil
}

func (w *stubWitness) AddCosignatures(ctx context.Context, req CosignaturesRequest) (*CosignaturesResponse, error) {
	w.calls.Add(1)
	w.mu.Lock()
	w.lastR = req
	w.mu.Unlock()
	return &CosignaturesResponse{Witnesses: []string{"custody"}, Size: 10, CosignedSize: 10}, nil
}

// withWitness restarts e's API with a witness service (the shared env
// builds it without one).
func withWitness(t *testing.T, e *env, w WitnessService) {
	t.Helper()
	h, err := New(Config{Governance: e.gov, Sign: e.sign, Audit: e.audit, MPC: e.mpc, L2: e.l2, Witness: w,
		CustodyFingerprints: []string{tlsutil.Fingerprint(e.custody.Certificate[0])},
		Tokens: []Token{{Name: "r", SHA256: HashToken(e.tokens["reader"]), Role: RoleReader},
			{Name: "a", SHA256: HashToken(e.tokens["auditor"]), Role: RoleAuditor}},
		Registry: prometheus.NewRegistry(), MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	serverCert, err := e.ca.Issue("policyd", true, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = httptest.NewUnstartedServer(h)
	e.srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs: e.ca.Pool(), MinVersion: tls.VersionTLS13}
	e.srv.StartTLS()
}

func TestWitnessRoutesRoles(t *testing.T) {
	e := newEnv(t, 3, 2)
	w := &stubWitness{}
	withWitness(t, e, w)
	body := mustJSON(CosignaturesRequest{Checkpoint: "cp\n", Cosignatures: "— w x\n"})
	cases := []struct {
		method, path string
		allowed      map[string]bool
	}{
		{"GET", "/v1/audit/cosigned", map[string]bool{"anon": true, "custody": true, "reader": true, "auditor": true, "unpinned": true, "badtoken": true}},
		{"GET", "/v1/audit/consistency?old=3", map[string]bool{"custody": true, "reader": true, "auditor": true}},
		{"POST", "/v1/audit/cosignatures", map[string]bool{"custody": true, "auditor": true}},
	}
	for _, c := range cases {
		for _, id := range []string{"anon", "custody", "reader", "auditor", "unpinned", "badtoken"} {
			before := w.calls.Load()
			st, b := e.do(id, c.method, c.path, body)
			if c.allowed[id] {
				if st != http.StatusOK || w.calls.Load() != before+1 {
					t.Errorf("%s %s as %s: %d %s, want 200 and one service call", c.method, c.path, id, st, b)
				}
				continue
			}
			if st != http.StatusUnauthorized && st != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d %s, want 401/403", c.method, c.path, id, st, b)
			}
			if w.calls.Load() != before {
				t.Errorf("%s %s as %s: the service ran for a refused caller", c.method, c.path, id)
			}
		}
	}
}

func TestWitnessRoutesAnswers(t *testing.T) {
	e := newEnv(t, 3, 2)
	w := &stubWitness{}
	withWitness(t, e, w)
	st, b := e.do("anon", "GET", "/v1/audit/cosigned", nil)
	if st != 200 || !strings.Contains(string(b), "— custody y\n") {
		t.Fatalf("cosigned: %d %s", st, b)
	}
	st, b = e.do("reader", "GET", "/v1/audit/consistency?old=3&new=10", nil)
	var p ConsistencyProof
	if st != 200 || json.Unmarshal(b, &p) != nil || len(p.Proof) != 2 || p.Proof[0] != (tlog.Hash{1}) || p.Checkpoint != "note" {
		t.Fatalf("consistency: %d %s", st, b)
	}
	if w.lastQ != (ConsistencyQuery{Old: 3, New: 10}) {
		t.Fatalf("query %+v", w.lastQ)
	}
	for _, q := range []string{"", "?old=x", "?old=5&new=4", "?new=3"} {
		if st, b := e.do("reader", "GET", "/v1/audit/consistency"+q, nil); st != 400 || errCode(b) != "bad_query" {
			t.Errorf("consistency%s: %d %s, want 400 bad_query", q, st, b)
		}
	}
	if st, b := e.do("reader", "GET", "/v1/audit/consistency?old=11", nil); st != 400 || errCode(b) != "audit_bad_range" {
		t.Errorf("consistency beyond the log: %d %s", st, b)
	}
	st, b = e.do("custody", "POST", "/v1/audit/cosignatures", mustJSON(CosignaturesRequest{Checkpoint: "cp\n", Cosignatures: "— w x\n"}))
	var r CosignaturesResponse
	if st != 200 || json.Unmarshal(b, &r) != nil || r.Witnesses[0] != "custody" || w.lastR.Cosignatures != "— w x\n" {
		t.Fatalf("cosignatures: %d %s", st, b)
	}
	for _, bad := range []string{`{"checkpoint":"cp\n"}`, `{"checkpoint":"cp\n","cosignatures":"x","extra":1}`, `nope`} {
		if st, b := e.do("auditor", "POST", "/v1/audit/cosignatures", []byte(bad)); st != 400 {
			t.Errorf("cosignatures %s: %d %s, want 400", bad, st, b)
		}
	}
}

func TestWitnessRoutesUnavailableWithoutService(t *testing.T) {
	e := newEnv(t, 3, 2)
	if st, b := e.do("anon", "GET", "/v1/audit/cosigned", nil); st != 503 || errCode(b) != "unavailable" {
		t.Fatalf("cosigned without a witness service: %d %s", st, b)
	}
}
