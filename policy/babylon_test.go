package policy_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// babylonVector is what the policy path needs from one of Babylon's
// btcstaking vectors (testvectors/babylon).
type babylonVector struct {
	Name       string `json:"name"`
	Parameters struct {
		CovenantKeys   []string `json:"covenant_public_keys"`
		CovenantQuorum int      `json:"covenant_quorum"`
		FPKeys         []string `json:"finality_provider_public_keys"`
		StakerKey      string   `json:"staker_public_key"`
		StakingTime    uint16   `json:"staking_time"`
		StakingValue   int64    `json:"staking_value"`
		UnbondingTime  uint16   `json:"unbonding_time"`
		UnbondingFee   int64    `json:"unbonding_fee"`
	} `json:"parameters"`
	Expected struct {
		PkScript string `json:"staking_output_pkscript_hex"`
		Value    int64  `json:"staking_output_value"`
	} `json:"expected"`
}

func loadBabylonVectors(t *testing.T) []babylonVector {
	t.Helper()
	var all []babylonVector
	for _, name := range []string{"btcstaking_vectors.json", "babylon_staking_vectors.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "testvectors", "babylon", name))
		if err != nil {
			t.Fatal(err)
		}
		var f struct {
			Vectors []babylonVector `json:"vectors"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		all = append(all, f.Vectors...)
	}
	if len(all) != 8 {
		t.Fatalf("%d vectors, want Babylon's 5 and the shared 3", len(all))
	}
	return all
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectorCase is a staking transaction paying exactly one vector's expected
// staking output (its pkScript as Babylon published it, not rebuilt here),
// the declaration of the vector's parameters, and a snapshot under which
// it must be allowed: the vector's staker as the co-managed key, its
// finality providers whitelisted, a version carrying its committee with
// bounds around its value and time.
func vectorCase(t *testing.T, v babylonVector) (policy.Facts, policy.Snapshot, babylon.GlobalParams) {
	t.Helper()
	p := v.Parameters
	var cov []*btcec.PublicKey
	for _, h := range p.CovenantKeys {
		k, err := babylon.ParseKey(mustHex(t, h))
		if err != nil {
			t.Fatal(err)
		}
		cov = append(cov, k)
	}
	g := babylon.GlobalParams{
		Version: 3, ActivationHeight: 100, CovenantKeys: cov, CovenantQuorum: p.CovenantQuorum,
		MaxFinalityProviders: uint32(len(p.FPKeys)),
		MinStakingValue:      p.UnbondingFee + 1, MaxStakingValue: p.StakingValue,
		MinStakingTime: p.StakingTime, MaxStakingTime: p.StakingTime,
		UnbondingTime: p.UnbondingTime, UnbondingFee: p.UnbondingFee, SlashingRatePct: 10,
		SlashingPkScript: psbtgen.P2WPKHOutput("slashing", 1).PkScript, MinSlashingFee: 1_000,
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	const fee = 2_000
	f := policy.Facts{
		TxID:        "00",
		Inputs:      []policy.Input{{Index: 0, Outpoint: "aa:0", Value: v.Expected.Value + fee, Sequence: 0xfffffffd}},
		Outputs:     []policy.Output{{Index: 0, Value: v.Expected.Value, PkScript: mustHex(t, v.Expected.PkScript), Class: policy.ClassExternal}},
		InputTotal:  v.Expected.Value + fee,
		OutputTotal: v.Expected.Value, Fee: fee, VSize: 200, FeeRate: fee / 200,
	}
	d := &policy.StakingDecl{StakerKey: mustHex(t, p.StakerKey), StakingTime: p.StakingTime}
	s := policy.Snapshot{
		Params: policy.Params{
			MaxFeeSat: 100_000, MaxFeeRate: 100, VelocityCapSat: 1 << 50, BTCToken: "0x00",
			StakingTimes: []uint16{p.StakingTime}, StakerKey: mustHex(t, p.StakerKey),
		},
		WalletKey: psbtgen.NewWallet("policy-babylon-vectors").PubKey(),
		Stake:     policy.StakeTotals{FinalizedStakedSat: v.Expected.Value},
		L1:        &policy.L1Status{Height: 199},
		Inputs:    []policy.InputState{{Outpoint: "aa:0", State: policy.InputConfirmed, Value: v.Expected.Value + fee, Depth: 6}},
	}
	for _, h := range p.FPKeys {
		d.FinalityProviders = append(d.FinalityProviders, mustHex(t, h))
		s.Whitelist.Entries = append(s.Whitelist.Entries, policy.WhitelistEntry{Kind: policy.KindFinalityProvider, PubKey: mustHex(t, h)})
	}
	sched, err := babylon.NewSchedule([]babylon.GlobalParams{g})
	if err != nil {
		t.Fatal(err)
	}
	s.Babylon = policy.BabylonAt(sched, s.L1.Height)
	f.Outputs[0].Staking = d
	return f, s, g
}

// TestBabylonVectorsThroughPolicy: every Babylon vector's staking output
// passes the staking checker when declared with the vector's parameters,
// and changing one thing is refused with its own reason.
func TestBabylonVectorsThroughPolicy(t *testing.T) {
	for _, v := range loadBabylonVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			f0, s0, g := vectorCase(t, v)
			d := policy.Evaluate(f0, s0, time.Time{})
			if d.Outcome != policy.Allow || !slices.Equal(d.StakingOutputs, []int{0}) || d.StakingSat != v.Expected.Value {
				t.Fatalf("vector refused: %v (staking outputs %v)", d.Reasons, d.StakingOutputs)
			}
			// Undeclared: found among the approved combinations when it
			// has one finality provider (the candidates name one each).
			f, s := cloneBase(f0, s0)
			f.Outputs[0].Staking = nil
			d = policy.Evaluate(f, s, time.Time{})
			if single := len(v.Parameters.FPKeys) == 1; (d.Outcome == policy.Allow) != single {
				t.Fatalf("undeclared, %d finality providers: %s %v", len(v.Parameters.FPKeys), d.Outcome, d.Reasons)
			}
			other := hex.EncodeToString(psbtgen.NewWallet("another-staker").PubKey())
			version := func(mut func(*babylon.GlobalParams)) func(*policy.Facts, *policy.Snapshot) {
				return func(f *policy.Facts, s *policy.Snapshot) {
					h := g
					mut(&h)
					s.Babylon.Version = h.JSON()
				}
			}
			type tweak struct {
				name string
				mut  func(*policy.Facts, *policy.Snapshot)
				want policy.Code
			}
			tweaks := []tweak{
				{"another co-managed key", func(f *policy.Facts, s *policy.Snapshot) { s.Params.StakerKey = mustHex(t, other) }, policy.CodeStakingKeyNotApproved},
				{"no co-managed key", func(f *policy.Facts, s *policy.Snapshot) { s.Params.StakerKey = nil }, policy.CodeStakingKeyNotApproved},
				{"the staker is the wallet key", func(f *policy.Facts, s *policy.Snapshot) { s.WalletKey = mustHex(t, v.Parameters.StakerKey) }, policy.CodeStakingWalletKeyAsStaker},
				{"a finality provider not whitelisted", func(f *policy.Facts, s *policy.Snapshot) { s.Whitelist.Entries = s.Whitelist.Entries[1:] }, policy.CodeStakingFPNotApproved},
				{"value below the version's minimum", version(func(h *babylon.GlobalParams) {
					h.MinStakingValue, h.MaxStakingValue = v.Expected.Value+1, v.Expected.Value+10
				}), policy.CodeStakingValueOutOfBounds},
				{"value above the version's maximum", version(func(h *babylon.GlobalParams) { h.MaxStakingValue = v.Expected.Value - 1 }), policy.CodeStakingValueOutOfBounds},
				{"time below the version's minimum", version(func(h *babylon.GlobalParams) { h.MinStakingTime--; h.MaxStakingTime = h.MinStakingTime }), policy.CodeStakingTimeOutOfBounds},
				{"time not the project's", func(f *policy.Facts, s *policy.Snapshot) {
					s.Params.StakingTimes = []uint16{v.Parameters.StakingTime - 1}
				}, policy.CodeStakingTimeNotAllowed},
				{"another committee in the version", version(func(h *babylon.GlobalParams) {
					h.CovenantKeys = append(slices.Clone(h.CovenantKeys), psbtgen.NewWallet("another-covenant").PrivKey().PubKey())
				}), policy.CodeStakingOutputMismatch},
				{"another quorum in the version", version(func(h *babylon.GlobalParams) {
					h.CovenantKeys = append(slices.Clone(h.CovenantKeys), psbtgen.NewWallet("another-covenant").PrivKey().PubKey())
					h.CovenantQuorum++
				}), policy.CodeStakingOutputMismatch},
				{"declared committee not the version's", func(f *policy.Facts, s *policy.Snapshot) {
					f.Outputs[0].Staking.CovenantKeys = []policy.HexBytes{psbtgen.NewWallet("another-covenant").PubKey()}
					f.Outputs[0].Staking.CovenantQuorum = 1
				}, policy.CodeStakingCovenantMismatch},
				{"declared quorum not the version's", func(f *policy.Facts, s *policy.Snapshot) {
					for _, h := range v.Parameters.CovenantKeys {
						f.Outputs[0].Staking.CovenantKeys = append(f.Outputs[0].Staking.CovenantKeys, mustHex(t, h))
					}
					f.Outputs[0].Staking.CovenantQuorum = v.Parameters.CovenantQuorum + 1
				}, policy.CodeStakingCovenantMismatch},
				{"declared staking time differs", func(f *policy.Facts, s *policy.Snapshot) {
					f.Outputs[0].Staking.StakingTime--
					s.Params.StakingTimes = append(s.Params.StakingTimes, f.Outputs[0].Staking.StakingTime)
					s.Babylon.Version.MinStakingTimeBlocks--
				}, policy.CodeStakingOutputMismatch},
				{"no L1 view", func(f *policy.Facts, s *policy.Snapshot) { s.L1, s.Inputs = nil, nil }, policy.CodeBabylonHeightUnknown},
				{"no version in force", func(f *policy.Facts, s *policy.Snapshot) { s.Babylon = nil }, policy.CodeBabylonNoParams},
				{"version selected for another height", func(f *policy.Facts, s *policy.Snapshot) { s.L1.Height = 99 }, policy.CodeBabylonNoParams},
				{"next version within the margin", func(f *policy.Facts, s *policy.Snapshot) {
					s.Babylon.NextActivation = uint32(s.Babylon.Height) + policy.BabylonSwitchMargin - 1
				}, policy.CodeBabylonParamsSwitching},
				{"the recorded version does not validate", func(f *policy.Facts, s *policy.Snapshot) { s.Babylon.Version.CovenantQuorum = 0 }, policy.CodeParamsInvalid},
			}
			if n := len(v.Parameters.FPKeys); n > 1 {
				tweaks = append(tweaks, tweak{"more finality providers than the version allows", version(func(h *babylon.GlobalParams) { h.MaxFinalityProviders = uint32(n - 1) }), policy.CodeStakingFPCount})
			} else {
				// A second (whitelisted) finality provider, the output built
				// with both: only the count is wrong.
				tweaks = append(tweaks, tweak{"two finality providers, the version allows one", func(f *policy.Facts, s *policy.Snapshot) {
					extra := psbtgen.NewWallet("another-fp").PrivKey().PubKey()
					fps := []*btcec.PublicKey{must(babylon.ParseKey(mustHex(t, v.Parameters.FPKeys[0]))), extra}
					staker := must(babylon.ParseKey(mustHex(t, v.Parameters.StakerKey)))
					f.Outputs[0].PkScript = must(babylon.StakingPkScript(g.Delegation(staker, fps, v.Parameters.StakingTime)))
					f.Outputs[0].Staking.FinalityProviders = append(f.Outputs[0].Staking.FinalityProviders, extra.SerializeCompressed())
					s.Whitelist.Entries = append(s.Whitelist.Entries, policy.WhitelistEntry{Kind: policy.KindFinalityProvider, PubKey: extra.SerializeCompressed()})
				}, policy.CodeStakingFPCount})
			}
			for _, c := range tweaks {
				f, s := cloneBase(f0, s0)
				c.mut(&f, &s)
				d := policy.Evaluate(f, s, time.Time{})
				if d.Outcome != policy.Deny || !slices.Contains(d.Codes(), c.want) || len(d.StakingOutputs) != 0 {
					t.Errorf("%s: got %s %v, want %s", c.name, d.Outcome, d.Reasons, c.want)
				}
				// Each tweak breaks exactly its rule (the missing version
				// masks the rules that need it, nothing else).
				for _, got := range d.Codes() {
					if got != c.want && !(c.want == policy.CodeStakingOutputMismatch && got == policy.CodeStakingTimeOutOfBounds) {
						t.Errorf("%s: also %s (%v)", c.name, got, d.Reasons)
					}
				}
			}
			// A next version far enough ahead does not stop staking.
			f, s = cloneBase(f0, s0)
			s.Babylon.NextActivation = uint32(s.Babylon.Height) + policy.BabylonSwitchMargin
			if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Allow {
				t.Errorf("next version %d blocks ahead: %v", policy.BabylonSwitchMargin, d.Reasons)
			}
		})
	}
}

// TestStakeFamilyCountsOnce: a replacement of a signed staking transaction
// (same outputs, same ids, a higher fee) stakes nothing new: its family is
// counted once, as its largest member, so it fits where a second stake of
// the amount would not.
func TestStakeFamilyCountsOnce(t *testing.T) {
	var sc scenarios.Scenario
	for _, x := range loadScenarios(t) {
		if x.Name == "stake_listed" {
			sc = x
		}
	}
	f0 := scenarioFacts(t, &sc)
	s0 := sc.Snapshot
	if d := policy.Evaluate(f0, s0, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("base: %v", d.Reasons)
	}
	// The signed original staked the same 1 BTC: it is in StakedSat, and
	// the room without it is used up.
	var ext []policy.Output
	for _, o := range f0.Outputs {
		if o.Class == policy.ClassExternal {
			ext = append(ext, o)
		}
	}
	orig := policy.SignedTx{TxID: "11" + f0.TxID[2:], Inputs: []string{f0.Inputs[0].Outpoint}, External: ext, ReqIDs: f0.ReqIDs,
		Fee: 100, FeeRate: 0, Stage: "mempool", StakingSat: 100_000_000}
	family := func(m policy.SignedTx) policy.Snapshot {
		_, s := cloneBase(f0, s0)
		s.Stake = policy.StakeTotals{FinalizedStakedSat: 10e8, ReturnedSat: 1e8, StakedSat: 9e8}
		s.Replaces = []policy.SignedTx{m}
		for i := range s.Requests {
			if s.Requests[i].ID == "300" {
				s.Requests[i].Claim = &policy.Claim{DecisionID: "d1", TxID: m.TxID, State: policy.ClaimSigned}
			}
		}
		return s
	}
	if d := policy.Evaluate(f0, family(orig), time.Time{}); d.Outcome != policy.Allow || !slices.Equal(d.Claims, []string{"300"}) {
		t.Fatalf("replacement of a signed stake: %v", d.Reasons)
	}
	// Counted per member, the same replacement would exceed the room.
	noCredit := orig
	noCredit.StakingSat = 0
	if d := policy.Evaluate(f0, family(noCredit), time.Time{}); d.Outcome != policy.Deny || !slices.Equal(d.Codes(), []policy.Code{policy.CodeStakingCapExceeded}) {
		t.Fatalf("without the family credit: %s %v", d.Outcome, d.Reasons)
	}
	for _, c := range []struct {
		stake int64
		fam   []int64
		want  int64
	}{{5, nil, 5}, {5, []int64{5}, 0}, {7, []int64{5, 6}, 1}, {5, []int64{7}, 0}, {0, []int64{3}, 0}} {
		var ms []policy.SignedTx
		for _, x := range c.fam {
			ms = append(ms, policy.SignedTx{StakingSat: x})
		}
		if got := policy.StakeCharge(c.stake, ms); got != c.want {
			t.Errorf("StakeCharge(%d, %v) = %d, want %d", c.stake, c.fam, got, c.want)
		}
	}
}

// TestMayStakeAndBabylonAt: which transactions need the Babylon version in
// their snapshot, and the version selected for the next block.
func TestMayStakeAndBabylonAt(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		f := scenarioFacts(t, &sc)
		p2tr := false
		for _, o := range f.Outputs {
			p2tr = p2tr || (o.Class == policy.ClassExternal && len(o.PkScript) == 34 && o.PkScript[0] == 0x51)
		}
		if policy.MayStake(f) != (p2tr || len(sc.StakingDecls) > 0) {
			t.Errorf("%s: MayStake %v", sc.Name, policy.MayStake(f))
		}
	}
	g0, g1 := babylon.DevParams(), babylon.DevParams()
	g1.Version, g1.ActivationHeight = 1, 50
	s, err := babylon.NewSchedule([]babylon.GlobalParams{g0, g1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		l1      uint64
		version uint32
		next    uint32
	}{{0, 0, 50}, {48, 0, 50}, {49, 1, 0}, {1000, 1, 0}} {
		b := policy.BabylonAt(s, c.l1)
		if b == nil || b.Version.Version != c.version || b.NextActivation != c.next || b.Height != c.l1+1 {
			t.Errorf("BabylonAt(%d) = %+v", c.l1, b)
		}
	}
	if policy.BabylonAt(nil, 5) != nil || policy.BabylonAt(s, 1<<32) != nil {
		t.Error("a version without a schedule or past uint32 heights")
	}
}
