package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// TestFreezeAfterAllowRefusesSigning is issue 13's attack through real
// processes: `policyd --dev` allows a withdrawal; an admin freezes signing
// with `policyctl whitelist freeze`; `custody sign` of the allowed PSBT is
// then refused cleanly (decision_revoked_at_signing, no transaction
// written), the decision is revoked with reason frozen and its reqId
// released, and the audit log verifies with the decision_revoke record.
func TestFreezeAfterAllowRefusesSigning(t *testing.T) {
	dir := t.TempDir()
	pd, m := startDevPolicyd(t, dir, loopback(freePort(t)), loopback(freePort(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	net := &chaincfg.RegressionNetParams

	// The custody node's credentials and wallet.
	tlsCfg, err := tlsutil.ClientConfig(m.CACert, m.CustodyCert, m.CustodyKey)
	if err != nil {
		t.Fatal(err)
	}
	httpc := mpc.NewHTTPClient(tlsCfg)
	prot, err := mpc.NewPassphraseProtector(m.SharePassphrase, 0)
	if err != nil {
		t.Fatal(err)
	}
	share, err := mpc.LoadShare(m.CustodyShare, prot)
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := psbtgen.WalletFromPubKey(share.PubKeyBytes())
	if err != nil {
		t.Fatal(err)
	}

	// One UnboundRequired of 1 BTC on the dev L2.
	eth, err := ethclient.DialContext(ctx, m.L2RPC)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := eth.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := bindings.NewStakingPool(common.HexToAddress(m.StakingContract), eth)
	if err != nil {
		t.Fatal(err)
	}
	mined := func(tx *types.Transaction) *types.Receipt {
		t.Helper()
		r, err := bind.WaitMined(ctx, eth, tx)
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("L2 tx %s: %v", tx.Hash(), err)
		}
		return r
	}
	opts := devnet.Transactor(devnet.User(1), chainID)
	opts.Context, opts.Value = ctx, devnet.OneBTC
	stx, err := pool.Stake(opts, common.Address{}, devnet.OneBTC, big.NewInt(1), big.NewInt(0), []byte("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	var stakeID, reqID *big.Int
	for _, lg := range mined(stx).Logs {
		if ev, err := pool.ParseTokenStaked(*lg); err == nil {
			stakeID = ev.ReqId
		}
	}
	opts = devnet.Transactor(devnet.User(1), chainID)
	opts.Context = ctx
	utx, err := pool.RequestUnbound(opts, stakeID, []byte("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	for _, lg := range mined(utx).Logs {
		if ev, err := pool.ParseUnboundRequired(*lg); err == nil {
			reqID = ev.ReqId
		}
	}
	if stakeID == nil || reqID == nil {
		t.Fatal("no TokenStaked / UnboundRequired event")
	}

	// The withdrawal of it to the bridge hot wallet, from two real outputs
	// of the wallet on the dev btcd (policyd's L1 view refuses any other).
	addr, err := btcutil.DecodeAddress(m.BridgeAddress, net)
	if err != nil {
		t.Fatal(err)
	}
	bridge, _ := txscript.PayToAddrScript(addr)
	const amount = btcSat
	utxos := devWalletUTXOs(t, m, wallet.PkScript())
	if len(utxos) < 2 {
		t.Fatalf("the dev wallet has %d spendable outputs", len(utxos))
	}
	ins := []psbtgen.UTXO{{PrevTx: utxos[0].PrevTx, Vout: utxos[0].Outpoint.Index}, {PrevTx: utxos[1].PrevTx, Vout: utxos[1].Outpoint.Index}}
	have := utxos[0].Value + utxos[1].Value
	withdrawal := func(fee int64) []byte {
		t.Helper()
		pk, err := psbtgen.BuildFromUTXOs(net, wallet, ins, []*wire.TxOut{wire.NewTxOut(amount, bridge), wire.NewTxOut(have-amount-fee, wallet.PkScript())},
			psbtgen.StReqIDsPayload(reqID.String()))
		if err != nil {
			t.Fatal(err)
		}
		return psbtgen.Serialize(pk)
	}
	raw := withdrawal(2_000)
	call := func(method, path, token string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, m.APIURL+path, rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			if w, ok := out.(*[]byte); ok {
				*w = b
			} else if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: HTTP %d %.300s", method, path, resp.StatusCode, b)
			}
		}
		return resp.StatusCode
	}
	body := map[string]string{"psbt": base64.StdEncoding.EncodeToString(raw)}
	eventually(t, 90*time.Second, 500*time.Millisecond, "the dry run allows once the events are final", func() (bool, error) {
		var v decisionView
		call("POST", "/v1/sign-requests/dry-run", "", body, &v)
		return v.Outcome == "allow", nil
	})
	pass := filepath.Join(dir, "e2e-keystore-pass")
	shPass := filepath.Join(dir, "e2e-share-pass")
	mustWrite(t, pass, []byte(m.KeystorePassword))
	mustWrite(t, shPass, []byte(m.SharePassphrase))

	// First an allowed decision that one Bitlayer admin revokes with
	// `policyctl whitelist revoke`: revoked, its reqId released, so the
	// same withdrawal with another fee is allowed again.
	var first decisionView
	firstBody := map[string]string{"psbt": base64.StdEncoding.EncodeToString(withdrawal(3_000))}
	if code := call("POST", "/v1/sign-requests", "", firstBody, &first); code != http.StatusOK || first.Outcome != "allow" {
		t.Fatalf("first withdrawal: HTTP %d %+v", code, first)
	}
	notAdmin := startProc(t, "policyctl whitelist revoke (project admin)", bins.policyctl, nil, "whitelist", "revoke", "--id", first.ID, "--reason", "not mine to revoke",
		"--server", m.APIURL, "--ca", m.CACert, "--keystore", m.Keystores[devnet.RoleProject], "--password-file", pass)
	if code, _ := notAdmin.wait(60 * time.Second); code == 0 || !strings.Contains(notAdmin.stderr.String(), "not_authorized") {
		t.Fatalf("a project admin revoked a decision: exit %d\n%s", code, notAdmin.stderr.String())
	}
	revoke := startProc(t, "policyctl whitelist revoke", bins.policyctl, nil, "whitelist", "revoke", "--id", first.ID, "--reason", "e2e revoke drill",
		"--server", m.APIURL, "--ca", m.CACert, "--keystore", m.Keystores[devnet.BitlayerAdmin(2)], "--password-file", pass)
	revoke.mustExit(60*time.Second, 0)
	var revoked struct {
		Record struct {
			State       string `json:"state"`
			Transitions []struct {
				Event    string   `json:"event"`
				By       string   `json:"by"`
				Released []string `json:"released"`
			} `json:"transitions"`
		} `json:"record"`
	}
	call("GET", "/v1/decisions/"+first.ID, "", nil, &revoked)
	admin2 := devnet.Address(devnet.BitlayerAdmin(2)).Hex()
	if rt := revoked.Record.Transitions; revoked.Record.State != "revoked" || len(rt) != 1 || rt[0].Event != "revoke" ||
		!strings.EqualFold(rt[0].By, decision.AdminPrefix+admin2) || fmt.Sprint(rt[0].Released) != fmt.Sprint([]string{reqID.String()}) {
		t.Fatalf("decision after the admin revoke: %+v", revoked.Record)
	}

	var allowed decisionView
	if code := call("POST", "/v1/sign-requests", "", body, &allowed); code != http.StatusOK || allowed.Outcome != "allow" {
		t.Fatalf("withdrawal after the revoke released its reqId: HTTP %d %+v", code, allowed)
	}
	t.Logf("decision %s allows the withdrawal of reqId %s", allowed.ID, reqID)

	// An admin freezes signing.
	freeze := startProc(t, "policyctl whitelist freeze", bins.policyctl, nil, "whitelist", "freeze",
		"--server", m.APIURL, "--ca", m.CACert, "--keystore", m.Keystores[devnet.BitlayerAdmin(1)], "--password-file", pass, "--token", m.ReaderToken, "--reason", "e2e drill")
	freeze.mustExit(60*time.Second, 0)
	if !strings.Contains(freeze.stdout.String(), `"frozen": true`) && !strings.Contains(freeze.stdout.String(), `"frozen":true`) {
		t.Fatalf("policyctl whitelist freeze: %s", freeze.stdout.String())
	}

	// The custody node signs the allowed PSBT: refused cleanly.
	psbtFile, out := filepath.Join(dir, "withdrawal.psbt"), filepath.Join(dir, "signed.hex")
	mustWrite(t, psbtFile, raw)
	sign := startProc(t, "custody sign (frozen)", bins.custody, nil, "sign", "--psbt", psbtFile, "--share", m.CustodyShare, "--passphrase-file", shPass,
		"--server", m.APIURL, "--ca", m.CACert, "--cert", m.CustodyCert, "--key", m.CustodyKey, "--out", out, "--timeout", "2m",
		"--log-key", m.AuditVerifierKey) // the custody node witnesses policyd's log first
	if code, err := sign.wait(3 * time.Minute); err != nil || code == 0 {
		t.Fatalf("custody sign after a freeze: exit %d %v; want a refusal\n%s", code, err, sign.stderr.String())
	}
	if !strings.Contains(sign.stderr.String(), "decision_revoked_at_signing") || !strings.Contains(sign.stderr.String(), "frozen") {
		t.Fatalf("custody sign refused without naming the revoke and its reason:\n%s", sign.stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused signing wrote a transaction (stat: %v)", err)
	}
	t.Logf("custody sign refused: %s", strings.TrimSpace(tail(sign.stderr.String(), 400)))

	// The decision is revoked with its reason; its reqId is free again.
	var rec struct {
		Record struct {
			State       string `json:"state"`
			Signatures  []string
			Transitions []struct {
				Event    string `json:"event"`
				Released []string
				Reasons  []struct {
					Code string `json:"code"`
				} `json:"reasons"`
			} `json:"transitions"`
		} `json:"record"`
	}
	call("GET", "/v1/decisions/"+allowed.ID, "", nil, &rec)
	tr := rec.Record.Transitions
	if rec.Record.State != "revoked" || len(rec.Record.Signatures) != 0 || len(tr) != 1 || tr[0].Event != "revoke" ||
		len(tr[0].Reasons) == 0 || tr[0].Reasons[0].Code != "frozen" || fmt.Sprint(tr[0].Released) != fmt.Sprint([]string{reqID.String()}) {
		t.Fatalf("decision after the refusal: %+v", rec.Record)
	}
	var again decisionView
	call("POST", "/v1/sign-requests/dry-run", "", body, &again)
	if again.Outcome != "deny" || fmt.Sprint(again.Reasons) != "[frozen]" {
		t.Fatalf("dry run after the revoke: %+v (want only frozen: the reqId is no longer claimed)", again)
	}

	// The audit log verifies and holds the revoke, and no signature.
	var export []byte
	if code := call("GET", "/v1/audit/export", m.AuditorToken, nil, &export); code != http.StatusOK {
		t.Fatalf("audit export: HTTP %d", code)
	}
	if _, err := audit.VerifyExport(bytes.NewReader(export), m.AuditVerifierKey, nil); err != nil {
		t.Fatalf("audit export does not verify: %v", err)
	}
	kinds := map[string]int{}
	for _, line := range bytes.Split(export, []byte("\n")) {
		var r struct {
			Record struct {
				Kind string `json:"kind"`
			} `json:"record"`
		}
		if json.Unmarshal(line, &r) == nil {
			kinds[r.Record.Kind]++
		}
	}
	if kinds["decision_revoke"] != 2 || kinds["decision_revoke_request"] != 1 || kinds["signature"] != 0 || kinds["decision_begin"] != 0 {
		t.Fatalf("audit kinds %v", kinds)
	}
	t.Logf("decision %s revoked (frozen), reqId %s released, audit log verifies (%v)", allowed.ID, reqID, kinds)

	pd.signal(syscall.SIGTERM)
	pd.mustExit(30*time.Second, 0)
}
