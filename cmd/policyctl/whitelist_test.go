package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

type wlAppender struct{}

func (wlAppender) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	b, err := tx.CreateBucketIfNotExists([]byte("test_cli_audit"))
	if err != nil {
		return 0, err
	}
	seq, _ := b.NextSequence()
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return seq, b.Put(k[:], []byte(body.Kind()))
}

type wlEnv struct {
	t      *testing.T
	dir    string
	url    string
	ca     string
	token  string
	keys   map[string]string // name -> keystore path
	pwFile string
	gov    *governance.Governance
}

func newWLEnv(t *testing.T) *wlEnv {
	dir := t.TempDir()
	e := &wlEnv{t: t, dir: dir, token: "reader-token-xyz", keys: map[string]string{}}
	pki, err := tlsutil.DevCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	e.ca = pki.CACert
	e.pwFile = filepath.Join(dir, "pw")
	os.WriteFile(e.pwFile, []byte("correct horse\n"), 0o600)
	ks := keystore.NewKeyStore(filepath.Join(dir, "ks"), keystore.LightScryptN, keystore.LightScryptP)
	addrs := map[string]common.Address{}
	for _, name := range []string{"admin1", "admin2", "admin3", "project", "outsider"} {
		k, _ := crypto.GenerateKey()
		acc, err := ks.ImportECDSA(k, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		e.keys[name] = acc.URL.Path
		addrs[name] = acc.Address
	}
	db, err := storage.Open(filepath.Join(dir, "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.gov, err = governance.New(governance.Config{DB: db, Audit: wlAppender{}, Net: &chaincfg.RegressionNetParams,
		Domain:         governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "w-cli"},
		BitlayerAdmins: []common.Address{addrs["admin1"], addrs["admin2"], addrs["admin3"]},
		ProjectAdmins:  []common.Address{addrs["project"]}, Quorum: 2, NoTimelock: true})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Governance: e.gov, Tokens: []api.Token{{Name: "r", SHA256: api.HashToken(e.token), Role: api.RoleReader}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS, err = tlsutil.ServerConfig(pki.ServerCert, pki.ServerKey, pki.CACert)
	if err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *wlEnv) run(signer string, args ...string) (int, string, string) {
	full := append([]string{"whitelist"}, args[0], "--server", e.url, "--ca", e.ca, "--token", e.token)
	if signer != "" {
		full = append(full, "--keystore", e.keys[signer], "--password-file", e.pwFile)
	}
	full = append(full, args[1:]...)
	var out, errb bytes.Buffer
	code := run(full, &out, &errb)
	return code, out.String(), errb.String()
}

func (e *wlEnv) mustRun(signer string, args ...string) map[string]any {
	e.t.Helper()
	code, out, errs := e.run(signer, args...)
	if code != 0 {
		e.t.Fatalf("policyctl %v: exit %d: %s", args, code, errs)
	}
	var v map[string]any
	json.Unmarshal([]byte(out), &v)
	return v
}

func cliAddr(i int) string {
	a, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160([]byte(fmt.Sprint("cli", i))), &chaincfg.RegressionNetParams)
	return a.EncodeAddress()
}

func TestWhitelistCLIFlow(t *testing.T) {
	e := newWLEnv(t)
	bridge := cliAddr(1)
	p := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", bridge, "--label", "bridge", "--chain-id", "200810", "--wallet-id", "w-cli")
	id, _ := p["id"].(string)
	if len(id) != 66 || p["status"] != "pending" {
		t.Fatalf("propose: %v", p)
	}
	e.mustRun("admin1", "approve", "--id", id, "--yes")
	if got := e.mustRun("admin2", "approve", "--id", id, "--yes"); got["status"] != "executed" {
		t.Fatalf("second approval: %v", got)
	}
	code, out, _ := e.run("", "list")
	if code != 0 || !strings.Contains(out, bridge) || !strings.Contains(out, `"active": true`) {
		t.Fatalf("list: %d %s", code, out)
	}
	// allowance to the bridge, then a rejected proposal
	a := e.mustRun("project", "propose", "--action", "allowance", "--plan", "plan-9", "--amount-sat", "150000", "--address", bridge)
	aid := a["id"].(string)
	e.mustRun("admin1", "approve", "--id", aid, "--yes")
	e.mustRun("admin3", "approve", "--id", aid, "--yes")
	code, out, _ = e.run("", "allowances")
	if code != 0 || !strings.Contains(out, "plan-9") {
		t.Fatalf("allowances: %s", out)
	}
	r := e.mustRun("project", "propose", "--action", "remove", "--kind", policy.KindBridgeHotWallet, "--address", bridge)
	if got := e.mustRun("admin3", "reject", "--id", r["id"].(string), "--reason", "keep it"); got["status"] != "rejected" {
		t.Fatalf("reject: %v", got)
	}
	code, out, _ = e.run("", "proposals", "--status", "rejected")
	if code != 0 || !strings.Contains(out, r["id"].(string)) {
		t.Fatalf("proposals: %s", out)
	}
	// freeze by one admin, unfreeze by quorum
	if got := e.mustRun("admin2", "freeze", "--reason", "drill"); got["frozen"] != true {
		t.Fatalf("freeze: %v", got)
	}
	u := e.mustRun("admin1", "unfreeze")
	e.mustRun("admin1", "approve", "--id", u["id"].(string), "--yes")
	e.mustRun("admin2", "approve", "--id", u["id"].(string), "--yes")
	if got := e.mustRun("", "freeze-state"); got["frozen"] != false || got["epoch"].(float64) != 1 {
		t.Fatalf("after unfreeze: %v", got)
	}
}

func TestWhitelistCLIRefusals(t *testing.T) {
	e := newWLEnv(t)
	p := e.mustRun("project", "propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", cliAddr(2))
	id := p["id"].(string)
	badPW := filepath.Join(e.dir, "badpw")
	os.WriteFile(badPW, []byte("wrong"), 0o600)
	for _, tc := range []struct {
		name   string
		signer string
		args   []string
		code   int
		stderr string
	}{
		{"outsider approves", "outsider", []string{"approve", "--id", id, "--yes"}, 1, "not_authorized"},
		{"project admin approves", "project", []string{"approve", "--id", id, "--yes"}, 1, "not_authorized"},
		{"chain id pin mismatch", "admin1", []string{"approve", "--id", id, "--chain-id", "200901"}, 1, "not signing"},
		{"wallet id pin mismatch", "admin1", []string{"approve", "--id", id, "--wallet-id", "other"}, 1, "not signing"},
		{"wrong password", "admin1", []string{"approve", "--id", id, "--password-file", badPW}, 1, "decrypt keystore"},
		{"no keystore", "", []string{"approve", "--id", id}, 2, "--keystore"}, // a usage error (internal/cli: 2),
		{"missing id", "admin1", []string{"approve"}, 2, "--id is required"},
		{"bad action", "project", []string{"propose", "--action", "drop"}, 2, "--action"},
		{"invalid address", "project", []string{"propose", "--action", "add", "--kind", policy.KindBridgeHotWallet, "--address", "bc1qwrongnet"}, 1, "invalid_request"},
		{"read without token", "", []string{"list", "--token", ""}, 1, "unauthenticated"},
		{"unknown subcommand", "", []string{"explode"}, 2, "unknown subcommand"},
		{"plain http server", "", []string{"list", "--server", "http://127.0.0.1:1"}, 2, "https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := e.run(tc.signer, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d stderr %q; want %d containing %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	got, err := e.gov.Proposal(t0ctx(), id)
	if err != nil || len(got.Approvals) != 0 || got.Status != governance.StatusPending {
		t.Fatalf("refused commands changed the proposal: %+v %v", got, err)
	}
}

func t0ctx() context.Context { return context.Background() }
