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
	"regexp"
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
//  3. Refused: a staking output with the wallet key as staker (declared
//     through the client package, and undeclared through `custody sign`).
//  4. Stake: `custody stake --broadcast` from a wallet coinbase (policyd's
//     decision on the declared output, threshold ECDSA, both slashing
//     transactions co-signed); script engine; mined. Refused: `custody
//     stake` of the same TokenStaked amount again with its id listed.
//  5. The staking output's slashing transaction from custody stake is the
//     canonical one and passes the script engine with the finality
//     provider's and two dev covenants' signatures. Refused (client
//     package): slashing with another rate, to another address.
//  6. Unbond: refused with another fee; `custody unbond --dev-covenants
//     --broadcast` finalizes the canonical one (staker + 2 of 3 dev
//     covenants): script engine, mined; the slashing of its output, asked
//     again, comes back with custody stake's signature (signed once).
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

	// 1. The staker key: ceremony, then policyd restarted with it. 2. The
	// staking room on L2, staked meanwhile. policyd's L1 view syncs from
	// block 1 during both, and is kept across the restart.
	staked := c.stake(ctx, []int64{babStakeSat})
	b.musigKeygen()
	b.pd.waitL1()
	b.pd.stop()
	b.pd.editConfig(func(cfg map[string]any) {
		cfg["babylon"].(map[string]any)["staker_key"] = hex.EncodeToString(babylon.XOnly(b.agg))
	})
	b.pd.start()
	t.Logf("staker key %x (custody + policyd, MuSig2) configured as babylon.staker_key; policyd restarted", babylon.XOnly(b.agg))
	b.pd.waitL2(idStrings(staked), "staked", "finalized", 60*time.Second)
	t.Logf("policyd indexed TokenStaked %s (%d sat) finalized", staked[0], babStakeSat)

	// 3. The wallet key as staker.
	us := c.spendable(3)
	walletKey, err := btcec.ParsePubKey(c.wallet.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	byWallet := b.stakingPSBT(us[1:2], walletKey)
	deniedWalletKey := b.mustDenyStake(byWallet, b.declare(walletKey), "the wallet key as staker", "staking_wallet_key_as_staker")
	b.refuseCustodySign(byWallet, "staking_wallet_key_as_staker")

	// 4. The stake: `custody stake --broadcast` (policyd's decision, the
	// threshold signing, both slashing transactions co-signed).
	res := b.custodyStake(us[0])
	stakeTx := parseTxHex(t, res.Tx)
	mustExecute(t, stakeTx, []*wire.TxOut{us[0].PrevTx.TxOut[us[0].Outpoint.Index]})
	if err := c.btc.WaitConfirmations(ctx, ptr(stakeTx.TxHash()), l1Confirmations); err != nil {
		t.Fatal(err)
	}
	st := b.stakeOf(res.Decision, stakeTx, g, fp)
	if !bytes.Equal(stakeTx.TxOut[0].PkScript, st.pkScript) || stakeTx.TxOut[0].Value != babStakeSat {
		t.Fatalf("mined staking output %x %d, want %x %d", stakeTx.TxOut[0].PkScript, stakeTx.TxOut[0].Value, st.pkScript, int64(babStakeSat))
	}
	t.Logf("staking tx %s (decision %s) mined %d deep: %d sat to the staking output", stakeTx.TxHash(), res.Decision, l1Confirmations, babStakeSat)
	deniedTwice := b.refuseStakeAgain(us[2], staked)

	// 5. The staking output's slashing transaction, pre-signed by custody
	// stake: canonical, and valid with the finality provider's and two
	// covenants' signatures.
	slash := parseTxHex(t, res.SlashingTx)
	want, err := babylon.SlashingTx(g, b.agg, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := babylon.SameTx(slash, want); err != nil {
		t.Fatalf("custody stake's slashing tx: %v", err)
	}
	b.slashingWitness(slash, parseSchnorr(t, res.SlashingSig), st.locked.TxOut(), st.scripts.Slashing, st.locked.Leaves, fp)
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
	// `custody unbond --dev-covenants --broadcast`.
	feeG := g
	feeG.UnbondingFee = 2 * g.UnbondingFee
	ubOther, err := babylon.StakingUnbondingTx(feeG, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	musigDenied = append(musigDenied, b.mustDenyMuSig("unbonding with another fee", cosign.KindUnbonding, ubOther, st, cosign.ReasonUnbondingNotCanonical))
	ub, ubSlash := b.custodyUnbond(st, fp, res.Delegation.UnbondingSlashingSig)
	mustExecute(t, ub, []*wire.TxOut{st.locked.TxOut()})
	if err := c.btc.WaitConfirmations(ctx, ptr(ub.TxHash()), 1); err != nil {
		t.Fatal(err)
	}
	ubMined := c.height()
	ubLocked, err := babylon.UnbondingLocked(st.Delegation, g.UnbondingTime, wire.OutPoint{Hash: ub.TxHash(), Index: 0}, ub.TxOut[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	b.slashingWitness(ubSlash.tx, ubSlash.sig, ubLocked.TxOut(), ubLocked.Leaves[len(ubLocked.Leaves)-1], ubLocked.Leaves, fp)
	mustExecute(t, ubSlash.tx, []*wire.TxOut{ubLocked.TxOut()})
	t.Logf("unbonding tx %s mined at %d (custody unbond: staker and dev covenants 2 of 3); its slashing tx passes the script engine", ub.TxHash(), ubMined)

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
	b.checkAudit(res.Decision, []stakeDenial{deniedWalletKey, deniedTwice}, musigDenied)
	b.pd.stop()
	t.Logf("TestBabylon: %s wall (chains %s)", time.Since(t0).Round(time.Millisecond), tChains.Round(time.Millisecond))
}

// babylonTestKey is a deterministic test key (the finality provider's):
// never a real one.
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
		// policyd seals its MuSig2 key like its share: at the fixtures'
		// scrypt work factor, not age's default (seconds under -race).
		cfg["mpc"].(map[string]any)["work_factor"] = tssfixtures.DevWorkFactor
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
// version's committee), and the change to the wallet.
func (b *babylonNode) stakingPSBT(utxos []regtest.UTXO, staker *btcec.PublicKey) *psbt.Packet {
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
	p, err := psbtgen.BuildFromUTXOs(regtest.Params, b.c.wallet, us, outs, nil)
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
// would on an equivocation: dev covenants 0 and 1, the finality provider
// and the staker's pre-signature, through leaf of the tree leaves.
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
	if tx.TxIn[0].Witness, err = babylon.CovenantWitness(covs, sigs, fpSig.Serialize(), stakerSig, leaf, cb); err != nil {
		t.Fatal(err)
	}
}

// signedTx is a pre-signed transaction and the staker's signature of it.
type signedTx struct {
	tx  *wire.MsgTx
	sig *schnorr.Signature
}

// custodyUnbond runs `custody unbond --dev-covenants --broadcast` and
// returns the unbonding transaction it finalized (checked canonical,
// reported broadcast) and the slashing transaction of its output, whose
// staker signature must be slashSig, made by custody stake: policyd signs
// a transaction once.
func (b *babylonNode) custodyUnbond(st *babStake, fp *btcec.PrivateKey, slashSig string) (*wire.MsgTx, signedTx) {
	t := b.t
	t.Helper()
	args := append(append([]string{"unbond"}, b.custodyArgs()...), b.stakeFlags(st)...)
	args = append(args, append([]string{"--dev-covenants"}, b.rpcArgs()...)...)
	p := startProc(t, "custody unbond", bins.custody, b.rpcEnv(), args...)
	p.mustExit(2*time.Minute, 0)
	var out struct {
		SignedTx    string `json:"unbonding_tx_signed"`
		TxID        string `json:"unbonding_txid"`
		SlashingTx  string `json:"unbonding_slashing_tx"`
		SlashingSig string `json:"unbonding_slashing_staker_sig"`
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &out); err != nil {
		t.Fatalf("custody unbond printed %q: %v", p.stdout.String(), err)
	}
	ub := parseTxHex(t, out.SignedTx)
	want, err := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		t.Fatal(err)
	}
	bare := ub.Copy()
	for _, in := range bare.TxIn {
		in.Witness = nil
	}
	if err := babylon.SameTx(bare, want); err != nil {
		t.Fatalf("custody unbond's unbonding tx is not the canonical one: %v", err)
	}
	if out.TxID != ub.TxHash().String() || !strings.Contains(p.stderr.String(), "broadcast: "+out.TxID) {
		t.Fatalf("custody unbond did not report the broadcast of %s (txid %s):\n%s", ub.TxHash(), out.TxID, p.stderr.String())
	}
	if out.SlashingSig != slashSig {
		t.Fatalf("the unbonding output's slashing tx: custody unbond got signature %s, custody stake had %s", out.SlashingSig, slashSig)
	}
	return ub, signedTx{parseTxHex(t, out.SlashingTx), parseSchnorr(t, out.SlashingSig)}
}

// rpcArgs make a custody command broadcast to the test's btcd (password in
// rpcEnv).
func (b *babylonNode) rpcArgs() []string {
	return []string{"--broadcast", "--rpc-host", b.c.btc.RPCAddr(), "--rpc-user", b.c.btc.User(), "--rpc-cert", b.c.btc.CertPath()}
}

func (b *babylonNode) rpcEnv() []string { return []string{"CUSTODY_RPC_PASS=" + b.c.btc.Pass()} }

// stakeResult is the part of custody stake's output the test reads.
type stakeResult struct {
	TxID        string `json:"staking_txid"`
	Tx          string `json:"staking_tx"`
	Decision    string `json:"staking_decision"`
	OutputIndex int    `json:"staking_output_index"`
	SlashingTx  string `json:"slashing_tx"`
	SlashingSig string `json:"slashing_staker_sig"`
	Delegation  struct {
		UnbondingSlashingSig string `json:"delegator_unbonding_slashing_sig"`
	} `json:"delegation"`
}

// stakeProc starts `custody stake` of babStakeSat from the wallet output u
// (ids, when given, listed in the OP_RETURN); with broadcast it sends the
// staking transaction to btcd.
func (b *babylonNode) stakeProc(name string, u regtest.UTXO, ids []*big.Int, broadcast bool) *proc {
	p := b.pd
	args := append([]string{"stake"}, b.custodyArgs()...)
	args = append(args, "--share", p.custodyShare, "--log-key", p.verifierKey, "--babylon-params", b.paramsFile,
		"--fp", hex.EncodeToString(babylon.XOnly(b.fp.PubKey())), "--staking-time", fmt.Sprint(babStakingTime),
		"--value", fmt.Sprint(babStakeSat), "--fee", "3000", "--utxo", u.Outpoint.String(), "--network", "regtest")
	if len(ids) > 0 {
		args = append(args, "--req-ids", strings.Join(idStrings(ids), ","))
	}
	if broadcast {
		args = append(args, b.rpcArgs()...)
	} else {
		args = append(args, "--rpc-host", b.c.btc.RPCAddr(), "--rpc-user", b.c.btc.User(), "--rpc-cert", b.c.btc.CertPath())
	}
	return startProc(b.t, name, bins.custody, b.rpcEnv(), args...)
}

// custodyStake runs `custody stake --broadcast` from u and requires
// success: the staking transaction reported broadcast, output 0 staked.
func (b *babylonNode) custodyStake(u regtest.UTXO) *stakeResult {
	t := b.t
	t.Helper()
	p := b.stakeProc("custody stake --broadcast", u, nil, true)
	p.mustExit(3*time.Minute, 0)
	var res stakeResult
	if err := json.Unmarshal([]byte(p.stdout.String()), &res); err != nil {
		t.Fatalf("custody stake printed %q: %v", p.stdout.String(), err)
	}
	if res.OutputIndex != 0 || res.Decision == "" || !strings.Contains(p.stderr.String(), "broadcast: "+res.TxID) {
		t.Fatalf("custody stake: output %d, decision %q, broadcast of %s not reported:\n%s", res.OutputIndex, res.Decision, res.TxID, p.stderr.String())
	}
	return &res
}

// refuseStakeAgain runs `custody stake` of the amount of the TokenStaked
// ids again, the ids listed: policyd must deny it staking_cap_exceeded,
// and nothing is signed or broadcast.
func (b *babylonNode) refuseStakeAgain(u regtest.UTXO, ids []*big.Int) stakeDenial {
	t := b.t
	t.Helper()
	const reason = "staking_cap_exceeded"
	p := b.stakeProc("custody stake (the same TokenStaked again)", u, ids, true)
	if exit, err := p.wait(2 * time.Minute); err != nil || exit != 1 {
		t.Fatalf("custody stake of the same TokenStaked amount again: exit %d, %v; want 1 (refused)", exit, err)
	}
	m := regexp.MustCompile(`policyd denied the staking transaction \(decision ([^)\s]+)\): (.*)`).FindStringSubmatch(p.stderr.String())
	if m == nil || !slices.Contains(strings.Split(strings.TrimSpace(m[2]), ", "), reason) {
		t.Fatalf("custody stake was refused without naming %s:\n%s", reason, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), "broadcast:") || p.stdout.String() != "" {
		t.Fatalf("a refused staking printed or broadcast a transaction:\n%s%s", p.stdout.String(), p.stderr.String())
	}
	if v := b.pd.decision(m[1]); v.Outcome != "deny" || !slices.Contains(v.Reasons, reason) {
		t.Fatalf("decision %s: %s %v, want a deny naming %s", m[1], v.Outcome, v.Reasons, reason)
	}
	t.Logf("custody stake of the same TokenStaked amount again, id %s listed: denied %s (decision %s)", ids[0], m[2], m[1])
	return stakeDenial{m[1], reason}
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
