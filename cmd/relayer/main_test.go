package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/google/uuid"

	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/relayer"
)

// TestRelayerCommand wires the command from a JSON config file, a keystore
// and password files against a real btcd regtest node (TLS RPC), an L2
// served over HTTP JSON-RPC and policyd's audit export over TLS with an
// auditor token, and checks one OP_RETURN transfer ends in UnboundApproved
// for exactly the ids of policyd's decision.
func TestRelayerCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()

	gk := key(t, "cmd-relayer-governor")
	uk := key(t, "cmd-relayer-user")
	rich := new(big.Int).Mul(big.NewInt(1e18), big.NewInt(100))
	chain, err := devnet.StartL2(devnet.L2Config{
		BlockInterval: 50 * time.Millisecond,
		Alloc:         map[common.Address]*big.Int{crypto.PubkeyToAddress(gk.PublicKey): rich, crypto.PubkeyToAddress(uk.PublicKey): rich},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	eth, err := ethclient.DialContext(ctx, chain.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer eth.Close()
	gov, _ := bind.NewKeyedTransactorWithChainID(gk, chain.ChainID)
	user, _ := bind.NewKeyedTransactorWithChainID(uk, chain.ChainID)
	addr, tx, pool, err := bindings.DeployStakingPool(gov, eth, gov.From)
	mined(t, ctx, eth, tx, err)

	// Two unbound requests; the transfer names the second only.
	var reqs []*big.Int
	for _, sat := range []int64{40_000_000, 60_000_000} {
		wei := new(big.Int).Mul(big.NewInt(sat), big.NewInt(1e10))
		o := *user
		o.Value = wei
		tx, err := pool.Stake(&o, common.Address{}, wei, big.NewInt(1), big.NewInt(0), nil)
		mined(t, ctx, eth, tx, err)
		stakeID, err := pool.LastReqId(&bind.CallOpts{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		tx, err = pool.RequestUnbound(user, stakeID, nil)
		mined(t, ctx, eth, tx, err)
		id, err := pool.LastReqId(&bind.CallOpts{Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, id)
	}

	wallet, _ := regtest.NewKey("cmd-relayer-wallet")
	bridge, _ := regtest.NewKey("cmd-relayer-bridge")
	node := regtest.StartT(t, regtest.Config{MiningAddr: wallet.Addr, InitialBlocks: regtest.ReadyHeight})
	memo, err := regtest.OpReturn(psbtcheck.EncodeStReqIDs(reqs[1:]))
	if err != nil {
		t.Fatal(err)
	}
	paid, err := wallet.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(60_000_000, bridge.PkScript), memo}, 2_000)
	if err != nil {
		t.Fatal(err)
	}
	pd := startPolicyd(t)
	pd.allow(t, paid.TxHash().String(), 60_000_000, reqs[1].String())
	if _, err := node.Mine(ctx, 3); err != nil {
		t.Fatal(err)
	}

	// Secrets as files, the way the compose file mounts them.
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ksJSON, err := keystore.EncryptKey(&keystore.Key{Id: uuid.New(), Address: gov.From, PrivateKey: gk}, "pw", keystore.LightScryptN, keystore.LightScryptP)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Network: "regtest", BtcRPCHost: node.RPCAddr(), BtcRPCUser: node.User(),
		BtcRPCPassFile: write("btc.pass", []byte(node.Pass()+"\n")), BtcRPCCert: node.CertPath(),
		BridgeAddress: bridge.Addr.EncodeAddress(), WalletAddress: wallet.Addr.EncodeAddress(), Confirmations: 3, StartHeight: regtest.ReadyHeight + 1,
		L2RPC: chain.URL, Contract: addr.Hex(),
		PolicydURL: pd.srv.URL, PolicydTokenFile: write("policyd.token", []byte("auditor-token\n")),
		PolicydCA: write("policyd-ca.pem", pd.caPEM), PolicydAuditKey: pd.key,
		Keystore: write("relayer.json", ksJSON), KeystorePass: write("relayer.pass", []byte("pw\n")),
		DB: filepath.Join(dir, "relayer.db"), PollInterval: "100ms", MaxBatch: 10, TxTimeout: "30s", LogFormat: "json",
	}
	raw, _ := json.Marshal(cfg)
	cfgPath := write("relayer.config.json", raw)

	var logs bytes.Buffer
	if err := run(ctx, []string{"-config", cfgPath, "-once"}, &logs); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	it, err := pool.FilterUnboundApproved(&bind.FilterOpts{Context: ctx}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it.Next() {
		got = append(got, it.Event.ReqId.String())
	}
	if len(got) != 1 || got[0] != reqs[1].String() {
		t.Fatalf("UnboundApproved %v, want [%s]\n%s", got, reqs[1], logs.String())
	}
	// The relayer witnessed policyd's log (its witness beside the database,
	// created on first use) and posted its cosignature.
	if pd.cosigs.Load() < 1 || !strings.Contains(logs.String(), "created the relayer's witness key") {
		t.Fatalf("no cosignature posted (%d)\n%s", pd.cosigs.Load(), logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "witness", "state.json")); err != nil {
		t.Fatalf("witness state: %v", err)
	}

	// A second run over the same database sends nothing.
	nonce, err := eth.NonceAt(ctx, gov.From, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"-config", cfgPath, "-once"}, &logs); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if after, _ := eth.NonceAt(ctx, gov.From, nil); after != nonce {
		t.Fatalf("second run sent %d transactions", after-nonce)
	}

	// -status lists the records: one released op_return transfer.
	var out bytes.Buffer
	if err := runTo(ctx, []string{"-status", "-db", cfg.DB}, &out, io.Discard); err != nil {
		t.Fatalf("status: %v", err)
	}
	var ts []relayer.Transfer
	if err := json.Unmarshal(out.Bytes(), &ts); err != nil {
		t.Fatalf("status output: %v\n%s", err, out.String())
	}
	if len(ts) != 1 || ts[0].State != relayer.StateReleased || ts[0].Kind != relayer.KindDecision ||
		len(ts[0].ReqIDs()) != 1 || ts[0].ReqIDs()[0] != reqs[1].String() {
		t.Fatalf("status %+v", ts)
	}

	// As a service: the poll loop runs and /metrics reports the scan.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	l.Close()
	svcCtx, stopSvc := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(svcCtx, []string{"-config", cfgPath, "-metrics-listen", metricsAddr}, io.Discard)
	}()
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			// The tip gauge is set by a completed poll of the real node.
			if strings.Contains(body, "\nrelayer_l1_tip_height ") && !strings.Contains(body, "\nrelayer_l1_tip_height 0\n") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no relayer metrics served: %v\n%s", err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopSvc()
	if err := <-done; err != nil {
		t.Fatalf("service run: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string][]string{
		"unknown field": {"-config", writeTemp(t, `{"bogus":1}`)},
		"bad network":   {"-network", "moon", "-bridge-address", "x"},
		"bad bridge":    {"-bridge-address", "bc1qnotregtest"},
		"old plans key": {"-config", writeTemp(t, `{"plans":[]}`)},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if err := run(context.Background(), append(args, "-once"), &bytes.Buffer{}); err == nil {
				t.Fatal("run accepted a bad configuration")
			}
		})
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func key(t *testing.T, seed string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mined(t *testing.T, ctx context.Context, eth *ethclient.Client, tx *types.Transaction, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	r, err := bind.WaitMined(ctx, eth, tx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tx %s reverted", tx.Hash())
	}
}

// TestDeployExampleConfig keeps deploy/relayer.config.json loadable: it must
// decode strictly and carry a valid regtest bridge address.
func TestDeployExampleConfig(t *testing.T) {
	cfg, _, err := parse([]string{"-config", "../../deploy/relayer.config.json"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	params, err := btcnet.Params(cfg.Network)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{cfg.BridgeAddress, cfg.WalletAddress} {
		if _, err := btcutil.DecodeAddress(a, params); err != nil {
			t.Fatalf("address %q: %v", a, err)
		}
	}
	if cfg.Confirmations < 1 || cfg.BtcRPCNoTLS {
		t.Fatalf("example config must confirm and use TLS: %+v", cfg)
	}
	if !strings.HasPrefix(cfg.PolicydURL, "https://") || cfg.PolicydTokenFile == "" || cfg.PolicydCA == "" {
		t.Fatalf("example config must read policyd's audit export over TLS with a token: %+v", cfg)
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runTo(context.Background(), []string{"--version"}, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "relayer ") {
		t.Fatalf("--version: %v %q", err, out.String())
	}
	errb.Reset()
	err := runTo(context.Background(), []string{"--help"}, &out, &errb)
	if cli.Code(err) != cli.ExitOK || !strings.Contains(errb.String(), "-btc-rpc-host") {
		t.Fatalf("--help: %v (exit %d) %q", err, cli.Code(err), errb.String())
	}
	if err := runTo(context.Background(), []string{"--nope"}, &out, io.Discard); cli.Code(err) != cli.ExitUsage {
		t.Fatalf("unknown flag: %v (exit %d)", err, cli.Code(err))
	}
}
