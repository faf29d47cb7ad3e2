package babylon

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

type vectorFile struct {
	Source  string `json:"source"`
	Vectors []struct {
		Name       string `json:"name"`
		Parameters struct {
			CovenantKeys   []string `json:"covenant_public_keys"`
			CovenantQuorum int      `json:"covenant_quorum"`
			FPKeys         []string `json:"finality_provider_public_keys"`
			StakerKey      string   `json:"staker_public_key"`
			StakingTime    uint16   `json:"staking_time"`
			StakingValue   int64    `json:"staking_value"`
			StakingTxHash  string   `json:"staking_tx_hash"`
			OutputIndex    uint32   `json:"staking_output_index"`
			UnbondingTime  uint16   `json:"unbonding_time"`
			UnbondingFee   int64    `json:"unbonding_fee"`
			Tag            string   `json:"tag"`
		} `json:"parameters"`
		Expected map[string]any `json:"expected"`
	} `json:"vectors"`
}

func mustKeys(t testing.TB, hexes ...string) []*btcec.PublicKey {
	t.Helper()
	out := make([]*btcec.PublicKey, len(hexes))
	for i, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseKey(b)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = k
	}
	return out
}

// vectorFiles are the shared subset (vectors 1-3) and Babylon's full file
// (vectors 1-5), both in testvectors/babylon (see README there).
var vectorFiles = []string{"babylon_staking_vectors.json", "btcstaking_vectors.json"}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	return loadVectorFile(t, vectorFiles[0])
}

func loadVectorFile(t testing.TB, name string) vectorFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testvectors", "babylon", name))
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return vf
}

func TestVectors(t *testing.T) {
	for _, file := range vectorFiles {
		t.Run(file, func(t *testing.T) { testVectorFile(t, loadVectorFile(t, file)) })
	}
}

func testVectorFile(t *testing.T, vf vectorFile) {
	for _, v := range vf.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			pp := v.Parameters
			p := Params{
				StakerKey:         mustKeys(t, pp.StakerKey)[0],
				FinalityProviders: mustKeys(t, pp.FPKeys...),
				CovenantKeys:      mustKeys(t, pp.CovenantKeys...),
				CovenantQuorum:    pp.CovenantQuorum,
				StakingTime:       pp.StakingTime,
			}
			exp := func(k string) string {
				s, ok := v.Expected[k].(string)
				if !ok {
					t.Fatalf("vector lacks %s", k)
				}
				return s
			}
			s, err := BuildScripts(p)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got []byte) {
				t.Helper()
				if h := hex.EncodeToString(got); h != exp(name) {
					t.Errorf("%s:\n got %s\nwant %s", name, h, exp(name))
				}
			}
			check("staking_transaction_timelock_script_hex", s.Timelock)
			check("staking_transaction_unbonding_script_hex", s.Unbonding)
			check("staking_transaction_slashing_script_hex", s.Slashing)
			pk, err := StakingPkScript(p)
			if err != nil {
				t.Fatal(err)
			}
			check("staking_output_pkscript_hex", pk)

			var h chainhash.Hash
			if err := chainhash.Decode(&h, pp.StakingTxHash); err != nil {
				t.Fatal(err)
			}
			utx, err := UnbondingTx(p, h, pp.OutputIndex, pp.StakingValue, pp.UnbondingTime, pp.UnbondingFee)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := utx.Serialize(&buf); err != nil {
				t.Fatal(err)
			}
			check("unbonding_transaction_hex", buf.Bytes())
			_, us, err := UnbondingOutput(p, pp.UnbondingTime, pp.StakingValue-pp.UnbondingFee)
			if err != nil {
				t.Fatal(err)
			}
			check("unbonding_transaction_time_lock_script_hex", us.Timelock)
			check("unbonding_transaction_slashing_script_hex", us.Slashing)

			if want := exp("op_return_script_hex"); want != "" {
				tag, _ := hex.DecodeString(pp.Tag)
				or, err := V0OpReturnScript(tag, p)
				if err != nil {
					t.Fatal(err)
				}
				check("op_return_script_hex", or)
			}
		})
	}
}

// TestKeyOrderIrrelevant: the committee is a set; the order it is given in
// must not change the output (the builder sorts).
func TestKeyOrderIrrelevant(t *testing.T) {
	vf := loadVectors(t)
	v := vf.Vectors[len(vf.Vectors)-1]
	ks := mustKeys(t, v.Parameters.CovenantKeys...)
	rev := make([]*btcec.PublicKey, len(ks))
	for i := range ks {
		rev[len(ks)-1-i] = ks[i]
	}
	base := Params{StakerKey: mustKeys(t, v.Parameters.StakerKey)[0], FinalityProviders: mustKeys(t, v.Parameters.FPKeys...), CovenantQuorum: v.Parameters.CovenantQuorum, StakingTime: v.Parameters.StakingTime}
	a, b := base, base
	a.CovenantKeys, b.CovenantKeys = ks, rev
	pa, err := StakingPkScript(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := StakingPkScript(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pa, pb) {
		t.Fatal("key order changed the output")
	}
	if exp := v.Expected["staking_output_pkscript_hex"]; hex.EncodeToString(pb) != exp {
		t.Fatalf("reversed order: got %x want %s", pb, exp)
	}
}

func TestInvalidParams(t *testing.T) {
	vf := loadVectors(t)
	v := vf.Vectors[1]
	staker := mustKeys(t, v.Parameters.StakerKey)[0]
	fps := mustKeys(t, v.Parameters.FPKeys...)
	cov := mustKeys(t, v.Parameters.CovenantKeys...)
	cases := []struct {
		name string
		p    Params
		want error
	}{
		{"no staker", Params{FinalityProviders: fps, CovenantKeys: cov, CovenantQuorum: 3, StakingTime: 10}, ErrBadKey},
		{"zero time", Params{StakerKey: staker, FinalityProviders: fps, CovenantKeys: cov, CovenantQuorum: 3}, ErrBadStakingTime},
		{"quorum zero", Params{StakerKey: staker, FinalityProviders: fps, CovenantKeys: cov, CovenantQuorum: 0, StakingTime: 10}, ErrBadQuorum},
		{"quorum above n", Params{StakerKey: staker, FinalityProviders: fps, CovenantKeys: cov, CovenantQuorum: 6, StakingTime: 10}, ErrBadQuorum},
		{"no covenant", Params{StakerKey: staker, FinalityProviders: fps, CovenantQuorum: 1, StakingTime: 10}, ErrNoKeys},
		{"no fp", Params{StakerKey: staker, CovenantKeys: cov, CovenantQuorum: 3, StakingTime: 10}, ErrNoKeys},
		{"duplicate covenant", Params{StakerKey: staker, FinalityProviders: fps, CovenantKeys: append([]*btcec.PublicKey{cov[0]}, cov...), CovenantQuorum: 3, StakingTime: 10}, ErrDuplicateKey},
		{"staker in committee", Params{StakerKey: cov[0], FinalityProviders: fps, CovenantKeys: cov, CovenantQuorum: 3, StakingTime: 10}, ErrStakerInCommittee},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := StakingPkScript(c.p)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func BenchmarkStakingPkScript(b *testing.B) {
	vf := loadVectors(b)
	v := vf.Vectors[2]
	p := Params{StakerKey: mustKeys(b, v.Parameters.StakerKey)[0], FinalityProviders: mustKeys(b, v.Parameters.FPKeys...), CovenantKeys: mustKeys(b, v.Parameters.CovenantKeys...), CovenantQuorum: v.Parameters.CovenantQuorum, StakingTime: v.Parameters.StakingTime}
	for b.Loop() {
		if _, err := StakingPkScript(p); err != nil {
			b.Fatal(err)
		}
	}
}
