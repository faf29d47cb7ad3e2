package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bitlayer-org/policyd/tlsutil"
	"github.com/bitlayer-org/policyd/witness"
)

// TestDeployRehearsal deploys from the kit alone, as docs/deploy.md tells an
// operator, and moves one withdrawal through it:
//
//  1. deploy/setup.sh init: `policyctl pki init` (fresh CA, certificates,
//     tokens, every secret), `policyctl contracts deploy` (GovernorMultisig
//     and StakingPool on geth --dev, the relayer key funded from the dev
//     account) and `policyctl config render` from deploy/*.config.json.
//     The only overrides are what differs outside containers (paths,
//     addresses, ports; the l1 endpoint is a loopback port forwarded to
//     the test's btcd --regtest, which uses the kit's RPC password).
//  2. policyd, a release build (-tags release), starts with allow_keygen
//     and no share: alive, not ready (`policyctl status` exits 1 naming
//     key_share).
//  3. `custody keygen` runs the real ceremony with policyd (pre-parameters
//     from the committed fixtures, re-encrypted under the kit's fresh
//     passphrases). policyd holds the share at once but refuses to sign
//     (l1_not_started: `policyctl status` exits 1 naming it) until the
//     restart of step 4, after which it is ready.
//  4. deploy/setup.sh wallet renders the relayer's wallet and audit key
//     (and l1.start_height at the wallet's first funding); policyd restarts
//     so that its L1 view starts with the share; btcd --regtest funds the
//     new wallet from a faucet, and `policyctl reserves` (the kit's reader
//     token) shows policyd's L1 view at btcd's height holding the funding;
//     two users stake
//     and request unbound on L2; custody builds the withdrawal, `custody
//     sign --broadcast` co-signs it with policyd; it is mined; `relayer
//     -once` proposes approveUnbound on the GovernorMultisig, Bitlayer's key
//     confirms and executes: UnboundApproved for exactly both ids.
//  5. `policyctl backup` (operator token) copies the live database; a
//     policyd restored from it in a fresh data directory (with the audit
//     key and share files) serves the signed decision and an audit log
//     that verifies against the same key.
func TestDeployRehearsal(t *testing.T) {
	t0 := time.Now()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// The release policyd and the kit's policyctl.
	binDir := filepath.Join(dir, "bin")
	for _, args := range [][]string{{"-tags", "release", "./cmd/policyd"}, {"./cmd/policyctl"}} {
		cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", binDir + string(filepath.Separator)}, args...)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", args, err, out)
		}
	}
	policydBin, policyctl := filepath.Join(binDir, "policyd"), filepath.Join(binDir, "policyctl")
	mark := func(what string) { t.Logf("[%5.1fs] %s", time.Since(t0).Seconds(), what) }
	mark("built policyd -tags release and policyctl")

	c := &chains{t: t, dir: dir}
	geth := c.startGeth()
	c.waitGeth(geth)
	c.connect(ctx)
	bitlayerGov := mustKey(t)
	c.users = []*ecdsa.PrivateKey{mustKey(t), mustKey(t)}
	c.fundFromDev(ctx, append([]*ecdsa.PrivateKey{bitlayerGov}, c.users...)...)
	var bitlayerAdmins []string
	for i := 0; i < 3; i++ {
		bitlayerAdmins = append(bitlayerAdmins, crypto.PubkeyToAddress(mustKey(t).PublicKey).Hex())
	}
	projectAdmin := crypto.PubkeyToAddress(mustKey(t).PublicKey).Hex()
	mark("geth --dev up, Bitlayer's governor key and two users funded")

	secrets, rendered := filepath.Join(dir, "secrets"), filepath.Join(dir, "rendered")
	// Babylon's parameters as an operator supplies them: the dev schedule,
	// in Babylon's published form (setup.sh init checks and copies it).
	var versions []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		versions = append(versions, g.JSON())
	}
	babylonParams := filepath.Join(dir, "babylon-params.json")
	if b, err := json.Marshal(versions); err != nil {
		t.Fatal(err)
	} else {
		mustWrite(t, babylonParams, b)
	}
	data := filepath.Join(dir, "policyd")
	listen := loopback(freePort(t))
	sec := func(name string) string { return filepath.Join(secrets, name) }
	setup := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(root, "deploy", "setup.sh")}, args...)...)
		cmd.Env = append(os.Environ(), "POLICYCTL="+policyctl, "SECRETS="+secrets, "OUT="+rendered, "L2_RPC="+c.gethURL,
			"BITLAYER_GOVERNOR="+crypto.PubkeyToAddress(bitlayerGov.PublicKey).Hex(),
			"BITLAYER_ADMINS="+strings.Join(bitlayerAdmins, ","), "PROJECT_ADMINS="+projectAdmin,
			"FUND_FROM_DEV_ACCOUNT=1", "LIGHT_KEYSTORE=1", "BABYLON_PARAMS="+babylonParams)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("deploy/setup.sh %s: %v\n%s%s", args[0], err, out.String(), errb.String())
		}
		return errb.String()
	}
	// The kit's l1 block names compose's btcd (https://btcd:18443, its
	// rpc.cert from the btcd-rpc volume, the kit's btcd_rpc_pass). Here it
	// names a loopback port held from now on, forwarded to the btcd started
	// after setup init (it needs the kit's password), and the file btcd
	// writes its certificate to. The example's confirmations (2),
	// start_height (1) and reserves_every (6) stay as rendered.
	btcDir := filepath.Join(dir, "btcd")
	btcFwd := newHoldProxy(t, "")
	btcFwd.hold() // until btcd is up: connections wait, then reach it
	l1Endpoints, err := json.Marshal([]map[string]string{{"url": "https://" + btcFwd.addr(), "user": "policyd",
		"password_file": sec("btcd_rpc_pass.txt"), "ca_cert_file": filepath.Join(btcDir, "rpc.cert")}})
	if err != nil {
		t.Fatal(err)
	}
	// What differs outside containers: paths, addresses, ports.
	local := []string{
		"--set", "policyd:data_dir=" + data, "--set", "policyd:listen=" + listen,
		"--set", "policyd:tls.cert_file=" + sec("policyd_tls_cert.pem"), "--set", "policyd:tls.key_file=" + sec("policyd_tls_key.pem"),
		"--set", "policyd:tls.client_ca_file=" + sec("ca.pem"),
		"--set", fmt.Sprintf(`policyd:l2.rpc_urls=[%q]`, c.gethURL), "--set", "policyd:l2.poll_interval=500ms",
		"--set", "policyd:mpc.share_file=" + filepath.Join(data, "share.age"),
		"--set", "policyd:mpc.passphrase_file=" + sec("policyd_share_passphrase.txt"),
		"--set", "policyd:mpc.pre_params_target=1", // the fixture set: no safe primes generated during the test
		"--set", "policyd:audit.key_file=" + filepath.Join(data, "audit.key"),
		"--set", "policyd:babylon.params_file=" + filepath.Join(rendered, "babylon-params.json"),
		"--set", "policyd:l1.endpoints=" + string(l1Endpoints), "--set", "policyd:l1.poll_interval=250ms",
	}
	log := setup(append([]string{"init"}, local...)...)
	if !strings.Contains(log, "still a placeholder: relayer.wallet_addresses") {
		t.Fatalf("setup init does not say the relayer waits for the wallet:\n%s", log)
	}
	var deployed struct {
		Governor    string `json:"governor"`
		StakingPool string `json:"staking_pool"`
		StartBlock  uint64 `json:"start_block"`
	}
	if b, err := os.ReadFile(filepath.Join(rendered, "contracts.json")); err != nil || json.Unmarshal(b, &deployed) != nil {
		t.Fatalf("contracts.json: %v", err)
	}
	c.poolAddr, c.deployBlock = common.HexToAddress(deployed.StakingPool), deployed.StartBlock
	if c.pool, err = bindings.NewStakingPool(c.poolAddr, c.eth); err != nil {
		t.Fatal(err)
	}
	mark("deploy/setup.sh init: pki init, contracts deploy, config render")

	// Pre-parameters: the committed fixtures, under the kit's passphrases.
	custodyDir := filepath.Join(dir, "custody")
	reencryptPreParams(t, 0, sec("policyd_share_passphrase.txt"), filepath.Join(data, "preparams", "preparams-fixture.age"))
	reencryptPreParams(t, 1, sec("custody_share_passphrase.txt"), filepath.Join(custodyDir, "preparams.age"))

	// btcd, with the kit's RPC password: started before policyd (whose
	// start checks that l1.endpoints[0].ca_cert_file exists), its chain
	// mined to a faucet while the ceremony runs. Its ports are picked while
	// policyd's listen port is still free: a clash is started again.
	btcPass := strings.TrimSpace(string(mustRead(t, sec("btcd_rpc_pass.txt"))))
	faucet, err := regtest.NewKey("policyd-rehearsal/faucet")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		c.btc, err = regtest.Start(ctx, regtest.Config{MiningAddr: faucet.Addr, Dir: btcDir, User: "policyd", Pass: btcPass})
		if err != nil {
			t.Fatalf("btcd: %v", err)
		}
		if c.btc.RPCAddr() != listen && c.btc.P2PAddr() != listen {
			break
		}
		c.btc.Stop()
		if attempt == 2 {
			t.Fatalf("btcd took policyd's port %s three times", listen)
		}
	}
	btcMined := make(chan error, 1)
	t.Cleanup(func() { <-btcMined }) // after Stop (cleanups run last first): the mining ends
	t.Cleanup(c.btc.Stop)
	go func() {
		_, err := c.btc.Mine(ctx, regtest.ReadyHeight)
		btcMined <- err
	}()
	btcFwd.retarget(c.btc.RPCAddr())

	pd := kitPolicyd(t, policydBin, filepath.Join(rendered, "policyd.config.json"), listen, secrets)
	pd.start()
	mark("btcd started; policyd (release) started with allow_keygen and no share")

	status := func() (int, string) {
		cmd := exec.CommandContext(ctx, policyctl, "status", "--server", pd.url, "--ca", sec("ca.pem"), "--token", strings.TrimSpace(string(mustRead(t, sec("auditor_token.txt")))))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String()
	}
	if code, out := status(); code != 1 || !regexp.MustCompile(`key_share +FAIL`).MatchString(out) {
		t.Fatalf("policyctl status before the ceremony: exit %d, want 1 naming key_share\n%s", code, out)
	}
	// The kit's babylon and musig blocks are loaded: the staker key route
	// answers (no MuSig2 ceremony yet), where a server without the musig
	// block answers 503 "unavailable".
	var ce *client.Error
	if _, err := pd.api.MuSigKey(ctx); !errors.As(err, &ce) || ce.Code != "musig_no_key" {
		t.Fatalf("GET /v1/musig/key from the kit's configuration: %v, want 503 musig_no_key", err)
	}
	if !strings.Contains(pd.proc.stderr.String(), "no MuSig2 key ceremony is recorded") {
		t.Fatalf("policyd did not load the babylon block (no staker key warning):\n%s", tail(pd.proc.stderr.String(), 3000))
	}

	// The key ceremony.
	shareOut := filepath.Join(custodyDir, "share.age")
	kg := startProc(t, "custody keygen", bins.custody, nil, "keygen", "--share-out", shareOut,
		"--preparams", filepath.Join(custodyDir, "preparams.age"), "--passphrase-file", sec("custody_share_passphrase.txt"),
		"--server", pd.url, "--ca", sec("ca.pem"), "--cert", sec("custody_tls_cert.pem"), "--key", sec("custody_tls_key.pem"),
		"--net", "regtest", "--timeout", "2m", "--log-key", pd.verifierKey, // the custody node witnesses policyd's log first,
		"--witness-key", sec("custody_witness.key")) // with the kit's key, enrolled in audit.witnesses by config render
	kg.mustExit(2*time.Minute, 0)
	m := regexp.MustCompile(`group public key: ([0-9a-f]{66})\nwallet address \(regtest\): (\S+)`).FindStringSubmatch(kg.stdout.String())
	if m == nil {
		t.Fatalf("custody keygen output:\n%s", kg.stdout.String())
	}
	pub, _ := hex.DecodeString(m[1])
	if c.wallet, err = psbtgen.WalletFromPubKey(pub); err != nil {
		t.Fatal(err)
	}
	c.walletAddr = m[2]
	mark("custody keygen: wallet " + c.walletAddr)
	// The share is active, but the kit's l1 block needs the L1 view, which
	// starts with a share loaded at start: until the restart below, policyd
	// is not ready and refuses to sign (l1_not_started), never signing
	// without L1 checks.
	var last string
	eventually(t, 30*time.Second, 250*time.Millisecond, "policyctl status names the new wallet and says the L1 view waits for a restart", func() (bool, error) {
		code, out := status()
		last = out
		return code != 0 && strings.Contains(out, "wallet "+c.walletAddr) && strings.Contains(out, "l1_not_started"), fmt.Errorf("exit %d:\n%s", code, out)
	})
	if pd.starts != 1 || strings.Contains(pd.proc.stderr.String(), "signing enabled") {
		t.Fatalf("policyd enabled signing without its L1 view:\n%s\n%s", last, tail(pd.proc.stderr.String(), 3000))
	}
	mark("policyd holds the new share; signing refused until the restart (l1_not_started)")

	if err := <-btcMined; err != nil {
		t.Fatalf("btcd: mining %d blocks: %v\n%s", regtest.ReadyHeight, err, c.btc.LogTail(3000))
	}
	btcMined <- nil // for the cleanup
	h0, err := c.btc.Height()
	if err != nil {
		t.Fatal(err)
	}
	relayerDB := filepath.Join(dir, "relayer", "relayer.db")
	setup(append([]string{"wallet", c.walletAddr, pd.verifierKey}, append(local,
		"--set", "relayer:btc_rpc_host="+c.btc.RPCAddr(), "--set", "relayer:btc_rpc_pass_file="+sec("btcd_rpc_pass.txt"),
		"--set", "relayer:btc_rpc_cert="+c.btc.CertPath(), "--set", "relayer:l2_rpc="+c.gethURL,
		"--set", "relayer:keystore="+sec("relayer_keystore.json"), "--set", "relayer:keystore_pass_file="+sec("relayer_keystore_pass.txt"),
		"--set", "relayer:policyd_url="+pd.url, "--set", "relayer:policyd_token_file="+sec("auditor_token.txt"),
		"--set", "relayer:policyd_ca="+sec("ca.pem"), "--set", "relayer:db="+relayerDB,
		"--set", "relayer:confirmations=2", "--set", "relayer:start_height="+strconv.FormatInt(h0, 10),
		"--set", "relayer:metrics_listen=", "--set", "relayer:tx_timeout=60s",
		"--set", "relayer:witness_key_file="+sec("relayer_witness.key"),
		// as on mainnet: policyd's L1 view from the wallet's first funding
		// (mined above h0), not from the genesis block (the example's 1)
		"--set", "policyd:l1.start_height="+strconv.FormatInt(h0+1, 10))...)...)
	mark("deploy/setup.sh wallet: relayer configuration complete")
	// policyd's L1 view starts with a loaded key share (cmd/policyd,
	// startL1): started before the ceremony, it has none until it restarts,
	// so the kit restarts it once after the ceremony (docs/deploy.md, "Key
	// ceremony"); kitL1Live below fails without the restart.
	pd.stop()
	pd.start()
	eventually(t, 30*time.Second, 250*time.Millisecond, "policyctl status says ready after the restart", func() (bool, error) {
		code, out := status()
		last = out
		return code == 0, fmt.Errorf("exit %d:\n%s", code, out)
	})
	if !strings.Contains(last, "wallet "+c.walletAddr) || !strings.Contains(pd.proc.stderr.String(), "signing enabled") {
		t.Fatalf("status after the restart:\n%s\n%s", last, tail(pd.proc.stderr.String(), 3000))
	}
	mark("policyd restarted after the ceremony: ready, its L1 view follows btcd")

	// L1: the faucet funds the new wallet; L2: two users stake and unbound.
	amounts := []int64{1 * btcSat, 2 * btcSat}
	fund, err := faucet.Pay(ctx, c.btc, []*wire.TxOut{wire.NewTxOut(4*btcSat, c.wallet.PkScript())}, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	// Final at the kit's l1.confirmations (2): policyd co-signs only
	// inputs its L1 view holds at that depth.
	if err := c.btc.Confirm(ctx, fund.TxHash(), 2); err != nil {
		t.Fatal(err)
	}
	kitL1Live(t, ctx, policyctl, pd.url, sec("ca.pem"), sec("prometheus_token.txt"), c.btc, 4*btcSat)
	c.bridge = devBridge(t)
	ids := c.stakeAndUnbound(ctx, amounts)
	idStrs := []string{ids[0].String(), ids[1].String()}
	pd.waitL2State(idStrs, "finalized", 60*time.Second)
	mark(fmt.Sprintf("wallet funded on regtest (policyd's L1 view holds it); UnboundRequired %v finalized in policyd", idStrs))

	pk := c.withdrawal(c.spendable(1), amounts, ids, 3_000)
	txid := pk.UnsignedTx.TxHash()
	pd.custodyShare, pd.passFile = shareOut, sec("custody_share_passphrase.txt")
	pd.custodyWitnessKey = sec("custody_witness.key")
	sign, _ := pd.custodySign("custody sign --broadcast", pk, c, true)
	sign.mustExit(2*time.Minute, 0)
	if err := c.btc.WaitConfirmations(ctx, &txid, 2); err != nil {
		t.Fatalf("withdrawal %s not mined: %v", txid, err)
	}
	mined, err := c.btc.RawTx(&txid)
	if err != nil {
		t.Fatal(err)
	}
	checkWithdrawalOutputs(t, mined, c.bridge.PkScript, 3*btcSat, ids)
	var decisionID string
	for _, line := range strings.Split(sign.stderr.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "decision "); ok {
			decisionID, _, _ = strings.Cut(rest, ":")
		}
	}
	if d := pd.decision(decisionID); d.Record.State != "signed" {
		t.Fatalf("decision %q: %+v", decisionID, d)
	}
	mark("withdrawal " + txid.String() + " co-signed, broadcast, mined")
	// policyd keeps the cosignatures of its largest cosigned checkpoint:
	// the custody node's, until the relayer cosigns a larger one.
	kitWitnessesCosigned(t, ctx, pd, filepath.Join(rendered, "auth.json"), "custody")

	// The relayer proposes on the multisig; Bitlayer confirms and executes.
	relay := startProc(t, "relayer -once", bins.relayer, nil, "-config", filepath.Join(rendered, "relayer.config.json"), "-once")
	relay.mustExit(2*time.Minute, 0)
	gov, err := bindings.NewGovernorMultisig(common.HexToAddress(deployed.Governor), c.eth)
	if err != nil {
		t.Fatal(err)
	}
	n, err := gov.CallCount(&bind.CallOpts{Context: ctx})
	if err != nil || n.Sign() == 0 {
		t.Fatalf("the relayer proposed nothing on the GovernorMultisig (%v %v)", n, err)
	}
	id := new(big.Int).Sub(n, big.NewInt(1))
	tx, err := gov.Confirm(c.transactor(ctx, bitlayerGov), id)
	if err != nil {
		t.Fatal(err)
	}
	c.mined(ctx, tx)
	if tx, err = gov.Execute(c.transactor(ctx, bitlayerGov), id); err != nil {
		t.Fatal(err)
	}
	c.mined(ctx, tx)
	approved := approvedIDs(t, ctx, c)
	sort.Strings(approved)
	sort.Strings(idStrs)
	if strings.Join(approved, ",") != strings.Join(idStrs, ",") {
		t.Fatalf("UnboundApproved for %v, want exactly %v", approved, idStrs)
	}
	pd.waitL2State(idStrs, "approved", 60*time.Second)
	mark(fmt.Sprintf("relayer proposed, Bitlayer confirmed and executed: UnboundApproved %v", approved))
	kitWitnessesCosigned(t, ctx, pd, filepath.Join(rendered, "auth.json"), "relayer")
	mark("policyd took the custody node's and the relayer's cosignatures (kit-enrolled witnesses, no config edit)")

	// Online backup, then a restore into a fresh data directory.
	backup := filepath.Join(dir, "policyd.db.backup")
	cmd := exec.CommandContext(ctx, policyctl, "backup", "--server", pd.url, "--ca", sec("ca.pem"),
		"--token", strings.TrimSpace(string(mustRead(t, sec("operator_token.txt")))), "--out", backup)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("policyctl backup: %v\n%s", err, out)
	}
	recsBefore := pd.auditExport()
	pd.stop()
	restored := filepath.Join(dir, "restored")
	if err := os.MkdirAll(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{backup: "policyd.db", filepath.Join(data, "audit.key"): "audit.key", filepath.Join(data, "share.age"): "share.age"} {
		mustWrite(t, filepath.Join(restored, to), mustRead(t, from))
	}
	var cfg map[string]any
	if err := json.Unmarshal(mustRead(t, filepath.Join(rendered, "policyd.config.json")), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["data_dir"] = restored
	cfg["mpc"].(map[string]any)["share_file"] = filepath.Join(restored, "share.age")
	cfg["audit"].(map[string]any)["key_file"] = filepath.Join(restored, "audit.key")
	// The cosigned checkpoint stays where it was (outside the data directory
	// and its backups): the restored log must reach it (docs/audit.md).
	// (It holds the kit-enrolled witnesses' cosignatures: the backup was
	// taken after them, so the restored log reaches it.)
	cfg["audit"].(map[string]any)["cosigned_file"] = data + ".cosigned"
	b, _ := json.Marshal(cfg)
	pd.cfgPath = filepath.Join(dir, "restored.config.json")
	mustWrite(t, pd.cfgPath, b)
	pd.start() // the same verifier key, or start fails the test
	if d := pd.decision(decisionID); d.Record.State != "signed" {
		t.Fatalf("restored decision %s: %+v", decisionID, d)
	}
	recsAfter := pd.auditExport() // verifies against the banner's key
	if len(recsAfter) < len(recsBefore) {
		t.Fatalf("restored log has %d records, the backup was taken at >= %d", len(recsAfter), len(recsBefore))
	}
	pd.stop()
	mark(fmt.Sprintf("backup restored: decision signed, audit log of %d records verifies", len(recsAfter)))
	t.Logf("deploy rehearsal took %s", time.Since(t0).Round(100*time.Millisecond))
}

// kitPolicyd is a policydNode for a configuration the kit rendered: the
// kit's CA and custody certificate, its reader and auditor tokens.
func kitPolicyd(t *testing.T, bin, cfgPath, listen, secrets string) *policydNode {
	t.Helper()
	p := &policydNode{t: t, bin: bin, cfgPath: cfgPath, listen: listen, url: "https://" + listen, dir: filepath.Dir(cfgPath),
		tls: &tlsutil.DevFiles{CACert: filepath.Join(secrets, "ca.pem"),
			ClientCert: filepath.Join(secrets, "custody_tls_cert.pem"), ClientKey: filepath.Join(secrets, "custody_tls_key.pem")}}
	token := func(name string) string { return strings.TrimSpace(string(mustRead(t, filepath.Join(secrets, name)))) }
	p.dial(token("prometheus_token.txt"), token("auditor_token.txt"))
	return p
}

// reencryptPreParams writes fixture pre-parameter set i encrypted with the
// passphrase in passFile (the fixtures use the public dev passphrase).
func reencryptPreParams(t *testing.T, i int, passFile, out string) {
	t.Helper()
	ct, err := tssfixtures.PreParams(i)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := mpc.UnmarshalPreParams(ct, dev)
	if err != nil {
		t.Fatal(err)
	}
	prot, err := mpc.NewPassphraseProtector(strings.TrimRight(string(mustRead(t, passFile)), "\r\n"), tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	if ct, err = mpc.MarshalPreParams(pre, prot); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, out, ct)
}

// devBridge is the bridge hot wallet of the deploy/ examples.
func devBridge(t *testing.T) *regtest.Key {
	t.Helper()
	k, err := regtest.NewKey("policyd-dev-bridge-hot-wallet")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Bridge string `json:"bridge_address"`
	}
	root, _ := moduleRoot()
	if err := json.Unmarshal(mustRead(t, filepath.Join(root, "deploy", "relayer.config.json")), &ex); err != nil || ex.Bridge != k.Addr.EncodeAddress() {
		t.Fatalf("deploy/relayer.config.json bridge %q, the dev bridge key is %s (%v)", ex.Bridge, k.Addr.EncodeAddress(), err)
	}
	if _, err := btcutil.DecodeAddress(ex.Bridge, regtest.Params); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kitWitnessesCosigned requires policyd's latest cosigned checkpoint to
// carry a valid cosignature of each named witness key that policyctl pki
// init made and printed (auth.json's audit.witnesses, which must name the
// custody node and the relayer): the kit enrolled them, with no
// configuration edit.
func kitWitnessesCosigned(t *testing.T, ctx context.Context, pd *policydNode, authFile string, want ...string) {
	t.Helper()
	var kit struct {
		Audit struct {
			Witnesses []struct{ Name, Key string } `json:"witnesses"`
		} `json:"audit"`
	}
	if err := json.Unmarshal(mustRead(t, authFile), &kit); err != nil {
		t.Fatal(err)
	}
	var vs []*witness.CosigVerifier
	names := map[string]bool{}
	for _, w := range kit.Audit.Witnesses {
		v, err := witness.NewCosigVerifier(w.Key)
		if err != nil {
			t.Fatalf("pki init printed witness %q with key %q: %v", w.Name, w.Key, err)
		}
		vs = append(vs, v)
		names[w.Name] = true
	}
	if !names["custody"] || !names["relayer"] {
		t.Fatalf("pki init's audit.witnesses: %+v, want custody and relayer", kit.Audit.Witnesses)
	}
	n, err := pd.api.AuditCosigned(ctx)
	if err != nil {
		t.Fatalf("GET /v1/audit/cosigned: %v", err)
	}
	cs, err := witness.OpenCosigned(n, pd.verifierKey, vs)
	if err != nil {
		t.Fatalf("cosigned checkpoint does not verify: %v\n%s", err, n)
	}
	for _, name := range want {
		if cs.Cosigners[name].IsZero() {
			t.Fatalf("policyd's cosigned checkpoint (size %d) has no cosignature of the kit's %s witness:\n%s", cs.Size, name, n)
		}
	}
}

// retarget points the proxy at addr and lets held connections through.
func (p *holdProxy) retarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
	p.resume()
}

// kitL1Live waits until policyd's L1 view, as `policyctl reserves --json`
// shows it with the kit's reader token, has reached btcd's height and holds
// wantSat confirmed in the wallet: the rendered l1 block reaches btcd, with
// the kit's password and btcd's certificate.
func kitL1Live(t *testing.T, ctx context.Context, policyctl, url, ca, tokenFile string, btc *regtest.Node, wantSat int64) {
	t.Helper()
	h, err := btc.Height()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, 250*time.Millisecond, fmt.Sprintf("policyctl reserves: L1 view at height %d holding %d sat", h, wantSat), func() (bool, error) {
		cmd := exec.CommandContext(ctx, policyctl, "reserves", "--json", "--server", url, "--ca", ca,
			"--token", strings.TrimSpace(string(mustRead(t, tokenFile))))
		out, err := cmd.Output()
		if err != nil {
			return false, fmt.Errorf("policyctl reserves: %v %s", err, out)
		}
		var r struct {
			L1 struct {
				TipHeight    int64 `json:"tip_height"`
				ConfirmedSat int64 `json:"confirmed_sat"`
			} `json:"l1"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return false, fmt.Errorf("policyctl reserves --json: %v\n%s", err, out)
		}
		return r.L1.TipHeight >= h && r.L1.ConfirmedSat == wantSat, fmt.Errorf("%s", out)
	})
}
