package decision

import "testing"

// (moved from cmd/policyd, where the API's declarations used to be
// translated)
func TestDecodeStaking(t *testing.T) {
	decls, err := DecodeStaking([]StakingDeclaration{
		{OutputIndex: 1, StakerKey: "02aa", FinalityProviders: []string{"03bb", "03cc"}, StakingTime: 64000},
		{OutputIndex: 3, StakerKey: "02dd", StakingTime: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(decls) != 2 || decls[1].StakerKey[0] != 0x02 || len(decls[1].FinalityProviders) != 2 || decls[3].StakingTime != 10 {
		t.Fatalf("decoded %+v", decls)
	}
	for name, in := range map[string][]StakingDeclaration{
		"duplicate index": {{OutputIndex: 1, StakerKey: "02"}, {OutputIndex: 1, StakerKey: "03"}},
		"bad staker hex":  {{OutputIndex: 1, StakerKey: "zz"}},
		"bad fp hex":      {{OutputIndex: 1, StakerKey: "02", FinalityProviders: []string{"0x03"}}},
	} {
		if _, err := DecodeStaking(in); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if d, err := DecodeStaking(nil); err != nil || d != nil {
		t.Fatalf("no declarations: %v %v", d, err)
	}
}
