package mpc_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
)

// apiHandler mounts srv in policyd's real API handler, as cmd/policyd does:
// its route table (every MPC route behind the custody role, pki.Client's
// certificate pinned), its error envelope and status map. The tests speak
// to the MPC server only through it.
func apiHandler(t testing.TB, pki *mpctest.PKI, srv *mpc.Server) http.Handler {
	t.Helper()
	h, err := api.New(api.Config{Governance: &governance.Governance{}, MPC: srv,
		CustodyFingerprints: []string{mpctest.CustodyFingerprint(pki)}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// failingAuthorizer fails BeginSigning with err.
type failingAuthorizer struct{ err error }

func (f failingAuthorizer) BeginSigning(ctx context.Context, id string, _ [][32]byte) ([][32]byte, error) {
	return nil, f.err
}
func (f failingAuthorizer) RecordSignatures(ctx context.Context, id string, sigs [][]byte) error {
	return f.err
}

// An authorizer failure is classified by what it is: the decision
// service's refusal is 403 not_authorized (its code in the message), its
// 503 stays a 503, and an internal failure (a disk error, a bug) is 500
// "internal", never a 403. Every answer is the API's one envelope.
func TestSignRefusalsAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"refused", errs.New(errs.KindConflict, "decision_already_signed", "the decision was already signed", nil), 403, "not_authorized", "decision_already_signed"},
		{"not allowed", errs.New(errs.KindForbidden, "decision_not_allowed", "the decision does not allow signing", nil), 403, "not_authorized", "decision_not_allowed"},
		{"stale", errs.New(errs.KindUnavailable, "l2_stale", "the L2 view is stale", nil), 503, "l2_stale", ""},
		{"internal", errors.New("bbolt: disk on fire"), 500, "internal", ""},
		{"classified internal", errs.New(errs.KindInternal, "storage", "decisions unreadable", errors.New("io")), 500, "internal", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *mpc.ServerConfig) { c.Authorizer = failingAuthorizer{tc.err} })
			defer e.close()
			b, _ := json.Marshal(map[string]any{"decision_id": "d", "sighashes": []string{hex.EncodeToString(make([]byte, 32))}})
			resp, err := e.httpc.Post(e.base+"/sign", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body api.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || body.Error.Code != tc.code || !strings.Contains(body.Error.Message, tc.msg) ||
				strings.Contains(body.Error.Message, "disk on fire") {
				t.Fatalf("%d %+v, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
}
