package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/storage"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// oneStake is policyd's record of the one stake the test co-signs for.
type oneStake struct{ st *cosign.Stake }

func (o oneStake) Stake(ctx context.Context, id string, idx int) (*cosign.Stake, error) {
	if o.st == nil || id != o.st.DecisionID || idx != int(o.st.OutPoint.Index) {
		return nil, fmt.Errorf("%w: %s/%d", cosign.ErrUnknownStake, id, idx)
	}
	c := *o.st
	return &c, nil
}

func testKey(seed string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("custody-musig-test/" + seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// The custody commands against policyd's real API handler over mutual TLS
// (certificate files, as an operator has them): musig-keygen makes the
// staker key; unbond co-signs a stake's unbonding transaction and its
// slashing transaction; withdraw-stake spends the unbonding output through
// its timelock to the wallet, and the command itself runs the script
// engine on the result. A withdrawal of an output that is not the stake's
// is refused before policyd is asked.
func TestMuSigCommands(t *testing.T) {
	dir := t.TempDir()
	pki, err := tlsutil.DevCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(filepath.Join(dir, "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	skey, _, _ := audit.GenerateKey("policyd-test")
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	prot, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	wallet, _ := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{0x11}, 20), &chaincfg.RegressionNetParams)
	walletScript, _ := txscript.PayToAddrScript(wallet)
	stakes := &oneStake{}
	svc, err := cosign.New(cosign.Config{DB: db, Audit: l, KeyFile: filepath.Join(dir, "policyd-musig.age"), Sealer: prot, AllowKeygen: true,
		Stakes: stakes, WalletPkScript: walletScript, MaxWithdrawalFee: 5_000})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Governance: &governance.Governance{}, MuSig: svc, CustodyFingerprints: []string{pki.ClientFingerprint}})
	if err != nil {
		t.Fatal(err)
	}
	srvTLS, err := tlsutil.ServerConfig(pki.ServerCert, pki.ServerKey, pki.CACert)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = srvTLS
	ts.StartTLS()
	defer ts.Close()
	t.Setenv("CUSTODY_PASSPHRASE", tssfixtures.DevPassphrase)
	keyFile := filepath.Join(dir, "custody-musig.age")
	common := []string{"--server", ts.URL, "--ca", pki.CACert, "--cert", pki.ClientCert, "--key", pki.ClientKey,
		"--musig-key", keyFile, "--scrypt-work-factor", fmt.Sprint(tssfixtures.DevWorkFactor)}
	cmd := func(name string, extra ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append(append([]string{name}, common...), extra...), &out, &errb)
		if strings.Contains(out.String()+errb.String(), tssfixtures.DevPassphrase) {
			t.Fatal("passphrase printed")
		}
		return code, out.String(), errb.String()
	}

	code, out, errs := cmd("musig-keygen")
	if code != 0 {
		t.Fatalf("musig-keygen: %d %s", code, errs)
	}
	var key cosign.KeyView
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		t.Fatal(err)
	}
	if again, out2, _ := cmd("musig-keygen"); again != 0 || out2 != out {
		t.Fatalf("musig-keygen again: %d %s", again, out2)
	}
	aggB, _ := hex.DecodeString(key.AggregateKey)
	agg, err := babylon.ParseKey(aggB)
	if err != nil {
		t.Fatal(err)
	}

	// The stake, as policyd's decision service would resolve it, and the
	// parameters file both sides read.
	cov := []*btcec.PrivateKey{testKey("cov-a"), testKey("cov-b"), testKey("cov-c")}
	var covHex []string
	for _, k := range cov {
		covHex = append(covHex, hex.EncodeToString(k.PubKey().SerializeCompressed()))
	}
	params, _ := json.Marshal([]map[string]any{{"version": 0, "btc_activation_height": 100, "covenant_pks": covHex, "covenant_quorum": 2,
		"max_finality_providers": 1, "min_staking_value_sat": 10_000, "max_staking_value_sat": 10_000_000_000,
		"min_staking_time_blocks": 10, "max_staking_time_blocks": 65535, "unbonding_time_blocks": 5, "unbonding_fee_sat": 1_000,
		"slashing_rate": "0.10", "slashing_pk_script_hex": "0014" + strings.Repeat("22", 20), "min_slashing_tx_fee_sat": 1_000}})
	paramsFile := filepath.Join(dir, "params.json")
	if err := os.WriteFile(paramsFile, params, 0o600); err != nil {
		t.Fatal(err)
	}
	sched, err := babylon.ParseSchedule(params)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := sched.Version(0)
	fp := testKey("fp")
	op := wire.OutPoint{Hash: chainhash.HashH([]byte("staking tx")), Index: 0}
	stakes.st = &cosign.Stake{DecisionID: "dec-stake", OutPoint: op, Value: 500_000,
		Delegation: g.Delegation(agg, []*btcec.PublicKey{fp.PubKey()}, 150), Params: g}
	stakeArgs := []string{"--params", paramsFile, "--params-version", "0", "--staking-decision", "dec-stake", "--staking-outpoint", op.String(),
		"--staking-value", "500000", "--fp", hex.EncodeToString(fp.PubKey().SerializeCompressed()), "--staking-time", "150"}

	code, out, errs = cmd("unbond", stakeArgs...)
	if code != 0 {
		t.Fatalf("unbond: %d %s", code, errs)
	}
	var ub unbondOutput
	if err := json.Unmarshal([]byte(out), &ub); err != nil || ub.UnbondingSig == "" || ub.SlashingSig == "" {
		t.Fatalf("unbond output %q: %v", out, err)
	}
	want, _ := babylon.StakingUnbondingTx(g, stakes.st.Delegation, op, 500_000)
	if wantHex, _ := txHexNoWitness(want); ub.UnbondingTx != wantHex {
		t.Fatal("unbond printed another transaction than the canonical one")
	}

	ubOut := wire.OutPoint{Hash: want.TxHash(), Index: 0}
	code, out, errs = cmd("withdraw-stake", append(stakeArgs, "--outpoint", ubOut.String(), "--wallet-address", wallet.String(), "--fee", "2000")...)
	if code != 0 || !strings.Contains(errs, "verified by the script engine") {
		t.Fatalf("withdraw-stake: %d %s", code, errs)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil || len(tx.TxOut) != 1 || !bytes.Equal(tx.TxOut[0].PkScript, walletScript) {
		t.Fatalf("withdrawal %x: %v", raw, err)
	}

	if code, _, errs = cmd("withdraw-stake", append(stakeArgs, "--outpoint", op.Hash.String()+":7", "--wallet-address", wallet.String())...); code != 1 ||
		!strings.Contains(errs, "none of the stake's locked outputs") {
		t.Fatalf("withdraw-stake of another output: %d %s", code, errs)
	}
	if code, _, errs = cmd("unbond"); code != 2 || !strings.Contains(errs, "--params") {
		t.Fatalf("unbond without a stake: %d %s", code, errs)
	}
}
