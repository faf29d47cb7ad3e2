package devnet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"github.com/bitlayer-org/policyd/internal/regtest"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// StartL1 runs a real btcd in the dev directory: a fresh chain at
// regtest.ReadyHeight whose coinbases pay the dedicated wallet, an RPC
// password in the pass file, reachable through AttachL1 from a manifest;
// Close stops it. A second start on the same directory begins a new chain.
func TestStartL1(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l1, err := StartL1(ctx, dir, w.AddressRegtest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	n := l1.Node
	pass, err := os.ReadFile(l1.PassFile)
	if err != nil || strings.TrimSpace(string(pass)) != n.Pass() || len(n.Pass()) != 32 {
		t.Fatalf("pass file %q (%v), node password %q", pass, err, n.Pass())
	}
	if st, _ := os.Stat(l1.PassFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("pass file mode %v", st.Mode().Perm())
	}
	if n.CertPath() != filepath.Join(dir, "btcd", "rpc.cert") {
		t.Fatalf("btcd runs outside the dev directory: cert %s", n.CertPath())
	}

	m := &Manifest{WalletAddress: w.AddressRegtest, BtcdRPC: n.RPCAddr(), BtcdCert: n.CertPath(), BtcdUser: n.User(), BtcdPass: n.Pass()}
	att, err := AttachL1(m)
	if err != nil {
		t.Fatal(err)
	}
	defer att.Stop()
	if h, err := att.Height(); err != nil || h != regtest.ReadyHeight {
		t.Fatalf("height %d (%v), want %d", h, err, regtest.ReadyHeight)
	}
	addr, err := btcutil.DecodeAddress(w.AddressRegtest, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	us, err := att.SpendableUTXOs(script)
	if err != nil {
		t.Fatal(err)
	}
	if want := regtest.ReadyHeight - regtest.CoinbaseMaturity + 1; len(us) != want || !us[0].Coinbase {
		t.Fatalf("%d spendable wallet outputs, want %d mature coinbases", len(us), want)
	}
	// Blocks mined through the attached client pay the wallet as well.
	hs, err := att.Mine(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := att.Client().GetBlock(hs[0])
	if err != nil {
		t.Fatal(err)
	}
	if cb := blk.Transactions[0].TxOut[0].PkScript; !bytes.Equal(cb, script) {
		t.Fatalf("a block mined on request pays %x, not the wallet", cb)
	}
	// A wrong password is refused (the RPC is not open to anyone).
	bad := *m
	bad.BtcdPass = "wrong"
	if _, err := AttachL1(&bad); err == nil {
		t.Fatal("attached with a wrong password")
	}

	// Close stops the process; a new start in the same directory is a new chain.
	l1.Close()
	l2, err := StartL1(ctx, dir, w.AddressRegtest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if h, err := l2.Node.Height(); err != nil || h != regtest.ReadyHeight {
		t.Fatalf("restarted node at height %d (%v), want a fresh chain at %d", h, err, regtest.ReadyHeight)
	}
	if l2.Node.Pass() == n.Pass() {
		t.Fatal("the RPC password did not change between runs")
	}
}

func TestStartL1RefusesAnotherNetwork(t *testing.T) {
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := btcutil.DecodeAddress(w.AddressRegtest, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	mainnet, err := btcutil.NewAddressWitnessPubKeyHash(pub.ScriptAddress(), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StartL1(context.Background(), t.TempDir(), mainnet.EncodeAddress(), nil); err == nil || !strings.Contains(err.Error(), "not a regtest address") {
		t.Fatalf("mainnet wallet address: %v", err)
	}
}
