package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// stakingConfig is withShare with the babylon block (the dev schedule,
// no staker key), the musig block (key ceremony allowed) and the dev
// version's shortest staking time among the project's.
func stakingConfig(t *testing.T) Config {
	t.Helper()
	cfg := withShare(t)
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	file := writeJSON(t, filepath.Join(t.TempDir(), "babylon-params.json"), vs)
	cfg.Babylon = &BabylonConfig{ParamsFile: file}
	cfg.MuSig = &MuSigConfig{AllowKeygen: true, MaxWithdrawalFeeSat: 5_000}
	cfg.Policy.StakingTimes = []uint16{babylon.DevParams().MinStakingTime}
	cfg.MPC.WorkFactor = tssfixtures.DevWorkFactor // the MuSig2 key is sealed cheaply (tests only)
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// logged starts a server whose log is returned as JSON lines.
func logged(t *testing.T, cfg Config) (*server, *bytes.Buffer, error) {
	t.Helper()
	var logs bytes.Buffer
	s, err := newServer(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	return s, &logs, err
}

// evaluateStake runs the policy engine on a transaction paying one staking
// output of staker (the dev version, a whitelisted finality provider, room
// to stake) under the parameters the server's decision service was built
// with, and returns the decision.
func evaluateStake(t *testing.T, s *server, staker *btcec.PublicKey) policy.Decision {
	t.Helper()
	const height, value, fee = 200, 100_000, 2_000
	sched := s.cfg.babylonSchedule()
	g, err := sched.AtHeight(height + 1)
	if err != nil {
		t.Fatal(err)
	}
	fp := psbtgen.NewWallet("staker-key-test/fp").PrivKey().PubKey()
	out, _, err := babylon.StakingOutput(g, staker, []*btcec.PublicKey{fp}, g.MinStakingTime, value)
	if err != nil {
		t.Fatal(err)
	}
	f := policy.Facts{
		TxID:        "00",
		Inputs:      []policy.Input{{Index: 0, Outpoint: "aa:0", Value: value + fee, Sequence: 0xfffffffd}},
		Outputs:     []policy.Output{{Index: 0, Value: value, PkScript: out.PkScript, Class: policy.ClassExternal}},
		InputTotal:  value + fee,
		OutputTotal: value, Fee: fee, VSize: 200, FeeRate: fee / 200,
	}
	f.Outputs[0].Staking = &policy.StakingDecl{StakerKey: babylon.XOnly(staker), StakingTime: g.MinStakingTime,
		FinalityProviders: []policy.HexBytes{fp.SerializeCompressed()}}
	snap := policy.Snapshot{
		Params:    s.cfg.Policy.Params,
		WalletKey: s.walletPK,
		Stake:     policy.StakeTotals{FinalizedStakedSat: value},
		L1:        &policy.L1Status{Height: height},
		Inputs:    []policy.InputState{{Outpoint: "aa:0", State: policy.InputConfirmed, Value: value + fee, Depth: 6}},
		Babylon:   policy.BabylonAt(sched, height),
	}
	snap.Whitelist.Entries = []policy.WhitelistEntry{{Kind: policy.KindFinalityProvider, PubKey: fp.SerializeCompressed()}}
	return policy.Evaluate(f, snap, time.Now())
}

func hasReason(d policy.Decision, c policy.Code) bool {
	return slices.ContainsFunc(d.Reasons, func(r policy.Reason) bool { return r.Code == c })
}

// TestStakerKeyFromCeremony: with an empty babylon.staker_key, a key
// ceremony run while policyd runs does not change the running policy (the
// answer says a restart applies it, and staking with the key is still
// denied staking_key_not_approved); the next start takes the ceremony's
// aggregate key into the policy parameters (logged, in their hash), the
// key view no longer asks for a restart, and staking with the key is
// allowed by the policy the decision service runs.
func TestStakerKeyFromCeremony(t *testing.T) {
	ctx := context.Background()
	cfg := stakingConfig(t)
	s1, logs, err := logged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1.cfg.Policy.StakerKey) != 0 || !strings.Contains(logs.String(), "no MuSig2 key ceremony is recorded") {
		t.Fatalf("no ceremony: staker key %x, logs %s", s1.cfg.Policy.StakerKey, logs)
	}
	before := s1.cfg.Policy.Hash()
	custody := psbtgen.NewWallet("staker-key-test/custody").PrivKey()
	v, err := s1.musig.Keygen(ctx, custody.PubKey().SerializeCompressed())
	if err != nil {
		t.Fatal(err)
	}
	if !v.PolicyAppliesAfterRestart || !strings.Contains(logs.String(), "restart policyd to put it into the staking policy") {
		t.Fatalf("keygen answer %+v does not say a restart applies the key; logs %s", v, logs)
	}
	agg := s1.musig.AggregateKey()
	if d := evaluateStake(t, s1, agg); d.Outcome == policy.Allow || !hasReason(d, policy.CodeStakingKeyNotApproved) {
		t.Fatalf("the running policy accepted the new key: %s %v", d.Outcome, d.Reasons)
	}
	s1.close()

	s2, logs, err := logged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close()
	if got := hex.EncodeToString(s2.cfg.Policy.StakerKey); got != v.AggregateKey {
		t.Fatalf("policy staker key %s, want the ceremony's %s", got, v.AggregateKey)
	}
	after := s2.cfg.Policy.Hash()
	if after == before {
		t.Fatal("the parameters' hash does not name the adopted key")
	}
	var adopted bool
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var x map[string]any
		if json.Unmarshal([]byte(l), &x) == nil && x["event"] == "staker_key_from_ceremony" {
			adopted = x["staker_key"] == v.AggregateKey && x["params_hash"] == after
		}
	}
	if !adopted {
		t.Fatalf("the adoption is not logged with the key and the parameters' hash: %s", logs)
	}
	k, err := s2.musig.Key(ctx)
	if err != nil || k.PolicyAppliesAfterRestart || k.AggregateKey != v.AggregateKey {
		t.Fatalf("key view after the restart: %+v %v", k, err)
	}
	if d := evaluateStake(t, s2, s2.musig.AggregateKey()); d.Outcome != policy.Allow || !slices.Equal(d.StakingOutputs, []int{0}) {
		t.Fatalf("staking with the ceremony key after the restart: %s %v", d.Outcome, d.Reasons)
	}
	// The wallet key as staker stays refused.
	wk, err := btcec.ParsePubKey(s2.walletPK)
	if err != nil {
		t.Fatal(err)
	}
	if d := evaluateStake(t, s2, wk); d.Outcome == policy.Allow {
		t.Fatalf("the wallet key as staker: %s", d.Outcome)
	}
}

// TestStakerKeyMismatchRefusesStart: a configured babylon.staker_key that
// is not the recorded ceremony's key stops policyd at start, naming both.
func TestStakerKeyMismatchRefusesStart(t *testing.T) {
	cfg := stakingConfig(t)
	s1, _, err := logged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s1.musig.Keygen(context.Background(), psbtgen.NewWallet("staker-key-test/custody").PubKey())
	if err != nil {
		t.Fatal(err)
	}
	s1.close()
	other := hex.EncodeToString(psbtgen.NewWallet("staker-key-test/other").PubKey()[1:])
	cfg.Babylon.StakerKey = other
	s2, _, err := logged(t, cfg)
	if err == nil {
		s2.close()
		t.Fatal("policyd started with a staker key that is not the ceremony's")
	}
	if !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), v.AggregateKey) {
		t.Fatalf("error does not name both keys: %v", err)
	}
	// The ceremony's own key, configured, starts.
	cfg.Babylon.StakerKey = v.AggregateKey
	s3, _, err := logged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s3.close()
}

// TestStakerKeyNoCeremony: without a ceremony (and without a configured
// key) policyd starts, warns, and the policy denies staking
// (staking_key_not_approved); without the musig block a recorded key is
// not looked for, and the warning says the block is missing.
func TestStakerKeyNoCeremony(t *testing.T) {
	cfg := stakingConfig(t)
	s, logs, err := logged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"babylon.staker_key is empty and no MuSig2 key ceremony is recorded`) {
		t.Fatalf("no warning: %s", logs)
	}
	staker := psbtgen.NewWallet("staker-key-test/any").PrivKey().PubKey()
	if d := evaluateStake(t, s, staker); d.Outcome == policy.Allow || !hasReason(d, policy.CodeStakingKeyNotApproved) {
		t.Fatalf("staking without a staker key: %s %v", d.Outcome, d.Reasons)
	}

	nomusig := stakingConfig(t)
	nomusig.MuSig = nil
	s2, logs, err := logged(t, nomusig)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close()
	if !strings.Contains(logs.String(), "the musig block is absent") || len(s2.cfg.Policy.StakerKey) != 0 {
		t.Fatalf("no musig block: %s", logs)
	}
}
