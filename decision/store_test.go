package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
)

// appendOnly is an Auditor that can only append typed bodies: the service
// then stores records whole with v1 decision bodies, as before the
// reference layout.
type appendOnly struct{ l *audit.Log }

func (a appendOnly) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	return a.l.AppendBody(tx, at, body)
}

// TestReferenceLegacyRecords: decisions stored whole (as before the
// reference layout) are read as they are, and the next start moves each to
// its lifecycle and the index of its audit record: the record read back is
// the same, the stored bytes shrink, the lifecycle goes on (cancel), and
// the log still verifies.
func TestReferenceLegacyRecords(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "stake_and_withdraw")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	raw, _ := sc.RawPSBT()
	attachScenarioL1(t, e, sc, raw) // staking needs the L1 height (the Babylon version in force)
	legacy := e.svc.cfg
	legacy.Audit = appendOnly{e.log}
	old, err := New(legacy)
	if err != nil {
		t.Fatal(err)
	}
	v, err := old.SubmitRequest(ctx, Request{PSBT: raw, Staking: scenarioDecls(sc)})
	if err != nil || v.Outcome != "allow" {
		t.Fatal(v, err)
	}
	storedLen := func() int {
		var n int
		_ = e.db.View(func(tx *bolt.Tx) error { n = len(tx.Bucket(storage.BucketDecisions).Get([]byte(v.ID))); return nil })
		return n
	}
	before := old.mustRecord(t, v.ID)
	wholeLen := storedLen()
	if before.AuditIndex != nil || wholeLen < 2000 {
		t.Fatalf("legacy service stored %d bytes, audit index %v", wholeLen, before.AuditIndex)
	}
	// A file of the binary before the reference layout has no mark.
	if err := e.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(storage.BucketMeta).Delete(keyReferenced) }); err != nil {
		t.Fatal(err)
	}
	cfg := e.svc.cfg
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Wallet = psbtcheck.Wallet{PubKey: e.wallet.PubKey(), Net: &chaincfg.MainNetParams}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := svc.mustRecord(t, v.ID)
	if after.AuditIndex == nil || storedLen() >= wholeLen/4 {
		t.Fatalf("not referenced: %d bytes (was %d), index %v", storedLen(), wholeLen, after.AuditIndex)
	}
	after.AuditIndex = nil
	if !reflect.DeepEqual(jsonOf(t, before), jsonOf(t, after)) {
		t.Fatalf("record changed:\n%s\n%s", jsonOf(t, before), jsonOf(t, after))
	}
	if _, err := svc.Cancel(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if r := svc.mustRecord(t, v.ID); r.State != StateCancelled || r.AuditIndex == nil {
		t.Fatalf("after cancel: %s %v", r.State, r.AuditIndex)
	}
	e.svc = svc
	verifyAudit(t, e)
}

func (s *Service) mustRecord(t *testing.T, id string) *Record {
	t.Helper()
	r, err := s.Record(context.Background(), id)
	if err != nil || r == nil {
		t.Fatal(id, err)
	}
	return r
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotSlimCoversPolicySnapshot: records.Snapshot carries every
// field of policy.Snapshot but the parameters and the whitelist, so a
// decision v2 loses nothing Evaluate read: a snapshot with every field set
// survives SlimSnapshot and Full.
func TestSnapshotSlimCoversPolicySnapshot(t *testing.T) {
	st := reflect.TypeOf(policy.Snapshot{})
	slim := reflect.TypeOf(records.Snapshot{})
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Name == "Params" || f.Name == "Whitelist" {
			continue
		}
		g, ok := slim.FieldByName(f.Name)
		if !ok || g.Type != f.Type || g.Tag != f.Tag {
			t.Errorf("records.Snapshot lacks %s %s `%s` of policy.Snapshot", f.Name, f.Type, f.Tag)
		}
	}
	sc := scenario(t, "stake_and_withdraw")
	s := sc.Snapshot
	s.Frozen, s.OutflowSat, s.WalletKey = true, 7, policy.HexBytes{2, 3}
	s.L1 = &policy.L1Status{Height: 9}
	s.Inputs = []policy.InputState{{Outpoint: "x:0", State: policy.InputConfirmed}}
	s.Replaces = []policy.SignedTx{{TxID: "aa"}}
	s.PendingUnbound = s.Requests
	s.Allowances = []policy.Allowance{{ID: "a"}}
	if got := records.SlimSnapshot(s).Full(s.Params, s.Whitelist); !bytes.Equal(jsonOf(t, got), jsonOf(t, s)) {
		t.Fatalf("round trip:\n%s\n%s", jsonOf(t, got), jsonOf(t, s))
	}
}

// TestBodyPartsCoverDecisionV2: the two parts encoded apart (before and in
// the writer) hold every field of records.DecisionV2 once, with its JSON
// name and options, so their merge is the whole body.
func TestBodyPartsCoverDecisionV2(t *testing.T) {
	want := map[string]reflect.StructField{}
	dt := reflect.TypeOf(records.DecisionV2{})
	for i := range dt.NumField() {
		want[dt.Field(i).Name] = dt.Field(i)
	}
	for _, pt := range []reflect.Type{reflect.TypeOf(requestPart{}), reflect.TypeOf(writerPart{})} {
		for i := range pt.NumField() {
			f := pt.Field(i)
			w, ok := want[f.Name]
			if !ok || w.Type != f.Type || w.Tag != f.Tag {
				t.Errorf("%s.%s `%s` is not DecisionV2's (or is there twice)", pt.Name(), f.Name, f.Tag)
			}
			delete(want, f.Name)
		}
	}
	for name := range want {
		t.Errorf("DecisionV2.%s is in neither part", name)
	}
}

// TestRecheckStoredOnce: the re-check at signing (begin, and the revoke a
// failed one causes) is stored once, in its audit record: the decisions
// bucket names that record's index. What the service reads back is the
// re-check an auditor reads from the exported log (the verifier's own
// decoding, the whitelist and parameters resolved from the log's state
// records), and a restarted service reads the same.
func TestRecheckStoredOnce(t *testing.T) {
	e, raw, _ := signTimeEnv(t, nil)
	begun := e.submitAllow(t, raw)
	if _, err := e.begin(t, begun); err != nil {
		t.Fatal(err)
	}
	// A second decision (another input), revoked by the re-check: frozen.
	raw2 := buildTx(t, e.wallet, []int64{2e8}, []*wire.TxOut{wire.NewTxOut(5e7, bridgeScript(scenario(t, "withdraw_one_id").Snapshot))}, 2000, "101")
	revoked := e.submitAllow(t, raw2)
	e.gov.freeze(t)
	if _, err := e.begin(t, revoked); errCode(err) != "decision_revoked_at_signing" {
		t.Fatalf("begin while frozen: %v", err)
	}

	// The auditor's re-checks, by decision id and event.
	type key struct{ id, event string }
	fromLog := map[key]*records.Recheck{}
	var st records.States
	_, err := audit.VerifyWith(exportAudit(t, e), e.log.VerifierKey(), nil, audit.VerifyOptions{OnRecord: func(_ *audit.Record, b records.Body) error {
		st.Add(b)
		var tv2 *records.TransitionV2
		switch v := b.(type) {
		case *records.DecisionBeginV2:
			tv2 = &v.TransitionV2
		case *records.DecisionRevokeV2:
			tv2 = &v.TransitionV2
		}
		if tv2 != nil && tv2.Recheck != nil {
			full, err := st.Decision(&records.DecisionV2{DecisionID: tv2.DecisionID, WhitelistHash: tv2.Recheck.WhitelistHash, ParamsHash: tv2.Recheck.ParamsHash})
			if err != nil {
				return err
			}
			fromLog[key{tv2.DecisionID, tv2.Event}] = tv2.Recheck.Full(full.Snapshot.Params, full.Snapshot.Whitelist)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromLog) != 2 {
		t.Fatalf("re-checks in the log: %d, want 2", len(fromLog))
	}

	restarted, err := New(e.svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		event Event
	}{{begun, EventBegin}, {revoked, EventRevoke}} {
		var stored []byte
		_ = e.db.View(func(tx *bolt.Tx) error {
			stored = bytes.Clone(tx.Bucket(storage.BucketDecisions).Get([]byte(c.id)))
			return nil
		})
		if !bytes.HasPrefix(stored, lifecyclePrefix) || bytes.Contains(stored, []byte(`"recheck":`)) ||
			!bytes.Contains(stored, []byte(`"recheck_audit_index":`)) {
			t.Fatalf("%s: stored lifecycle holds its re-check or does not name it:\n%s", c.id, stored)
		}
		want := fromLog[key{c.id, string(c.event)}]
		if want == nil {
			t.Fatalf("%s: no %s re-check in the log", c.id, c.event)
		}
		for _, svc := range []*Service{e.svc, restarted} {
			r := svc.mustRecord(t, c.id)
			last := r.Transitions[len(r.Transitions)-1]
			if last.Event != c.event || last.Recheck == nil {
				t.Fatalf("%s: last transition %+v", c.id, last)
			}
			if got := jsonOf(t, last.Recheck); !bytes.Equal(got, jsonOf(t, want)) {
				t.Fatalf("%s: re-check read back differs from the log's:\n%s\n%s", c.id, got, jsonOf(t, want))
			}
		}
	}

	// A lifecycle naming another decision's re-check is refused, not read.
	var lcBegun, lcRevoked lifecycle
	_ = e.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(storage.BucketDecisions)
		if err := json.Unmarshal(b.Get([]byte(begun)), &lcBegun); err != nil {
			t.Fatal(err)
		}
		return json.Unmarshal(b.Get([]byte(revoked)), &lcRevoked)
	})
	lcBegun.Transitions[len(lcBegun.Transitions)-1].RecheckAudit = lcRevoked.Transitions[len(lcRevoked.Transitions)-1].RecheckAudit
	if err := e.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketDecisions).Put([]byte(begun), jsonOf(t, lcBegun))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Record(context.Background(), begun); err == nil {
		t.Fatal("a lifecycle naming another decision's re-check was read")
	}
}
