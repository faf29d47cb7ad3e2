package e2e

import (
	"context"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// demoSteps is the number of steps `custody demo --dev` plays.
const demoSteps = 15

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
	demo := startProc(t, "custody demo --dev", bins.custody, nil, "demo", "--dev", "--dev-dir", dir, "--timeout", "3m")
	demo.mustExit(4*time.Minute, 0)
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
