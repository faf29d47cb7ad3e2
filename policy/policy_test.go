package policy_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// check is the PSBT checker the scenarios run through.
var check = psbtcheck.Check

func loadScenarios(t testing.TB) []scenarios.Scenario {
	t.Helper()
	f, err := scenarios.Load(filepath.Join("..", "testvectors", "scenarios", "scenarios.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Scenarios) < 40 {
		t.Fatalf("only %d scenarios", len(f.Scenarios))
	}
	return f.Scenarios
}

func scenarioFacts(t testing.TB, sc *scenarios.Scenario) policy.Facts {
	t.Helper()
	raw, err := sc.RawPSBT()
	if err != nil {
		t.Fatal(err)
	}
	w := psbtgen.NewWallet(sc.WalletSeed)
	pf, err := check(raw, psbtcheck.Wallet{PubKey: w.PubKey(), Net: &chaincfg.MainNetParams}, psbtcheck.Limits{})
	if err != nil {
		t.Fatalf("psbt refused: %v", err)
	}
	f := policy.FactsFrom(pf)
	sc.ApplyDecls(&f)
	return f
}

func TestScenarios(t *testing.T) {
	codesSeen := map[string]bool{}
	for _, sc := range loadScenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			f := scenarioFacts(t, &sc)
			now, _ := time.Parse(time.RFC3339, sc.Now)
			d := policy.Evaluate(f, sc.Snapshot, now)
			got := scenarios.Codes(d)
			if d.Outcome != sc.Expect.Outcome || !slices.Equal(got, sc.Expect.Reasons) {
				t.Fatalf("%s: got %s %v (%v), want %s %v", sc.Description, d.Outcome, got, d.Reasons, sc.Expect.Outcome, sc.Expect.Reasons)
			}
			if d.Outcome == policy.Allow {
				if !slices.Equal(d.Claims, sc.Expect.Claims) {
					t.Fatalf("claims %v, want %v", d.Claims, sc.Expect.Claims)
				}
				if sc.Expect.BridgeSource != "" && d.BridgeSource != sc.Expect.BridgeSource {
					t.Fatalf("bridge source %q, want %q", d.BridgeSource, sc.Expect.BridgeSource)
				}
			} else if len(d.Claims) != 0 || d.AllowanceID != "" {
				t.Fatalf("a denial carries claims %v / allowance %q", d.Claims, d.AllowanceID)
			}
			for _, c := range got {
				codesSeen[c] = true
			}
			// Deterministic and pure: a second run over a JSON round trip of
			// the inputs gives the same decision and leaves them untouched.
			before, _ := json.Marshal(sc.Snapshot)
			fb, _ := json.Marshal(f)
			var f2 policy.Facts
			var s2 policy.Snapshot
			if err := json.Unmarshal(fb, &f2); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(before, &s2); err != nil {
				t.Fatal(err)
			}
			d2 := policy.Evaluate(f2, s2, now.Add(time.Hour))
			a, _ := json.Marshal(d)
			b, _ := json.Marshal(d2)
			if !bytes.Equal(a, b) {
				t.Fatalf("replay differs:\n%s\n%s", a, b)
			}
			after, _ := json.Marshal(sc.Snapshot)
			if !bytes.Equal(before, after) {
				t.Fatal("Evaluate mutated the snapshot")
			}
		})
	}
	// Codes the scenario table cannot reach with a well-formed PSBT are
	// covered by TestUnitCodes; together they cover every code.
	for _, c := range unitOnlyCodes {
		codesSeen[string(c)] = true
	}
	for _, c := range policy.AllCodes() {
		if !codesSeen[string(c)] {
			t.Errorf("reason code %s has no test", c)
		}
	}
}

var unitOnlyCodes = []policy.Code{policy.CodeReqIDDuplicate, policy.CodeFactsInvalid, policy.CodeSnapshotInvalid, policy.CodeChangeNotWallet, policy.CodeStakingDeclInvalid}

// base returns facts and a snapshot of an allowed 1 BTC withdrawal built by
// hand, for rules psbtcheck makes unreachable from a real PSBT.
func base(t testing.TB) (policy.Facts, policy.Snapshot) {
	t.Helper()
	for _, sc := range loadScenarios(t) {
		if sc.Name == "withdraw_one_id" {
			return scenarioFacts(t, &sc), sc.Snapshot
		}
	}
	t.Fatal("withdraw_one_id missing")
	return policy.Facts{}, policy.Snapshot{}
}

func TestUnitCodes(t *testing.T) {
	f0, s0 := base(t)
	if d := policy.Evaluate(f0, s0, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("base not allowed: %v", d.Reasons)
	}
	clone := func() (policy.Facts, policy.Snapshot) { return cloneBase(f0, s0) }
	cases := []struct {
		name   string
		mutate func(*policy.Facts, *policy.Snapshot)
		want   []policy.Code
	}{
		{"duplicate id", func(f *policy.Facts, s *policy.Snapshot) { f.ReqIDs = []string{"100", "100"} }, []policy.Code{policy.CodeReqIDDuplicate}},
		{"no wallet key", func(f *policy.Facts, s *policy.Snapshot) { s.WalletKey = nil }, []policy.Code{policy.CodeSnapshotInvalid}},
		{"change to a foreign script", func(f *policy.Facts, s *policy.Snapshot) {
			for i := range f.Outputs {
				if f.Outputs[i].Class == policy.ClassChange {
					f.Outputs[i].PkScript = psbtgen.P2WPKHOutput("attacker", 1).PkScript
				}
			}
		}, []policy.Code{policy.CodeChangeNotWallet}},
		{"totals forged", func(f *policy.Facts, s *policy.Snapshot) { f.Fee-- }, []policy.Code{policy.CodeFactsInvalid}},
		{"negative value", func(f *policy.Facts, s *policy.Snapshot) { f.Outputs[0].Value = -1 }, []policy.Code{policy.CodeFactsInvalid}},
		{"unknown class", func(f *policy.Facts, s *policy.Snapshot) { f.Outputs[0].Class = "whatever" }, []policy.Code{policy.CodeFactsInvalid}},
		{"op_return flag without ids", func(f *policy.Facts, s *policy.Snapshot) { f.ReqIDs = nil }, []policy.Code{policy.CodeFactsInvalid}},
		{"no inputs", func(f *policy.Facts, s *policy.Snapshot) { f.Inputs = nil }, []policy.Code{policy.CodeFactsInvalid}},
		{"fee rate forged", func(f *policy.Facts, s *policy.Snapshot) { f.FeeRate = 0 }, []policy.Code{policy.CodeFactsInvalid}},
		{"unknown request kind", func(f *policy.Facts, s *policy.Snapshot) { s.Requests[0].Kind = "other" }, []policy.Code{policy.CodeReqIDWrongKind, policy.CodeBridgeAmountMismatch}},
		{"empty BTC token param", func(f *policy.Facts, s *policy.Snapshot) { s.Params.BTCToken = "" }, []policy.Code{policy.CodeReqIDNotBTC}},
		{"negative outflow", func(f *policy.Facts, s *policy.Snapshot) { s.OutflowSat = -1 << 62 }, []policy.Code{policy.CodeVelocityExceeded}},
		{"staking declared for the change", func(f *policy.Facts, s *policy.Snapshot) {
			*f = policy.AttachStakingDecls(*f, map[int]policy.StakingDecl{outputOfClass(*f, policy.ClassChange): {StakingTime: 64000}})
		}, []policy.Code{policy.CodeStakingDeclInvalid}},
		{"staking declared for the OP_RETURN", func(f *policy.Facts, s *policy.Snapshot) {
			*f = policy.AttachStakingDecls(*f, map[int]policy.StakingDecl{outputOfClass(*f, policy.ClassOpReturn): {}})
		}, []policy.Code{policy.CodeStakingDeclInvalid}},
		{"staking declared for a missing output", func(f *policy.Facts, s *policy.Snapshot) {
			*f = policy.AttachStakingDecls(*f, map[int]policy.StakingDecl{7: {}, -1: {}})
		}, []policy.Code{policy.CodeStakingDeclInvalid}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := clone()
			c.mutate(&f, &s)
			d := policy.Evaluate(f, s, time.Time{})
			if d.Outcome != policy.Deny || !slices.Equal(scenarios.Codes(d), sortCopy(c.want)) {
				t.Fatalf("got %s %v, want deny %v", d.Outcome, d.Reasons, c.want)
			}
		})
	}
}

func sortCopy(s []policy.Code) []string {
	c := make([]string, len(s))
	for i, x := range s {
		c[i] = string(x)
	}
	slices.Sort(c)
	return c
}

func TestMatchFIFO(t *testing.T) {
	q := func(amts ...int64) []policy.Request {
		var out []policy.Request
		for i, a := range amts {
			out = append(out, policy.Request{ID: string(rune('a' + i)), AmountSat: a})
		}
		return out
	}
	ids := func(rs []policy.Request) string {
		s := ""
		for _, r := range rs {
			s += r.ID
		}
		return s
	}
	cases := []struct {
		name   string
		amount int64
		queue  []policy.Request
		want   string
	}{
		{"P002 example", 3, q(1, 2, 1), "ab"},
		{"single exact earliest", 1, q(1, 2, 1), "a"},
		{"single exact beats prefix", 2, q(1, 2, 1), "b"},
		{"whole queue", 4, q(1, 2, 1), "abc"},
		{"no match", 5, q(1, 2, 1), ""},
		{"prefix overshoots", 2, q(3, 2), "b"},
		{"only a middle run sums to it", 3, q(2, 2, 1), ""},
		{"zero amount", 0, q(0, 1), ""},
		{"empty queue", 1, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(policy.MatchFIFO(c.amount, c.queue)); got != c.want {
				t.Fatalf("got %q want %q", got, c.want)
			}
		})
	}
}

func TestParamsHashStable(t *testing.T) {
	_, s := base(t)
	h1 := s.Params.Hash()
	s.Params.MaxFeeSat++
	if h1 == s.Params.Hash() || len(h1) != 64 {
		t.Fatal("params hash does not track the parameters")
	}
}

func outputOfClass(f policy.Facts, class policy.Class) int {
	for _, o := range f.Outputs {
		if o.Class == class {
			return o.Index
		}
	}
	panic("no output of class " + class)
}

func TestAttachStakingDecls(t *testing.T) {
	f0, _ := base(t)
	before, _ := json.Marshal(f0)
	ext := outputOfClass(f0, policy.ClassExternal)
	d := policy.StakingDecl{StakerKey: policy.HexBytes{2, 1}, StakingTime: 64000}
	f := policy.AttachStakingDecls(f0, map[int]policy.StakingDecl{ext: d, 9: {}, -3: {}})
	after, _ := json.Marshal(f0)
	if !bytes.Equal(before, after) {
		t.Fatal("AttachStakingDecls modified its argument")
	}
	for _, o := range f.Outputs {
		if (o.Index == ext) != (o.Staking != nil) {
			t.Fatalf("output %d: staking %+v", o.Index, o.Staking)
		}
	}
	if !slices.Equal(f.StrayStakingDecls, []int{-3, 9}) {
		t.Fatalf("stray %v", f.StrayStakingDecls)
	}
	if got := policy.AttachStakingDecls(f0, nil); got.StrayStakingDecls != nil || got.Outputs[0].Staking != nil {
		t.Fatal("no declarations changed the facts")
	}
}

// TestEngineMatchesEvaluate: the cached-key Engine decides exactly like
// Evaluate, also when the snapshot carries another or no wallet key.
func TestEngineMatchesEvaluate(t *testing.T) {
	other := psbtgen.NewWallet("another wallet").PubKey()
	for _, sc := range loadScenarios(t) {
		f := scenarioFacts(t, &sc)
		eng := policy.NewEngine(sc.Snapshot.WalletKey)
		for _, key := range [][]byte{sc.Snapshot.WalletKey, other, nil, {2, 1, 2}} {
			s := sc.Snapshot
			s.WalletKey = key
			a, _ := json.Marshal(policy.Evaluate(f, s, time.Time{}))
			b, _ := json.Marshal(eng.Evaluate(f, s, time.Time{}))
			if !bytes.Equal(a, b) {
				t.Fatalf("%s key %x:\n%s\n%s", sc.Name, key, a, b)
			}
		}
	}
	f, s := base(t)
	if d := policy.NewEngine(nil).Evaluate(f, s, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("an engine without a key: %v", d.Codes())
	}
}

// TestHexBytesJSON: the wire form is a lowercase hex string, "" for empty.
func TestHexBytesJSON(t *testing.T) {
	type wrap struct {
		A policy.HexBytes   `json:"a"`
		B policy.HexBytes   `json:"b,omitempty"`
		C []policy.HexBytes `json:"c"`
	}
	got, err := json.Marshal(wrap{A: nil, B: policy.HexBytes{0xAB}, C: []policy.HexBytes{{}, {0, 0xff}}})
	if err != nil || string(got) != `{"a":"","b":"ab","c":["","00ff"]}` {
		t.Fatalf("%s %v", got, err)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"a":"00FF","b":"","c":["01"]}`), &w); err != nil || !bytes.Equal(w.A, []byte{0, 0xff}) || len(w.B) != 0 || !bytes.Equal(w.C[0], []byte{1}) {
		t.Fatalf("%+v %v", w, err)
	}
	for _, bad := range []string{`{"a":"0"}`, `{"a":"zz"}`, `{"a":12}`} {
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}
