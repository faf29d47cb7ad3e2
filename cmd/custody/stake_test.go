package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/policy"
)

// policydBinary is ./cmd/policyd built from this tree (the dev build).
var policydBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "custody-test-policyd-*")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "policyd")
	cmd := exec.Command("go", "build", "-o", bin, "../policyd")
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ../policyd: %v\n%s", err, out)
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuf is an output sink shared by a child process and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// devNetwork starts `policyd --dev` (the real server: API over mutual TLS,
// decision service with its L1 view on a real btcd --regtest, tss, the
// MuSig2 service) in a temporary directory and connects a demo to it, the
// users' L2 stakes (1, 2 and 1 BTC) made and final in policyd's view.
func devNetwork(t *testing.T, ctx context.Context) *demo {
	t.Helper()
	if testing.Short() {
		t.Skip("builds policyd and runs policyd --dev with btcd")
	}
	bin, err := policydBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var stdout, stderr syncBuf
	cmd := exec.Command(bin, "--dev", "--dev-dir", dir, "--dev-l2", freeAddr(t), "--listen", freeAddr(t))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for {
		m, err := devnet.ReadManifest(dir)
		if err == nil && m.APIURL != "" {
			break
		}
		select {
		case <-done:
			t.Fatalf("policyd --dev exited:\n%s", stderr.String())
		case <-ctx.Done():
			t.Fatalf("policyd --dev never wrote its manifest:\n%s", stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	d := &demo{out: &stdout, dir: dir}
	for _, f := range []func(context.Context) error{d.connect, d.stake, d.requestUnbound, d.waitIndexed} {
		if err := f(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// devFlags are custody's flags for the dev network's policyd, keys and btcd.
func devFlags(d *demo) []string {
	m := d.m
	return []string{"--server", m.APIURL, "--ca", m.CACert, "--cert", m.CustodyCert, "--key", m.CustodyKey,
		"--musig-key", m.CustodyMuSigKey, "--passphrase-file", filepath.Join(d.dir, "share.pass"),
		"--rpc-host", m.BtcdRPC, "--rpc-user", m.BtcdUser, "--rpc-pass", m.BtcdPass, "--rpc-cert", m.BtcdCert}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// slashingSpends runs btcd's script engine on a slashing transaction
// spending prev through its slashing leaf (of leaves) with the staker's
// signature, the dev finality provider's and the dev covenant quorum's:
// the staker's pre-signature is what Babylon needs to slash.
func slashingSpends(t *testing.T, d babylon.Params, txHex, stakerSig string, prev *wire.TxOut, leaves [][]byte, leaf []byte) {
	t.Helper()
	raw, _ := hex.DecodeString(txHex)
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	msg, err := babylon.ScriptPathSigHash(&tx, 0, []*wire.TxOut{prev}, leaf)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := parseSig(stakerSig)
	if err != nil {
		t.Fatal(err)
	}
	fpSig, _ := schnorr.Sign(devnet.FinalityProviderKey(), msg[:])
	covs, err := babylon.DevCovenantSigs(babylon.DevParams(), msg)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := babylon.ControlBlock(leaves, leaf)
	if tx.TxIn[0].Witness, err = babylon.CovenantWitness(d.CovenantKeys, covs, fpSig.Serialize(), sig, leaf, cb); err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(prev.PkScript, prev.Value)
	vm, err := txscript.NewEngine(prev.PkScript, &tx, 0, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(&tx, fetcher), prev.Value, fetcher)
	if err == nil {
		err = vm.Execute()
	}
	if err != nil {
		t.Fatalf("slashing tx with the staker's co-signature fails the script engine: %v", err)
	}
}

// TestStakeUnbondWithdraw: `custody stake`, `custody unbond
// --covenant-sigs` and `custody withdraw-stake` against a real policyd
// --dev (API over mutual TLS, decision service and L1 view on a real btcd
// --regtest, tss, MuSig2 service). The staking tx is mined, both slashing
// pre-signatures pass the script engine with the dev finality provider's
// and covenants' signatures; the wallet key as staker and a second staking
// of the same TokenStaked amount are refused with their reason codes;
// covenant files with a bad signature, a foreign key or fewer than the
// quorum are refused with nothing broadcast; a valid quorum unbonds (mined)
// and the unbonding output goes back to the wallet after the unbonding
// time (mined).
func TestStakeUnbondWithdraw(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	d := devNetwork(t, ctx)
	m := d.m
	flags := devFlags(d)

	// The wallet's threshold key as staker: policyd refuses it.
	sp, err := d.devStakeSpec(ctx, 100_000_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sp.staker, err = btcec.ParsePubKey(d.share.PubKeyBytes()); err != nil {
		t.Fatal(err)
	}
	_, err = sp.run(ctx)
	var refused *stakeRefused
	if !errors.As(err, &refused) || !contains(refused.reasons, string(policy.CodeStakingWalletKeyAsStaker)) {
		t.Fatalf("wallet key as staker: %v", err)
	}

	// custody stake: all the TokenStaked room (4 BTC), no OP_RETURN.
	stakeArgs := append([]string{"stake", "--share", m.CustodyShare, "--log-key", m.AuditVerifierKey,
		"--babylon-params", m.BabylonParams, "--fp", m.FinalityProvider, "--staking-time", strconv.Itoa(int(m.StakingTime))}, flags...)
	// A proof of possession for an account policyd does not approve stops
	// the staking before anything is signed (the next stake still has the
	// whole room).
	code, out, errs := runCLI(t, append(stakeArgs, "--value", "400000000", "--broadcast",
		"--babylon-address", hex.EncodeToString(bytes.Repeat([]byte{0xcc}, 20)))...)
	if code != 1 || !strings.Contains(errs, "pop_address_not_approved") || out != "" {
		t.Fatalf("stake with another Babylon account: exit %d, printed %q\n%s", code, out, errs)
	}
	popAddr := devnet.PoPAddress()
	code, out, errs = runCLI(t, append(stakeArgs, "--value", "400000000", "--broadcast", "--babylon-address", hex.EncodeToString(popAddr))...)
	if code != 0 {
		t.Fatalf("custody stake: exit %d\n%s", code, errs)
	}
	var res stakeResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("custody stake printed %q: %v", out, err)
	}
	// The delegation carries the account and its proof of possession by
	// the co-managed staker key.
	if res.Delegation.PoP == nil || res.Delegation.StakerAddrHex != hex.EncodeToString(popAddr) || res.Delegation.PoP.BTCSigType != "BIP340" {
		t.Fatalf("delegation without the proof of possession: %+v", res.Delegation)
	}
	if popSig, err := hex.DecodeString(res.Delegation.PoP.BTCSig); err != nil {
		t.Fatal(err)
	} else if sig, err := schnorr.ParseSignature(popSig); err != nil || !babylon.VerifyPoP(popAddr, stakerPub(t, m.StakerKey), sig) {
		t.Fatalf("the proof of possession does not verify for the staker key: %v", err)
	}
	var txid chainhash.Hash
	if err := chainhash.Decode(&txid, res.StakingTxID); err != nil {
		t.Fatal(err)
	}
	if err := d.btc.Confirm(ctx, txid, int64(m.L1Confirmations)); err != nil {
		t.Fatal(err)
	}
	mined, err := d.btc.RawTx(&txid)
	if err != nil {
		t.Fatal(err)
	}
	g := babylon.DevParams()
	aggB, _ := hex.DecodeString(res.Delegation.StakerKey)
	agg, err := babylon.ParseKey(aggB)
	if err != nil || res.Delegation.StakerKey != m.StakerKey {
		t.Fatalf("delegation staker key %s, dev staker key %s (%v)", res.Delegation.StakerKey, m.StakerKey, err)
	}
	fps, _ := parseKeys(m.FinalityProvider)
	stakeOut, dp, err := babylon.StakingOutput(g, agg, fps, m.StakingTime, 400_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mined.TxOut[0].PkScript, stakeOut.PkScript) || mined.TxOut[0].Value != stakeOut.Value {
		t.Fatalf("mined staking tx output 0 is not the staking output")
	}
	scripts, _ := babylon.BuildScripts(dp)
	stakingLeaves := [][]byte{scripts.Timelock, scripts.Unbonding, scripts.Slashing}
	slashingSpends(t, dp, res.SlashingTx, res.SlashingSig, stakeOut, stakingLeaves, scripts.Slashing)
	ubOut, ubScripts, err := babylon.UnbondingOutput(dp, g.UnbondingTime, res.Delegation.UnbondingValue)
	if err != nil {
		t.Fatal(err)
	}
	slashingSpends(t, dp, res.Delegation.UnbondingSlashingTx, res.Delegation.DelegatorUnbondingSlashingSig, ubOut,
		[][]byte{ubScripts.Timelock, ubScripts.Slashing}, ubScripts.Slashing)

	// The same TokenStaked amount again, with its id: no room.
	code, _, errs = runCLI(t, append(stakeArgs, "--value", "100000000", "--req-ids", d.bab.stakeIDs[0], "--broadcast")...)
	if code != 1 || !strings.Contains(errs, string(policy.CodeStakingCapExceeded)) {
		t.Fatalf("second staking: exit %d\n%s", code, errs)
	}

	// Unbond: covenant files that must be refused before anything is sent.
	ub, err := babylon.StakingUnbondingTx(g, dp, wire.OutPoint{Hash: txid, Index: 0}, 400_000_000)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := babylon.ScriptPathSigHash(ub, 0, []*wire.TxOut{stakeOut}, scripts.Unbonding)
	if err != nil {
		t.Fatal(err)
	}
	covSig := func(k *btcec.PrivateKey, m [32]byte) babylon.CovenantSigJSON {
		s, err := schnorr.Sign(k, m[:])
		if err != nil {
			t.Fatal(err)
		}
		return babylon.CovenantSigJSON{PK: hex.EncodeToString(k.PubKey().SerializeCompressed()), Sig: hex.EncodeToString(s.Serialize())}
	}
	covFile := func(name string, sigs ...babylon.CovenantSigJSON) string {
		raw, _ := json.Marshal(sigs)
		p := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unbondArgs := append([]string{"unbond", "--params", m.BabylonParams, "--params-version", "0", "--staking-decision", res.Decision,
		"--staking-outpoint", txid.String() + ":0", "--staking-value", "400000000", "--fp", m.FinalityProvider,
		"--staking-time", strconv.Itoa(int(m.StakingTime)), "--broadcast"}, flags...)
	other := chainhash.HashH([]byte("another message"))
	foreign, _ := btcec.NewPrivateKey()
	for _, tc := range []struct {
		name string
		file string
		want string
	}{
		{"one bad signature", covFile("bad", covSig(babylon.DevCovenantKey(0), msg), covSig(babylon.DevCovenantKey(1), other)), "does not verify"},
		{"a foreign key", covFile("foreign", covSig(babylon.DevCovenantKey(0), msg), covSig(foreign, msg)), "not in the committee"},
		{"under quorum", covFile("under", covSig(babylon.DevCovenantKey(2), msg)), "the quorum is 2"},
	} {
		code, _, errs := runCLI(t, append(unbondArgs, "--covenant-sigs", tc.file)...)
		if code != 1 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "nothing broadcast") {
			t.Fatalf("%s: exit %d\n%s", tc.name, code, errs)
		}
		if _, err := d.btc.RawTx(ptr(ub.TxHash())); err == nil {
			t.Fatalf("%s: btcd knows the unbonding tx", tc.name)
		}
	}
	code, out, errs = runCLI(t, append(unbondArgs, "--covenant-sigs",
		covFile("quorum", covSig(babylon.DevCovenantKey(2), msg), covSig(babylon.DevCovenantKey(0), msg)))...)
	if code != 0 {
		t.Fatalf("unbond with a valid quorum: exit %d\n%s", code, errs)
	}
	var ubRes unbondOutput
	if err := json.Unmarshal([]byte(out), &ubRes); err != nil || ubRes.TxID != ub.TxHash().String() {
		t.Fatalf("unbond printed %q (%v), want txid %s", out, err, ub.TxHash())
	}
	if err := d.btc.Confirm(ctx, ub.TxHash(), 1); err != nil {
		t.Fatal(err)
	}

	// Withdraw the unbonding output after the unbonding time.
	if _, err := d.btc.Mine(ctx, int(g.UnbondingTime)); err != nil {
		t.Fatal(err)
	}
	wdArgs := append(append([]string{"withdraw-stake"}, unbondArgs[1:]...), "--outpoint", ub.TxHash().String()+":0",
		"--wallet-address", m.WalletAddress, "--fee", "2000")
	code, out, errs = runCLI(t, wdArgs...)
	if code != 0 {
		t.Fatalf("withdraw-stake: exit %d\n%s", code, errs)
	}
	raw, _ := hex.DecodeString(strings.TrimSpace(out))
	var wd wire.MsgTx
	if err := wd.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if err := d.btc.Confirm(ctx, wd.TxHash(), 1); err != nil {
		t.Fatal(err)
	}
	if len(wd.TxOut) != 1 || !bytes.Equal(wd.TxOut[0].PkScript, d.wallet.PkScript()) || wd.TxOut[0].Value != res.Delegation.UnbondingValue-2000 {
		t.Fatalf("withdrawal %s does not pay the unbonded value to the wallet", wd.TxHash())
	}
}

func ptr[T any](v T) *T { return &v }

// stakerPub parses the manifest's x-only staker key.
func stakerPub(t *testing.T, h string) *btcec.PublicKey {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	k, err := babylon.ParseKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
