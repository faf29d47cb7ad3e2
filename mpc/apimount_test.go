package mpc_test

import (
	"net/http"
	"testing"

	"github.com/bitlayer-org/policyd/api"
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
