package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/l2/bindings"
)

// contracts deploy against a real EVM served over JSON-RPC (go-ethereum's
// simulated backend): both contracts exist, StakingPool is governed by the
// multisig, and the multisig has exactly the signers asked for.
func TestContractsDeploy(t *testing.T) {
	deployer, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(deployer.PublicKey)
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	l2, err := devnet.StartL2(devnet.L2Config{BlockInterval: 200 * time.Millisecond,
		Alloc: map[common.Address]*big.Int{from: eth}})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()

	dir := t.TempDir()
	ks := keystore.NewKeyStore(dir, keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.ImportECDSA(deployer, "pw")
	if err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw.txt")
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bitlayer := common.HexToAddress("0x00000000000000000000000000000000000000b1")
	p1 := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	p2 := common.HexToAddress("0x00000000000000000000000000000000000000c2")

	var out, errb bytes.Buffer
	code := runContracts([]string{"deploy", "--rpc", l2.URL, "--keystore", acct.URL.Path, "--password-file", pw,
		"--bitlayer", bitlayer.Hex(), "--project", p1.Hex() + "," + p2.Hex(), "--project-threshold", "2"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res DeployResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.ChainID != l2.ChainID.String() || res.Deployer != from.Hex() || res.StartBlock == 0 {
		t.Fatalf("result %+v", res)
	}
	c, err := ethclient.Dial(l2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pool, err := bindings.NewStakingPool(common.HexToAddress(res.StakingPool), c)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := pool.Governor(&bind.CallOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if gov.Hex() != res.Governor {
		t.Fatalf("StakingPool governor %s, printed %s", gov.Hex(), res.Governor)
	}
	ms, err := bindings.NewGovernorMultisig(gov, c)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ms.Bitlayer(&bind.CallOpts{}); b != bitlayer {
		t.Fatalf("multisig bitlayer %s", b.Hex())
	}
	if n, _ := ms.ProjectThreshold(&bind.CallOpts{}); n == nil || n.Uint64() != 2 {
		t.Fatalf("multisig threshold %v", n)
	}
	for _, p := range []common.Address{p1, p2} {
		if ok, _ := ms.IsProject(&bind.CallOpts{}, p); !ok {
			t.Fatalf("%s is not a project signer", p.Hex())
		}
	}
	if ok, _ := ms.IsProject(&bind.CallOpts{}, from); ok {
		t.Fatal("the deployer became a signer")
	}
}

func TestContractsDeployRefusals(t *testing.T) {
	t.Setenv("POLICYCTL_KEYSTORE_PASSWORD", "pw")
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.txt")
	_ = os.WriteFile(pw, []byte("pw\n"), 0o600)
	ks := keystore.NewKeyStore(dir, keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.NewAccount("pw")
	if err != nil {
		t.Fatal(err)
	}
	a := "0x00000000000000000000000000000000000000c1"
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"threshold above signers", []string{"deploy", "--rpc", "http://127.0.0.1:1", "--keystore", acct.URL.Path, "--password-file", pw, "--bitlayer", a, "--project", a, "--project-threshold", "2"}, 2, "project-threshold"},
		{"zero bitlayer", []string{"deploy", "--rpc", "http://127.0.0.1:1", "--keystore", acct.URL.Path, "--password-file", pw, "--bitlayer", "0x0000000000000000000000000000000000000000", "--project", a}, 2, "zero address"},
		{"missing flags", []string{"deploy", "--rpc", "http://127.0.0.1:1"}, 2, "required"},
		{"wrong password", []string{"deploy", "--rpc", "http://127.0.0.1:1", "--keystore", acct.URL.Path, "--password-file", filepath.Join(dir, "nope"), "--bitlayer", a, "--project", a}, 2, "nope"},
		{"unreachable L2", []string{"deploy", "--rpc", "http://127.0.0.1:1", "--keystore", acct.URL.Path, "--password-file", pw, "--bitlayer", a, "--project", a, "--timeout", "2s"}, 3, "127.0.0.1:1"},
		// no password file: the environment variable (a terminal would be asked)
		{"password from the environment", []string{"deploy", "--rpc", "http://127.0.0.1:1", "--keystore", acct.URL.Path, "--bitlayer", a, "--project", a, "--timeout", "2s"}, 3, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			if code := runContracts(tc.args, io.Discard, &errb); code != tc.code || !strings.Contains(errb.String(), tc.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errb.String(), tc.msg)
			}
		})
	}
}

// Bitlayer's side of the governor multisig: calls lists the submitted calls
// decoded (reqIds as decimal strings), confirm shows the call and asks (a
// "no" signs nothing), and execute runs it once confirmed.
func TestGovernorCallsConfirmExecute(t *testing.T) {
	keys := map[string]*ecdsa.PrivateKey{}
	alloc := map[common.Address]*big.Int{}
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	for _, n := range []string{"deployer", "bitlayer", "project"} {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[n] = k
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = eth
	}
	l2, err := devnet.StartL2(devnet.L2Config{BlockInterval: 200 * time.Millisecond, Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	dir := t.TempDir()
	ks := keystore.NewKeyStore(dir, keystore.LightScryptN, keystore.LightScryptP)
	files := map[string]string{}
	for n, k := range keys {
		a, err := ks.ImportECDSA(k, "pw")
		if err != nil {
			t.Fatal(err)
		}
		files[n] = a.URL.Path
	}
	pw := filepath.Join(dir, "pw.txt")
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := func(n string) string { return crypto.PubkeyToAddress(keys[n].PublicKey).Hex() }
	var out, errb bytes.Buffer
	if code := runContracts([]string{"deploy", "--rpc", l2.URL, "--keystore", files["deployer"], "--password-file", pw,
		"--bitlayer", addr("bitlayer"), "--project", addr("project"), "--project-threshold", "1"}, &out, &errb); code != 0 {
		t.Fatalf("deploy: %d %s", code, errb.String())
	}
	var res DeployResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	c, err := ethclient.Dial(l2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ms, _ := bindings.NewGovernorMultisig(common.HexToAddress(res.Governor), c)
	pool, _ := bindings.NewStakingPool(common.HexToAddress(res.StakingPool), c)
	parsed, _ := bindings.StakingPoolMetaData.GetAbi()
	id77, _ := new(big.Int).SetString("49789615487123560892156894751226315458745469802349768162354985612743566889911", 10)
	pauseData, _ := parsed.Pack("setPaused", true)
	approveData, _ := parsed.Pack("approveUnbound", []*big.Int{id77})
	opts, _ := bind.NewKeyedTransactorWithChainID(keys["project"], l2.ChainID)
	for _, data := range [][]byte{pauseData, approveData} {
		tx, err := ms.Submit(opts, common.HexToAddress(res.StakingPool), data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bind.WaitMined(context.Background(), c, tx); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--rpc", l2.URL, "--governor", res.Governor}
	out.Reset()
	if code := runGovernor("calls", append(base, "--json"), &out, &errb, nil); code != 0 {
		t.Fatalf("calls: %d %s", code, errb.String())
	}
	var calls []GovernorCall
	if err := json.Unmarshal(out.Bytes(), &calls); err != nil || len(calls) != 2 {
		t.Fatalf("calls: %v %s", err, out.String())
	}
	if calls[0].Function != "setPaused(bool)" || calls[0].ProjectConfirmations != 1 || calls[0].BitlayerConfirmed {
		t.Fatalf("call 0: %+v", calls[0])
	}
	if calls[1].Function != "approveUnbound(uint256[])" || len(calls[1].Args) != 1 || !strings.Contains(calls[1].Args[0], id77.String()) {
		t.Fatalf("call 1 does not show the reqId in decimal: %+v", calls[1])
	}
	signer := append(base, "--id", "0", "--keystore", files["bitlayer"], "--password-file", pw)
	errb.Reset()
	if code := runGovernor("confirm", signer, &out, &errb, strings.NewReader("n\n")); code != 1 || !strings.Contains(errb.String(), "setPaused(bool)") {
		t.Fatalf("confirm answered no: %d %s", code, errb.String())
	}
	if ok, _ := ms.ConfirmedBy(&bind.CallOpts{}, big.NewInt(0), crypto.PubkeyToAddress(keys["bitlayer"].PublicKey)); ok {
		t.Fatal("a refused confirmation was sent")
	}
	if code := runGovernor("execute", signer, &out, &errb, nil); code != 1 {
		t.Fatalf("execute without Bitlayer's confirmation: exit %d", code)
	}
	if code := runGovernor("confirm", signer, &out, &errb, strings.NewReader("y\n")); code != 0 {
		t.Fatalf("confirm: %d %s", code, errb.String())
	}
	if code := runGovernor("execute", signer, &out, &errb, nil); code != 0 {
		t.Fatalf("execute: %d %s", code, errb.String())
	}
	if p, _ := pool.Paused(&bind.CallOpts{}); !p {
		t.Fatal("the executed call did not run")
	}
	if code := runGovernor("execute", signer, &out, &errb, nil); code != 1 {
		t.Fatalf("second execute: exit %d", code)
	}
}
