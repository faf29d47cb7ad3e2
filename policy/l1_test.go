package policy_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/policy"
)

func init() {
	unitOnlyCodes = append(unitOnlyCodes, policy.CodeL1Stale, policy.CodeL1EndpointsDisagree, policy.CodeL1NotReconciled,
		policy.CodeInputNotInL1View, policy.CodeInputSpent, policy.CodeInputUnconfirmed, policy.CodeInputValueMismatch)
}

// TestL1Codes: with an L1 view in the snapshot every input must be an
// unspent wallet output in it; without one (L1 nil) nothing changes.
func TestL1Codes(t *testing.T) {
	f0, s0 := base(t)
	withL1 := func() (policy.Facts, policy.Snapshot) {
		var f policy.Facts
		var s policy.Snapshot
		b, _ := json.Marshal(f0)
		_ = json.Unmarshal(b, &f)
		b, _ = json.Marshal(s0)
		_ = json.Unmarshal(b, &s)
		s.L1 = &policy.L1Status{Height: 100}
		for _, in := range f.Inputs {
			s.Inputs = append(s.Inputs, policy.InputState{Outpoint: in.Outpoint, State: policy.InputConfirmed, Value: in.Value, Depth: 6})
		}
		return f, s
	}
	f, s := withL1()
	if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("base with a good L1 view denied: %v", d.Reasons)
	}
	s.Inputs[0].State = policy.InputOwnChange
	if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("own change denied: %v", d.Reasons)
	}
	cases := []struct {
		name   string
		mutate func(*policy.Snapshot)
		want   []policy.Code
	}{
		{"stale", func(s *policy.Snapshot) { s.L1.Stale = true }, []policy.Code{policy.CodeL1Stale}},
		{"disagree", func(s *policy.Snapshot) { s.L1.Disagree = true }, []policy.Code{policy.CodeL1EndpointsDisagree}},
		{"not reconciled", func(s *policy.Snapshot) { s.L1.NotReconciled = true }, []policy.Code{policy.CodeL1NotReconciled}},
		{"input missing from the snapshot", func(s *policy.Snapshot) { s.Inputs = s.Inputs[1:] }, []policy.Code{policy.CodeInputNotInL1View}},
		{"input unknown (made-up previous tx)", func(s *policy.Snapshot) { s.Inputs[0].State = policy.InputUnknown }, []policy.Code{policy.CodeInputNotInL1View}},
		{"input state not understood", func(s *policy.Snapshot) { s.Inputs[0].State = "whatever" }, []policy.Code{policy.CodeInputNotInL1View}},
		{"input spent", func(s *policy.Snapshot) { s.Inputs[0].State = policy.InputSpent }, []policy.Code{policy.CodeInputSpent}},
		{"input unconfirmed", func(s *policy.Snapshot) { s.Inputs[0].State = policy.InputUnconfirmed }, []policy.Code{policy.CodeInputUnconfirmed}},
		{"input value differs", func(s *policy.Snapshot) { s.Inputs[0].Value++ }, []policy.Code{policy.CodeInputValueMismatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := withL1()
			c.mutate(&s)
			d := policy.Evaluate(f, s, time.Time{})
			if d.Outcome != policy.Deny || !slices.Equal(d.Codes(), c.want) {
				t.Fatalf("got %s %v, want deny %v", d.Outcome, d.Reasons, c.want)
			}
		})
	}
	// A reqId paid by an unexplained L1 spend is never paid again.
	f, s = withL1()
	s.Requests[0].Claim = &policy.Claim{TxID: "ab", State: policy.ClaimPaidUnexplained}
	if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Deny || !slices.Contains(d.Codes(), policy.CodeReqIDSigned) {
		t.Fatalf("paid_unexplained claim: %s %v", d.Outcome, d.Reasons)
	}
}
