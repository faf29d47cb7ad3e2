package babylon

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

func scheduleJSON(versions ...string) []byte {
	return []byte("[" + strings.Join(versions, ",") + "]")
}

func versionJSON(f *fixture, version, height uint32, extra string) string {
	var keys []string
	for _, k := range f.params.CovenantKeys {
		keys = append(keys, `"`+hex.EncodeToString(k.SerializeCompressed())+`"`)
	}
	return fmt.Sprintf(`{"version":%d,"btc_activation_height":%d,"covenant_pks":[%s],"covenant_quorum":2,
"max_finality_providers":1,"min_staking_value_sat":10000,"max_staking_value_sat":1000000,
"min_staking_time_blocks":10,"max_staking_time_blocks":1000,"unbonding_time_blocks":5,
"unbonding_fee_sat":1000,"slashing_rate":"0.100000000000000000",
"slashing_pk_script_hex":"0014%s","min_slashing_tx_fee_sat":1000%s}`,
		version, height, strings.Join(keys, ","), strings.Repeat("ab", 20), extra)
}

func TestSchedule(t *testing.T) {
	f := newFixture(t, []byte{0x51})
	s, err := ParseSchedule(scheduleJSON(versionJSON(f, 0, 100, ""), versionJSON(f, 1, 200, "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		h       uint32
		version uint32
		err     error
	}{{99, 0, ErrNoParamsAtHeight}, {100, 0, nil}, {199, 0, nil}, {200, 1, nil}, {1 << 30, 1, nil}} {
		g, err := s.AtHeight(c.h)
		if !errors.Is(err, c.err) || (err == nil && g.Version != c.version) {
			t.Errorf("AtHeight(%d) = v%d, %v; want v%d, %v", c.h, g.Version, err, c.version, c.err)
		}
	}
	if h, ok := s.NextActivation(150); !ok || h != 200 {
		t.Errorf("NextActivation(150) = %d, %v", h, ok)
	}
	if _, ok := s.NextActivation(200); ok {
		t.Error("NextActivation past the last version")
	}
	g, _ := s.Version(0)
	if g.SlashingRatePct != 10 || len(g.SlashingPkScript) != 22 || g.CovenantQuorum != 2 || len(g.CovenantKeys) != 3 {
		t.Fatalf("parsed %+v", g)
	}
	bad := []struct {
		name string
		raw  []byte
	}{
		{"empty", scheduleJSON()},
		{"gap in versions", scheduleJSON(versionJSON(f, 0, 100, ""), versionJSON(f, 2, 200, ""))},
		{"height not increasing", scheduleJSON(versionJSON(f, 0, 100, ""), versionJSON(f, 1, 100, ""))},
		{"unknown field", scheduleJSON(versionJSON(f, 0, 100, `,"surprise":1`))},
		{"quorum above committee", []byte(strings.Replace(string(scheduleJSON(versionJSON(f, 0, 1, ""))), `"covenant_quorum":2`, `"covenant_quorum":4`, 1))},
		{"rate with three decimals", []byte(strings.Replace(string(scheduleJSON(versionJSON(f, 0, 1, ""))), `0.100000000000000000`, `0.105`, 1))},
		{"no slashing script", []byte(strings.Replace(string(scheduleJSON(versionJSON(f, 0, 1, ""))), `"0014`+strings.Repeat("ab", 20)+`"`, `""`, 1))},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseSchedule(c.raw); !errors.Is(err, ErrBadParams) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestParseSlashingRate(t *testing.T) {
	for in, want := range map[string]uint32{"0.1": 10, "0.10": 10, "0.01": 1, "0.99": 99, "0.100000000000000000": 10, "0.5": 50} {
		if got, err := ParseSlashingRate(in); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "1", "1.0", "0.0", "0.00", "0.001", "0.105", ".1", "0.1x", "-0.1", "0.1000000000000000001", "00.1"} {
		if _, err := ParseSlashingRate(in); !errors.Is(err, ErrBadParams) {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCheckDelegation(t *testing.T) {
	f := newFixture(t, []byte{0x51})
	g := f.params
	g.MaxStakingValue, g.MaxStakingTime = 1_000_000, 1_000
	cases := []struct {
		name  string
		value int64
		time  uint16
		fps   int
		want  error
	}{
		{"ok", 10_000, 10, 1, nil},
		{"value low", 9_999, 10, 1, ErrStakingValue},
		{"value high", 1_000_001, 10, 1, ErrStakingValue},
		{"time low", 10_000, 9, 1, ErrStakingTime},
		{"time high", 10_000, 1_001, 1, ErrStakingTime},
		{"no fp", 10_000, 10, 0, ErrFinalityProvider},
		{"two fps", 10_000, 10, 2, ErrFinalityProvider},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := g.CheckDelegation(c.value, c.time, c.fps); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	g.MaxFinalityProviders = 0 // versions before the field: one
	if err := g.CheckDelegation(10_000, 10, 2); !errors.Is(err, ErrFinalityProvider) {
		t.Fatalf("unset max: %v", err)
	}
	g.MaxFinalityProviders = 3
	if err := g.CheckDelegation(10_000, 10, 3); err != nil {
		t.Fatal(err)
	}
	// The committee always comes from the version.
	d := g.Delegation(f.staker, []*btcec.PublicKey{f.fp.PubKey()}, 10)
	if d.CovenantQuorum != g.CovenantQuorum || len(d.CovenantKeys) != len(g.CovenantKeys) {
		t.Fatal("delegation does not carry the version's committee")
	}
}

// TestVectorsThroughParams: Babylon's unbonding transactions rebuilt from
// a GlobalParams carrying each vector's committee, unbonding time and fee.
func TestVectorsThroughParams(t *testing.T) {
	vf := loadVectorFile(t, "btcstaking_vectors.json")
	for _, v := range vf.Vectors {
		pp := v.Parameters
		g := GlobalParams{CovenantKeys: mustKeys(t, pp.CovenantKeys...), CovenantQuorum: pp.CovenantQuorum, UnbondingTime: pp.UnbondingTime, UnbondingFee: pp.UnbondingFee}
		d := g.Delegation(mustKeys(t, pp.StakerKey)[0], mustKeys(t, pp.FPKeys...), pp.StakingTime)
		at := vectorOutPoint(t, pp.StakingTxHash, pp.OutputIndex)
		tx, err := StakingUnbondingTx(g, d, at, pp.StakingValue)
		if err != nil {
			t.Fatal(err)
		}
		if got := txHex(t, tx); got != v.Expected["unbonding_transaction_hex"] {
			t.Errorf("%s: unbonding tx %s", v.Name, got)
		}
	}
}

// FuzzParseSchedule: the parameters parser never panics, and whatever it
// accepts is a valid schedule whose rate round-trips.
func FuzzParseSchedule(f *testing.F) {
	fx := newFixture(f, []byte{0x51})
	f.Add(scheduleJSON(versionJSON(fx, 0, 100, "")))
	f.Add(scheduleJSON(versionJSON(fx, 0, 100, ""), versionJSON(fx, 1, 200, "")))
	f.Add([]byte(`[{"slashing_rate":"0.1"}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseSchedule(raw)
		if err != nil {
			if !errors.Is(err, ErrBadParams) {
				t.Fatalf("error not ErrBadParams: %v", err)
			}
			return
		}
		for _, g := range s.versions {
			if err := g.Validate(); err != nil {
				t.Fatalf("accepted an invalid version: %v", err)
			}
		}
	})
}

// TestVersionJSONRoundTrip: a version survives its published form (what
// the policy records in a snapshot), and the form is what ParseSchedule
// reads.
func TestVersionJSONRoundTrip(t *testing.T) {
	f := newFixture(t, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	for _, g := range []GlobalParams{f.params, DevParams()} {
		back, err := g.JSON().Params()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(back.JSON()) != fmt.Sprint(g.JSON()) || back.SlashingRatePct != g.SlashingRatePct || len(back.CovenantKeys) != len(g.CovenantKeys) {
			t.Fatalf("round trip: %+v\n%+v", back, g)
		}
		for i := range g.CovenantKeys {
			if !back.CovenantKeys[i].IsEqual(g.CovenantKeys[i]) {
				t.Fatalf("covenant key %d changed", i)
			}
		}
		raw, _ := json.Marshal([]VersionJSON{g.JSON()})
		s, err := ParseSchedule(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.AtHeight(g.ActivationHeight); err != nil || got.Version != g.Version {
			t.Fatalf("parsed schedule: %+v %v", got, err)
		}
	}
	bad := DevParams().JSON()
	bad.CovenantPKs[0] = "zz"
	if _, err := bad.Params(); !errors.Is(err, ErrBadParams) {
		t.Fatalf("bad key: %v", err)
	}
	bad = DevParams().JSON()
	bad.CovenantQuorum = 4
	if _, err := bad.Params(); !errors.Is(err, ErrBadParams) {
		t.Fatalf("quorum above the committee: %v", err)
	}
}

// TestDevSchedule: the dev schedule is valid, deterministic, and its
// committee is DevCovenantKey's keys (what the demo signs with).
func TestDevSchedule(t *testing.T) {
	s := DevSchedule()
	g, err := s.AtHeight(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.CovenantKeys) != DevCovenants || g.CovenantQuorum != DevCovenantQuorum {
		t.Fatalf("dev committee %d of %d", g.CovenantQuorum, len(g.CovenantKeys))
	}
	for i := range DevCovenants {
		if !g.CovenantKeys[i].IsEqual(DevCovenantKey(i).PubKey()) {
			t.Fatalf("covenant %d is not DevCovenantKey(%d)", i, i)
		}
	}
	if fmt.Sprint(DevParams().JSON()) != fmt.Sprint(g.JSON()) {
		t.Fatal("dev parameters not deterministic")
	}
}

// TestCheckDelegationNamesEveryBound: a delegation breaking all three
// bounds gets all three errors.
func TestCheckDelegationNamesEveryBound(t *testing.T) {
	g := DevParams()
	err := g.CheckDelegation(1, 1, 2)
	for _, want := range []error{ErrStakingValue, ErrStakingTime, ErrFinalityProvider} {
		if !errors.Is(err, want) {
			t.Errorf("%v does not name %v", err, want)
		}
	}
}
