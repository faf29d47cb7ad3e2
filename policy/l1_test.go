package policy_test

import (
	"encoding/json"
	"slices"
	"strings"
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
		f, s := cloneBase(f0, s0)
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
		{"no input signals replaceability", nil, []policy.Code{policy.CodeRBFNotSignalled}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := withL1()
			if c.mutate == nil {
				for i := range f.Inputs {
					f.Inputs[i].Sequence = 0xfffffffe
				}
			} else {
				c.mutate(&s)
			}
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
	// An approved claim is paid (even if the ledger record were read
	// before the approval): reqid_signed, not a mere reservation.
	f, s = withL1()
	s.Requests[0].Claim = &policy.Claim{DecisionID: "d-old", TxID: "ab", State: policy.ClaimApproved}
	if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Deny || !slices.Equal(d.Codes(), []policy.Code{policy.CodeReqIDSigned}) {
		t.Fatalf("approved claim: %s %v", d.Outcome, d.Reasons)
	}
}

func init() {
	unitOnlyCodes = append(unitOnlyCodes, policy.CodeReqIDConfirming, policy.CodeReplacementNotConflicting,
		policy.CodeReplacementOutputsDiffer, policy.CodeReplacementFeeNotHigher, policy.CodeInputFromReplacedTx, policy.CodeRBFNotSignalled)
}

// TestReplacementCodes: a reqId held by a signed, unmined transaction may
// be paid by a replacement that conflicts with it, pays the same external
// outputs and ids, and pays more; each failed rule has its code.
func TestReplacementCodes(t *testing.T) {
	f0, s0 := base(t)
	old := "aa" + strings.Repeat("0", 62)
	mk := func() (policy.Facts, policy.Snapshot) {
		f, s := cloneBase(f0, s0)
		m := policy.SignedTx{TxID: old, Inputs: []string{f.Inputs[0].Outpoint, "bb" + strings.Repeat("0", 62) + ":0"},
			ReqIDs: f.ReqIDs, Fee: f.Fee - f.VSize, FeeRate: f.FeeRate - 1, Stage: "mempool"}
		for _, o := range f.Outputs {
			if o.Class == policy.ClassExternal {
				m.External = append(m.External, o)
			}
		}
		s.Replaces = []policy.SignedTx{m}
		for i := range s.Requests {
			s.Requests[i].Claim = &policy.Claim{DecisionID: "d-old", TxID: old, State: policy.ClaimBroadcast}
		}
		return f, s
	}
	f, s := mk()
	if d := policy.Evaluate(f, s, time.Time{}); d.Outcome != policy.Allow {
		t.Fatalf("replacement denied: %v", d.Reasons)
	}
	cases := []struct {
		name   string
		mutate func(*policy.Facts, *policy.Snapshot)
		want   []policy.Code
	}{
		{"original mined", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].Stage = "confirmed" }, []policy.Code{policy.CodeReqIDConfirming}},
		{"original conflicted", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].Stage = "conflicted" }, []policy.Code{policy.CodeReqIDConfirming}},
		{"no common input", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].Inputs = s.Replaces[0].Inputs[1:] }, []policy.Code{policy.CodeReplacementNotConflicting}},
		{"other bridge amount", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].External[0].Value++ }, []policy.Code{policy.CodeReplacementOutputsDiffer}},
		{"other ids", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].ReqIDs = append(s.Replaces[0].ReqIDs, "999") }, []policy.Code{policy.CodeReplacementOutputsDiffer}},
		{"fee not higher by the relay increment", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].Fee = f.Fee - f.VSize + 1 }, []policy.Code{policy.CodeReplacementFeeNotHigher}},
		{"fee rate not higher", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].FeeRate = f.FeeRate }, []policy.Code{policy.CodeReplacementFeeNotHigher}},
		{"spends the replaced tx's change", func(f *policy.Facts, s *policy.Snapshot) {
			txid := strings.Split(f.Inputs[1].Outpoint, ":")[0]
			s.Replaces[0].TxID = txid
			for i := range s.Requests {
				s.Requests[i].Claim.TxID = txid
			}
		}, []policy.Code{policy.CodeInputFromReplacedTx}},
		{"claim's tx not among the replaced", func(f *policy.Facts, s *policy.Snapshot) { s.Replaces[0].TxID = "cc" + strings.Repeat("0", 62) }, []policy.Code{policy.CodeReqIDSigned}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := mk()
			c.mutate(&f, &s)
			d := policy.Evaluate(f, s, time.Time{})
			if d.Outcome != policy.Deny || !slices.Equal(d.Codes(), c.want) {
				t.Fatalf("got %s %v, want deny %v", d.Outcome, d.Reasons, c.want)
			}
		})
	}
}

// cloneBase deep-copies facts and snapshot through JSON.
func cloneBase(f0 policy.Facts, s0 policy.Snapshot) (policy.Facts, policy.Snapshot) {
	var f policy.Facts
	var s policy.Snapshot
	b, _ := json.Marshal(f0)
	_ = json.Unmarshal(b, &f)
	b, _ = json.Marshal(s0)
	_ = json.Unmarshal(b, &s)
	return f, s
}
