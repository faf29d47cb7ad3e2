package relayer

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

// TestIndexTypedDecisionRecords: the index reads policyd's typed (v2)
// decision, decision_cancel and allowance_open records as it reads the v1
// ones a log keeps from before: the same claims, plan and cancellation.
func TestIndexTypedDecisionRecords(t *testing.T) {
	p := newFakePolicyd(t)
	v1tx, v2tx, v2cancel, v2plan, v2deny := "aa"+hex62('1'), "bb"+hex62('2'), "cc"+hex62('3'), "dd"+hex62('4'), "ee"+hex62('5')
	v1id := p.allow(v1tx, 1000, policy.SourceOpReturn, "100") // v1 records, as before typed records
	now := time.Now().UTC()
	typed := func(b records.Body) {
		t.Helper()
		if err := p.db.Update(func(tx *bolt.Tx) error { _, err := p.log.AppendBody(tx, now, b); return err }); err != nil {
			t.Fatal(err)
		}
	}
	dec := func(id, txid string, out policy.Outcome, d policy.Decision) *records.Decision {
		d.Outcome = out
		return &records.Decision{DecisionID: id, TxID: txid, ParamsHash: "ph", EvaluatedAt: now, Facts: policy.Facts{TxID: txid}, Decision: d}
	}
	typed(dec("d2", v2tx, policy.Allow, policy.Decision{Claims: []string{"101", "102"}, BridgeSource: policy.SourceOpReturn, BridgeSat: 2000}))
	typed(&records.Signature{DecisionID: "d2", TxID: v2tx, Sighash: "00", Signature: "30"})
	typed(dec("d3", v2cancel, policy.Allow, policy.Decision{Claims: []string{"103"}, BridgeSat: 3000}))
	typed(&records.DecisionCancel{Transition: records.Transition{DecisionID: "d3", TxID: v2cancel, Event: "cancel", From: "reserved", To: "cancelled", Released: []string{"103"}}})
	typed(&records.AllowanceOpen{ProposalID: "a4", Allowance: records.Allowance{ID: "a4", PlanID: "7", AmountSat: 4000}, Approvers: []string{"x"}})
	typed(dec("d4", v2plan, policy.Allow, policy.Decision{BridgeSource: policy.SourceAllowance, AllowanceID: "a4", BridgeSat: 4000}))
	typed(dec("d5", v2deny, policy.Deny, policy.Decision{Reasons: []policy.Reason{{Code: "frozen"}}}))

	var exp bytes.Buffer
	if err := p.log.Export(t.Context(), &exp, 0, 0); err != nil {
		t.Fatal(err)
	}
	_, recs, err := audit.VerifyRecords(&exp, p.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAudit)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := indexRecord(b, rec); err != nil {
				t.Fatalf("record %d (%s v%d): %v", rec.Index, rec.Kind, rec.V, err)
			}
		}
		get := func(txid string) *Decision {
			raw := b.Get(decisionKey(txid))
			if raw == nil {
				return nil
			}
			var d Decision
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			return &d
		}
		if d := get(v1tx); d == nil || d.ID != v1id || !slices.Equal(d.Claims, []string{"100"}) || d.Cancelled {
			t.Errorf("v1 decision: %+v", d)
		}
		if d := get(v2tx); d == nil || d.ID != "d2" || d.Outcome != "allow" || !slices.Equal(d.Claims, []string{"101", "102"}) || d.BridgeSat != 2000 || d.Cancelled {
			t.Errorf("v2 decision: %+v", d)
		}
		if d := get(v2cancel); d == nil || d.ID != "d3" || !d.Cancelled {
			t.Errorf("v2 cancelled decision: %+v", d)
		}
		if d := get(v2plan); d == nil || d.AllowanceID != "a4" || d.PlanID != "7" {
			t.Errorf("v2 plan decision: %+v", d)
		}
		if d := get(v2deny); d != nil {
			t.Errorf("a denial was indexed: %+v", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hex62(c byte) string { return string(bytes.Repeat([]byte{c}, 62)) }
