package decision

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// (moved from cmd/policyd, where the API's declarations used to be
// translated)
func TestDecodeStaking(t *testing.T) {
	decls, err := DecodeStaking([]StakingDeclaration{
		{OutputIndex: 1, StakerKey: "02aa", FinalityProviders: []string{"03bb", "03cc"}, StakingTime: 64000},
		{OutputIndex: 3, StakerKey: "02dd", StakingTime: 10, CovenantKeys: []string{"02ee", "03ff"}, CovenantQuorum: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(decls) != 2 || decls[1].StakerKey[0] != 0x02 || len(decls[1].FinalityProviders) != 2 || decls[3].StakingTime != 10 ||
		len(decls[3].CovenantKeys) != 2 || decls[3].CovenantKeys[1][0] != 0x03 || decls[3].CovenantQuorum != 2 || decls[1].CovenantKeys != nil {
		t.Fatalf("decoded %+v", decls)
	}
	for name, in := range map[string][]StakingDeclaration{
		"duplicate index":  {{OutputIndex: 1, StakerKey: "02"}, {OutputIndex: 1, StakerKey: "03"}},
		"bad staker hex":   {{OutputIndex: 1, StakerKey: "zz"}},
		"bad fp hex":       {{OutputIndex: 1, StakerKey: "02", FinalityProviders: []string{"0x03"}}},
		"bad covenant hex": {{OutputIndex: 1, StakerKey: "02", CovenantKeys: []string{"g0"}}},
	} {
		if _, err := DecodeStaking(in); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if d, err := DecodeStaking(nil); err != nil || d != nil {
		t.Fatalf("no declarations: %v %v", d, err)
	}
}

// A refused PSBT's detail (psbtcheck's, which names indexes and sizes)
// reaches the caller in the client-safe message, not only the log.
func TestRefusedPSBTDetailReachesTheCaller(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	raw, _ := sc.RawPSBT()
	_, err := e.svc.Submit(context.Background(), append(raw, 0x00), false)
	var r *psbtcheck.RefusalError
	ee, ok := errs.As(err)
	if !ok || !errors.As(err, &r) || r.Detail == "" || ee.Code != "psbt_"+string(r.Code) ||
		ee.Msg != "the PSBT was refused: "+r.Detail {
		t.Fatalf("refusal %+v (%v)", ee, err)
	}
}
