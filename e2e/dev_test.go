package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// demoSteps is the number of steps `custody demo --dev` plays.
const demoSteps = 19

// TestDevDemo is the README's two-command quick start, as processes:
// `policyd --dev` (embedded L2 chain, a real btcd --regtest mined to the
// wallet, fixture shares, dev TLS) and `custody demo --dev` against it. The
// demo must pass all its steps; then the test checks on its own, against
// btcd and policyd's API, that the withdrawal is mined and its claims are
// confirmed. policyd must shut down cleanly on SIGTERM and take btcd with it.
func TestDevDemo(t *testing.T) {
	t0 := time.Now()
	dir := t.TempDir()
	api, l2 := loopback(freePort(t)), loopback(freePort(t))
	pd, m := startDevPolicyd(t, dir, api, l2)
	t.Logf("policyd --dev up at %s in %s (btcd %s)", m.APIURL, time.Since(t0).Round(time.Millisecond), m.BtcdRPC)
	if m.APIURL != "https://"+api || !strings.HasSuffix(m.L2RPC, l2) {
		t.Fatalf("manifest has API %s and L2 %s, want %s and %s", m.APIURL, m.L2RPC, api, l2)
	}
	pids := devBtcdPIDsT(t, dir)
	if len(pids) != 1 {
		t.Fatalf("btcd processes of the dev network: %v, want one", pids)
	}

	start := time.Now()
	demo := startProc(t, "custody demo --dev", bins.custody, nil, "demo", "--dev", "--dev-dir", dir, "--timeout", "4m")
	demo.mustExit(5*time.Minute, 0)
	out := demo.stdout.String()
	want := "summary: all " + strconv.Itoa(demoSteps) + " steps passed"
	if !strings.Contains(out, want) {
		t.Fatalf("demo exited 0 without %q:\n%s", want, out)
	}
	t.Logf("custody demo --dev: all %d steps passed in %s", demoSteps, time.Since(start).Round(time.Millisecond))

	// What the demo says it did, checked against btcd and policyd.
	dm := regexp.MustCompile(`decision (\S+): allow`).FindStringSubmatch(out)
	tm := regexp.MustCompile(`broadcast ([0-9a-f]{64});`).FindStringSubmatch(out)
	if dm == nil || tm == nil {
		t.Fatalf("demo output names no decision or no broadcast txid:\n%s", out)
	}
	txid, err := chainhash.NewHashFromStr(tm[1])
	if err != nil {
		t.Fatal(err)
	}
	btc, err := devnet.AttachL1(m)
	if err != nil {
		t.Fatal(err)
	}
	defer btc.Stop()
	if conf, err := btc.Confirmations(txid); err != nil || conf < int64(m.L1Confirmations) {
		t.Fatalf("withdrawal %s on btcd: %d confirmations (%v), want >= %d", txid, conf, err, m.L1Confirmations)
	}
	mined, err := btc.RawTx(txid)
	if err != nil {
		t.Fatal(err)
	}
	if len(mined.TxIn) != 2 || len(mined.TxIn[0].Witness) != 2 || len(mined.TxIn[1].Witness) != 2 {
		t.Fatalf("mined withdrawal %s: %d inputs, want 2 with P2WPKH witnesses", txid, len(mined.TxIn))
	}
	auditor := devClient(t, m, m.AuditorToken)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := auditor.Decision(ctx, dm[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Claims) != 2 {
		t.Fatalf("decision %s has claims %+v, want two", dm[1], v.Claims)
	}
	// The demo ran the relayer: the ids are approved on L2, so the claims
	// went confirmed -> approved.
	for _, c := range v.Claims {
		if c.State != policy.ClaimApproved || c.TxID != txid.String() {
			t.Fatalf("claim %+v of decision %s: want %s by %s", c, dm[1], policy.ClaimApproved, txid)
		}
	}

	checkDemoStaking(t, ctx, out, m, btc)

	t1 := time.Now()
	pd.signal(syscall.SIGTERM)
	pd.mustExit(30*time.Second, 0)
	t.Logf("policyd --dev exited 0 on SIGTERM in %s", time.Since(t1).Round(time.Millisecond))
	if left := devBtcdPIDsT(t, dir); len(left) != 0 || processRunning(pids[0]) {
		t.Fatalf("btcd (pid %d) still runs after policyd --dev exited: pids %v", pids[0], left)
	}
	rpcClosed(t, m)
}

// TestDevKillLeavesNoBtcd: policyd --dev killed outright (SIGKILL: no
// deferred Stop runs) must not leave its btcd behind; the kernel's
// parent-death signal ends it.
func TestDevKillLeavesNoBtcd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's (elsewhere only a clean stop ends btcd)")
	}
	dir := t.TempDir()
	t0 := time.Now()
	pd, m := startDevPolicyd(t, dir, loopback(freePort(t)), loopback(freePort(t)))
	t.Logf("policyd --dev up in %s", time.Since(t0).Round(time.Millisecond))
	pids := devBtcdPIDsT(t, dir)
	if len(pids) != 1 {
		t.Fatalf("btcd processes of the dev network: %v, want one", pids)
	}
	if !strings.Contains(pd.stdout.String(), "btcd --regtest, pid "+strconv.Itoa(pids[0])) {
		t.Fatalf("the banner does not name btcd's pid %d:\n%s", pids[0], pd.stdout.String())
	}
	pd.signal(syscall.SIGKILL)
	killed := time.Now()
	if code, err := pd.wait(10 * time.Second); err != nil || code != -1 {
		t.Fatalf("policyd after SIGKILL: exit %d, %v", code, err)
	}
	// A killed process's leader turns zombie before its other threads have
	// closed the files they share: gone means no process and no listener.
	eventually(t, 10*time.Second, 50*time.Millisecond, "btcd exits after policyd --dev was killed", func() (bool, error) {
		return !processRunning(pids[0]) && len(devBtcdPIDsT(t, dir)) == 0 && !rpcListens(m), nil
	})
	t.Logf("btcd (pid %d) gone %s after policyd --dev was killed", pids[0], time.Since(killed).Round(time.Millisecond))
}

// rpcClosed fails the test if anything still listens on the dev btcd's
// RPC port (a plain dial: rpcclient would retry for half a minute).
func rpcClosed(t *testing.T, m *devnet.Manifest) {
	t.Helper()
	if rpcListens(m) {
		t.Fatalf("something still listens on the dev btcd's RPC address %s", m.BtcdRPC)
	}
}

func rpcListens(m *devnet.Manifest) bool {
	c, err := net.DialTimeout("tcp", m.BtcdRPC, 2*time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func devBtcdPIDsT(t *testing.T, dir string) []int {
	t.Helper()
	pids, err := devBtcdPIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// devClient is policyd's API client with the dev custody certificate and
// the given bearer token.
func devClient(t *testing.T, m *devnet.Manifest, token string) *client.Client {
	t.Helper()
	tlsCfg, err := tlsutil.ClientConfig(m.CACert, m.CustodyCert, m.CustodyKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(m.APIURL, client.WithHTTPClient(mpc.NewHTTPClient(tlsCfg)), client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// devWalletUTXOs lists the dev wallet's spendable outputs on the dev btcd,
// oldest first, each with its previous transaction.
func devWalletUTXOs(t *testing.T, m *devnet.Manifest, pkScript []byte) []regtest.UTXO {
	t.Helper()
	btc, err := devnet.AttachL1(m)
	if err != nil {
		t.Fatal(err)
	}
	defer btc.Stop()
	us, err := btc.SpendableUTXOs(pkScript)
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// startDevPolicyd starts `policyd --dev` in dir (API on api, embedded L2 on
// l2) and waits for its manifest.
func startDevPolicyd(t *testing.T, dir, api, l2 string) (*proc, *devnet.Manifest) {
	t.Helper()
	pd := startProc(t, "policyd --dev", bins.policyd, nil,
		"--dev", "--dev-dir", dir, "--dev-l2", l2, "--listen", api)
	var m *devnet.Manifest
	eventually(t, 90*time.Second, 100*time.Millisecond, "policyd --dev writes its manifest", func() (bool, error) {
		if !pd.running() {
			t.Fatalf("policyd --dev exited before it was up:\n%s", tail(pd.stderr.String(), 4000))
		}
		var err error
		m, err = devnet.ReadManifest(dir)
		return err == nil && m.APIURL != "", err
	})
	return pd, m
}

// checkDemoStaking checks P002 steps 4 and 6 of the demo against btcd and
// policyd's API (the demo's output only names the ids): the staking
// transaction policyd decided is mined with the staking output rebuilt
// from the dev parameters and the staker key; the unbonding transaction
// policyd co-signed spends it and is mined; the withdrawal policyd
// co-signed spends the unbonding output, is mined and pays the wallet
// alone.
func checkDemoStaking(t *testing.T, ctx context.Context, out string, m *devnet.Manifest, btc *regtest.Node) {
	t.Helper()
	sm := regexp.MustCompile(`decision (\S+): staking output 0 of ([0-9a-f]{64})`).FindStringSubmatch(out)
	um := regexp.MustCompile(`unbonding tx ([0-9a-f]{64}) \(staker co-signed in decision (\S+),`).FindStringSubmatch(out)
	wm := regexp.MustCompile(`withdrawal ([0-9a-f]{64}) \(staker co-signed in decision (\S+)\)`).FindStringSubmatch(out)
	if sm == nil || um == nil || wm == nil {
		t.Fatalf("demo output names no staking, unbonding or withdrawal:\n%s", out)
	}
	auditor, custody := devClient(t, m, m.AuditorToken), devClient(t, m, "")

	// Staking: policyd's decision names the tx and its staking output 0.
	v, err := auditor.Decision(ctx, sm[1])
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		TxID     string `json:"txid"`
		Decision struct {
			StakingOutputs []int `json:"staking_outputs"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(v.Record, &rec); err != nil {
		t.Fatal(err)
	}
	if v.Outcome != "allow" || rec.TxID != sm[2] || !slices.Equal(rec.Decision.StakingOutputs, []int{0}) {
		t.Fatalf("staking decision %s: outcome %s, txid %s, staking outputs %v", sm[1], v.Outcome, rec.TxID, rec.Decision.StakingOutputs)
	}
	stakeTx := minedTx(t, btc, sm[2], int64(m.L1Confirmations))
	raw, _ := hex.DecodeString(m.StakerKey)
	staker, err := babylon.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	fpRaw, _ := hex.DecodeString(m.FinalityProvider)
	fp, err := babylon.ParseKey(fpRaw)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := babylon.StakingOutput(babylon.DevParams(), staker, []*btcec.PublicKey{fp}, m.StakingTime, stakeTx.TxOut[0].Value)
	if err != nil || !bytes.Equal(stakeTx.TxOut[0].PkScript, want.PkScript) {
		t.Fatalf("staking tx %s output 0 is not the dev staking output (%v)", sm[2], err)
	}

	// Unbonding and withdrawal: policyd's co-signing decisions, signed, for
	// exactly the mined transactions.
	for _, c := range []struct{ kind, txid, id string }{
		{cosign.KindUnbonding, um[1], um[2]}, {cosign.KindWithdrawal, wm[1], wm[2]},
	} {
		mv, err := custody.MuSigDecision(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if mv.Kind != c.kind || mv.State != "signed" || mv.TxID != c.txid {
			t.Fatalf("policyd's decision %s: %s %s for %s, want a signed %s for %s", c.id, mv.State, mv.Kind, mv.TxID, c.kind, c.txid)
		}
	}
	ub := minedTx(t, btc, um[1], 1)
	if ub.TxIn[0].PreviousOutPoint != (wire.OutPoint{Hash: stakeTx.TxHash(), Index: 0}) {
		t.Fatalf("unbonding tx %s spends %v, not the staking output", um[1], ub.TxIn[0].PreviousOutPoint)
	}
	wd := minedTx(t, btc, wm[1], 1)
	wallet, err := btcutil.DecodeAddress(m.WalletAddress, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	walletScript, _ := txscript.PayToAddrScript(wallet)
	if len(wd.TxIn) != 1 || wd.TxIn[0].PreviousOutPoint != (wire.OutPoint{Hash: ub.TxHash(), Index: 0}) ||
		len(wd.TxOut) != 1 || !bytes.Equal(wd.TxOut[0].PkScript, walletScript) {
		t.Fatalf("withdrawal %s does not spend the unbonding output to the wallet alone", wm[1])
	}
	t.Logf("staking %s, unbonding %s, withdrawal %s (%d sat to the wallet): mined, decided and co-signed by policyd", sm[2], um[1], wm[1], wd.TxOut[0].Value)
}

// minedTx is the transaction txid from btcd, with at least conf
// confirmations.
func minedTx(t *testing.T, btc *regtest.Node, txid string, conf int64) *wire.MsgTx {
	t.Helper()
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := btc.Confirmations(h); err != nil || got < conf {
		t.Fatalf("%s on btcd: %d confirmations (%v), want >= %d", txid, got, err, conf)
	}
	tx, err := btc.RawTx(h)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
