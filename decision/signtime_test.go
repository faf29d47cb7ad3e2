package decision

// Issue 13: nothing is signed that the rules forbid at the moment of
// signing. Each test is one attack, on the real bbolt, audit log, l2
// indexer/ledger and governance (as TestScenarios).

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// signTimeEnv: the withdraw_one_id state (requests 100: 1 BTC and 101:
// 0.5 BTC, two bridge hot wallets) and a withdrawal of id 100.
func signTimeEnv(t *testing.T, mutate func(*policy.Snapshot)) (*env, []byte, time.Time) {
	t.Helper()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	if mutate != nil {
		mutate(&snap)
	}
	e := newEnv(t, sc.WalletSeed, snap, now, true)
	raw := buildTx(t, e.wallet, []int64{3e8}, []*wire.TxOut{wire.NewTxOut(1e8, bridgeScript(sc.Snapshot))}, 2000, "100")
	return e, raw, now
}

func bridgeScript(s policy.Snapshot) []byte { return s.Whitelist.Entries[0].PkScript }

// assertRevokedAtSigning checks the refusal, the revoked record with want
// among its reasons, the released claims and the verifying audit log with
// its decision_revoke record.
func assertRevokedAtSigning(t *testing.T, e *env, id string, err error, want policy.Code, claims ...string) {
	t.Helper()
	if errCode(err) != "decision_revoked_at_signing" {
		t.Fatalf("begin: %v, want decision_revoked_at_signing", err)
	}
	r := e.record(t, id)
	if r.State != StateRevoked || len(r.Signatures) != 0 {
		t.Fatalf("state %s, %d signatures", r.State, len(r.Signatures))
	}
	last := r.Transitions[len(r.Transitions)-1]
	var codes []policy.Code
	for _, x := range last.Reasons {
		codes = append(codes, x.Code)
	}
	if last.Event != EventRevoke || last.From != StateReserved || last.By != actorPolicyd || !slices.Contains(codes, want) || last.Recheck == nil {
		t.Fatalf("transition %+v, reasons %v, want %s", last, codes, want)
	}
	if !slices.Equal(last.Released, claims) {
		t.Fatalf("released %v, want %v", last.Released, claims)
	}
	for _, q := range claims {
		if c := claimOf(t, e, q); c != nil {
			t.Fatalf("claim of %s kept: %+v", q, c)
		}
	}
	if k := verifyAudit(t, e); k["decision_revoke"] != 1 || k["signature"] != 0 {
		t.Fatalf("audit kinds %v", k)
	}
	// Revoked is final: no second attempt, no cancel.
	if _, err := e.begin(t, id); errCode(err) != "decision_revoked" {
		t.Fatalf("begin after revoke: %v", err)
	}
	if _, err := e.svc.Cancel(context.Background(), id); errCode(err) != "decision_revoked" {
		t.Fatalf("cancel after revoke: %v", err)
	}
}

// Attack: a PSBT allowed before an emergency freeze is co-signed after it.
func TestFreezeAfterAllowRevokesAtBegin(t *testing.T) {
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	e.gov.freeze(t)
	h, err := e.begin(t, id)
	if h != nil {
		t.Fatal("sighashes returned for a frozen wallet")
	}
	assertRevokedAtSigning(t, e, id, err, policy.CodeFrozen, "100")
}

// Attack: signed after the admin quorum removed the destination.
func TestWhitelistRemovalRevokesAtBegin(t *testing.T) {
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	e.removeFromWhitelist(t, policy.KindBridgeHotWallet, bridgeScript(scenario(t, "withdraw_one_id").Snapshot))
	_, err := e.begin(t, id)
	assertRevokedAtSigning(t, e, id, err, policy.CodeOutputNotWhitelisted, "100")
}

// Attack: signed after an L2 reorganization removed the claimed request.
func TestL2ReorgRevokesAtBegin(t *testing.T) {
	e, raw, now := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	// Request 100 is at block 900: the chain forks below it.
	e.reorgL2(t, now, 899)
	_, err := e.begin(t, id)
	assertRevokedAtSigning(t, e, id, err, policy.CodeReqIDUnknown, "100")
}

// An L2 view gone stale between decision and signing is a revoke too.
func TestStaleL2RevokesAtBegin(t *testing.T) {
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	e.clock.Advance(10 * time.Minute) // no L2 poll since: stale
	_, err := e.begin(t, id)
	assertRevokedAtSigning(t, e, id, err, policy.CodeL2Stale, "100")
}

// Attack: 30 days later. Allowed decisions expire after decision_ttl.
func TestExpiredDecisionIsNotSigned(t *testing.T) {
	ctx := context.Background()
	t.Run("30 days later, lazily at begin", func(t *testing.T) {
		e, raw, _ := signTimeEnv(t, nil)
		id := e.submitAllow(t, raw)
		e.clock.Advance(30 * 24 * time.Hour)
		if _, err := e.begin(t, id); errCode(err) != "decision_expired" {
			t.Fatalf("begin: %v", err)
		}
		r := e.record(t, id)
		if r.State != StateExpired || claimOf(t, e, "100") != nil {
			t.Fatalf("state %s claim %+v", r.State, claimOf(t, e, "100"))
		}
		if k := verifyAudit(t, e); k["decision_expire"] != 1 {
			t.Fatalf("audit %v", k)
		}
		if _, err := e.begin(t, id); errCode(err) != "decision_expired" {
			t.Fatalf("second begin: %v", err)
		}
	})
	t.Run("sweep", func(t *testing.T) {
		e, raw, now := signTimeEnv(t, nil)
		id := e.submitAllow(t, raw)
		if r := e.record(t, id); r.ExpiresAt == nil || !r.ExpiresAt.Equal(now.Add(DefaultDecisionTTL)) {
			t.Fatalf("expires at %v", r.ExpiresAt)
		}
		if n, err := e.svc.ExpireDue(ctx, now.Add(DefaultDecisionTTL-time.Second)); err != nil || n != 0 {
			t.Fatalf("early sweep: %d %v", n, err)
		}
		if n, err := e.svc.ExpireDue(ctx, now.Add(DefaultDecisionTTL)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if r := e.record(t, id); r.State != StateExpired || claimOf(t, e, "100") != nil {
			t.Fatalf("state %s", r.State)
		}
		if n, err := e.svc.ExpireDue(ctx, now.Add(DefaultDecisionTTL)); err != nil || n != 0 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
		// The same tx is decided afresh and can claim again.
		e.clock.Advance(DefaultDecisionTTL)
		e.advanceL2(t, e.clock.Now())
		if id2 := e.submitAllow(t, raw); id2 == id {
			t.Fatal("an expired decision stuck")
		}
		if k := verifyAudit(t, e); k["decision_expire"] != 1 || k["decision"] != 2 {
			t.Fatalf("audit %v", k)
		}
	})
	t.Run("lazily on read and resubmit", func(t *testing.T) {
		e, raw, _ := signTimeEnv(t, nil)
		id := e.submitAllow(t, raw)
		e.clock.Advance(DefaultDecisionTTL + time.Second)
		v, err := e.svc.Decision(ctx, id)
		if err != nil || e.record(t, id).State != StateExpired || v.ID != id {
			t.Fatalf("%+v %v", v, err)
		}
		e.advanceL2(t, e.clock.Now())
		if id2 := e.submitAllow(t, raw); id2 == id {
			t.Fatal("an expired decision stuck")
		}
	})
	t.Run("signing decisions do not expire", func(t *testing.T) {
		e, raw, now := signTimeEnv(t, nil)
		id := e.submitAllow(t, raw)
		if _, err := e.begin(t, id); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.ExpireDue(ctx, now.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("%d %v", n, err)
		}
		if r := e.record(t, id); r.State != StateSigning {
			t.Fatal(r.State)
		}
	})
}

// Attack: allows hoarded over several days, signed together, exceed the
// 24 h velocity cap. The outflow at signing counts what is signing or
// signed in the window at signing time.
func TestVelocityCountedAtSigning(t *testing.T) {
	e, _, t0 := signTimeEnv(t, func(s *policy.Snapshot) {
		s.Params.VelocityCapSat = 12e7 // 1.2 BTC per 24 h
		s.OutflowSat = 0
	})
	e.svc.cfg.DecisionTTL = 72 * time.Hour // isolate the velocity rule from expiry
	bridge := bridgeScript(scenario(t, "withdraw_one_id").Snapshot)
	a := e.submitAllow(t, buildTx(t, e.wallet, []int64{3e8}, []*wire.TxOut{wire.NewTxOut(5e7, bridge)}, 2000, "101"))
	// A day later (the first decision left the decision-time window).
	e.clock.Advance(25 * time.Hour)
	e.advanceL2(t, t0.Add(25*time.Hour))
	b := e.submitAllow(t, buildTx(t, e.wallet, []int64{2e8}, []*wire.TxOut{wire.NewTxOut(1e8, bridge)}, 2000, "100"))
	// Both are signed together: 0.5 + 1.0 BTC within one hour.
	e.clock.Advance(time.Minute)
	if _, err := e.begin(t, a); err != nil {
		t.Fatal(err)
	}
	_, err := e.begin(t, b)
	assertRevokedAtSigning(t, e, b, err, policy.CodeVelocityExceeded, "100")
	if c := claimOf(t, e, "101"); c == nil || c.State != policy.ClaimSigning {
		t.Fatalf("the first decision's claim: %+v", c)
	}
	rc := e.record(t, b).Transitions[0].Recheck
	if rc.Snapshot.OutflowSat != 5e7+2000 {
		t.Fatalf("outflow at signing %d", rc.Snapshot.OutflowSat)
	}
}

// Attack: a signing job whose sighashes differ from its decision moved it
// to signing for good. Compare first: nothing changes on a mismatch.
func TestSighashMismatchLeavesStateUnchanged(t *testing.T) {
	ctx := context.Background()
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	good := recordSighashes(t, e, id)
	flipped := slices.Clone(good)
	flipped[0][31] ^= 1
	n := auditSize(t, e)
	for name, peer := range map[string][][32]byte{
		"none":    nil,
		"flipped": flipped,
		"extra":   append(slices.Clone(good), good[0]),
	} {
		t.Run(name, func(t *testing.T) {
			h, err := e.svc.BeginSigning(ctx, id, peer)
			if h != nil || errCode(err) != "sighash_mismatch" {
				t.Fatalf("%v %v", h, err)
			}
			if ee, _ := errs.As(err); ee.Kind != errs.KindConflict {
				t.Fatalf("kind %v", ee.Kind)
			}
			r := e.record(t, id)
			if r.State != StateReserved || len(r.Transitions) != 0 || auditSize(t, e) != n {
				t.Fatalf("state changed: %s %v", r.State, r.Transitions)
			}
			if c := claimOf(t, e, "100"); c == nil || c.State != policy.ClaimReserved {
				t.Fatalf("claim %+v", c)
			}
		})
	}
	// Even past its expiry a mismatch changes nothing (compare first).
	e.clock.Advance(DefaultDecisionTTL)
	if _, err := e.svc.BeginSigning(ctx, id, flipped); errCode(err) != "sighash_mismatch" || auditSize(t, e) != n {
		t.Fatal(err)
	}
	// The decision can still be cancelled: its claims are released.
	if _, err := e.svc.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if claimOf(t, e, "100") != nil {
		t.Fatal("claim kept")
	}
}

// Attack: psbtcheck accepted 400 inputs, mpc signed at most 256, so some
// allowed decisions could never be signed. One limit: psbtcheck.MaxInputs.
func TestInputLimitShared(t *testing.T) {
	if psbtcheck.DefaultLimits.MaxInputs != psbtcheck.MaxInputs {
		t.Fatalf("psbtcheck default %d, shared limit %d", psbtcheck.DefaultLimits.MaxInputs, psbtcheck.MaxInputs)
	}
	if testing.Short() {
		t.Skip("builds two PSBTs of 256+ inputs")
	}
	e, _, _ := signTimeEnv(t, nil)
	bridge := bridgeScript(scenario(t, "withdraw_one_id").Snapshot)
	vals := make([]int64, psbtcheck.MaxInputs)
	for i := range vals {
		vals[i] = 1e6
	}
	id := e.submitAllow(t, buildTx(t, e.wallet, vals, []*wire.TxOut{wire.NewTxOut(1e8, bridge)}, 40000, "100"))
	h, err := e.begin(t, id)
	if err != nil || len(h) != psbtcheck.MaxInputs {
		t.Fatalf("%d sighashes, %v", len(h), err)
	}
	// One more is refused before any decision, even with a larger limit.
	e.svc.cfg.Limits.MaxInputs = 2 * psbtcheck.MaxInputs
	_, err = e.svc.Submit(context.Background(), buildTx(t, e.wallet, append(vals, 1e6), []*wire.TxOut{wire.NewTxOut(5e7, bridge)}, 40000, "101"), false)
	if errCode(err) != "psbt_too_many_inputs" {
		t.Fatalf("%d inputs: %v", psbtcheck.MaxInputs+1, err)
	}
}

// Attack: a backward clock step hides recent outflow from the velocity
// window. A wall clock behind the floor fails closed, across restarts.
func TestBackwardClockStepFailsClosed(t *testing.T) {
	ctx := context.Background()
	e, raw, now := signTimeEnv(t, nil)
	var hooks []time.Duration
	e.svc.cfg.OnClockBehind = func(d time.Duration) { hooks = append(hooks, d) }
	id := e.submitAllow(t, raw)
	bridge := bridgeScript(scenario(t, "withdraw_one_id").Snapshot)
	other := buildTx(t, e.wallet, []int64{3e8}, []*wire.TxOut{wire.NewTxOut(5e7, bridge)}, 2000, "101")
	n := auditSize(t, e)
	e.clock.Advance(-time.Hour)
	behind := func(what string, err error) {
		t.Helper()
		ee, ok := errs.As(err)
		if !ok || ee.Code != CodeClockBehind || ee.Kind != errs.KindUnavailable {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := e.svc.Submit(ctx, other, false)
	behind("submit", err)
	_, err = e.svc.Submit(ctx, other, true)
	behind("dry run", err)
	_, err = e.begin(t, id)
	behind("begin", err)
	_, err = e.svc.Cancel(ctx, id)
	behind("cancel", err)
	_, err = e.svc.Revoke(ctx, id, "0xadmin", "x")
	behind("revoke", err)
	_, err = e.svc.ExpireDue(ctx, e.clock.Now())
	behind("expire", err)
	err = e.svc.RecordSignatures(ctx, id, e.sign(recordSighashes(t, e, id)))
	behind("record", err)
	// At least once per refused call (bbolt's Batch retries a failed
	// submission alone, so a submit may count twice).
	if len(hooks) < 7 || slices.ContainsFunc(hooks, func(d time.Duration) bool { return d != time.Hour }) {
		t.Fatalf("metric hook calls %v", hooks)
	}
	if claimOf(t, e, "101") != nil || auditSize(t, e) != n || e.record(t, id).State != StateReserved {
		t.Fatal("state changed while the clock was behind")
	}
	if f, err := e.svc.ClockFloor(ctx); err != nil || !f.Equal(now) {
		t.Fatalf("floor %v %v", f, err)
	}
	// A restarted service reads the persisted floor.
	cfg := e.svc.cfg
	cfg.OnClockBehind = nil
	svc2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc2.Submit(ctx, other, false)
	behind("submit after restart", err)
	// Caught up: everything works again.
	e.clock.Advance(time.Hour)
	if _, err := e.begin(t, id); err != nil {
		t.Fatal(err)
	}
}

// Attack: a forward step shortens the whitelist timelock. While stepped
// forward the L2 view is stale (its block times lag), and once the step is
// undone the floor refuses everything until real time reaches it: an
// addition is never used before its timelock passed in real time.
func TestForwardClockStepDoesNotShortenTimelock(t *testing.T) {
	ctx := context.Background()
	e, _, now := signTimeEnv(t, nil)
	e.gov.clock.Advance(48 * time.Hour) // governance's clock at now
	addr := psbtgen.P2WPKHOutput("new bridge wallet", 1e8).PkScript
	e.addToWhitelist(t, policy.KindBridgeHotWallet, addr) // active from now+24h
	raw := buildTx(t, e.wallet, []int64{3e8}, []*wire.TxOut{wire.NewTxOut(1e8, addr)}, 2000, "100")
	v, err := e.svc.Submit(ctx, raw, false)
	if err != nil || v.Outcome != "deny" || !slices.Contains(v.Reasons, string(policy.CodeOutputNotWhitelisted)) {
		t.Fatalf("before the timelock: %+v %v", v, err)
	}
	e.clock.Advance(25 * time.Hour)
	// Even if the indexer polls with the stepped clock.
	if err := newIndexer(t, e.db, e.clock.Now(), e.chain).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	v, err = e.svc.Submit(ctx, raw, false)
	if err != nil || v.Outcome != "deny" || !slices.Contains(v.Reasons, string(policy.CodeL2Stale)) {
		t.Fatalf("stepped forward: %+v %v", v, err)
	}
	e.clock.Advance(-25*time.Hour + time.Minute)
	if _, err = e.svc.Submit(ctx, raw, false); errCode(err) != CodeClockBehind {
		t.Fatalf("stepped back: %v", err)
	}
	if f, _ := e.svc.ClockFloor(ctx); !f.Equal(now.Add(25 * time.Hour)) {
		t.Fatalf("floor %v", f)
	}
	if claimOf(t, e, "100") != nil {
		t.Fatal("claimed")
	}
}

// Attack: a reader's dry run of a PSBT with a live decision returned the
// stored record, signatures included. A dry run is a fresh evaluation.
func TestDryRunIsFreshOnly(t *testing.T) {
	ctx := context.Background()
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	check := func(want policy.Code) {
		t.Helper()
		v, err := e.svc.Submit(ctx, raw, true)
		if err != nil || !v.DryRun || v.ID != "" || v.Outcome != "deny" || !slices.Contains(v.Reasons, string(want)) {
			t.Fatalf("%+v %v", v, err)
		}
		var r Record
		if err := json.Unmarshal(v.Record, &r); err != nil || r.ID != "" || r.State != StateNew || len(r.Signatures) != 0 || len(r.Transitions) != 0 {
			t.Fatalf("dry run returned a stored record: %s", v.Record)
		}
	}
	check(policy.CodeReqIDClaimed)
	h, err := e.begin(t, id)
	if err != nil {
		t.Fatal(err)
	}
	sigs := e.sign(h)
	if err := e.svc.RecordSignatures(ctx, id, sigs); err != nil {
		t.Fatal(err)
	}
	check(policy.CodeReqIDSigned)
	v, _ := e.svc.Submit(ctx, raw, true)
	if bytes.Contains(v.Record, []byte(hex.EncodeToString(sigs[0]))) {
		t.Fatal("a dry run leaked a signature")
	}
}

// The admin revoke: any live decision that has not begun signing.
func TestAdminRevoke(t *testing.T) {
	ctx := context.Background()
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	if _, err := e.svc.Revoke(ctx, id, "", "x"); errCode(err) != "revoke_invalid" {
		t.Fatal(err)
	}
	if _, err := e.svc.Revoke(ctx, "missing", "0xadmin", "x"); errCode(err) != "decision_not_found" {
		t.Fatal(err)
	}
	v, err := e.svc.Revoke(ctx, id, "0xadmin", "custody host compromised")
	if err != nil || v.ID != id {
		t.Fatal(err)
	}
	r := e.record(t, id)
	tr := r.Transitions[0]
	if r.State != StateRevoked || tr.By != AdminPrefix+"0xadmin" || tr.Reason != "custody host compromised" || !slices.Equal(tr.Released, []string{"100"}) || claimOf(t, e, "100") != nil {
		t.Fatalf("%s %+v", r.State, tr)
	}
	if _, err := e.svc.Revoke(ctx, id, "0xadmin", "again"); err != nil {
		t.Fatal("revoking a revoked decision:", err)
	}
	if _, err := e.begin(t, id); errCode(err) != "decision_revoked" {
		t.Fatal(err)
	}
	// A fresh decision of the same tx, signing: no longer revocable.
	id2 := e.submitAllow(t, raw)
	if _, err := e.begin(t, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Revoke(ctx, id2, "0xadmin", "late"); errCode(err) != "decision_signing_started" {
		t.Fatal(err)
	}
	if c := claimOf(t, e, "100"); c == nil || c.State != policy.ClaimSigning {
		t.Fatalf("claim %+v", c)
	}
	if k := verifyAudit(t, e); k["decision_revoke"] != 1 || k["decision_begin"] != 1 {
		t.Fatalf("audit %v", k)
	}
}

// A resumed signing job (policyd restarted mid-signing) is re-checked too;
// a failure refuses it without releasing what a signing decision holds.
func TestResumedSigningIsRechecked(t *testing.T) {
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	h1, err := e.begin(t, id)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := e.begin(t, id)
	if err != nil || !slices.Equal(h1, h2) {
		t.Fatalf("resume: %v", err)
	}
	e.gov.freeze(t)
	if _, err := e.begin(t, id); errCode(err) != "recheck_failed" {
		t.Fatalf("resume while frozen: %v", err)
	}
	if r := e.record(t, id); r.State != StateSigning || claimOf(t, e, "100").State != policy.ClaimSigning {
		t.Fatal(r.State)
	}
}

// The transition table: exactly the listed moves, and only reserved moves
// to a releasing state.
func TestStateTable(t *testing.T) {
	states := []State{StateNew, StateDenied, StateReserved, StateSigning, StateSigned, StateCancelled, StateRevoked, StateExpired}
	events := []Event{EventAllow, EventDeny, EventCancel, EventRevoke, EventExpire, EventBegin, EventRecord}
	allowed := map[[2]string]State{
		{"", "allow"}: StateReserved, {"", "deny"}: StateDenied,
		{"reserved", "cancel"}: StateCancelled, {"reserved", "revoke"}: StateRevoked, {"reserved", "expire"}: StateExpired, {"reserved", "begin"}: StateSigning,
		{"signing", "begin"}: StateSigning, {"signing", "record"}: StateSigned,
	}
	for _, s := range states {
		for _, ev := range events {
			r := &Record{State: s}
			err := advance(r, ev)
			want, ok := allowed[[2]string{string(s), string(ev)}]
			if ok != (err == nil) || (ok && r.State != want) || (!ok && r.State != s) {
				t.Errorf("%q --%s--> %q, %v", s, ev, r.State, err)
			}
			if ok && want.Releases() && s != StateReserved {
				t.Errorf("%q releases from %q", want, s)
			}
			if !ok {
				if _, classified := errs.As(err); !classified {
					t.Errorf("unclassified refusal %v", err)
				}
			}
		}
	}
	for _, s := range []State{StateDenied, StateSigned, StateCancelled, StateRevoked, StateExpired} {
		if !s.Final() {
			t.Errorf("%s not final", s)
		}
	}
}

// FlooredNow, the clock to give governance: never below the floor, so a
// backward step cannot date a whitelist change (its timelock) earlier than
// time already used; it follows the wall clock otherwise, across restarts.
func TestFlooredNow(t *testing.T) {
	e, raw, now := signTimeEnv(t, nil)
	if got := e.svc.FlooredNow(); !got.Equal(now) {
		t.Fatalf("FlooredNow %v, want the wall clock %v", got, now)
	}
	e.submitAllow(t, raw) // raises the floor to now
	e.clock.Advance(-time.Hour)
	if got := e.svc.FlooredNow(); !got.Equal(now) {
		t.Fatalf("behind the floor: FlooredNow %v, want the floor %v", got, now)
	}
	svc2, err := New(e.svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := svc2.FlooredNow(); !got.Equal(now) {
		t.Fatalf("after a restart: FlooredNow %v, want the persisted floor %v", got, now)
	}
	e.clock.Advance(2 * time.Hour)
	if got := e.svc.FlooredNow(); !got.Equal(now.Add(time.Hour)) {
		t.Fatalf("ahead of the floor: %v", got)
	}
}

// The admin revoke wired to governance's EIP-712 authentication in ONE
// transaction: a valid signature revokes and uses its nonce; a refused
// revoke (signing began) rolls the nonce back; a replay is refused.
func TestRevokeWithGovernanceAuthentication(t *testing.T) {
	ctx := context.Background()
	e, raw, _ := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	req := func(id, nonce string) governance.RevokeRequest {
		r := governance.RevokeRequest{DecisionID: id, Reason: "incident 7", Nonce: nonce, Expiry: e.gov.clock.Now().Add(10 * time.Minute).Unix()}
		sig, err := governance.SignTypedData(governance.RevokeTypedData(e.gov.dom, r.DecisionID, r.Reason, r.Nonce, r.Expiry), e.gov.admins[1])
		if err != nil {
			t.Fatal(err)
		}
		r.Signature = sig
		return r
	}
	auth := func(r governance.RevokeRequest) RevokeAuthorizer {
		return func(tx *bolt.Tx) (string, string, error) {
			a, err := e.gov.g.AuthenticateRevokeTx(ctx, tx, r)
			return a.Admin, a.Reason, err
		}
	}
	forged := req(id, "n-forged")
	forged.Reason = "something else"
	if _, err := e.svc.RevokeWith(ctx, id, auth(forged)); err == nil || e.record(t, id).State != StateReserved {
		t.Fatalf("a forged revoke: %v", err)
	}
	r1 := req(id, "n-1")
	if _, err := e.svc.RevokeWith(ctx, id, auth(r1)); err != nil {
		t.Fatal(err)
	}
	rec := e.record(t, id)
	admin := crypto.PubkeyToAddress(e.gov.admins[1].PublicKey).Hex()
	if rec.State != StateRevoked || rec.Transitions[0].By != AdminPrefix+admin || rec.Transitions[0].Reason != "incident 7" || claimOf(t, e, "100") != nil {
		t.Fatalf("%s %+v", rec.State, rec.Transitions)
	}
	// A decision that began signing: refused, and the nonce stays unused.
	id2 := e.submitAllow(t, raw)
	if _, err := e.begin(t, id2); err != nil {
		t.Fatal(err)
	}
	r2 := req(id2, "n-2")
	if _, err := e.svc.RevokeWith(ctx, id2, auth(r2)); errCode(err) != "decision_signing_started" {
		t.Fatal(err)
	}
	if k := verifyAudit(t, e); k["decision_revoke_request"] != 1 || k["decision_revoke"] != 1 {
		t.Fatalf("audit %v", k)
	}
	// The replay of the first request is refused by governance.
	id3 := e.submitAllow(t, buildTx(t, e.wallet, []int64{3e8}, []*wire.TxOut{wire.NewTxOut(5e7, bridgeScript(scenario(t, "withdraw_one_id").Snapshot))}, 2000, "101"))
	r1.DecisionID = id3
	if _, err := e.svc.RevokeWith(ctx, id3, auth(r1)); err == nil || e.record(t, id3).State != StateReserved {
		t.Fatalf("a replayed/rebound signature revoked: %v", err)
	}
}

// Reserved decisions stored before the expiry index existed are indexed once
// at start-up, so the sweep expires them too.
func TestLegacyReservedDecisionsAreSwept(t *testing.T) {
	ctx := context.Background()
	e, raw, now := signTimeEnv(t, nil)
	id := e.submitAllow(t, raw)
	// Make it look like a schema-1 record: no expires_at, not indexed.
	if err := e.db.Update(func(tx *bolt.Tx) error {
		r, err := loadRecord(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(storage.BucketDecisionExpiry).Delete(timeKey(*r.ExpiresAt, id)); err != nil {
			return err
		}
		r.ExpiresAt = nil
		if err := tx.Bucket(storage.BucketMeta).Delete(keyExpiryIndexed); err != nil {
			return err
		}
		return putRecord(tx, r)
	}); err != nil {
		t.Fatal(err)
	}
	svc, err := New(e.svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.ExpireDue(ctx, now.Add(DefaultDecisionTTL)); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if r := e.record(t, id); r.State != StateExpired || claimOf(t, e, "100") != nil {
		t.Fatal(r.State)
	}
}
