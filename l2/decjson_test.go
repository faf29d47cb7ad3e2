package l2_test

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bitlayer-org/policyd/l2"
)

// Two 77-digit reqIds (a keccak-seeded counter) that a float64 reader
// would confuse.
const (
	id77a = "49789615487123560892156894751226315458745469802349768162354985612743566889911"
	id77b = "49789615487123560892156894751226315458745469802349768162354985612743566889912"
)

func dec(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

// TestRequestJSONDecimalStrings: every uint256 of a ledger record is a JSON
// string that round-trips exactly, also through a reader that parses
// numbers as float64 (JavaScript, jq); records stored by older versions
// with bare numbers still read.
func TestRequestJSONDecimalStrings(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, r := range []l2.Request{
		{ReqID: dec(id77a), Kind: l2.KindUnbound, AmountWei: "10000000000", AmountSat: 1, State: l2.StateFinalized},
		{ReqID: dec(id77b), Kind: l2.KindStaked, PlanID: dec(id77a), Duration: max, AmountWei: "1"},
		{ReqID: big.NewInt(0), Kind: l2.KindUnbound},
	} {
		for _, v := range []any{r, &r} { // value and pointer both use the method
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var loose map[string]any // what a float-reading client sees
			if err := json.Unmarshal(b, &loose); err != nil {
				t.Fatal(err)
			}
			if loose["req_id"] != r.ReqID.String() {
				t.Fatalf("req_id renders as %#v in %s", loose["req_id"], b)
			}
			if r.PlanID != nil && (loose["plan_id"] != r.PlanID.String() || loose["duration"] != r.Duration.String()) {
				t.Fatalf("plan_id/duration render as %#v/%#v", loose["plan_id"], loose["duration"])
			}
			if r.PlanID == nil && (loose["plan_id"] != nil || loose["duration"] != nil) {
				t.Fatalf("absent plan_id rendered: %s", b)
			}
			if bytes.Count(b, []byte(`"req_id"`)) != 1 {
				t.Fatalf("req_id twice: %s", b)
			}
			var back l2.Request
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.ReqID.Cmp(r.ReqID) != 0 || (r.PlanID != nil && (back.PlanID.Cmp(r.PlanID) != 0 || back.Duration.Cmp(r.Duration) != 0)) ||
				back.Kind != r.Kind || back.AmountWei != r.AmountWei || back.State != r.State {
				t.Fatalf("round trip: %+v != %+v", back, r)
			}
		}
	}
	// Two different 77-digit ids stay different for a float reader.
	a, _ := json.Marshal(l2.Request{ReqID: dec(id77a)})
	b, _ := json.Marshal(l2.Request{ReqID: dec(id77b)})
	var ma, mb map[string]any
	json.Unmarshal(a, &ma)
	json.Unmarshal(b, &mb)
	if ma["req_id"] == mb["req_id"] {
		t.Fatal("two ids read as one")
	}
	// Legacy records: bare numbers.
	var old l2.Request
	if err := json.Unmarshal([]byte(`{"req_id":`+id77a+`,"kind":"staked","plan_id":7,"duration":0}`), &old); err != nil ||
		old.ReqID.String() != id77a || old.PlanID.Int64() != 7 || old.Duration.Sign() != 0 {
		t.Fatalf("legacy record: %+v %v", old, err)
	}
	for _, bad := range []string{`{"req_id":"-1"}`, `{"req_id":"0x10"}`, `{"req_id":"1e3"}`, `{"req_id":1.5}`,
		`{"req_id":"115792089237316195423570985008687907853269984665640564039457584007913129639936"}`, `{"req_id":true}`} {
		if err := json.Unmarshal([]byte(bad), &old); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

func TestPlanWithdrawJSONDecimalString(t *testing.T) {
	p := l2.PlanWithdraw{PlanID: dec(id77b), TxHash: common.Hash{1}, BlockNumber: 9}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var loose map[string]any
	json.Unmarshal(b, &loose)
	if loose["plan_id"] != id77b {
		t.Fatalf("plan_id renders as %#v", loose["plan_id"])
	}
	var back l2.PlanWithdraw
	if err := json.Unmarshal(b, &back); err != nil || back.PlanID.String() != id77b || back.BlockNumber != 9 || back.TxHash != p.TxHash {
		t.Fatalf("round trip %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"plan_id":7}`), &back); err != nil || back.PlanID.Int64() != 7 {
		t.Fatalf("legacy plan: %v", err)
	}
}
