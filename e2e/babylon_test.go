package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/custody"
	"github.com/bitlayer-org/policyd/musig"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// Terms of TestBabylon's stake (the dev parameters: babylon.DevParams).
const (
	babStakeSat      = 1 * btcSat // one TokenStaked of this amount gives the room
	babStakingTime   = 150        // blocks; the project's only staking time here
	babWithdrawFee   = 1_000      // sat, under musig.max_withdrawal_fee_sat
	babMaxWithdrawal = 5_000
)

// TestBabylon is issue 17's lifecycle through real processes: btcd
// --regtest, geth --dev, policyd from a configuration file with the l1,
// babylon (the dev schedule's file: covenant keys babylon.DevCovenantKey)
// and musig blocks, and the custody binary.
//
//  1. `custody musig-keygen` makes the staker key with policyd (audited);
//     policyd is restarted with it as babylon.staker_key (the policy
//     parameters are fixed at start).
//  2. A user stakes 1 BTC on L2 (TokenStaked, finalized in policyd's
//     ledger): the staking room.
//  3. Refused: a staking output with the wallet key as staker (declared,
//     and undeclared through `custody sign`).
//  4. Stake: a staking PSBT from a wallet coinbase, declared to policyd
//     through the client package, signed by `custody sign --broadcast`
//     (threshold ECDSA), checked by the script engine, mined. Refused: the
//     same TokenStaked amount staked again with its id listed.
//  5. The staking output's slashing transaction is co-signed (MuSig2
//     through the client, as the custody node does) and passes the script
//     engine with the finality provider's and two covenants' signatures.
//     Refused: slashing with another rate, to another address.
//  6. Unbond: refused with another fee; `custody unbond` co-signs the
//     canonical one and the slashing of its output; the test adds two
//     covenant signatures; script engine; mined.
//  7. Withdraw: refused paying another script; `custody withdraw-stake`
//     co-signs the return of the unbonding output to the wallet; btcd
//     refuses it one block before the unbonding time; mined after; the
//     wallet holds the output.
//  8. The audit export verifies: every refusal is there with its reason and
//     nothing was signed for it; every co-signature has its record.
func TestBabylon(t *testing.T) {
	t0 := time.Now()
	c := startChains(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	tChains := time.Since(t0)

	g := babylon.DevParams()
	fp := babylonTestKey("finality-provider")
	b := newBabylonPolicyd(t, c, fp)
	b.pd.start()

	// 1. The staker key: ceremony, then policyd restarted with it.
	b.musigKeygen()
	b.pd.stop()
	b.pd.editConfig(func(cfg map[string]any) {
		cfg["babylon"].(map[string]any)["staker_key"] = hex.EncodeToString(babylon.XOnly(b.agg))
	})
	b.pd.start()
	t.Logf("staker key %x (custody + policyd, MuSig2) configured as babylon.staker_key; policyd restarted", babylon.XOnly(b.agg))

	// 2. The staking room on L2.
	staked := c.stake(ctx, []int64{babStakeSat})
	b.pd.waitL2(idStrings(staked), "staked", "finalized", 60*time.Second)
	t.Logf("policyd indexed TokenStaked %s (%d sat) finalized", staked[0], babStakeSat)

	// 3. The wallet key as staker.
	us := c.spendable(3)
	walletKey, err := btcec.ParsePubKey(c.wallet.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	byWallet := b.stakingPSBT(us[1:2], walletKey, nil)
	deniedWalletKey := b.mustDenyStake(byWallet, b.declare(walletKey), "the wallet key as staker", "staking_wallet_key_as_staker")
	b.refuseCustodySign(byWallet, "staking_wallet_key_as_staker")

	// 4. The stake.
	stakePSBT := b.stakingPSBT(us[0:1], b.agg, nil)
	v := b.submitStake(stakePSBT, b.declare(b.agg))
	if v.Outcome != "allow" {
		t.Fatalf("the staking transaction: %s %v", v.Outcome, v.Reasons)
	}
	stakeDecision := v.ID
	id, stakeTx := b.pd.signAndBroadcast(c, "custody sign --broadcast (staking)", stakePSBT)
	if id != stakeDecision {
		t.Fatalf("custody sign used decision %s, the declared staking decision is %s", id, stakeDecision)
	}
	mustExecute(t, stakeTx, prevOutsOf(t, stakePSBT))
	if err := c.btc.WaitConfirmations(ctx, ptr(stakeTx.TxHash()), l1Confirmations); err != nil {
		t.Fatal(err)
	}
	st := b.stakeOf(stakeDecision, stakeTx, g, fp)
	if !bytes.Equal(stakeTx.TxOut[0].PkScript, st.pkScript) || stakeTx.TxOut[0].Value != babStakeSat {
		t.Fatalf("mined staking output %x %d, want %x %d", stakeTx.TxOut[0].PkScript, stakeTx.TxOut[0].Value, st.pkScript, int64(babStakeSat))
	}
	t.Logf("staking tx %s (decision %s) mined %d deep: %d sat to the staking output", stakeTx.TxHash(), stakeDecision, l1Confirmations, babStakeSat)

	again := b.stakingPSBT(us[2:3], b.agg, staked)
	deniedTwice := b.mustDenyStake(again, b.declare(b.agg), "the TokenStaked amount staked again with its id", "staking_cap_exceeded")

	// 5. The staking output's slashing transaction, pre-signed.
	slash, err := babylon.SlashingTx(g, b.agg, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	slashSig := b.cosign(cosign.KindSlashing, slash, st)
	b.slashingWitness(slash, slashSig, st.locked.TxOut(), st.scripts.Slashing, st.locked.Leaves, fp)
	mustExecute(t, slash, []*wire.TxOut{st.locked.TxOut()})
	var musigDenied []musigDenial
	otherRate, otherAddr := g, g
	otherRate.SlashingRatePct = 20
	otherAddr.SlashingPkScript = b.otherScript
	for _, x := range []struct {
		what string
		g    babylon.GlobalParams
	}{{"slashing at 20%", otherRate}, {"slashing to another address", otherAddr}} {
		tx, err := babylon.SlashingTx(x.g, b.agg, st.OutPoint, st.Value)
		if err != nil {
			t.Fatal(err)
		}
		musigDenied = append(musigDenied, b.mustDenyMuSig(x.what, cosign.KindSlashing, tx, st, cosign.ReasonSlashingNotCanonical))
	}

	// 6. Unbonding: another fee is refused; the canonical one through
	// `custody unbond`, with the covenants' signatures added here.
	feeG := g
	feeG.UnbondingFee = 2 * g.UnbondingFee
	ubOther, err := babylon.StakingUnbondingTx(feeG, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	musigDenied = append(musigDenied, b.mustDenyMuSig("unbonding with another fee", cosign.KindUnbonding, ubOther, st, cosign.ReasonUnbondingNotCanonical))
	ub, ubSlash := b.custodyUnbond(st, fp)
	mustExecute(t, ub, []*wire.TxOut{st.locked.TxOut()})
	if _, err := c.btc.Broadcast(ub); err != nil {
		t.Fatal(err)
	}
	if err := c.btc.WaitConfirmations(ctx, ptr(ub.TxHash()), 1); err != nil {
		t.Fatal(err)
	}
	ubMined := c.height()
	ubLocked, err := babylon.UnbondingLocked(st.Delegation, g.UnbondingTime, wire.OutPoint{Hash: ub.TxHash(), Index: 0}, ub.TxOut[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	mustExecute(t, ubSlash, []*wire.TxOut{ubLocked.TxOut()})
	t.Logf("unbonding tx %s mined at %d (staker: custody unbond; covenants 2 of 3); its slashing tx passes the script engine", ub.TxHash(), ubMined)

	// 7. Withdrawal back to the wallet through the unbonding output's
	// timelock.
	elsewhere, err := babylon.WithdrawalTx([]babylon.LockedOutput{ubLocked}, b.otherScript, babWithdrawFee)
	if err != nil {
		t.Fatal(err)
	}
	musigDenied = append(musigDenied, b.mustDenyMuSig("a withdrawal paying another script", cosign.KindWithdrawal, elsewhere, st, cosign.ReasonWithdrawalOutput))
	wd := b.custodyWithdraw(st, ubLocked.OutPoint)
	if len(wd.TxOut) != 1 || !bytes.Equal(wd.TxOut[0].PkScript, c.wallet.PkScript()) || wd.TxOut[0].Value != ubLocked.Value-babWithdrawFee {
		t.Fatalf("custody withdraw-stake's transaction pays %v, want only the wallet %d sat", wd.TxOut, ubLocked.Value-babWithdrawFee)
	}
	mustExecute(t, wd, []*wire.TxOut{ubLocked.TxOut()})
	// Spendable in block ubMined+UnbondingTime: one block earlier the node
	// refuses it (BIP68), then accepts it.
	if n := ubMined + int64(g.UnbondingTime) - 2 - c.height(); n > 0 {
		if _, err := c.btc.Mine(ctx, int(n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.btc.Broadcast(wd); err == nil || !strings.Contains(strings.ToLower(err.Error()), "sequence") {
		t.Fatalf("the withdrawal one block before the unbonding time (tip %d, unbonding mined at %d): %v, want a sequence-lock refusal", c.height(), ubMined, err)
	}
	if _, err := c.btc.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.btc.Broadcast(wd); err != nil {
		t.Fatalf("the withdrawal at the unbonding time: %v", err)
	}
	if err := c.btc.WaitConfirmations(ctx, ptr(wd.TxHash()), 1); err != nil {
		t.Fatal(err)
	}
	back := wire.OutPoint{Hash: wd.TxHash(), Index: 0}
	utxos, err := c.btc.SpendableUTXOs(c.wallet.PkScript())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(utxos, func(u regtest.UTXO) bool { return u.Outpoint == back && u.Value == ubLocked.Value-babWithdrawFee }) {
		t.Fatalf("the withdrawal's output %v is not among the wallet's spendable outputs", back)
	}
	t.Logf("withdrawal %s mined: %d sat back in the wallet (refused by btcd one block early)", wd.TxHash(), ubLocked.Value-babWithdrawFee)

	// 8. The audit log.
	b.checkAudit(stakeDecision, []stakeDenial{deniedWalletKey, deniedTwice}, musigDenied)
	b.pd.stop()
	t.Logf("TestBabylon: %s wall (chains %s)", time.Since(t0).Round(time.Millisecond), tChains.Round(time.Millisecond))
}

// babylonTestKey is a deterministic test key (a finality provider's, a
// custody node's): never a real one.
func babylonTestKey(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte("policyd-e2e-babylon/" + label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// babylonNode is TestBabylon's deployment: policyd with the babylon and
// musig blocks, the custody node's MuSig2 key file, the staker key.
type babylonNode struct {
	t          *testing.T
	c          *chains
	pd         *policydNode
	paramsFile string
	musigKey   string // the custody node's sealed MuSig2 key
	fp         *btcec.PrivateKey
	agg        *btcec.PublicKey // the staker key, after musigKeygen
	signer     *musig.Signer    // the custody node's half, after musigKeygen
	// otherScript is a P2WPKH that is neither the wallet nor anything
	// policyd knows.
	otherScript []byte
}

// newBabylonPolicyd writes the dev schedule's parameters file and a policyd
// configuration with the babylon block (no staker key yet), the musig block
// and the finality provider fp whitelisted.
func newBabylonPolicyd(t *testing.T, c *chains, fp *btcec.PrivateKey) *babylonNode {
	t.Helper()
	dir := t.TempDir()
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	raw, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b := &babylonNode{t: t, c: c, fp: fp, paramsFile: filepath.Join(dir, "babylon-params.json"), musigKey: filepath.Join(dir, "custody-musig.age"),
		otherScript: psbtgen.P2WPKHOutput("policyd-e2e-babylon/elsewhere", 1).PkScript}
	mustWrite(t, b.paramsFile, raw)
	b.pd = newPolicyd(t, c, func(cfg map[string]any) {
		cfg["babylon"] = map[string]any{"params_file": b.paramsFile}
		cfg["musig"] = map[string]any{"allow_keygen": true, "pop_address": hex.EncodeToString(bytes.Repeat([]byte{0xbb}, 20)),
			"max_withdrawal_fee_sat": babMaxWithdrawal}
		cfg["policy"].(map[string]any)["staking_times"] = []int{babStakingTime}
		gov := cfg["governance"].(map[string]any)
		gov["bootstrap"] = append(gov["bootstrap"].([]map[string]string),
			map[string]string{"kind": "finality_provider", "address": hex.EncodeToString(babylon.XOnly(fp.PubKey())), "label": "e2e finality provider"})
	})
	return b
}

// editConfig rewrites policyd's configuration file through f (the process
// reads it at its next start).
func (p *policydNode) editConfig(f func(cfg map[string]any)) {
	t := p.t
	t.Helper()
	raw, err := os.ReadFile(p.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	f(cfg)
	if raw, err = json.MarshalIndent(cfg, "", "  "); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p.cfgPath, raw)
}

// custodyArgs are the flags every custody MuSig2 command takes: policyd
// over mutual TLS, the custody node's MuSig2 key and its passphrase.
func (b *babylonNode) custodyArgs() []string {
	p := b.pd
	return []string{"--server", p.url, "--ca", p.tls.CACert, "--cert", p.tls.ClientCert, "--key", p.tls.ClientKey,
		"--musig-key", b.musigKey, "--passphrase-file", p.passFile, "--scrypt-work-factor", fmt.Sprint(tssfixtures.DevWorkFactor),
		"--timeout", "2m"}
}

// musigKeygen runs `custody musig-keygen` and checks its answer against
// policyd's GET /v1/musig/key and the custody node's own key file.
func (b *babylonNode) musigKeygen() {
	t := b.t
	t.Helper()
	kg := startProc(t, "custody musig-keygen", bins.custody, nil, append([]string{"musig-keygen"}, b.custodyArgs()...)...)
	kg.mustExit(2*time.Minute, 0)
	var v cosign.KeyView
	if err := json.Unmarshal([]byte(kg.stdout.String()), &v); err != nil {
		t.Fatalf("custody musig-keygen printed %q: %v", kg.stdout.String(), err)
	}
	served, err := b.pd.api.MuSigKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if *served != v {
		t.Fatalf("policyd serves key %+v, the ceremony printed %+v", served, v)
	}
	prot, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := cosign.LoadKey(b.musigKey, prot)
	if err != nil {
		t.Fatal(err)
	}
	if v.CustodyKey != hex.EncodeToString(priv.PubKey().SerializeCompressed()) {
		t.Fatalf("the ceremony names custody key %s, the key file holds %x", v.CustodyKey, priv.PubKey().SerializeCompressed())
	}
	pk, err := hex.DecodeString(v.PolicydKey)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := btcec.ParsePubKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	if b.signer, err = musig.NewSigner(priv, peer); err != nil {
		t.Fatal(err)
	}
	b.agg = b.signer.AggregateKey()
	if got := hex.EncodeToString(babylon.XOnly(b.agg)); got != v.AggregateKey {
		t.Fatalf("the two keys aggregate to %s, the ceremony printed %s", got, v.AggregateKey)
	}
}

// declare is the staking declaration of output 0 with staker, the
// whitelisted finality provider and the project's staking time.
func (b *babylonNode) declare(staker *btcec.PublicKey) decision.StakingDeclaration {
	return decision.StakingDeclaration{OutputIndex: 0, StakerKey: hex.EncodeToString(babylon.XOnly(staker)),
		FinalityProviders: []string{hex.EncodeToString(babylon.XOnly(b.fp.PubKey()))}, StakingTime: babStakingTime}
}

// stakingPSBT spends utxos to output 0, the staking output of staker
// (babStakeSat, the whitelisted finality provider, babStakingTime, the dev
// version's committee), and the change to the wallet; ids, when given, go
// into the OP_RETURN.
func (b *babylonNode) stakingPSBT(utxos []regtest.UTXO, staker *btcec.PublicKey, ids []*big.Int) *psbt.Packet {
	t := b.t
	t.Helper()
	out, _, err := babylon.StakingOutput(babylon.DevParams(), staker, []*btcec.PublicKey{b.fp.PubKey()}, babStakingTime, babStakeSat)
	if err != nil {
		t.Fatal(err)
	}
	var in int64
	us := make([]psbtgen.UTXO, len(utxos))
	for i, u := range utxos {
		in += u.Value
		us[i] = psbtgen.UTXO{PrevTx: u.PrevTx, Vout: u.Outpoint.Index}
	}
	outs := []*wire.TxOut{out, wire.NewTxOut(in-babStakeSat-3_000, b.c.wallet.PkScript())}
	var payload []byte
	if len(ids) > 0 {
		payload = psbtgen.StReqIDsPayload(idStrings(ids)...)
	}
	p, err := psbtgen.BuildFromUTXOs(regtest.Params, b.c.wallet, us, outs, payload)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// submitStake posts a staking PSBT with its declaration to POST
// /v1/sign-requests through the client package (the custody node's
// certificate).
func (b *babylonNode) submitStake(pk *psbt.Packet, decl decision.StakingDeclaration) decisionView {
	t := b.t
	t.Helper()
	b.pd.ensureL1(pk)
	req, err := client.NewSignRequest(pk, decl)
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.pd.api.Sign(context.Background(), req)
	if err != nil && !errors.Is(err, client.ErrDenied) {
		t.Fatalf("POST /v1/sign-requests: %v", err)
	}
	if (err == nil) != (v.Outcome == "allow") {
		t.Fatalf("POST /v1/sign-requests: %s with error %v", v.Outcome, err)
	}
	return b.pd.view(v)
}

// stakeDenial is a staking decision policyd denied, and the reason it must
// name.
type stakeDenial struct{ id, reason string }

func (b *babylonNode) mustDenyStake(pk *psbt.Packet, decl decision.StakingDeclaration, what, reason string) stakeDenial {
	t := b.t
	t.Helper()
	v := b.submitStake(pk, decl)
	if v.Outcome != "deny" || !slices.Contains(v.Reasons, reason) {
		t.Fatalf("%s: %s %v, want a deny naming %s", what, v.Outcome, v.Reasons, reason)
	}
	t.Logf("%s: denied %v (decision %s)", what, v.Reasons, v.ID)
	return stakeDenial{v.ID, reason}
}

// babStake is the stake as the custody node keeps it, with what the test
// rebuilds from it.
type babStake struct {
	*cosign.Stake
	pkScript []byte
	scripts  babylon.Scripts
	locked   babylon.LockedOutput // the staking output
}

// stakeOf is the staking output 0 of the signed staking transaction tx of
// decision id, which policyd must list as its verified staking output.
func (b *babylonNode) stakeOf(id string, tx *wire.MsgTx, g babylon.GlobalParams, fp *btcec.PrivateKey) *babStake {
	t := b.t
	t.Helper()
	raw, err := b.pd.api.Decision(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		State    string `json:"state"`
		Decision struct {
			StakingOutputs []int `json:"staking_outputs"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(raw.Record, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.State != "signed" || !slices.Equal(rec.Decision.StakingOutputs, []int{0}) {
		t.Fatalf("staking decision %s: state %s, staking outputs %v; want signed, [0]", id, rec.State, rec.Decision.StakingOutputs)
	}
	out, d, err := babylon.StakingOutput(g, b.agg, []*btcec.PublicKey{fp.PubKey()}, babStakingTime, babStakeSat)
	if err != nil {
		t.Fatal(err)
	}
	st := &babStake{Stake: &cosign.Stake{DecisionID: id, OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: 0}, Value: babStakeSat, Delegation: d, Params: g},
		pkScript: out.PkScript}
	if st.scripts, err = babylon.BuildScripts(d); err != nil {
		t.Fatal(err)
	}
	if st.locked, err = babylon.StakingLocked(d, st.OutPoint, st.Value); err != nil {
		t.Fatal(err)
	}
	return st
}

func (b *babylonNode) stakeFlags(st *babStake) []string {
	return []string{"--params", b.paramsFile, "--params-version", fmt.Sprint(st.Params.Version), "--staking-decision", st.DecisionID,
		"--staking-outpoint", st.OutPoint.String(), "--staking-value", fmt.Sprint(st.Value),
		"--fp", hex.EncodeToString(babylon.XOnly(b.fp.PubKey())), "--staking-time", fmt.Sprint(babStakingTime)}
}

// cosign asks policyd to co-sign tx of kind for st through the client
// package and runs the custody node's half of the sessions: the staker
// key's signature of input 0.
func (b *babylonNode) cosign(kind string, tx *wire.MsgTx, st *babStake) *schnorr.Signature {
	t := b.t
	t.Helper()
	ctx := context.Background()
	var msgs []cosign.Message
	var d *cosign.Denial
	switch kind {
	case cosign.KindSlashing:
		msgs, d = cosign.SlashingMessages(st.Stake, b.agg, tx)
	default:
		t.Fatalf("cosign %s: not used here", kind)
	}
	if d != nil {
		t.Fatalf("the custody node's own check of %s: %v", kind, d)
	}
	v, err := b.pd.api.MuSigRequest(ctx, cosign.Request{Kind: kind, Tx: noWitnessHex(t, tx), Stake: stakeRef(st)})
	if err != nil {
		t.Fatalf("%s: %v (%+v)", kind, err, v)
	}
	sigs, err := cosign.CoSign(ctx, b.pd.api, b.signer, v, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return sigs[0]
}

func stakeRef(st *babStake) *cosign.StakeRef {
	return &cosign.StakeRef{DecisionID: st.DecisionID, OutputIndex: int(st.OutPoint.Index)}
}

func noWitnessHex(t testing.TB, tx *wire.MsgTx) string {
	t.Helper()
	var buf bytes.Buffer
	if err := tx.SerializeNoWitness(&buf); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

// musigDenial is a co-signing request policyd denied and its reason.
type musigDenial struct{ id, reason string }

// mustDenyMuSig asks policyd to co-sign tx and requires a 403 denial with
// exactly reason, no session possible, and the decision stored as denied.
func (b *babylonNode) mustDenyMuSig(what, kind string, tx *wire.MsgTx, st *babStake, reason string) musigDenial {
	t := b.t
	t.Helper()
	ctx := context.Background()
	v, err := b.pd.api.MuSigRequest(ctx, cosign.Request{Kind: kind, Tx: noWitnessHex(t, tx), Stake: stakeRef(st)})
	var ce *client.Error
	if !errors.Is(err, client.ErrDenied) || !errors.As(err, &ce) || ce.Status != http.StatusForbidden || v == nil {
		t.Fatalf("%s: %+v %v, want a 403 denial %s", what, v, err, reason)
	}
	if v.Outcome != "deny" || v.State != "denied" || !slices.Equal(v.Reasons, []string{reason}) || len(v.Inputs) != 0 {
		t.Fatalf("%s: %s %s %v (%d inputs), want denied [%s]", what, v.Outcome, v.State, v.Reasons, len(v.Inputs), reason)
	}
	if _, err := b.pd.api.MuSigRound1(ctx, v.ID, 0, make([]byte, 165)); err == nil {
		t.Fatalf("%s: a session of the denied decision %s was accepted", what, v.ID)
	}
	got, err := b.pd.api.MuSigDecision(ctx, v.ID)
	if err != nil || got.State != "denied" {
		t.Fatalf("%s: GET the decision %s: %+v %v", what, v.ID, got, err)
	}
	t.Logf("%s: denied %v (musig decision %s)", what, v.Reasons, v.ID)
	return musigDenial{v.ID, reason}
}

// slashingWitness completes a slashing transaction's witness as Babylon
// would on an equivocation: two dev covenants, the finality provider and
// the staker's pre-signature.
func (b *babylonNode) slashingWitness(tx *wire.MsgTx, stakerSig *schnorr.Signature, prev *wire.TxOut, leaf []byte, leaves [][]byte, fp *btcec.PrivateKey) {
	t := b.t
	t.Helper()
	msg, err := babylon.ScriptPathSigHash(tx, 0, []*wire.TxOut{prev}, leaf)
	if err != nil {
		t.Fatal(err)
	}
	fpSig, err := schnorr.Sign(fp, msg[:])
	if err != nil {
		t.Fatal(err)
	}
	b.witness(tx, msg, fpSig.Serialize(), stakerSig, leaf, leaves)
}

// witness sets input 0's covenant-leaf witness: dev covenants 0 and 1 sign
// msg.
func (b *babylonNode) witness(tx *wire.MsgTx, msg [32]byte, fpSig []byte, stakerSig *schnorr.Signature, leaf []byte, leaves [][]byte) {
	t := b.t
	t.Helper()
	var covs []*btcec.PublicKey
	for i := range babylon.DevCovenants {
		covs = append(covs, babylon.DevCovenantKey(i).PubKey())
	}
	var sigs []babylon.CovenantSig
	for i := range babylon.DevCovenantQuorum {
		s, err := schnorr.Sign(babylon.DevCovenantKey(i), msg[:])
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, babylon.CovenantSig{Key: babylon.DevCovenantKey(i).PubKey(), Sig: s})
	}
	cb, err := babylon.ControlBlock(leaves, leaf)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxIn[0].Witness, err = babylon.CovenantWitness(covs, sigs, fpSig, stakerSig, leaf, cb); err != nil {
		t.Fatal(err)
	}
}

// custodyUnbond runs `custody unbond` and returns the unbonding
// transaction with its full witness (the covenants' signatures added here)
// and the slashing transaction of its output with its full witness.
func (b *babylonNode) custodyUnbond(st *babStake, fp *btcec.PrivateKey) (*wire.MsgTx, *wire.MsgTx) {
	t := b.t
	t.Helper()
	p := startProc(t, "custody unbond", bins.custody, nil, append(append([]string{"unbond"}, b.custodyArgs()...), b.stakeFlags(st)...)...)
	p.mustExit(2*time.Minute, 0)
	var out struct {
		UnbondingTx  string `json:"unbonding_tx"`
		UnbondingSig string `json:"unbonding_staker_sig"`
		SlashingTx   string `json:"unbonding_slashing_tx"`
		SlashingSig  string `json:"unbonding_slashing_staker_sig"`
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &out); err != nil {
		t.Fatalf("custody unbond printed %q: %v", p.stdout.String(), err)
	}
	ub, ubSig := parseTxHex(t, out.UnbondingTx), parseSchnorr(t, out.UnbondingSig)
	want, err := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := babylon.SameTx(ub, want); err != nil {
		t.Fatalf("custody unbond's unbonding tx is not the canonical one: %v", err)
	}
	leaves := st.locked.Leaves
	msg, err := babylon.ScriptPathSigHash(ub, 0, []*wire.TxOut{st.locked.TxOut()}, st.scripts.Unbonding)
	if err != nil {
		t.Fatal(err)
	}
	b.witness(ub, msg, nil, ubSig, st.scripts.Unbonding, leaves)

	sl, slSig := parseTxHex(t, out.SlashingTx), parseSchnorr(t, out.SlashingSig)
	ubLocked, err := babylon.UnbondingLocked(st.Delegation, st.Params.UnbondingTime, wire.OutPoint{Hash: ub.TxHash(), Index: 0}, ub.TxOut[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	ubScripts := ubLocked.Leaves // [timelock, slashing]
	b.slashingWitness(sl, slSig, ubLocked.TxOut(), ubScripts[len(ubScripts)-1], ubScripts, fp)
	return ub, sl
}

// custodyWithdraw runs `custody withdraw-stake` on the locked output at
// and returns the signed transaction it printed.
func (b *babylonNode) custodyWithdraw(st *babStake, at wire.OutPoint) *wire.MsgTx {
	t := b.t
	t.Helper()
	args := append(append([]string{"withdraw-stake"}, b.custodyArgs()...), b.stakeFlags(st)...)
	args = append(args, "--outpoint", at.String(), "--wallet-address", b.c.walletAddr, "--network", "regtest", "--fee", fmt.Sprint(babWithdrawFee))
	p := startProc(t, "custody withdraw-stake", bins.custody, nil, args...)
	p.mustExit(2*time.Minute, 0)
	return parseTxHex(t, strings.TrimSpace(p.stdout.String()))
}

func parseTxHex(t testing.TB, s string) *wire.MsgTx {
	t.Helper()
	raw, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("transaction hex %q: %v", s, err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatalf("transaction %q: %v", s, err)
	}
	return &tx
}

func parseSchnorr(t testing.TB, s string) *schnorr.Signature {
	t.Helper()
	raw, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := schnorr.ParseSignature(raw)
	if err != nil {
		t.Fatalf("signature %q: %v", s, err)
	}
	return sig
}

// prevOutsOf are the previous outputs of pk's inputs, by input.
func prevOutsOf(t testing.TB, pk *psbt.Packet) []*wire.TxOut {
	t.Helper()
	outs := make([]*wire.TxOut, len(pk.UnsignedTx.TxIn))
	for i, in := range pk.UnsignedTx.TxIn {
		prev := pk.Inputs[i].NonWitnessUtxo
		if prev == nil || prev.TxHash() != in.PreviousOutPoint.Hash {
			t.Fatalf("input %d: no previous transaction", i)
		}
		outs[i] = prev.TxOut[in.PreviousOutPoint.Index]
	}
	return outs
}

// mustExecute runs btcd's script engine (standard flags) on every input of
// tx, prevOuts by input (the custody library's check, mpc/custody.VerifyTx).
func mustExecute(t testing.TB, tx *wire.MsgTx, prevOuts []*wire.TxOut) {
	t.Helper()
	m := make(map[wire.OutPoint]*wire.TxOut, len(prevOuts))
	for i, in := range tx.TxIn {
		m[in.PreviousOutPoint] = prevOuts[i]
	}
	if err := custody.VerifyTx(tx, m); err != nil {
		t.Fatalf("tx %s: %v", tx.TxHash(), err)
	}
}

// refuseCustodySign runs `custody sign` on pk (no staking declaration:
// policyd matches the output against the approved combinations) and
// requires a refusal naming reason, with no transaction written.
func (b *babylonNode) refuseCustodySign(pk *psbt.Packet, reason string) {
	t := b.t
	t.Helper()
	sign, out := b.pd.custodySign("custody sign (refused)", pk, b.c, false)
	if exit, err := sign.wait(2 * time.Minute); err != nil || exit == 0 {
		t.Fatalf("custody sign: exit %d, %v; want a refusal naming %s", exit, err, reason)
	}
	if !strings.Contains(sign.stderr.String(), reason) {
		t.Fatalf("custody sign was refused without naming %s:\n%s", reason, sign.stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused signing wrote a transaction (stat: %v)", err)
	}
	t.Logf("custody sign refused: %s", strings.TrimSpace(sign.stderr.String()))
}

// checkAudit exports and verifies the audit log: the staking decision has
// one signature record per input; each denial is there with its reason and
// nothing was begun or signed for it; each allowed co-signing has one
// musig_signature record.
func (b *babylonNode) checkAudit(stakeDecision string, staking []stakeDenial, cosigning []musigDenial) {
	t := b.t
	t.Helper()
	recs := b.pd.auditExport()
	type decisionRecord struct {
		DecisionID string `json:"decision_id"`
		Decision   struct {
			Outcome string `json:"outcome"`
			Reasons []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		} `json:"decision"`
	}
	type musigRecord struct {
		DecisionID   string   `json:"decision_id"`
		RequestKind  string   `json:"request_kind"`
		Outcome      string   `json:"outcome"`
		Reasons      []string `json:"reasons"`
		AggregateKey string   `json:"aggregate_key_xonly"`
	}
	decided := map[string]decisionRecord{}   // decision records by id
	musigDecided := map[string]musigRecord{} // musig_decision records by id
	touched := map[string][]string{}         // signing records by decision id
	musigSigned := map[string]string{}       // musig_signature: decision id -> request kind
	var musigKeys int
	agg := hex.EncodeToString(babylon.XOnly(b.agg))
	for _, r := range recs {
		var err error
		switch r.Kind {
		case "musig_key":
			var k musigRecord
			if err = json.Unmarshal(r.Body, &k); err == nil && k.AggregateKey != agg {
				t.Fatalf("musig_key record %s: want the staker key %s", r.Body, agg)
			}
			musigKeys++
		case "decision":
			var d decisionRecord
			if err = json.Unmarshal(r.Body, &d); err == nil {
				decided[d.DecisionID] = d
			}
		case "musig_decision":
			var d musigRecord
			if err = json.Unmarshal(r.Body, &d); err == nil {
				musigDecided[d.DecisionID] = d
			}
		case "signature", "decision_begin", "musig_signature":
			var d musigRecord
			if err = json.Unmarshal(r.Body, &d); err == nil {
				touched[d.DecisionID] = append(touched[d.DecisionID], r.Kind)
				if r.Kind == "musig_signature" {
					musigSigned[d.DecisionID] = d.RequestKind
				}
			}
		}
		if err != nil {
			t.Fatalf("%s record: %v: %s", r.Kind, err, r.Body)
		}
	}
	if musigKeys != 1 {
		t.Fatalf("%d musig_key records, want the one ceremony", musigKeys)
	}
	for _, d := range staking {
		rec, ok := decided[d.id]
		var codes []string
		for _, r := range rec.Decision.Reasons {
			codes = append(codes, r.Code)
		}
		if !ok || rec.Decision.Outcome != "deny" || !slices.Contains(codes, d.reason) {
			t.Fatalf("audit: decision %s: %+v, want a deny naming %s", d.id, rec, d.reason)
		}
		if len(touched[d.id]) > 0 {
			t.Fatalf("audit: denied decision %s has %v records", d.id, touched[d.id])
		}
	}
	for _, d := range cosigning {
		rec, ok := musigDecided[d.id]
		if !ok || rec.Outcome != "deny" || !slices.Equal(rec.Reasons, []string{d.reason}) {
			t.Fatalf("audit: musig decision %s: %+v, want a deny [%s]", d.id, rec, d.reason)
		}
		if len(touched[d.id]) > 0 {
			t.Fatalf("audit: denied musig decision %s has %v records", d.id, touched[d.id])
		}
	}
	if sigs := signaturesOf(t, recs, stakeDecision); len(sigs) != 1 || sigs[0] != 1 {
		t.Fatalf("audit: signature records of the staking decision %s by input: %v, want one for its one input", stakeDecision, sigs)
	}
	kinds := map[string]int{}
	for _, k := range musigSigned {
		kinds[k]++
	}
	want := map[string]int{cosign.KindSlashing: 2, cosign.KindUnbonding: 1, cosign.KindWithdrawal: 1}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("audit: co-signed decisions by kind %v, want %v", kinds, want)
	}
	t.Logf("audit export: %d records verified; %d staking and %d co-signing refusals with their reasons, none signed", len(recs), len(staking), len(cosigning))
}
