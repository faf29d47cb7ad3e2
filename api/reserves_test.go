package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
)

type stubReserves struct{ err error }

func (s stubReserves) Reserves(context.Context) (*decision.Reserves, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &decision.Reserves{L2: decision.ReservesL2{PendingUnboundSat: 7}, Claims: map[string]int{"signed": 1}}, nil
}

// GET /v1/reserves: readers see the service's reserves; no service, or one
// without an L1 view, is 503; other roles are refused.
func TestReservesRoute(t *testing.T) {
	gov := newEnv(t, 3, 2).gov
	get := func(svc ReservesService, token string) (int, []byte) {
		t.Helper()
		h, err := New(Config{Governance: gov, Reserves: svc, Tokens: []Token{{Name: "r", SHA256: HashToken("reader-token"), Role: RoleReader}}})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/v1/reserves", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	st, b := get(stubReserves{}, "reader-token")
	var r decision.Reserves
	if st != http.StatusOK || json.Unmarshal(b, &r) != nil || r.L2.PendingUnboundSat != 7 || r.Claims["signed"] != 1 {
		t.Fatalf("reserves: %d %s", st, b)
	}
	if st, b := get(nil, "reader-token"); st != http.StatusServiceUnavailable {
		t.Fatalf("no service: %d %s", st, b)
	}
	if st, b := get(stubReserves{err: errs.New(errs.KindUnavailable, "no_l1_view", "no L1 view", nil)}, "reader-token"); st != http.StatusServiceUnavailable || errCode(b) != "no_l1_view" {
		t.Fatalf("no L1 view: %d %s", st, b)
	}
	if st, b := get(stubReserves{}, ""); st != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d %s", st, b)
	}
}
