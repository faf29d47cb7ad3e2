package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/storage"
)

// decisionViews is a scripted SignService: stored views by id.
type decisionViews map[string]*decision.View

func (d decisionViews) SubmitRequest(context.Context, decision.Request) (*decision.View, error) {
	return nil, errs.New(errs.KindUnavailable, "unavailable", "not in this test", nil)
}
func (d decisionViews) Decision(_ context.Context, id string) (*decision.View, error) {
	if v, ok := d[id]; ok {
		return v, nil
	}
	return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
}
func (d decisionViews) Cancel(ctx context.Context, id string) (*decision.View, error) {
	return d.SubmitRequest(ctx, decision.Request{})
}

// apiServer is the real API handler (route table, roles, TLS, tokens)
// over real governance and storage, with the services set sets; it returns
// its URL and the CA file that trusts it.
func apiServer(t *testing.T, set func(*api.Config, *storage.DB)) (url, ca string) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	gov, err := governance.New(governance.Config{DB: db, Audit: wlAppender{}, Net: &chaincfg.RegressionNetParams,
		Domain:         governance.Domain{Name: "policyd", Version: "1", ChainID: 1337, WalletID: "w"},
		BitlayerAdmins: []common.Address{common.HexToAddress("0x01")}, Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Governance: gov}
	set(&cfg, db)
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, ca
}

// TestDecisionCommand: `policyctl decision` shows each claim's stage and
// the transaction it names (a confirmed earlier family member, a release
// with its conflict), prints the server's JSON with --json, and exits 1
// on an unknown id or a token without the auditor role, 2 on usage.
func TestDecisionCommand(t *testing.T) {
	orig, repl, thief := strings.Repeat("aa", 32), strings.Repeat("bb", 32), strings.Repeat("cc", 32)
	rec, _ := json.Marshal(map[string]any{"id": "d-2", "state": "signed", "txid": repl})
	views := decisionViews{"d-2": {ID: "d-2", Outcome: "allow", Record: rec, Claims: []decision.ClaimView{
		{ReqID: "100", State: "confirmed", TxID: orig, DecisionID: "d-1", Family: []string{repl}},
		{ReqID: "101", State: "released", TxID: repl, DecisionID: "d-2", Family: []string{orig}, Conflicts: []string{thief}},
	}}}
	url, ca := apiServer(t, func(c *api.Config, _ *storage.DB) {
		c.Sign = views
		c.Tokens = []api.Token{{Name: "a", Role: api.RoleAuditor, SHA256: api.HashToken("auditor-tok")},
			{Name: "r", Role: api.RoleReader, SHA256: api.HashToken("reader-tok")}}
	})
	tests := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout, or of stderr when code != 0
	}{
		{"table", []string{"--server", url, "--ca", ca, "--token", "auditor-tok", "d-2"}, 0, []string{
			"state     signed", "txid      " + repl,
			"100     confirmed  " + orig + "  d-1       family " + repl,
			"101     released   " + repl + "  d-2       family " + orig + "; conflicts " + thief}},
		{"json", []string{"--server", url, "--ca", ca, "--token", "auditor-tok", "--json", "d-2"}, 0, []string{`"state": "released"`, `"conflicts": [`}},
		{"unknown id", []string{"--server", url, "--ca", ca, "--token", "auditor-tok", "d-9"}, 1, []string{"decision_not_found"}},
		{"reader token", []string{"--server", url, "--ca", ca, "--token", "reader-tok", "d-2"}, 1, []string{"403"}},
		{"no id", []string{"--server", url, "--ca", ca, "--token", "auditor-tok"}, 2, []string{"usage: policyctl decision"}},
		{"plain http", []string{"--server", "http://127.0.0.1:1", "d-2"}, 2, []string{"https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"decision"}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out.String(), errb.String())
			}
			hay := out.String()
			if tt.code != 0 {
				hay = errb.String()
			}
			for _, w := range tt.want {
				if !strings.Contains(hay, w) {
					t.Fatalf("output lacks %q:\n%s", w, hay)
				}
			}
		})
	}
}
