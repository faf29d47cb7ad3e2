package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// The contract test: every client method against the real api handler
// (route table, roles, decoding, error envelope, status map) over real
// mutual TLS, with real governance on a bbolt file. Only the decision, audit
// and L2 services are scripted, so each answer the API can give a caller is
// produced on purpose and its client-side shape checked.

// signScript decides by the PSBT bytes' first byte after the magic: 'A'
// allow, 'D' deny, 'T' a PSBT refused before any decision (422).
type signScript struct{ last decision.Request }

func (s *signScript) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	s.last = req
	switch {
	case bytes.HasSuffix(req.PSBT, []byte("T")):
		return nil, errs.New(errs.KindUnprocessable, "psbt_trailing_bytes", "the PSBT has 1 byte after its last map", nil)
	case bytes.HasSuffix(req.PSBT, []byte("D")) && req.DryRun: // a dry run stores nothing: no id
		return &decision.View{Outcome: "deny", Reasons: []string{"output_not_whitelisted"}, DryRun: true}, nil
	case bytes.HasSuffix(req.PSBT, []byte("D")):
		return &decision.View{ID: "dec-d", Outcome: "deny", Reasons: []string{"output_not_whitelisted"}}, nil
	}
	return &decision.View{ID: "dec-a", Outcome: "allow", DryRun: req.DryRun, Record: json.RawMessage(`{"state":"allowed"}`)}, nil
}

func (s *signScript) Decision(ctx context.Context, id string) (*decision.View, error) {
	if id != "dec-a" {
		return nil, errs.New(errs.KindNotFound, "decision_not_found", "no such decision", nil)
	}
	return &decision.View{ID: id, Outcome: "allow"}, nil
}

func (s *signScript) Cancel(ctx context.Context, id string) (*decision.View, error) {
	return nil, errs.New(errs.KindConflict, "decision_signing", "signing began", nil)
}

type auditScript struct{}

func (auditScript) ExportRange(ctx context.Context, w io.Writer, q audit.ExportRequest) error {
	_, err := fmt.Fprintf(w, "{\"from\":%d,\"to\":%d,\"since\":%d}\n", q.From, q.To, q.Since)
	return err
}
func (auditScript) Checkpoint(ctx context.Context) ([]byte, error) {
	return []byte("policyd\n3\n"), nil
}
func (auditScript) Inclusion(ctx context.Context, i uint64) (json.RawMessage, error) {
	return json.RawMessage(fmt.Sprintf(`{"index":%d}`, i)), nil
}

type l2Script struct{}

func (l2Script) StatusView(ctx context.Context) (*l2.StatusView, error) {
	return &l2.StatusView{Fresh: true}, nil
}
func (l2Script) RequestView(ctx context.Context, id string) (*l2.Request, error) {
	if id != "101" {
		return nil, errs.New(errs.KindNotFound, "request_not_found", "no finalized event with this reqId", nil)
	}
	return &l2.Request{ReqID: big.NewInt(101), State: l2.StateFinalized}, nil
}

type readyScript struct{ ready bool }

func (r *readyScript) Readiness(ctx context.Context) (bool, any) {
	return r.ready, map[string]any{"ready": r.ready, "checks": []map[string]any{{"name": "key_share", "ok": r.ready}}}
}

type appender struct{}

func (appender) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	b, err := tx.CreateBucketIfNotExists([]byte("test_client_audit"))
	if err != nil {
		return 0, err
	}
	seq, _ := b.NextSequence()
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return seq, b.Put(k[:], []byte(body.Kind()))
}

var domain = governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "wallet-client-test"}

type env struct {
	sign            *signScript
	custody, reader *client.Client
	auditor, anon   *client.Client
	operator        *client.Client
	ready           *readyScript
	db              *storage.DB
	admin, project  *ecdsa.PrivateKey
	now             time.Time
}

func newEnv(t *testing.T, wit ...api.WitnessService) *env {
	t.Helper()
	e := &env{sign: &signScript{}, now: time.Now(), ready: &readyScript{}}
	db, err := storage.Open(filepath.Join(t.TempDir(), "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.admin, _ = crypto.GenerateKey()
	e.project, _ = crypto.GenerateKey()
	gov, err := governance.New(governance.Config{DB: db, Audit: appender{}, Net: &chaincfg.RegressionNetParams, Domain: domain,
		BitlayerAdmins: []common.Address{crypto.PubkeyToAddress(e.admin.PublicKey)},
		ProjectAdmins:  []common.Address{crypto.PubkeyToAddress(e.project.PublicKey)}, Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.NewCA("client test CA")
	if err != nil {
		t.Fatal(err)
	}
	custodyCert, _ := ca.Issue("custody", false)
	var ws api.WitnessService
	if len(wit) > 0 {
		ws = wit[0]
	}
	h, err := api.New(api.Config{Governance: gov, Sign: e.sign, Audit: auditScript{}, L2: l2Script{}, Witness: ws, Ready: e.ready, Backup: db,
		CustodyFingerprints: []string{tlsutil.Fingerprint(custodyCert.Certificate[0])},
		Tokens: []api.Token{{Name: "r", SHA256: api.HashToken("reader-tok"), Role: api.RoleReader},
			{Name: "a", SHA256: api.HashToken("auditor-tok"), Role: api.RoleAuditor},
			{Name: "o", SHA256: api.HashToken("operator-tok"), Role: api.RoleOperator}}})
	if err != nil {
		t.Fatal(err)
	}
	serverCert, _ := ca.Issue("policyd", true, "127.0.0.1")
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs: ca.Pool(), MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	mk := func(tok string, certs ...tls.Certificate) *client.Client {
		httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: ca.Pool(), Certificates: certs, MinVersion: tls.VersionTLS13}}}
		c, err := client.New(srv.URL, client.WithHTTPClient(httpc), client.WithToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.custody, e.reader, e.auditor, e.anon = mk("", custodyCert), mk("reader-tok"), mk("auditor-tok"), mk("")
	e.operator = mk("operator-tok")
	return e
}

func psbtReq(last byte) api.SignRequest {
	b := append([]byte("psbt\xff"), last)
	return api.SignRequest{PSBT: base64Std(b)}
}

func errCode(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("unclassified %v", err)
}

func TestContractSign(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	v, err := e.custody.Sign(ctx, psbtReq('A'))
	if err != nil || v.ID != "dec-a" || v.Outcome != "allow" || !bytes.Contains(v.Record, []byte("allowed")) {
		t.Fatalf("allow: %+v %v", v, err)
	}
	// A deny is 403 on the wire: the caller gets the decision and ErrDenied.
	v, err = e.custody.Sign(ctx, psbtReq('D'))
	var ce *client.Error
	if !errors.Is(err, client.ErrDenied) || !errors.As(err, &ce) || ce.Status != http.StatusForbidden ||
		v == nil || v.Outcome != "deny" || ce.Decision != v || len(v.Reasons) != 1 || v.Reasons[0] != "output_not_whitelisted" {
		t.Fatalf("deny: %+v %v", v, err)
	}
	// A refused PSBT: the failed check's code and message reach the caller.
	v, err = e.custody.Sign(ctx, psbtReq('T'))
	if v != nil || errCode(err) != "422 psbt_trailing_bytes" || !strings.Contains(err.Error(), "1 byte after its last map") ||
		errors.Is(err, client.ErrDenied) {
		t.Fatalf("refused PSBT: %+v %v", v, err)
	}
	// A dry run answers 200 for a deny; staking declarations arrive decoded.
	req := psbtReq('D')
	req.Staking = []decision.StakingDeclaration{{OutputIndex: 1, StakerKey: "02aa", FinalityProviders: []string{"03bb"}, StakingTime: 64000}}
	v, err = e.reader.DryRun(ctx, req)
	if err != nil || v.Outcome != "deny" || !v.DryRun {
		t.Fatalf("dry run: %+v %v", v, err)
	}
	if d := e.sign.last.Staking[1]; d.StakingTime != 64000 || len(d.FinalityProviders) != 1 || !e.sign.last.DryRun {
		t.Fatalf("declaration: %+v", e.sign.last)
	}
	req.Staking[0].StakerKey = "zz"
	if _, err := e.custody.DryRun(ctx, req); errCode(err) != "400 bad_staking_declaration" {
		t.Fatalf("bad declaration: %v", err)
	}
	if _, err := e.custody.Sign(ctx, api.SignRequest{PSBT: "not base64!"}); errCode(err) != "400 bad_psbt_encoding" {
		t.Fatalf("bad encoding: %v", err)
	}
	// Roles: a reader may not submit; no credentials at all is 401.
	if _, err := e.reader.Sign(ctx, psbtReq('A')); errCode(err) != "403 wrong_role" || errors.Is(err, client.ErrDenied) {
		t.Fatalf("reader submit: %v", err)
	}
	if _, err := e.anon.Sign(ctx, psbtReq('A')); errCode(err) != "401 unauthenticated" {
		t.Fatalf("anonymous submit: %v", err)
	}
	if v, err := e.auditor.Decision(ctx, "dec-a"); err != nil || v.ID != "dec-a" {
		t.Fatalf("decision: %+v %v", v, err)
	}
	if _, err := e.custody.Decision(ctx, "nope"); errCode(err) != "404 decision_not_found" {
		t.Fatalf("missing decision: %v", err)
	}
	if _, err := e.custody.Cancel(ctx, "dec-a"); errCode(err) != "409 decision_signing" {
		t.Fatalf("cancel: %v", err)
	}
}

func TestContractGovernance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.anon.Health(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := e.anon.Domain(ctx)
	if err != nil || info.Domain != domain || info.Quorum != 1 || info.Admins != 1 || info.Salt != domain.Salt().Hex() {
		t.Fatalf("domain: %+v %v", info, err)
	}
	a, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160([]byte("client")), &chaincfg.RegressionNetParams)
	content := governance.ProposalContent{Action: governance.ActionAdd, EntryKind: policy.KindBridgeHotWallet, Address: a.EncodeAddress(),
		Nonce: "n1", Expiry: e.now.Add(48 * time.Hour).Unix()}
	sig, err := governance.SignTypedData(governance.ProposalTypedData(domain, content), e.project)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.anon.Propose(ctx, governance.SignedProposal{Proposal: content, Signature: sig})
	if err != nil || p.ID == "" {
		t.Fatalf("propose: %+v %v", p, err)
	}
	if _, err := e.anon.Propose(ctx, governance.SignedProposal{Proposal: content, Signature: sig}); err == nil {
		t.Fatal("a replayed proposal was accepted")
	} else if errCode(err)[:3] != "409" && errCode(err)[:3] != "403" && errCode(err)[:3] != "400" {
		t.Fatalf("replayed proposal: %v", err)
	}
	got, err := e.reader.Proposal(ctx, p.ID)
	if err != nil || got.ID != p.ID {
		t.Fatalf("proposal: %+v %v", got, err)
	}
	ps, err := e.reader.Proposals(ctx, "")
	if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		t.Fatalf("proposals: %+v %v", ps, err)
	}
	exp := e.now.Add(time.Hour).Unix()
	asig, _ := governance.SignTypedData(governance.ApprovalTypedData(domain, p.ID, exp), e.project)
	if _, err := e.anon.Approve(ctx, p.ID, governance.Approval{Expiry: exp, Signature: asig}); err == nil || errCode(err)[:1] != "4" {
		t.Fatalf("approval by a non-admin: %v", err)
	}
	rsig, _ := governance.SignTypedData(governance.RejectionTypedData(domain, p.ID, "no", exp), e.admin)
	if r, err := e.anon.Reject(ctx, p.ID, governance.Rejection{Reason: "no", Expiry: exp, Signature: rsig}); err != nil || r.ID != p.ID {
		t.Fatalf("reject: %+v %v", r, err)
	}
	if _, err := e.reader.Whitelist(ctx); err != nil {
		t.Fatalf("whitelist: %v", err)
	}
	if _, err := e.anon.Whitelist(ctx); errCode(err) != "401 unauthenticated" {
		t.Fatalf("anonymous whitelist: %v", err)
	}
	if fs, err := e.reader.FreezeState(ctx); err != nil || fs.Frozen {
		t.Fatalf("freeze state: %+v %v", fs, err)
	}
	if _, err := e.anon.Freeze(ctx, governance.FreezeRequest{Reason: "x"}); err == nil || errCode(err)[:1] != "4" {
		t.Fatalf("unsigned freeze: %v", err)
	}
	if _, err := e.reader.Allowances(ctx); err != nil {
		t.Fatalf("allowances: %v", err)
	}
}

func TestContractAuditAndL2(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var buf bytes.Buffer
	n, err := e.auditor.AuditExport(ctx, &buf, audit.ExportRequest{From: 2, To: 4, Since: 1})
	if err != nil || n != int64(buf.Len()) || buf.String() != "{\"from\":2,\"to\":4,\"since\":1}\n" {
		t.Fatalf("export: %d %q %v", n, buf.String(), err)
	}
	if _, err := e.reader.AuditExport(ctx, io.Discard, audit.ExportRequest{}); errCode(err) != "403 wrong_role" {
		t.Fatalf("reader export: %v", err)
	}
	if cp, err := e.auditor.AuditCheckpoint(ctx); err != nil || !bytes.HasPrefix(cp, []byte("policyd\n")) {
		t.Fatalf("checkpoint: %q %v", cp, err)
	}
	if p, err := e.auditor.AuditProof(ctx, 7); err != nil || !strings.Contains(string(p), `"index": 7`) {
		t.Fatalf("proof: %s %v", p, err)
	}
	if s, err := e.reader.L2Status(ctx); err != nil || !strings.Contains(string(s), `"fresh": true`) {
		t.Fatalf("l2 status: %s %v", s, err)
	}
	if r, err := e.reader.L2Request(ctx, "101"); err != nil || !strings.Contains(string(r), `"req_id": "101"`) {
		t.Fatalf("l2 request: %s %v", r, err)
	}
	if _, err := e.reader.L2Request(ctx, "7"); errCode(err) != "404 request_not_found" {
		t.Fatalf("l2 unknown request: %v", err)
	}
}

// Readiness is 200 or 503 with the checks either way; Backup is a real
// bbolt file (the storage's hot copy) whose checksum the client verified.
func TestContractReadinessAndBackup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if ok, rep, err := e.anon.Readiness(ctx); err != nil || ok || !strings.Contains(string(rep), `"key_share"`) {
		t.Fatalf("not ready: %v %s %v", ok, rep, err)
	}
	e.ready.ready = true
	if ok, _, err := e.anon.Readiness(ctx); err != nil || !ok {
		t.Fatalf("ready: %v %v", ok, err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, sum, err := e.operator.Backup(ctx, f)
	f.Close()
	if err != nil || n == 0 || len(sum) != 64 {
		t.Fatalf("backup: %d %q %v", n, sum, err)
	}
	copyDB, err := storage.Open(path, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the copy does not open: %v", err)
	}
	defer copyDB.Close()
	if v, err := copyDB.SchemaVersion(); err != nil || v != storage.LatestSchemaVersion() {
		t.Fatalf("copy schema %d %v", v, err)
	}
	if _, _, err := e.auditor.Backup(ctx, io.Discard); errCode(err) != "403 wrong_role" {
		t.Fatalf("auditor backup: %v", err)
	}
}

func TestNewRefusesPlainHTTP(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:1", "127.0.0.1:8443", ""} {
		if _, err := client.New(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
