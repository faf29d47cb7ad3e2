package console_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/console"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// env is policyd's real API (api.New over real governance and a real audit
// log in a temp bbolt file) with the console mounted next to it on one TLS
// listener, plus a test wallet endpoint the injected EIP-1193 provider uses.
type env struct {
	t        *testing.T
	db       *storage.DB
	gov      *governance.Governance
	log      *audit.Log
	vkey     string
	srv      *httptest.Server
	offset   atomic.Int64 // governance clock offset (ns)
	auditor  string       // bearer token
	reader   string
	domain   governance.Domain
	wallet   *testWallet
	timelock time.Duration
}

const (
	testTimelock = 10 * time.Second // long enough to observe "timelocked" on a loaded machine
	decisionID   = "7f3a9c0d2e11-0000000000000001"
)

// Test keys (never used anywhere but these tests).
var testKeys = map[string]string{
	"bitlayer1": "8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a",
	"bitlayer2": "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
	"bitlayer3": "0b4e1a5f1c9e3b0d9a4c86e07c2f5cf4b7bb9b2f3a6e7c4d5e8f9a0b1c2d3e4f",
	"project":   "a3c1d1f2e0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3",
	"outsider":  "c0ffee254729296a45a3885639ac7e10f9d54979c0ffee254729296a45a38856",
}

func key(t *testing.T, name string) *ecdsa.PrivateKey {
	k, err := crypto.HexToECDSA(testKeys[name])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addr(t *testing.T, name string) common.Address {
	return crypto.PubkeyToAddress(key(t, name).PublicKey)
}

func newEnv(t *testing.T, routes ...func(*env, *http.ServeMux)) *env {
	t.Helper()
	e := &env{t: t, auditor: "auditor-token-for-tests", reader: "reader-token-for-tests", timelock: testTimelock,
		domain: governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "console-test-wallet"}}
	db, err := storage.Open(filepath.Join(t.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	// A verifier key whose base64 part contains '+' (most do): the page must
	// not take the separator for part of the key.
	var skey, vkey string
	for strings.Count(vkey, "+") < 3 {
		if skey, vkey, err = audit.GenerateKey(audit.DefaultKeyName); err != nil {
			t.Fatal(err)
		}
	}
	e.vkey = vkey
	if e.log, err = audit.New(audit.Config{DB: db, SignerKey: skey}); err != nil {
		t.Fatal(err)
	}
	e.gov, err = governance.New(governance.Config{
		DB: db, Audit: e.log, Net: &chaincfg.RegressionNetParams, Domain: e.domain,
		BitlayerAdmins: []common.Address{addr(t, "bitlayer1"), addr(t, "bitlayer2"), addr(t, "bitlayer3")},
		ProjectAdmins:  []common.Address{addr(t, "project")},
		Quorum:         2, Timelock: testTimelock,
		Now: func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.gov.Bootstrap(context.Background(), []governance.EntryInput{
		{Kind: "bridge_hot_wallet", Address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", Label: "bridge hot wallet"}}); err != nil {
		t.Fatal(err)
	}
	e.addDecision(t)
	h, err := api.New(api.Config{
		Governance: e.gov, Audit: auditService{e.log}, Sign: signStub{}, L2: l2Stub{},
		Tokens: []api.Token{{Name: "auditor", SHA256: api.HashToken(e.auditor), Role: api.RoleAuditor},
			{Name: "reader", SHA256: api.HashToken(e.reader), Role: api.RoleReader}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.wallet = &testWallet{t: t, current: "project", chainID: e.domain.ChainID}
	// The tiny mux the lead's route table replaces: console assets (public)
	// next to the API, on one TLS listener.
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, console.Handler(console.Config{}))
	mux.Handle("/__test/wallet", e.wallet)
	mux.Handle("/", h)
	for _, r := range routes {
		r(e, mux)
	}
	e.srv = httptest.NewTLSServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// addDecision stores one denied decision the way package decision records
// it (an audit "decision" record), for the Decisions page.
func (e *env) addDecision(t *testing.T) {
	err := e.db.Update(func(tx *bolt.Tx) error {
		_, err := e.log.Append(tx, "decision", time.Now(), json.RawMessage(decisionRecord))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

const decisionRecord = `{"v":1,"id":"` + decisionID + `","state":"denied","time":"2026-12-01T10:00:00Z",` +
	`"txid":"7f3a9c0d2e11aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55","outcome":"deny",` +
	`"reasons":[{"code":"output_not_whitelisted","detail":"output 1 pays bcrt1qscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxsge3dxc, not on the whitelist"},` +
	`{"code":"opreturn_missing","detail":"no OP_RETURN with StReqIds"}],` +
	`"decision":{"outcome":"deny","bridge_sat":0,"staking_sat":0,"outflow_sat":150000},"whitelist_version":1}`

type signStub struct{}

func (signStub) SubmitRequest(context.Context, decision.Request) (*decision.View, error) {
	return nil, errs.New(errs.KindUnavailable, "unavailable", "not in this test", nil)
}

func (signStub) Decision(_ context.Context, id string) (*decision.View, error) {
	if id != decisionID {
		return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
	}
	return &decision.View{ID: id, Outcome: "deny", Reasons: []string{"output_not_whitelisted", "opreturn_missing"}, Record: json.RawMessage(decisionRecord)}, nil
}

func (signStub) Cancel(context.Context, string) (*decision.View, error) {
	return nil, errs.New(errs.KindUnavailable, "unavailable", "not in this test", nil)
}

type l2Stub struct{}

func (l2Stub) StatusView(context.Context) (*l2.StatusView, error) {
	return &l2.StatusView{Fresh: true, Status: l2.Status{Head: 1204, IndexedHeight: 1198,
		Contract: common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"), LastPollOK: time.Now().UTC()}}, nil
}

func (l2Stub) RequestView(_ context.Context, id string) (*l2.Request, error) {
	if id != "100" {
		return nil, errs.New(errs.KindNotFound, "request_not_found", "no finalized event with this reqId", nil)
	}
	return &l2.Request{ReqID: big.NewInt(100), Kind: l2.KindUnbound, AmountSat: 150000, State: l2.StateFinalized, BlockNumber: 1190}, nil
}

type auditService struct{ l *audit.Log }

func (a auditService) ExportRange(ctx context.Context, w io.Writer, q audit.ExportRequest) error {
	return a.l.ExportRange(ctx, w, q)
}
func (a auditService) Checkpoint(ctx context.Context) ([]byte, error) { return a.l.Checkpoint(ctx) }
func (a auditService) Inclusion(ctx context.Context, i uint64) (json.RawMessage, error) {
	return a.l.Inclusion(ctx, i)
}

// testWallet is the Go side of the injected EIP-1193 provider: it holds the
// test keys, signs eth_signTypedData_v4 with go-ethereum's
// apitypes.TypedDataAndHash (the same code governance verifies with), and can
// tamper with what it is asked to sign.
type testWallet struct {
	t       *testing.T
	mu      sync.Mutex
	current string
	tamper  bool
	chainID int64
	signed  []signedTD
}

type signedTD struct {
	JSON   string // what the page asked to sign
	Digest common.Hash
	Signer common.Address
	Sig    string
}

func (w *testWallet) use(name string, tamper bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.current, w.tamper = name, tamper
}

func (w *testWallet) setChain(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chainID = id
}

func (w *testWallet) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.signed)
}

func (w *testWallet) last() signedTD {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.signed) == 0 {
		return signedTD{}
	}
	return w.signed[len(w.signed)-1]
}

func (w *testWallet) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	reply := func(result any, err error) {
		rw.Header().Set("Content-Type", "application/json")
		if err != nil {
			json.NewEncoder(rw).Encode(map[string]any{"error": map[string]any{"code": -32000, "message": err.Error()}})
			return
		}
		json.NewEncoder(rw).Encode(map[string]any{"result": result})
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		reply(nil, err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	k, _ := crypto.HexToECDSA(testKeys[w.current])
	me := crypto.PubkeyToAddress(k.PublicKey)
	switch req.Method {
	case "eth_requestAccounts", "eth_accounts":
		reply([]string{me.Hex()}, nil)
	case "eth_chainId":
		reply(hexutil.EncodeUint64(uint64(w.chainID)), nil)
	case "eth_signTypedData_v4":
		var who, raw string
		if len(req.Params) != 2 || json.Unmarshal(req.Params[0], &who) != nil || json.Unmarshal(req.Params[1], &raw) != nil {
			reply(nil, errors.New("params must be [address, typedDataJSON]"))
			return
		}
		if !common.IsHexAddress(who) || common.HexToAddress(who) != me {
			reply(nil, errors.New("unknown account "+who))
			return
		}
		var td apitypes.TypedData
		if err := json.Unmarshal([]byte(raw), &td); err != nil {
			reply(nil, err)
			return
		}
		if w.tamper {
			// "page shows X, wallet asked to sign Y": whatever sits between the
			// page and the wallet changed the destination.
			if _, ok := td.Message["address"]; ok {
				td.Message["address"] = "bcrt1qscwjzznqkey9qgufnwugzwxm4wz3w3n44axnrla7fey9w20p9yxsge3dxc"
			} else {
				td.Message["expiry"] = "4102444800"
			}
		}
		digest, _, err := apitypes.TypedDataAndHash(td)
		if err != nil {
			reply(nil, err)
			return
		}
		sig, err := crypto.Sign(digest, k)
		if err != nil {
			reply(nil, err)
			return
		}
		sig[64] += 27
		w.signed = append(w.signed, signedTD{JSON: raw, Digest: common.BytesToHash(digest), Signer: me, Sig: hexutil.Encode(sig)})
		reply(hexutil.Encode(sig), nil)
	default:
		reply(nil, errors.New("unsupported method "+req.Method))
	}
}

// providerJS is injected into the page by the test: a minimal EIP-1193
// provider that forwards to the test wallet endpoint.
const providerJS = `
window.ethereum = {
  isPolicydTestWallet: true,
  request: async ({ method, params }) => {
    const r = await fetch('/__test/wallet', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method, params: params || [] }) });
    const j = await r.json();
    if (j.error) { const e = new Error(j.error.message); e.code = j.error.code; throw e; }
    return j.result;
  },
};
return true;`
