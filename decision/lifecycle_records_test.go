package decision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

// TestLifecycleRecordsNameStatesByHash: the re-checks at signing are
// audited as decision_begin / decision_revoke v2, naming the whitelist and
// parameters by hash instead of embedding them; with the whitelist_state
// and params_state records earlier in the log they give back exactly the
// re-check the decision stored, and it replays to the same result.
func TestLifecycleRecordsNameStatesByHash(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	snap.Params.VelocityCapSat = 1 << 40
	for i := range 2 {
		snap.Requests = append(snap.Requests, policy.Request{ID: fmt.Sprint(10_000 + i), Kind: policy.KindUnbound, AmountSat: 1e6, Token: snap.Params.BTCToken,
			State: policy.StateFinalized, TxHash: "0x01", Block: uint64(1 + i), LogIndex: 1})
	}
	e := newEnv(t, sc.WalletSeed, snap, now, true)
	bridge := snap.Whitelist.Entries[0].PkScript
	raw := func(i int) []byte {
		return buildTx(t, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e6, bridge)}, 2000, fmt.Sprint(10_000+i))
	}
	begun := e.submitAllow(t, raw(0))
	if _, err := e.begin(t, begun); err != nil {
		t.Fatal(err)
	}
	revoked := e.submitAllow(t, raw(1))
	e.gov.freeze(t)
	if _, err := e.begin(t, revoked); errCode(err) != "decision_revoked_at_signing" {
		t.Fatalf("begin while frozen: %v", err)
	}

	var states records.States
	found := map[string]bool{}
	err := e.db.View(func(tx *bolt.Tx) error {
		return audit.ForEachRecord(tx, func(rec *audit.Record) error {
			body, err := audit.DecodeBody(rec)
			if err != nil {
				return err
			}
			states.Add(body)
			var v2 *records.TransitionV2
			switch b := body.(type) {
			case *records.DecisionBegin, *records.DecisionRevoke:
				return fmt.Errorf("record %d: a %s v1 with the whole snapshot", rec.Index, rec.Kind)
			case *records.DecisionBeginV2:
				v2 = &b.TransitionV2
			case *records.DecisionRevokeV2:
				v2 = &b.TransitionV2
			default:
				return nil
			}
			if bytes.Contains(rec.Body, []byte(`"entries"`)) || bytes.Contains(rec.Body, []byte(`"max_fee_sat"`)) {
				return fmt.Errorf("record %d (%s) embeds the whitelist or parameters: %s", rec.Index, rec.Kind, rec.Body)
			}
			full, err := states.Transition(v2)
			if err != nil {
				return fmt.Errorf("record %d: %w", rec.Index, err)
			}
			r, err := loadRecord(tx, v2.DecisionID)
			if err != nil || r == nil {
				return fmt.Errorf("decision %s: %v", v2.DecisionID, err)
			}
			stored := r.Transitions[len(r.Transitions)-1].Recheck
			got, _ := json.Marshal(full.Recheck)
			want, _ := json.Marshal(stored)
			if !bytes.Equal(got, want) {
				return fmt.Errorf("record %d: re-check from the log\n%s\nstored\n%s", rec.Index, got, want)
			}
			d := policy.Evaluate(r.Facts, full.Recheck.Snapshot, full.Recheck.Time)
			if !slices.Equal(d.Codes(), stored.Decision.Codes()) || d.Outcome != stored.Decision.Outcome {
				return fmt.Errorf("record %d: replayed %s %v, stored %s %v", rec.Index, d.Outcome, d.Codes(), stored.Decision.Outcome, stored.Decision.Codes())
			}
			found[rec.Kind] = true
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found[records.KindDecisionBegin] || !found[records.KindDecisionRevoke] {
		t.Fatalf("re-checks found in the log: %v", found)
	}
	verifyAudit(t, e)
}
