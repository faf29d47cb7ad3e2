package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// Bearer tokens of this test deployment (policyd stores only their SHA-256).
const (
	auditorToken = "e2e-auditor-token"
	readerToken  = "e2e-reader-token"
)

// policydNode is policyd run from a JSON configuration file, as in
// production: its own data directory, TLS from a dev CA, the fixture share
// of the threshold wallet, the real L2 node.
type policydNode struct {
	t       *testing.T
	dir     string // data_dir and every file of the deployment
	cfgPath string
	listen  string
	url     string
	tls     *tlsutil.DevFiles
	httpc   *http.Client
	api     *client.Client // custody role (client certificate)
	reader  *client.Client // reader token
	auditor *client.Client // auditor token

	custodyShare string // the custody node's encrypted share
	passFile     string // the fixture passphrase (both shares)
	// custodyWitnessKey: custody sign's --witness-key (the kit's key);
	// empty: the witness key beside the share, created on first use.
	custodyWitnessKey string

	bin         string // the policyd binary (default bins.policyd, a source-tree build)
	proc        *proc
	verifierKey string // from the start-up banner
	starts      int

	admins []*ecdsa.PrivateKey // the Bitlayer security admins (quorum 2)
	btc    *regtest.Node       // the node of the l1 block; nil without one
	// l1Waited: since the last start, the L1 view was seen at btcd's
	// height (or there is none, or a test chose not to wait).
	l1Waited bool
}

// policydOption edits the configuration newPolicyd writes, before it is
// written.
type policydOption func(cfg map[string]any)

// withoutL1 drops the l1 block: policyd then checks no input against
// Bitcoin. Only for a second policyd on a btcd whose wallet another
// policyd already spends from (each would see the other's spends as
// unexplained and freeze).
func withoutL1(cfg map[string]any) { delete(cfg, "l1") }

// newPolicyd writes the deployment's files and configuration (it does not
// start the process). The l1 block follows c's btcd (2 confirmations,
// mempool scan) unless an option removes it.
func newPolicyd(t *testing.T, c *chains, opts ...policydOption) *policydNode {
	t.Helper()
	p := &policydNode{t: t, dir: t.TempDir()}
	p.listen = loopback(freePort(t))
	p.url = "https://" + p.listen
	var err error
	if p.tls, err = tlsutil.DevCA(filepath.Join(p.dir, "tls")); err != nil {
		t.Fatal(err)
	}
	p.dial(readerToken, auditorToken)

	p.passFile = filepath.Join(p.dir, "share.pass")
	mustWrite(t, p.passFile, []byte(tssfixtures.DevPassphrase+"\n"))
	policydShare := filepath.Join(p.dir, "policyd-share.age")
	p.custodyShare = filepath.Join(p.dir, "custody-share.age")
	for party, path := range map[string]string{"policyd": policydShare, "custody": p.custodyShare} {
		b, err := tssfixtures.Share(party)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, path, b)
	}

	var admins []string
	for i := 0; i < 3; i++ {
		k := mustKey(t)
		p.admins = append(p.admins, k)
		admins = append(admins, crypto.PubkeyToAddress(k.PublicKey).Hex())
	}
	btcPass := filepath.Join(p.dir, "btcd.pass")
	mustWrite(t, btcPass, []byte(c.btc.Pass()+"\n"))
	zero := "0x0000000000000000000000000000000000000000"
	cfg := map[string]any{
		"data_dir": filepath.Join(p.dir, "data"),
		"listen":   p.listen,
		"network":  "regtest",
		"tls": map[string]any{
			"cert_file": p.tls.ServerCert, "key_file": p.tls.ServerKey, "client_ca_file": p.tls.CACert,
		},
		"auth": map[string]any{
			"custody_cert_sha256": []string{p.tls.ClientFingerprint},
			"tokens": []api.Token{
				{Name: "e2e-auditor", SHA256: api.HashToken(auditorToken), Role: api.RoleAuditor},
				{Name: "e2e-reader", SHA256: api.HashToken(readerToken), Role: api.RoleReader},
			},
		},
		"l2": map[string]any{
			"rpc_urls": []string{c.gethURL}, "contract": c.poolAddr.Hex(), "start_block": c.deployBlock, "trust_reviewed_through": c.deployBlock,
			"confirmations": 2, "max_range": 1000, "poll_interval": "500ms", "stale_after": "30s", "btc_token": zero,
		},
		"governance": map[string]any{
			"name": "policyd", "version": "1", "chain_id": c.chainID.Int64(), "wallet_id": "e2e-dedicated-wallet",
			"bitlayer_admins": admins,
			"project_admins":  []string{crypto.PubkeyToAddress(mustKey(t).PublicKey).Hex()},
			"quorum":          2,
			"no_timelock":     true,
			"bootstrap": []map[string]string{
				{"kind": "bridge_hot_wallet", "address": c.bridge.Addr.EncodeAddress(), "label": "e2e bridge hot wallet"},
			},
		},
		"policy": map[string]any{
			"max_fee_sat": 1_000_000, "max_fee_rate_sat_vb": 500, "velocity_cap_sat": 1_000 * btcSat,
			"fifo_fallback": false, "btc_token": zero,
		},
		"mpc": map[string]any{
			"share_file": policydShare, "passphrase_file": p.passFile, "session_timeout": "60s", "parallel": 2,
		},
		// The wallet on Bitcoin (docs/l1.md): every block from 1, since the
		// fixture wallet is funded by coinbases from the first block.
		"l1": map[string]any{
			"endpoints": []map[string]any{{
				"url": "https://" + c.btc.RPCAddr(), "user": c.btc.User(), "password_file": btcPass, "ca_cert_file": c.btc.CertPath(),
			}},
			"start_height": 1, "confirmations": l1Confirmations, "poll_interval": "250ms", "mempool_scan": true,
		},
	}
	for _, o := range opts {
		o(cfg)
	}
	if _, ok := cfg["l1"]; ok {
		p.btc = c.btc
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p.cfgPath = filepath.Join(p.dir, "policyd.json")
	mustWrite(t, p.cfgPath, b)
	return p
}

// dial makes the clients: custody (the client certificate of p.tls), reader
// and auditor (bearer tokens).
func (p *policydNode) dial(reader, auditor string) {
	t := p.t
	t.Helper()
	tlsCfg, err := tlsutil.ClientConfig(p.tls.CACert, p.tls.ClientCert, p.tls.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	p.httpc = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
	t.Cleanup(p.httpc.CloseIdleConnections)
	for _, c := range []struct {
		to    **client.Client
		token string
	}{{&p.api, ""}, {&p.reader, reader}, {&p.auditor, auditor}} {
		if *c.to, err = client.New(p.url, client.WithHTTPClient(p.httpc), client.WithToken(c.token)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustWrite(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// start runs policyd --config, reads the audit verifier key from its
// banner and waits until /healthz answers over TLS. A restart must print
// the same verifier key.
func (p *policydNode) start() {
	t := p.t
	t.Helper()
	p.starts++
	bin := p.bin
	if bin == "" {
		bin = bins.policyd
	}
	p.proc = startProc(t, fmt.Sprintf("policyd (start %d)", p.starts), bin, nil, "--config", p.cfgPath)
	var key string
	eventually(t, 60*time.Second, 100*time.Millisecond, "policyd prints its audit verifier key", func() (bool, error) {
		if !p.proc.running() {
			t.Fatalf("policyd exited during start-up:\n%s", tail(p.proc.stderr.String(), 4000))
		}
		sc := bufio.NewScanner(strings.NewReader(p.proc.stdout.String()))
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "audit verifier key: "); ok {
				key = strings.TrimSpace(k)
				return true, nil
			}
		}
		return false, nil
	})
	if p.verifierKey != "" && key != p.verifierKey {
		t.Fatalf("restarted policyd prints verifier key %q, before it was %q", key, p.verifierKey)
	}
	p.verifierKey = key
	eventually(t, 30*time.Second, 100*time.Millisecond, "policyd /healthz", func() (bool, error) {
		if !p.proc.running() {
			t.Fatalf("policyd exited during start-up:\n%s", tail(p.proc.stderr.String(), 4000))
		}
		err := p.api.Health(context.Background())
		return err == nil, err
	})
	// The L1 view syncs from block 1 while the test works on L2; submit
	// and custodySign wait for it (ensureL1).
	p.l1Waited = p.btc == nil
}

// ensureL1 waits once per start for the L1 view to reach btcd's height and
// to be fresh and reconciled for pk: a dry run of pk names no l1_* reason
// and finds its inputs.
func (p *policydNode) ensureL1(pk *psbt.Packet) {
	t := p.t
	t.Helper()
	if p.l1Waited {
		return
	}
	p.waitL1()
	req, err := client.NewSignRequest(pk)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, 200*time.Millisecond, "a dry run finds policyd's L1 view fresh and reconciled", func() (bool, error) {
		v, err := p.api.DryRun(context.Background(), req)
		if err != nil && !errors.Is(err, client.ErrDenied) || v == nil {
			return false, err
		}
		for _, r := range v.Reasons {
			if strings.HasPrefix(r, "l1_") || r == "input_not_in_l1_view" {
				return false, fmt.Errorf("dry run: %v", v.Reasons)
			}
		}
		return true, nil
	})
	p.l1Waited = true
}

// l1Confirmations is the depth at which the e2e policyd's L1 view calls a
// block final.
const l1Confirmations = 2

// reserves is GET /v1/reserves (reader token): the L1 view's tip and
// numbers and the claims by stage.
func (p *policydNode) reserves() (*decision.Reserves, error) {
	req, err := http.NewRequest(http.MethodGet, p.url+"/v1/reserves", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+readerToken)
	resp, err := p.httpc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET /v1/reserves: HTTP %d: %s", resp.StatusCode, b)
	}
	var r decision.Reserves
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("GET /v1/reserves: %w", err)
	}
	return &r, nil
}

// waitL1 waits until policyd's L1 view has reached btcd's current height.
func (p *policydNode) waitL1() {
	t := p.t
	t.Helper()
	h, err := p.btc.Height()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 4*time.Minute, 100*time.Millisecond, fmt.Sprintf("policyd's L1 view reaches height %d", h), func() (bool, error) {
		if !p.proc.running() {
			t.Fatalf("policyd exited:\n%s", tail(p.proc.stderr.String(), 4000))
		}
		r, err := p.reserves()
		if err != nil {
			return false, err
		}
		return r.L1.TipHeight >= uint64(h), fmt.Errorf("L1 view at %d", r.L1.TipHeight)
	})
}

// stop sends SIGTERM and requires a clean exit.
func (p *policydNode) stop() {
	p.t.Helper()
	p.proc.signal(syscall.SIGTERM)
	p.proc.mustExit(30*time.Second, 0)
}

// decisionView is the part of a sign response / GET /v1/decisions/{id}
// the tests read.
type decisionView struct {
	ID      string   `json:"id"`
	Outcome string   `json:"outcome"`
	Reasons []string `json:"reasons"`
	Record  struct {
		State      string   `json:"state"`
		TxID       string   `json:"txid"`
		Signatures []string `json:"signatures"`
	} `json:"record"`
	Claims []decision.ClaimView `json:"claims"` // the reqIds' claims and their L1 stage
}

// submit posts a PSBT to POST /v1/sign-requests (allow: 200, deny: 403).
func (p *policydNode) submit(pk *psbt.Packet) (int, decisionView) {
	p.t.Helper()
	p.ensureL1(pk)
	req, err := client.NewSignRequest(pk)
	if err != nil {
		p.t.Fatal(err)
	}
	v, err := p.api.Sign(context.Background(), req)
	code := http.StatusOK
	if errors.Is(err, client.ErrDenied) {
		code, err = http.StatusForbidden, nil
	}
	if err != nil {
		p.t.Fatalf("POST /v1/sign-requests: %v", err)
	}
	return code, p.view(v)
}

func (p *policydNode) decision(id string) decisionView {
	p.t.Helper()
	v, err := p.api.Decision(context.Background(), id)
	if err != nil {
		p.t.Fatalf("GET /v1/decisions/%s: %v", id, err)
	}
	return p.view(v)
}

func (p *policydNode) view(v *decision.View) decisionView {
	p.t.Helper()
	d := decisionView{ID: v.ID, Outcome: v.Outcome, Reasons: v.Reasons, Claims: v.Claims}
	if len(v.Record) > 0 {
		if err := json.Unmarshal(v.Record, &d.Record); err != nil {
			p.t.Fatalf("decision %s: record: %v", v.ID, err)
		}
	}
	return d
}

// l2Request is GET /v1/l2/requests/{id}: (found, kind, state).
func (p *policydNode) l2Request(id string) (bool, string, string, error) {
	raw, err := p.reader.L2Request(context.Background(), id)
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
		return false, "", "", nil
	}
	if err != nil {
		return false, "", "", err
	}
	var r struct {
		Kind  string `json:"kind"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return false, "", "", err
	}
	return true, r.Kind, r.State, nil
}

// waitL2State waits until policyd's ledger shows every id as an unbound
// request in state.
func (p *policydNode) waitL2State(ids []string, state string, d time.Duration) {
	p.t.Helper()
	p.waitL2(ids, "unbound", state, d)
}

// waitL2 waits until policyd's ledger shows every id as a request of kind
// (unbound: UnboundRequired, staked: TokenStaked) in state.
func (p *policydNode) waitL2(ids []string, wantKind, state string, d time.Duration) {
	p.t.Helper()
	eventually(p.t, d, 250*time.Millisecond, fmt.Sprintf("policyd's ledger shows %s reqIds %v %s", wantKind, ids, state), func() (bool, error) {
		if !p.proc.running() {
			p.t.Fatalf("policyd exited:\n%s", tail(p.proc.stderr.String(), 4000))
		}
		for _, id := range ids {
			found, kind, st, err := p.l2Request(id)
			if err != nil || !found {
				return false, err
			}
			if kind != wantKind {
				p.t.Fatalf("reqId %s has kind %q in policyd's ledger, want %s", id, kind, wantKind)
			}
			if st != state {
				return false, fmt.Errorf("reqId %s is %s", id, st)
			}
		}
		return true, nil
	})
}

// auditExport downloads the whole log, verifies it offline against the
// verifier key of the start-up banner and returns its records.
func (p *policydNode) auditExport() []auditRecord {
	t := p.t
	t.Helper()
	var buf bytes.Buffer
	if _, err := p.auditor.AuditExport(context.Background(), &buf, audit.ExportRequest{}); err != nil {
		t.Fatalf("audit export: %v", err)
	}
	raw := buf.Bytes()
	cp, err := audit.VerifyExport(bytes.NewReader(raw), p.verifierKey, nil)
	if err != nil {
		t.Fatalf("audit export does not verify against %s: %v", p.verifierKey, err)
	}
	var recs []auditRecord
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var l struct {
			Record *auditRecord `json:"record"`
		}
		if json.Unmarshal(line, &l) == nil && l.Record != nil && l.Record.Kind != "" {
			recs = append(recs, *l.Record)
		}
	}
	if uint64(len(recs)) != cp.Size {
		t.Fatalf("audit export: %d records parsed, checkpoint size %d", len(recs), cp.Size)
	}
	return recs
}

// auditRecord is one record of the export (the body is kind-specific).
type auditRecord struct {
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
}

// signaturesOf counts the "signature" records of decision id by input.
func signaturesOf(t testing.TB, recs []auditRecord, id string) map[int]int {
	t.Helper()
	byInput := map[int]int{}
	for _, r := range recs {
		if r.Kind != "signature" {
			continue
		}
		var b struct {
			DecisionID string `json:"decision_id"`
			Input      int    `json:"input"`
		}
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatalf("signature record: %v: %s", err, r.Body)
		}
		if b.DecisionID == id {
			byInput[b.Input]++
		}
	}
	return byInput
}

func b64(p *psbt.Packet) string { return base64.StdEncoding.EncodeToString(psbtgen.Serialize(p)) }

// custodySign runs `custody sign` on pk as a separate process (not waited
// for). With broadcast it sends the transaction to btcd.
func (p *policydNode) custodySign(name string, pk *psbt.Packet, c *chains, broadcast bool) (*proc, string) {
	t := p.t
	t.Helper()
	p.ensureL1(pk)
	dir := t.TempDir()
	psbtFile := filepath.Join(dir, "tx.psbt")
	mustWrite(t, psbtFile, []byte(b64(pk)+"\n"))
	out := filepath.Join(dir, "tx.hex")
	args := []string{"sign", "--psbt", psbtFile, "--share", p.custodyShare, "--passphrase-file", p.passFile,
		"--server", p.url, "--ca", p.tls.CACert, "--cert", p.tls.ClientCert, "--key", p.tls.ClientKey,
		"--out", out, "--timeout", "2m", "--log-key", p.verifierKey}
	if p.custodyWitnessKey != "" {
		args = append(args, "--witness-key", p.custodyWitnessKey)
	}
	var env []string
	if broadcast {
		args = append(args, "--broadcast", "--rpc-host", c.btc.RPCAddr(), "--rpc-user", c.btc.User(), "--rpc-cert", c.btc.CertPath())
		env = append(env, "CUSTODY_RPC_PASS="+c.btc.Pass())
	}
	return startProc(t, name, bins.custody, env, args...), out
}

func hasReason(reasons []string, want ...string) bool {
	for _, r := range reasons {
		for _, w := range want {
			if r == w {
				return true
			}
		}
	}
	return false
}
