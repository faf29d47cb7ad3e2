package api

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/console"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// --- in-test stubs for other engineers' services (routing tests only) ---

type stubSign struct {
	calls   atomic.Int32
	outcome string
	err     error
	mu      sync.Mutex
	last    decision.Request
	record  json.RawMessage // the views' record, if set
}

func (s *stubSign) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.last = req
	s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	v := &decision.View{ID: fmt.Sprintf("dec-%x", req.PSBT), Outcome: s.outcome, DryRun: req.DryRun, Record: s.record}
	if s.outcome == "deny" {
		v.Reasons = []string{"output_not_whitelisted", "streqids_missing"}
	}
	return v, nil
}
func (s *stubSign) Decision(ctx context.Context, id string) (*decision.View, error) {
	s.calls.Add(1)
	if id == "missing" {
		return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
	}
	return &decision.View{ID: id, Outcome: "allow"}, nil
}
func (s *stubSign) Cancel(ctx context.Context, id string) (*decision.View, error) {
	s.calls.Add(1)
	return &decision.View{ID: id, Outcome: "allow"}, nil
}

type stubAudit struct {
	calls atomic.Int32
	mu    sync.Mutex
	last  audit.ExportRequest
}

type stubL2 struct{ calls atomic.Int32 }

type stubReady struct{ ready atomic.Bool }

func (r *stubReady) Readiness(ctx context.Context) (bool, any) {
	return r.ready.Load(), map[string]any{"ready": r.ready.Load(), "checks": []any{}}
}

// stubBackup writes a fixed "database"; fail cuts the copy midway.
type stubBackup struct {
	calls atomic.Int32
	fail  atomic.Bool
}

var backupBody = bytes.Repeat([]byte("bolt page "), 10000)

func (b *stubBackup) Backup(w io.Writer) (int64, error) {
	b.calls.Add(1)
	if b.fail.Load() {
		n, _ := w.Write(backupBody[:1000])
		return int64(n), errors.New("disk error")
	}
	n, err := w.Write(backupBody)
	return int64(n), err
}

func (l *stubL2) StatusView(ctx context.Context) (*l2.StatusView, error) {
	l.calls.Add(1)
	return &l2.StatusView{Status: l2.Status{IndexedHeight: 42}, Fresh: true}, nil
}

func (l *stubL2) RequestView(ctx context.Context, id string) (*l2.Request, error) {
	l.calls.Add(1)
	if id == reqID77 { // the ledger's own record type, as cmd/policyd serves it
		v, _ := new(big.Int).SetString(id, 10)
		return &l2.Request{ReqID: v, Kind: l2.KindUnbound, State: l2.StateFinalized}, nil
	}
	if id != "7" {
		return nil, errs.New(errs.KindNotFound, "request_not_found", "no such request", nil)
	}
	return &l2.Request{ReqID: big.NewInt(7), State: l2.StateApproved}, nil
}

func (a *stubAudit) ExportRange(ctx context.Context, w io.Writer, q audit.ExportRequest) error {
	a.calls.Add(1)
	a.mu.Lock()
	a.last = q
	a.mu.Unlock()
	for i := q.From; i < q.To; i++ {
		fmt.Fprintf(w, "{\"index\":%d}\n", i)
	}
	return nil
}
func (a *stubAudit) Checkpoint(ctx context.Context) ([]byte, error) {
	a.calls.Add(1)
	return []byte("policyd\n3\nabc=\n"), nil
}
func (a *stubAudit) Inclusion(ctx context.Context, index uint64) (json.RawMessage, error) {
	a.calls.Add(1)
	return json.RawMessage(fmt.Sprintf(`{"index":%d}`, index)), nil
}

type stubMPC struct {
	calls atomic.Int32
	mu    sync.Mutex
	paths []string
}

func (m *stubMPC) serve(w http.ResponseWriter, r *http.Request) error {
	m.calls.Add(1)
	path := strings.TrimPrefix(r.URL.Path, "/v1/mpc")
	m.mu.Lock()
	m.paths = append(m.paths, r.Method+" "+path)
	m.mu.Unlock()
	io.WriteString(w, "mpc:"+path)
	return nil
}

func (m *stubMPC) HandleSign(w http.ResponseWriter, r *http.Request) error { return m.serve(w, r) }
func (m *stubMPC) HandleSignStatus(w http.ResponseWriter, r *http.Request) error {
	return m.serve(w, r)
}
func (m *stubMPC) HandleKeygen(w http.ResponseWriter, r *http.Request) error { return m.serve(w, r) }
func (m *stubMPC) HandleKeygenStatus(w http.ResponseWriter, r *http.Request) error {
	return m.serve(w, r)
}
func (m *stubMPC) HandleReshare(w http.ResponseWriter, r *http.Request) error { return m.serve(w, r) }
func (m *stubMPC) HandleReshareStatus(w http.ResponseWriter, r *http.Request) error {
	return m.serve(w, r)
}
func (m *stubMPC) HandlePostMessage(w http.ResponseWriter, r *http.Request) error {
	return m.serve(w, r)
}
func (m *stubMPC) HandleFetchMessages(w http.ResponseWriter, r *http.Request) error {
	return m.serve(w, r)
}
func (m *stubMPC) HandleAbort(w http.ResponseWriter, r *http.Request) error { return m.serve(w, r) }

// appender writes audit events into a bucket of the caller's transaction.
type appender struct{}

var auditBucket = []byte("test_api_audit")

func (appender) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	b, err := tx.CreateBucketIfNotExists(auditBucket)
	if err != nil {
		return 0, err
	}
	seq, _ := b.NextSequence()
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return seq, b.Put(k[:], []byte(body.Kind()))
}

func auditKinds(t *testing.T, db *storage.DB) []string {
	var out []string
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(auditBucket); b != nil {
			b.ForEach(func(_, v []byte) error { out = append(out, string(v)); return nil })
		}
		return nil
	})
	return out
}

// --- the environment: real bbolt file, real governance, real TLS ---

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	console  http.Handler
	revoke   RevokeFunc
	t        *testing.T
	dbPath   string
	db       *storage.DB
	gov      *governance.Governance
	gcfg     governance.Config
	srv      *httptest.Server
	clock    *clock
	sign     *stubSign
	audit    *stubAudit
	mpc      *stubMPC
	l2       *stubL2
	ready    *stubReady
	backup   *stubBackup
	admins   []*ecdsa.PrivateKey
	project  *ecdsa.PrivateKey
	outsider *ecdsa.PrivateKey
	ca       *tlsutil.CA
	custody  tls.Certificate
	clients  map[string]*http.Client // anon, custody, unpinned
	tokens   map[string]string       // reader, auditor -> secret
	reg      *prometheus.Registry
	nonce    int
	// writes counts the write calls on the server's TCP connections, under
	// the answer batching every test server runs with (as policyd does).
	writes atomic.Int64
}

var domain = governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "wallet-api-test"}

func newEnv(t *testing.T, nAdmins, quorum int) *env {
	t.Helper()
	e := &env{t: t, dbPath: filepath.Join(t.TempDir(), "policyd.db"), clock: &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)},
		sign: &stubSign{outcome: "allow"}, audit: &stubAudit{}, mpc: &stubMPC{}, l2: &stubL2{}, ready: &stubReady{}, backup: &stubBackup{},
		tokens: map[string]string{"reader": "reader-secret-token", "auditor": "auditor-secret-token", "operator": "operator-secret-token"}}
	var addrs []common.Address
	for i := 0; i < nAdmins; i++ {
		k, _ := crypto.GenerateKey()
		e.admins = append(e.admins, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	e.project, _ = crypto.GenerateKey()
	e.outsider, _ = crypto.GenerateKey()
	e.gcfg = governance.Config{Audit: appender{}, Net: &chaincfg.RegressionNetParams, Domain: domain,
		BitlayerAdmins: addrs, ProjectAdmins: []common.Address{crypto.PubkeyToAddress(e.project.PublicKey)},
		Quorum: quorum, Now: e.clock.Now}
	var err error
	if e.ca, err = tlsutil.NewCA("test CA"); err != nil {
		t.Fatal(err)
	}
	custody, _ := e.ca.Issue("custody", false)
	unpinned, _ := e.ca.Issue("someone-else", false)
	e.start(custody)
	mk := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: e.ca.Pool(), Certificates: certs, MinVersion: tls.VersionTLS13}, MaxIdleConnsPerHost: 128}}
	}
	e.clients = map[string]*http.Client{"anon": mk(), "custody": mk(custody), "unpinned": mk(unpinned)}
	return e
}

func (e *env) start(custody tls.Certificate) {
	e.t.Helper()
	if custody.Certificate != nil {
		e.custody = custody
	}
	db, err := storage.Open(e.dbPath, storage.Options{NoSync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.gcfg.DB = db
	if e.gov, err = governance.New(e.gcfg); err != nil {
		e.t.Fatal(err)
	}
	e.reg = prometheus.NewRegistry()
	h, err := New(Config{Governance: e.gov, Sign: e.sign, Revoke: e.revoke, Console: e.console, Audit: e.audit, MPC: e.mpc, L2: e.l2, Ready: e.ready, Backup: e.backup,
		CustodyFingerprints: []string{tlsutil.Fingerprint(e.custody.Certificate[0])},
		Tokens: []Token{{Name: "r", SHA256: HashToken(e.tokens["reader"]), Role: RoleReader},
			{Name: "a", SHA256: HashToken(e.tokens["auditor"]), Role: RoleAuditor},
			{Name: "o", SHA256: HashToken(e.tokens["operator"]), Role: RoleOperator}},
		Registry: e.reg, MaxBodyBytes: 64 << 10})
	if err != nil {
		e.t.Fatal(err)
	}
	serverCert, err := e.ca.Issue("policyd", true, "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(h)
	e.srv.Listener = BatchListener(countingListener{e.srv.Listener, &e.writes})
	e.srv.Config.ConnContext = BatchConnContext
	e.srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs: e.ca.Pool(), MinVersion: tls.VersionTLS13}
	e.srv.StartTLS()
	e.t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

// restart closes the server and the bbolt file and opens both again.
func (e *env) restart() {
	e.stop()
	e.start(tls.Certificate{})
}

// do sends a request as identity (anon, custody, unpinned, reader, auditor,
// badtoken) and returns status and body.
func (e *env) do(identity, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	client := e.clients["anon"]
	if c, ok := e.clients[identity]; ok {
		client = c
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch identity {
	case "reader", "auditor", "operator":
		req.Header.Set("Authorization", "Bearer "+e.tokens[identity])
	case "badtoken":
		req.Header.Set("Authorization", "Bearer nope")
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func errCode(b []byte) string {
	var eb ErrorBody
	json.Unmarshal(b, &eb)
	return eb.Error.Code
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func addr(i int) string {
	a, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160([]byte(fmt.Sprint("api", i))), &chaincfg.RegressionNetParams)
	return a.EncodeAddress()
}

func (e *env) proposalBody(k *ecdsa.PrivateKey, d governance.Domain, c governance.ProposalContent) []byte {
	sig, err := governance.SignTypedData(governance.ProposalTypedData(d, c), k)
	if err != nil {
		e.t.Fatal(err)
	}
	return mustJSON(governance.SignedProposal{Proposal: c, Signature: sig})
}

func (e *env) content(action, kind, address string) governance.ProposalContent {
	e.nonce++
	return governance.ProposalContent{Action: action, EntryKind: kind, Address: address,
		Nonce: fmt.Sprint("nonce-", e.nonce), Expiry: e.clock.Now().Add(48 * time.Hour).Unix()}
}

func (e *env) approvalBody(k *ecdsa.PrivateKey, d governance.Domain, id string, expiry int64) []byte {
	sig, err := governance.SignTypedData(governance.ApprovalTypedData(d, id, expiry), k)
	if err != nil {
		e.t.Fatal(err)
	}
	return mustJSON(governance.Approval{Expiry: expiry, Signature: sig})
}

func (e *env) propose(c governance.ProposalContent) governance.Proposal {
	e.t.Helper()
	st, b := e.do("anon", "POST", "/v1/whitelist/proposals", e.proposalBody(e.project, domain, c))
	if st != http.StatusCreated {
		e.t.Fatalf("propose: %d %s", st, b)
	}
	var p governance.Proposal
	json.Unmarshal(b, &p)
	return p
}

func (e *env) whitelist() governance.WhitelistView {
	e.t.Helper()
	st, b := e.do("reader", "GET", "/v1/whitelist", nil)
	if st != 200 {
		e.t.Fatalf("whitelist: %d %s", st, b)
	}
	var v governance.WhitelistView
	json.Unmarshal(b, &v)
	return v
}

func (e *env) proposal(id string) governance.Proposal {
	e.t.Helper()
	st, b := e.do("reader", "GET", "/v1/whitelist/proposals/"+id, nil)
	if st != 200 {
		e.t.Fatalf("proposal: %d %s", st, b)
	}
	var p governance.Proposal
	json.Unmarshal(b, &p)
	return p
}

// --- tests ---

func TestEveryRouteHasARoleAndIsRouted(t *testing.T) {
	s, err := newServer(Config{Governance: &governance.Governance{}})
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]bool{}
	for _, rt := range s.routes() {
		if len(rt.roles) == 0 {
			t.Errorf("route %s %s has no role", rt.method, rt.pattern)
		}
		for _, r := range rt.roles {
			switch r {
			case RolePublic, RoleCustody, RoleAdmin, RoleAuditor, RoleReader, RoleOperator:
			default:
				t.Errorf("route %s %s: unknown role %q", rt.method, rt.pattern, r)
			}
		}
		table[rt.method+" "+rt.pattern] = true
	}
	walked := map[string]bool{}
	err = chi.Walk(s.router().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		walked[method+" "+route] = true
		if !table[method+" "+route] {
			t.Errorf("chi serves %s %s, which has no row (and so no role) in routes()", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range table {
		if !walked[k] {
			t.Errorf("routes() row %s is not routed", k)
		}
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, err := newServer(Config{Governance: &governance.Governance{}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	roles := map[string][]string{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			key := strings.ToUpper(m) + " " + strings.Replace(p, "{path}", "*", 1)
			documented[key] = true
			var op struct {
				Roles []string `json:"x-roles"`
			}
			json.Unmarshal(raw, &op)
			roles[key] = op.Roles
		}
	}
	routed := map[string]bool{}
	chi.Walk(s.router().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routed[method+" "+route] = true
		if !documented[method+" "+route] {
			t.Errorf("%s %s is routed but not in openapi.json", method, route)
		}
		return nil
	})
	for k := range documented {
		if !routed[k] {
			t.Errorf("openapi.json documents %s, which is not routed", k)
		}
	}
	for _, rt := range s.routes() {
		var want []string
		for _, r := range rt.roles {
			want = append(want, string(r))
		}
		got := roles[rt.method+" "+rt.pattern]
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s %s: openapi x-roles %v, routes() %v", rt.method, rt.pattern, got, want)
		}
	}
}

func TestEveryRouteRefusesWrongRoles(t *testing.T) {
	e := newEnv(t, 3, 2)
	s, _ := newServer(Config{Governance: &governance.Governance{}})
	identities := map[string]Role{"custody": RoleCustody, "reader": RoleReader, "auditor": RoleAuditor, "operator": RoleOperator, "anon": "", "unpinned": "", "badtoken": ""}
	for _, rt := range s.routes() {
		open := false
		for _, r := range rt.roles {
			if r == RolePublic || r == RoleAdmin {
				open = true
			}
		}
		if open {
			continue // admin routes: TestAdminRoutesNeedAdminSignature
		}
		path := strings.NewReplacer("{id}", "x1", "{index}", "1", "{sid}", "s1", "{decision}", "x1").Replace(rt.pattern)
		for id, role := range identities {
			allowed := false
			for _, r := range rt.roles {
				if r == role {
					allowed = true
				}
			}
			if allowed {
				continue
			}
			t.Run(rt.method+" "+rt.pattern+" as "+id, func(t *testing.T) {
				before := e.sign.calls.Load() + e.audit.calls.Load() + e.mpc.calls.Load() + e.l2.calls.Load() + e.backup.calls.Load()
				st, b := e.do(id, rt.method, path, []byte(`{"psbt":"cHNidP8="}`))
				want := http.StatusForbidden
				if role == "" {
					want = http.StatusUnauthorized
				}
				if st != want || (errCode(b) != "wrong_role" && errCode(b) != "unauthenticated" && errCode(b) != "bad_token") {
					t.Fatalf("status %d body %s, want %d", st, b, want)
				}
				if e.sign.calls.Load()+e.audit.calls.Load()+e.mpc.calls.Load()+e.l2.calls.Load()+e.backup.calls.Load() != before {
					t.Fatal("a service ran for a refused caller")
				}
			})
		}
	}
	// and the allowed roles do get through (sanity of the table above)
	if st, _ := e.do("custody", "GET", "/v1/decisions/x1", nil); st != 200 {
		t.Fatalf("custody decision: %d", st)
	}
	if st, _ := e.do("auditor", "GET", "/v1/decisions/x1", nil); st != 200 {
		t.Fatalf("auditor decision: %d", st)
	}
}

func TestAdminRoutesNeedAdminSignature(t *testing.T) {
	e := newEnv(t, 3, 2)
	p := e.propose(e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(1)))
	exp := e.clock.Now().Add(time.Hour).Unix()
	rejSig, _ := governance.SignTypedData(governance.RejectionTypedData(domain, p.ID, "no", exp), e.outsider)
	frzSig, _ := governance.SignTypedData(governance.FreezeTypedData(domain, "x", 0, "n1", exp), e.outsider)
	for _, tc := range []struct {
		name, path string
		body       []byte
	}{
		{"propose", "/v1/whitelist/proposals", e.proposalBody(e.outsider, domain, e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(2)))},
		{"approve", "/v1/whitelist/proposals/" + p.ID + "/approve", e.approvalBody(e.outsider, domain, p.ID, exp)},
		{"approve by project admin", "/v1/whitelist/proposals/" + p.ID + "/approve", e.approvalBody(e.project, domain, p.ID, exp)},
		{"reject", "/v1/whitelist/proposals/" + p.ID + "/reject", mustJSON(governance.Rejection{Reason: "no", Expiry: exp, Signature: rejSig})},
		{"freeze", "/v1/freeze", mustJSON(governance.FreezeRequest{Reason: "x", Nonce: "n1", Expiry: exp, Signature: frzSig})},
	} {
		for _, id := range []string{"anon", "custody", "reader", "auditor"} {
			t.Run(tc.name+" as "+id, func(t *testing.T) {
				st, b := e.do(id, "POST", tc.path, tc.body)
				if st != http.StatusForbidden || errCode(b) != "not_authorized" {
					t.Fatalf("%d %s", st, b)
				}
			})
		}
	}
	if got := e.proposal(p.ID); got.Status != governance.StatusPending || len(got.Approvals) != 0 {
		t.Fatalf("refused admin calls changed the proposal: %+v", got)
	}
	if fs, _ := e.gov.FreezeState(context.Background()); fs.Frozen {
		t.Fatal("frozen by an outsider")
	}
	if len(e.whitelist().Entries) != 0 {
		t.Fatal("whitelist changed")
	}
}

func TestProposeApproveTimelockActive(t *testing.T) {
	e := newEnv(t, 3, 2)
	a := addr(10)
	p := e.propose(e.content(governance.ActionAdd, policy.KindBridgeHotWallet, a))
	exp := e.clock.Now().Add(time.Hour).Unix()
	for i := 0; i < 2; i++ {
		st, b := e.do("anon", "POST", "/v1/whitelist/proposals/"+p.ID+"/approve", e.approvalBody(e.admins[i], domain, p.ID, exp))
		if st != 200 {
			t.Fatalf("approve %d: %d %s", i, st, b)
		}
	}
	w := e.whitelist()
	if len(w.Entries) != 1 || w.Entries[0].Active || w.Version != 0 {
		t.Fatalf("before timelock: %+v", w)
	}
	st, b := e.do("custody", "GET", "/v1/whitelist/proposals?status=executed", nil)
	if st != 200 || !strings.Contains(string(b), p.ID) {
		t.Fatalf("executed proposals: %d %s", st, b)
	}
	e.clock.Advance(governance.DefaultTimelock)
	w = e.whitelist()
	if len(w.Entries) != 1 || !w.Entries[0].Active || w.Entries[0].Address != a || w.Version != 1 {
		t.Fatalf("after timelock: %+v", w)
	}
	kinds := strings.Join(auditKinds(t, e.db), ",")
	if kinds != "whitelist_proposal,whitelist_approval,whitelist_approval,whitelist_activation" {
		t.Fatalf("audit kinds %s", kinds)
	}
	// domain info is public
	st, b = e.do("anon", "GET", "/v1/governance/domain", nil)
	var di DomainInfo
	json.Unmarshal(b, &di)
	if st != 200 || di.Domain != domain || di.Quorum != 2 || di.Admins != 3 || di.TimelockSeconds != 86400 {
		t.Fatalf("domain: %d %s", st, b)
	}
}

func TestRefusedRequestsChangeNothing(t *testing.T) {
	e := newEnv(t, 3, 3)
	p := e.propose(e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(20)))
	exp := e.clock.Now().Add(time.Hour).Unix()
	first := e.approvalBody(e.admins[0], domain, p.ID, exp)
	if st, b := e.do("anon", "POST", "/v1/whitelist/proposals/"+p.ID+"/approve", first); st != 200 {
		t.Fatalf("first approval %d %s", st, b)
	}
	otherChain := domain
	otherChain.ChainID = governance.ChainIDMainnet
	otherName := domain
	otherName.Name = "evil"
	forged := func() []byte {
		var a governance.Approval
		json.Unmarshal(e.approvalBody(e.admins[1], domain, p.ID, exp), &a)
		raw := []byte(a.Signature)
		// flip one hex digit of R
		if raw[10] == 'a' {
			raw[10] = 'b'
		} else {
			raw[10] = 'a'
		}
		a.Signature = string(raw)
		return mustJSON(a)
	}
	approve := "/v1/whitelist/proposals/" + p.ID + "/approve"
	big := append([]byte(`{"expiry":1,"signature":"`), bytes.Repeat([]byte("a"), 70<<10)...)
	big = append(big, `"}`...)
	cases := []struct {
		name   string
		path   string
		body   []byte
		status int
		codes  string
	}{
		{"forged signature", approve, forged(), 0, "not_authorized,bad_signature"},
		{"wrong domain", approve, e.approvalBody(e.admins[1], otherName, p.ID, exp), 403, "not_authorized"},
		{"other chain id", approve, e.approvalBody(e.admins[1], otherChain, p.ID, exp), 403, "not_authorized"},
		{"replayed approval", approve, first, 409, "duplicate_approval"},
		{"expired approval", approve, e.approvalBody(e.admins[1], domain, p.ID, e.clock.Now().Add(-time.Minute).Unix()), 403, "signature_expired"},
		{"non-admin signer", approve, e.approvalBody(e.outsider, domain, p.ID, exp), 403, "not_authorized"},
		{"duplicate approval (fresh signature)", approve, e.approvalBody(e.admins[0], domain, p.ID, exp+1), 409, "duplicate_approval"},
		{"bad JSON", approve, []byte(`{"expiry":`), 400, "bad_json"},
		{"wrong type", approve, []byte(`{"expiry":"soon","signature":"0x"}`), 400, "bad_json"},
		{"unknown field", approve, []byte(`{"expiry":1,"signature":"0x","extra":1}`), 400, "bad_json"},
		{"trailing data", approve, append(e.approvalBody(e.admins[1], domain, p.ID, exp), []byte(`{}`)...), 400, "bad_json"},
		{"empty body", approve, []byte{}, 400, "bad_json"},
		{"oversized body", approve, big, 413, "body_too_large"},
		{"unknown proposal", "/v1/whitelist/proposals/0x" + strings.Repeat("0", 64) + "/approve", e.approvalBody(e.admins[1], domain, "0x"+strings.Repeat("0", 64), exp), 404, "proposal_not_found"},
		{"bad proposal", "/v1/whitelist/proposals", e.proposalBody(e.project, domain, e.content(governance.ActionAdd, policy.KindBridgeHotWallet, "tb1qnot")), 400, "invalid_request"},
		{"proposal from other chain", "/v1/whitelist/proposals", e.proposalBody(e.project, otherChain, e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(21))), 403, "not_authorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			beforeAudit := len(auditKinds(t, e.db))
			st, b := e.do("anon", "POST", tc.path, tc.body)
			if (tc.status != 0 && st != tc.status) || !strings.Contains(","+tc.codes+",", ","+errCode(b)+",") {
				t.Fatalf("status %d body %s; want %d %s", st, b, tc.status, tc.codes)
			}
			got := e.proposal(p.ID)
			if len(got.Approvals) != 1 || got.Status != governance.StatusPending {
				t.Fatal("proposal changed")
			}
			if len(auditKinds(t, e.db)) != beforeAudit || len(e.whitelist().Entries) != 0 {
				t.Fatal("store changed")
			}
			if ps, _ := e.gov.Proposals(context.Background(), ""); len(ps) != 1 {
				t.Fatal("a proposal was added")
			}
		})
	}
}

func TestConcurrentApprovalsOverHTTP(t *testing.T) {
	const n, k = 100, 34
	e := newEnv(t, n, k)
	p := e.propose(e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(30)))
	exp := e.clock.Now().Add(time.Hour).Unix()
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = e.approvalBody(e.admins[i], domain, p.ID, exp)
	}
	var ok, conflict, other atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/whitelist/proposals/"+p.ID+"/approve", bytes.NewReader(bodies[i]))
			resp, err := e.clients["anon"].Do(req)
			if err != nil {
				other.Add(1)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 200:
				ok.Add(1)
			case resp.StatusCode == 409 && errCode(b) == "proposal_not_pending":
				conflict.Add(1)
			default:
				other.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != k || conflict.Load() != n-k || other.Load() != 0 {
		t.Fatalf("ok=%d conflict=%d other=%d", ok.Load(), conflict.Load(), other.Load())
	}
	acts := 0
	for _, kd := range auditKinds(t, e.db) {
		if kd == "whitelist_activation" {
			acts++
		}
	}
	if acts != 1 {
		t.Fatalf("%d activations", acts)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	e := newEnv(t, 2, 2)
	p := e.propose(e.content(governance.ActionAdd, policy.KindBridgeHotWallet, addr(40)))
	exp := e.clock.Now().Add(time.Hour).Unix()
	e.do("anon", "POST", "/v1/whitelist/proposals/"+p.ID+"/approve", e.approvalBody(e.admins[0], domain, p.ID, exp))
	frzSig, _ := governance.SignTypedData(governance.FreezeTypedData(domain, "drill", 0, "f1", exp), e.admins[1])
	if st, b := e.do("anon", "POST", "/v1/freeze", mustJSON(governance.FreezeRequest{Reason: "drill", Nonce: "f1", Expiry: exp, Signature: frzSig})); st != 200 {
		t.Fatalf("freeze %d %s", st, b)
	}
	e.restart()
	if got := e.proposal(p.ID); len(got.Approvals) != 1 || got.Status != governance.StatusPending {
		t.Fatalf("after restart: %+v", got)
	}
	st, b := e.do("reader", "GET", "/v1/freeze", nil)
	if st != 200 || !strings.Contains(string(b), `"frozen": true`) {
		t.Fatalf("freeze after restart: %d %s", st, b)
	}
	if st, b := e.do("anon", "POST", "/v1/whitelist/proposals/"+p.ID+"/approve", e.approvalBody(e.admins[1], domain, p.ID, exp)); st != 200 {
		t.Fatalf("approve after restart: %d %s", st, b)
	}
	e.clock.Advance(25 * time.Hour)
	e.restart()
	if w := e.whitelist(); len(w.Entries) != 1 || !w.Entries[0].Active {
		t.Fatalf("whitelist after restarts: %+v", w)
	}
}

func TestSignRoutes(t *testing.T) {
	e := newEnv(t, 1, 1)
	psbt := mustJSON(SignRequest{PSBT: base64.StdEncoding.EncodeToString([]byte("psbt\xff"))})
	// the sign routes answer compact JSON (api/signjson.go): decoded here
	answer := func(b []byte) (v SignResponse) {
		if err := json.Unmarshal(b, &v); err != nil || v.View == nil {
			t.Fatalf("not a decision: %s %v", b, err)
		}
		return v
	}
	st, b := e.do("custody", "POST", "/v1/sign-requests", psbt)
	if st != 200 || answer(b).Outcome != "allow" {
		t.Fatalf("allow: %d %s", st, b)
	}
	e.sign.outcome = "deny"
	st, b = e.do("custody", "POST", "/v1/sign-requests", psbt)
	if st != 403 || errCode(b) != "policy_denied" || !strings.Contains(string(b), "output_not_whitelisted") {
		t.Fatalf("deny: %d %s", st, b)
	}
	st, b = e.do("reader", "POST", "/v1/sign-requests/dry-run", psbt)
	if v := answer(b); st != 200 || !v.DryRun || v.Outcome != "deny" {
		t.Fatalf("dry-run deny: %d %s", st, b)
	}
	e.sign.outcome = "maybe"
	if st, _ := e.do("custody", "POST", "/v1/sign-requests", psbt); st != 403 {
		t.Fatalf("unknown outcome not refused: %d", st)
	}
	for _, tc := range []struct {
		name   string
		body   string
		err    error
		status int
		code   string
	}{
		{"not base64", `{"psbt":"%%%"}`, nil, 400, "bad_psbt_encoding"},
		{"empty psbt", `{"psbt":""}`, nil, 400, "bad_psbt_encoding"},
		{"unknown field", `{"psbt":"cHNidP8=","fee":1}`, nil, 400, "bad_json"},
		{"unprocessable", string(psbt), errs.New(errs.KindUnprocessable, "psbt_trailing_bytes", "trailing bytes", nil), 422, "psbt_trailing_bytes"},
		{"stale", string(psbt), errs.New(errs.KindUnavailable, "l2_stale", "L2 view is stale", nil), 503, "l2_stale"},
		{"unclassified", string(psbt), errors.New("bolt: secret path /var/lib/policyd/share.age corrupt"), 500, "internal"},
		{"classified internal", string(psbt), errs.New(errs.KindInternal, "db_down", "db down", errors.New("secret detail")), 500, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.sign.err = tc.err
			defer func() { e.sign.err = nil }()
			st, b := e.do("custody", "POST", "/v1/sign-requests", []byte(tc.body))
			if st != tc.status || errCode(b) != tc.code {
				t.Fatalf("%d %s", st, b)
			}
			if strings.Contains(string(b), "secret") {
				t.Fatalf("internal detail leaked: %s", b)
			}
		})
	}
	if st, b := e.do("custody", "GET", "/v1/decisions/missing", nil); st != 404 || errCode(b) != "decision_not_found" {
		t.Fatalf("missing decision: %d %s", st, b)
	}
	if st, _ := e.do("custody", "POST", "/v1/decisions/d1/cancel", nil); st != 200 {
		t.Fatalf("cancel: %d", st)
	}
}

func TestAuditMPCMetricsAndPublic(t *testing.T) {
	e := newEnv(t, 1, 1)
	st, b := e.do("auditor", "GET", "/v1/audit/export?from=2&to=4", nil)
	if st != 200 || string(b) != "{\"index\":2}\n{\"index\":3}\n" {
		t.Fatalf("export: %d %q", st, b)
	}
	// (a missing "to" means "up to the latest checkpoint": TestAuditExportQuery)
	for _, q := range []string{"?from=x&to=3", "?from=5&to=3", "?from=1&since_size=z"} {
		if st, b := e.do("auditor", "GET", "/v1/audit/export"+q, nil); st != 400 || errCode(b) != "bad_query" {
			t.Fatalf("export %s: %d %s", q, st, b)
		}
	}
	if st, b := e.do("auditor", "GET", "/v1/audit/checkpoint", nil); st != 200 || !strings.HasPrefix(string(b), "policyd\n") {
		t.Fatalf("checkpoint: %d %s", st, b)
	}
	if st, b := e.do("auditor", "GET", "/v1/audit/proof/7", nil); st != 200 || !strings.Contains(string(b), `"index": 7`) {
		t.Fatalf("proof: %d %s", st, b)
	}
	if st, b := e.do("auditor", "GET", "/v1/audit/proof/-1", nil); st != 400 {
		t.Fatalf("bad proof index: %d %s", st, b)
	}
	st, b = e.do("custody", "POST", "/v1/mpc/sessions/s1/messages", []byte("x"))
	if st != 200 || string(b) != "mpc:/sessions/s1/messages" {
		t.Fatalf("mpc: %d %s", st, b)
	}
	if st, b := e.do("anon", "GET", "/healthz", nil); st != 200 || !strings.Contains(string(b), "ok") {
		t.Fatalf("healthz %d", st)
	}
	if st, b := e.do("anon", "GET", "/v1/openapi.json", nil); st != 200 || !bytes.Equal(b, OpenAPI()) {
		t.Fatalf("openapi %d", st)
	}
	if st, b := e.do("anon", "GET", "/v1/nothing", nil); st != 404 || errCode(b) != "not_found" {
		t.Fatalf("unknown route %d %s", st, b)
	}
	if st, b := e.do("anon", "PUT", "/healthz", nil); st != 405 || errCode(b) != "method_not_allowed" {
		t.Fatalf("wrong method %d %s", st, b)
	}
	st, b = e.do("reader", "GET", "/metrics", nil)
	if st != 200 || !strings.Contains(string(b), `policyd_http_requests_total{method="GET",route="/v1/audit/export",status="400"} 3`) ||
		!strings.Contains(string(b), `policyd_http_request_duration_seconds_bucket{method="POST",route="/v1/mpc/sessions/{sid}/messages"`) {
		t.Fatalf("metrics: %d %s", st, b)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	g := &governance.Governance{}
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no governance", Config{}},
		{"bad fingerprint", Config{Governance: g, CustodyFingerprints: []string{"abcd"}}},
		{"bad token hash", Config{Governance: g, Tokens: []Token{{Name: "x", SHA256: "zz", Role: RoleReader}}}},
		{"token with custody role", Config{Governance: g, Tokens: []Token{{Name: "x", SHA256: HashToken("t"), Role: RoleCustody}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	for k, want := range map[errs.Kind]int{errs.KindInternal: 500, errs.KindInvalid: 400, errs.KindUnprocessable: 422,
		errs.KindUnauthorized: 401, errs.KindForbidden: 403, errs.KindNotFound: 404, errs.KindConflict: 409,
		errs.KindUnavailable: 503, errs.KindTooLarge: 413, errs.Kind(99): 500} {
		if got := StatusOf(k); got != want {
			t.Errorf("StatusOf(%d) = %d, want %d", k, got, want)
		}
	}
}

func FuzzDecodeAdminBodies(f *testing.F) {
	f.Add([]byte(`{"proposal":{"action":"whitelist_add","entry_kind":"bridge_hot_wallet","address":"bcrt1q","nonce":"n","expiry":1},"signature":"0x00"}`))
	f.Add([]byte(`{"expiry":1,"signature":"0x"}`))
	f.Add([]byte(`{"reason":"r","epoch":0,"nonce":"n","expiry":1,"signature":"0x"}`))
	f.Add([]byte(`{"psbt":"cHNidP8="}`))
	f.Add([]byte(`{"expiry":1}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range []func() any{
			func() any { return &governance.SignedProposal{} }, func() any { return &governance.Approval{} },
			func() any { return &governance.Rejection{} }, func() any { return &governance.FreezeRequest{} },
			func() any { return &SignRequest{} },
		} {
			v := mk()
			r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<12)
			err := decode(r, v)
			if err != nil {
				if _, ok := errs.As(err); !ok {
					t.Fatalf("unclassified decode error %v", err)
				}
				continue
			}
			// an accepted body round-trips to the same value
			again := mk()
			r2 := httptest.NewRequest("POST", "/", bytes.NewReader(mustJSON(v)))
			if err := decode(r2, again); err != nil || string(mustJSON(again)) != string(mustJSON(v)) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}

// A sign request's staking declarations reach the service as sent, the
// decision is rendered at the top level of the body, and a denial keeps it
// next to the policy_denied error.
func TestSignRequestCarriesStakingAndFlatDecision(t *testing.T) {
	e := newEnv(t, 3, 2)
	body := []byte(`{"psbt":"cHNidP8=","staking":[{"output_index":1,"staker_key":"02aa","finality_providers":["03bb"],"staking_time":64000}]}`)
	st, b := e.do("custody", "POST", "/v1/sign-requests", body)
	if st != http.StatusOK {
		t.Fatalf("allow: %d %s", st, b)
	}
	var v struct {
		ID      string `json:"id"`
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Outcome != "allow" || v.ID == "" {
		t.Fatalf("decision not at the top level: %s", b)
	}
	e.sign.mu.Lock()
	got := e.sign.last
	e.sign.mu.Unlock()
	if got.DryRun || len(got.Staking) != 1 || got.Staking[1].StakingTime != 64000 ||
		hex.EncodeToString(got.Staking[1].StakerKey) != "02aa" || len(got.Staking[1].FinalityProviders) != 1 {
		t.Fatalf("staking declaration lost: %+v", got)
	}
	e.sign.outcome = "deny"
	st, b = e.do("custody", "POST", "/v1/sign-requests", []byte(`{"psbt":"cHNidP8="}`))
	var d struct {
		Outcome string   `json:"outcome"`
		Reasons []string `json:"reasons"`
		Error   struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if st != http.StatusForbidden || json.Unmarshal(b, &d) != nil || d.Outcome != "deny" || len(d.Reasons) == 0 || d.Error.Code != "policy_denied" {
		t.Fatalf("deny: %d %s", st, b)
	}
	// unknown fields inside a declaration are refused like any other
	st, b = e.do("custody", "POST", "/v1/sign-requests", []byte(`{"psbt":"cHNidP8=","staking":[{"output_index":1,"evil":true}]}`))
	if st != http.StatusBadRequest {
		t.Fatalf("unknown staking field: %d %s", st, b)
	}
}

// The audit export passes since_size through and treats a missing "to" as
// "up to the latest checkpoint".
func TestAuditExportQuery(t *testing.T) {
	e := newEnv(t, 3, 2)
	st, b := e.do("auditor", "GET", "/v1/audit/export?from=2&since_size=5", nil)
	if st != http.StatusOK {
		t.Fatalf("export: %d %s", st, b)
	}
	e.audit.mu.Lock()
	q := e.audit.last
	e.audit.mu.Unlock()
	if q != (audit.ExportRequest{From: 2, To: 0, Since: 5}) {
		t.Fatalf("query reached the service as %+v", q)
	}
	for _, bad := range []string{"?from=5&to=2", "?since_size=-1", "?to=x"} {
		if st, b := e.do("auditor", "GET", "/v1/audit/export"+bad, nil); st != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", bad, st, b)
		}
	}
}

// The L2 routes render the service's view and map its errors.
func TestL2Routes(t *testing.T) {
	e := newEnv(t, 3, 2)
	var status struct {
		Height uint64 `json:"indexed_height"`
	}
	if st, b := e.do("reader", "GET", "/v1/l2/status", nil); st != http.StatusOK || json.Unmarshal(b, &status) != nil || status.Height != 42 {
		t.Fatalf("status: %d %s", st, b)
	}
	if st, b := e.do("auditor", "GET", "/v1/l2/requests/7", nil); st != http.StatusOK || !strings.Contains(string(b), `"approved"`) {
		t.Fatalf("request: %d %s", st, b)
	}
	if st, b := e.do("custody", "GET", "/v1/l2/requests/8", nil); st != http.StatusNotFound || errCode(b) != "request_not_found" {
		t.Fatalf("missing request: %d %s", st, b)
	}
	// A 77-digit reqId is a JSON string, exact for a float-reading client.
	var loose map[string]any
	if st, b := e.do("reader", "GET", "/v1/l2/requests/"+reqID77, nil); st != http.StatusOK || json.Unmarshal(b, &loose) != nil || loose["req_id"] != reqID77 {
		t.Fatalf("77-digit request: %d %s", st, b)
	}
}

const reqID77 = "49789615487123560892156894751226315458745469802349768162354985612743566889911"

// POST /v1/decisions/{id}/revoke: the signed body is governance's
// RevokeRequest, authenticated by governance; the id in the path must be the
// signed one; with no revoke service the route fails closed.
func TestRevokeRoute(t *testing.T) {
	e := newEnv(t, 3, 2)
	body := func(k *ecdsa.PrivateKey, id, nonce string) []byte {
		exp := e.clock.Now().Add(10 * time.Minute).Unix()
		sig, err := governance.SignTypedData(governance.RevokeTypedData(domain, id, "incident", nonce, exp), k)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(governance.RevokeRequest{DecisionID: id, Reason: "incident", Nonce: nonce, Expiry: exp, Signature: sig})
		return b
	}
	if st, b := e.do("anon", "POST", "/v1/decisions/d1/revoke", body(e.admins[0], "d1", "n0")); st != http.StatusServiceUnavailable || errCode(b) != "unavailable" {
		t.Fatalf("no revoke service: %d %s", st, b)
	}
	var got []string
	e.revoke = func(ctx context.Context, req governance.RevokeRequest) (*decision.View, error) {
		a, err := e.gov.AuthenticateRevoke(ctx, req)
		if err != nil {
			return nil, err
		}
		got = append(got, a.DecisionID+" by "+a.Admin)
		return &decision.View{ID: a.DecisionID, Outcome: "allow"}, nil
	}
	e.restart()
	if st, b := e.do("anon", "POST", "/v1/decisions/d2/revoke", body(e.admins[0], "d1", "n1")); st != http.StatusBadRequest || errCode(b) != "invalid_request" {
		t.Fatalf("path and body differ: %d %s", st, b)
	}
	if st, b := e.do("anon", "POST", "/v1/decisions/d1/revoke", body(e.project, "d1", "n2")); st != http.StatusForbidden || errCode(b) != "not_authorized" {
		t.Fatalf("project admin: %d %s", st, b)
	}
	if st, b := e.do("anon", "POST", "/v1/decisions/d1/revoke", body(e.admins[1], "d1", "n3")); st != http.StatusOK {
		t.Fatalf("admin revoke: %d %s", st, b)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "d1 by ") {
		t.Fatalf("revoke service calls %v", got)
	}
}

// The console is served at /console/ to anyone (its data comes from the
// authenticated routes), with the console's own headers; without one, 404.
func TestConsoleRoute(t *testing.T) {
	e := newEnv(t, 3, 2)
	if st, b := e.do("anon", "GET", "/console/", nil); st != http.StatusNotFound || errCode(b) != "not_found" {
		t.Fatalf("no console: %d %s", st, b)
	}
	e.console = console.Handler(console.Config{})
	e.restart()
	resp, err := e.clients["anon"].Get(e.srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || !bytes.Contains(b, []byte("<html")) {
		t.Fatalf("console: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), b)
	}
}

// GET /readyz is public and answers 503 until the readiness service says
// ready; without a service it is never ready.
func TestReadyz(t *testing.T) {
	e := newEnv(t, 1, 1)
	if st, b := e.do("anon", "GET", "/readyz", nil); st != 503 || !strings.Contains(string(b), `"ready": false`) {
		t.Fatalf("not ready: %d %s", st, b)
	}
	e.ready.ready.Store(true)
	if st, b := e.do("anon", "GET", "/readyz", nil); st != 200 || !strings.Contains(string(b), `"ready": true`) {
		t.Fatalf("ready: %d %s", st, b)
	}
	s, _ := newServer(Config{Governance: &governance.Governance{}})
	rec := httptest.NewRecorder()
	s.router().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Fatalf("no readiness service: %d %s", rec.Code, rec.Body)
	}
}

// GET /v1/backup streams the copy with its SHA-256 and size as trailers,
// to the operator role only; a copy that fails midway is cut without
// trailers.
func TestBackupRoute(t *testing.T) {
	e := newEnv(t, 1, 1)
	get := func(identity string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/backup", nil)
		if identity != "" {
			req.Header.Set("Authorization", "Bearer "+e.tokens[identity])
		}
		resp, err := e.clients["anon"].Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	resp, b, err := get("operator")
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(b, backupBody) {
		t.Fatalf("backup: %v %v %d bytes", err, resp, len(b))
	}
	sum := sha256.Sum256(backupBody)
	if resp.Trailer.Get(BackupSHA256Trailer) != hex.EncodeToString(sum[:]) || resp.Trailer.Get(BackupSizeTrailer) != fmt.Sprint(len(backupBody)) {
		t.Fatalf("trailers %v", resp.Trailer)
	}
	for _, id := range []string{"reader", "auditor"} {
		if resp, _, err := get(id); err != nil || resp.StatusCode != 403 {
			t.Fatalf("%s: %v %v", id, err, resp)
		}
	}
	e.backup.fail.Store(true)
	resp, _, err = get("operator")
	if err == nil && resp.Trailer.Get(BackupSHA256Trailer) != "" {
		t.Fatalf("a failed copy carried a checksum: %v", resp.Trailer)
	}
}
