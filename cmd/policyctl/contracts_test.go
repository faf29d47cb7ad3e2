package main

import (
	"bytes"
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
