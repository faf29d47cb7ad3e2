package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
)

// P002 steps 4 and 6 on the dev network (docs/babylon.md): the wallet
// stakes on Babylon with the co-managed MuSig2 staker key (`custody
// stake`'s code), unbonds with the dev covenant committee (`custody unbond
// --dev-covenants`), waits out the unbonding time and withdraws back to
// the wallet (`custody withdraw-stake`); a second staking of the same
// TokenStaked amount is refused.

// babylonDemo is the demo's staking state.
type babylonDemo struct {
	stakeIDs []string // TokenStaked reqIds, L2 order
	staked   *stakeResult
	unbond   chainhash.Hash
}

// stakeValue is what the demo stakes: the room left after the withdrawal
// (4 BTC TokenStaked − 3 BTC returned to the bridge).
const stakeValue = 100_000_000

// devStakeSpec is custody stake's input on the dev network: the wallet
// outputs the earlier steps left unspent, the dev finality provider and
// staking time, the dev schedule, the custody node's dev MuSig2 key.
func (d *demo) devStakeSpec(ctx context.Context, value int64, reqIDs []string) (*stakeSpec, error) {
	m := d.m
	if m.BabylonParams == "" || m.CustodyMuSigKey == "" {
		return nil, errors.New("the dev manifest names no Babylon parameters or MuSig2 key (an older policyd --dev?)")
	}
	raw, err := os.ReadFile(m.BabylonParams)
	if err != nil {
		return nil, err
	}
	sched, err := babylon.ParseSchedule(raw)
	if err != nil {
		return nil, err
	}
	fps, err := parseKeys(m.FinalityProvider)
	if err != nil {
		return nil, err
	}
	prot, err := mpc.NewPassphraseProtector(m.SharePassphrase, 0)
	if err != nil {
		return nil, err
	}
	priv, err := cosign.LoadKey(m.CustodyMuSigKey, prot)
	if err != nil {
		return nil, err
	}
	kv, err := d.api.MuSigKey(ctx)
	if err != nil {
		return nil, err
	}
	signer, err := pairWith(priv, kv)
	if err != nil {
		return nil, err
	}
	node, err := d.httpc.node(m.APIURL, d.share)
	if err != nil {
		return nil, err
	}
	tip, err := d.btc.Height()
	if err != nil {
		return nil, err
	}
	utxos, err := d.btc.SpendableUTXOs(d.wallet.PkScript())
	if err != nil {
		return nil, err
	}
	return &stakeSpec{node: node, signer: signer, sched: sched, tip: tip, fps: fps, time: m.StakingTime, value: value, fee: 2_000,
		utxos: utxos, reqIDs: reqIDs, net: d.net}, nil
}

// babylonStake stakes 1 BTC of the wallet, has the slashing transactions
// co-signed, broadcasts and mines the staking transaction.
func (d *demo) babylonStake(ctx context.Context) error {
	sp, err := d.devStakeSpec(ctx, stakeValue, nil)
	if err != nil {
		return err
	}
	sp.popAddr = devnet.PoPAddress() // the dev Babylon account policyd approves
	res, err := sp.run(ctx)
	if err != nil {
		return err
	}
	d.bab.staked = res
	d.logf("proof of possession of Babylon account %s co-signed by the staker key", res.Delegation.StakerAddrHex)
	d.logf("decision %s: staking output 0 of %s (1 BTC, staker = MuSig2 key %s…, Babylon version %d), every input verified by txscript",
		res.Decision, res.StakingTxID, res.Delegation.StakerKey[:16], res.ParamsVersion)
	d.logf("slashing tx co-signed (decision %s), and the unbonding output's", res.SlashingDecision)
	txid, err := d.btc.Broadcast(res.tx)
	if err != nil {
		return err
	}
	if err := d.btc.Confirm(ctx, *txid, int64(d.m.L1Confirmations)); err != nil {
		return err
	}
	d.logf("staking tx %s mined", txid)
	return nil
}

// attackStakeTwice stakes the same TokenStaked amount again, this time
// naming its request id in an OP_RETURN: the accounting rule has no room.
func (d *demo) attackStakeTwice(ctx context.Context) error {
	if len(d.bab.stakeIDs) < 3 {
		return errors.New("no TokenStaked ids recorded")
	}
	sp, err := d.devStakeSpec(ctx, stakeValue, d.bab.stakeIDs[2:3])
	if err != nil {
		return err
	}
	_, err = sp.run(ctx)
	var refused *stakeRefused
	if !errors.As(err, &refused) || !contains(refused.reasons, string(policy.CodeStakingCapExceeded)) {
		return fmt.Errorf("want a denial with %s, got %v", policy.CodeStakingCapExceeded, err)
	}
	d.logf("denied: %s (decision %s)", strings.Join(refused.reasons, ", "), refused.decision)
	return nil
}

// custodyCLI runs one custody command in process with the dev network's
// TLS, key and RPC flags, and returns its stdout and stderr.
func (d *demo) custodyCLI(name string, args ...string) (string, string, error) {
	m := d.m
	st := d.bab.staked
	common := []string{"--server", m.APIURL, "--ca", m.CACert, "--cert", m.CustodyCert, "--key", m.CustodyKey,
		"--musig-key", m.CustodyMuSigKey, "--passphrase-file", filepath.Join(d.dir, "share.pass"),
		"--params", m.BabylonParams, "--params-version", strconv.Itoa(int(st.ParamsVersion)),
		"--staking-decision", st.Decision, "--staking-outpoint", st.st.OutPoint.String(),
		"--staking-value", strconv.FormatInt(st.st.Value, 10), "--fp", m.FinalityProvider,
		"--staking-time", strconv.Itoa(int(m.StakingTime)),
		"--rpc-host", m.BtcdRPC, "--rpc-user", m.BtcdUser, "--rpc-pass", m.BtcdPass, "--rpc-cert", m.BtcdCert}
	var out, errb bytes.Buffer
	if code := run(append(append([]string{name}, common...), args...), &out, &errb); code != 0 {
		return "", "", fmt.Errorf("custody %s: exit %d: %s", name, code, strings.TrimSpace(errb.String()))
	}
	return out.String(), errb.String(), nil
}

// babylonUnbond unbonds with the dev covenants and mines the unbonding tx.
func (d *demo) babylonUnbond(ctx context.Context) error {
	out, _, err := d.custodyCLI("unbond", "--dev-covenants", "--broadcast")
	if err != nil {
		return err
	}
	var ub unbondOutput
	if err := json.Unmarshal([]byte(out), &ub); err != nil {
		return err
	}
	if err := chainhash.Decode(&d.bab.unbond, ub.TxID); err != nil {
		return fmt.Errorf("unbond printed txid %q: %w", ub.TxID, err)
	}
	if err := d.btc.Confirm(ctx, d.bab.unbond, 1); err != nil {
		return err
	}
	d.logf("unbonding tx %s (staker co-signed in decision %s, 2 of 3 dev covenants) verified by txscript and mined", ub.TxID, ub.UnbondingDecision)
	return nil
}

// babylonWithdraw mines the unbonding time and spends the unbonding
// output's timelock leaf back to the wallet.
func (d *demo) babylonWithdraw(ctx context.Context) error {
	lock := int(d.bab.staked.st.Params.UnbondingTime)
	if _, err := d.btc.Mine(ctx, lock); err != nil {
		return err
	}
	out, errs, err := d.custodyCLI("withdraw-stake", "--outpoint", wire.OutPoint{Hash: d.bab.unbond, Index: 0}.String(),
		"--wallet-address", d.m.WalletAddress, "--fee", "2000", "--broadcast")
	if err != nil {
		return err
	}
	var tx wire.MsgTx
	raw, err := hex.DecodeString(strings.TrimSpace(out))
	if err == nil {
		err = tx.Deserialize(bytes.NewReader(raw))
	}
	if err != nil {
		return fmt.Errorf("withdraw-stake printed %q: %w", out, err)
	}
	txid := tx.TxHash()
	if err := d.btc.Confirm(ctx, txid, int64(d.m.L1Confirmations)); err != nil {
		return err
	}
	if len(tx.TxOut) != 1 || !bytes.Equal(tx.TxOut[0].PkScript, d.wallet.PkScript()) {
		return fmt.Errorf("withdrawal %s does not pay the wallet alone", txid)
	}
	dec := "?"
	if m := regexp.MustCompile(`decision (\S+),`).FindStringSubmatch(errs); m != nil {
		dec = m[1]
	}
	d.logf("after %d blocks: withdrawal %s (staker co-signed in decision %s) pays %d sat back to the wallet %s; mined", lock, txid, dec, tx.TxOut[0].Value, d.m.WalletAddress)
	return nil
}
