package decision

// The real l2 indexer and governance as the decision service reads them
// (l2.NewPolicyLedger, governance.NewPolicySource): policy's types, in the
// caller's transaction, failing closed.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

func tempStore(t testing.TB) (*storage.DB, *audit.Log) {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "policyd.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, _, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	return db, lg
}

func sat(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(l2.WeiPerSat)) }

func l2ev(typ l2.EventType, id int64, block uint64, idx uint, amount *big.Int) l2.Event {
	return l2.Event{
		Type: typ, ReqID: big.NewInt(id), User: common.HexToAddress("0xAbC0000000000000000000000000000000000001"), Amount: amount,
		PlanID: big.NewInt(42), Duration: big.NewInt(64000),
		BlockNumber: block, BlockHash: common.BigToHash(big.NewInt(int64(block) + 7000)),
		TxHash: common.BigToHash(big.NewInt(int64(block*1000) + int64(idx))), LogIndex: idx,
	}
}

// TestL2LedgerRequests: real l2.Event values through l2.Ledger.Apply on a
// real bbolt file; every field policy reads maps faithfully.
func TestL2LedgerRequests(t *testing.T) {
	db, _ := tempStore(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ix := newIndexer(t, db, now, &fakeChain{})
	notBTC := l2ev(l2.EventUnboundRequired, 6, 15, 0, sat(5))
	notBTC.Token = common.HexToAddress("0x1111111111111111111111111111111111111111")
	events := []l2.Event{
		l2ev(l2.EventTokenStaked, 1, 10, 0, sat(100_000_000)),
		l2ev(l2.EventUnboundRequired, 2, 11, 3, sat(50_000_000)),
		l2ev(l2.EventUnboundRequired, 3, 11, 1, sat(25_000_000)), // earlier in block 11
		l2ev(l2.EventUnboundRequired, 4, 12, 0, sat(7)),
		l2ev(l2.EventUnboundApproved, 4, 13, 0, nil),
		l2ev(l2.EventTokenStaked, 5, 14, 0, new(big.Int).Add(sat(9), big.NewInt(1))), // not whole sat
		notBTC,
		l2ev(l2.EventTokenStaked, 7, 16, 0, sat(3)),
		l2ev(l2.EventUnboundRequired, 7, 17, 0, sat(3)), // duplicate reqId
		l2ev(l2.EventTokenStaked, 8, 18, 0, sat(11)),
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, ev := range events {
			if err := ix.Ledger().Apply(tx, ev); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a := l2.NewPolicyLedger(ix)
	ids := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(4), big.NewInt(5), big.NewInt(6), big.NewInt(7), big.NewInt(999), big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 300)}
	var got []policy.Request
	var pending []policy.Request
	var staked int64
	if err := db.View(func(tx *bolt.Tx) (err error) {
		if got, err = a.Requests(tx, ids); err != nil {
			return err
		}
		if pending, err = a.PendingUnbound(tx); err != nil {
			return err
		}
		staked, err = a.FinalizedStakedSat(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	byID := map[string]policy.Request{}
	var order []string
	for _, r := range got {
		byID[r.ID] = r
		order = append(order, r.ID)
	}
	// Unknown and out-of-range ids are omitted; a repeated id comes once.
	if !slices.Equal(order, []string{"1", "2", "4", "5", "6", "7"}) {
		t.Fatalf("ids %v", order)
	}
	r1 := byID["1"]
	want1 := policy.Request{
		ID: "1", Kind: policy.KindStaked, AmountSat: 100_000_000, AmountWei: sat(100_000_000).String(),
		Token: "0x0000000000000000000000000000000000000000", PlanID: "42",
		TxHash: common.BigToHash(big.NewInt(10_000)).Hex(), Block: 10, LogIndex: 0,
		BlockHash: common.BigToHash(big.NewInt(7010)).Hex(), User: "0xabc0000000000000000000000000000000000001",
		State: policy.StateFinalized,
	}
	if !equalRequest(r1, want1) {
		t.Fatalf("staked record\n got %+v\nwant %+v", r1, want1)
	}
	if r := byID["2"]; r.Kind != policy.KindUnbound || r.AmountSat != 50_000_000 || r.LogIndex != 3 || r.Block != 11 || r.PlanID != "" || r.State != policy.StateFinalized || len(r.Conflicts) != 0 {
		t.Fatalf("unbound record %+v", r)
	}
	if r := byID["4"]; r.State != policy.StateApproved || len(r.Conflicts) != 0 {
		t.Fatalf("approved record %+v", r)
	}
	if r := byID["5"]; r.AmountSat != 0 || len(r.Conflicts) != 1 || !strings.HasPrefix(r.Conflicts[0], l2.ConflictNotWholeSat) {
		t.Fatalf("non-satoshi record %+v", r)
	}
	if r := byID["6"]; r.Token != "0x1111111111111111111111111111111111111111" || len(r.Conflicts) != 1 || !strings.HasPrefix(r.Conflicts[0], l2.ConflictTokenNotBTC) {
		t.Fatalf("non-BTC record %+v", r)
	}
	if r := byID["7"]; r.Kind != policy.KindStaked || len(r.Conflicts) != 1 || !strings.HasPrefix(r.Conflicts[0], l2.ConflictDuplicateReqID) {
		t.Fatalf("duplicate record %+v", r)
	}
	// The FIFO queue: usable, unapproved unbound requests in L2 order.
	var q []string
	for _, r := range pending {
		q = append(q, r.ID)
	}
	if !slices.Equal(q, []string{"3", "2"}) {
		t.Fatalf("pending %v", q)
	}
	// Finalized TokenStaked: 1 and 8; 5 (not whole sat) and 7 (duplicate) conflict.
	if staked != 100_000_000+11 {
		t.Fatalf("finalized staked %d", staked)
	}
	// Evaluate on what l2.NewPolicyLedger returns: each conflict is refused.
	for _, id := range []string{"5", "6", "7"} {
		f, s := withdrawal(t, byID[id])
		d := policy.Evaluate(f, s, now)
		if !slices.Contains(d.Codes(), policy.CodeReqIDConflicting) {
			t.Fatalf("request %s: %v", id, d.Codes())
		}
	}
}

func equalRequest(a, b policy.Request) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.AmountSat == b.AmountSat && a.AmountWei == b.AmountWei &&
		a.Token == b.Token && a.PlanID == b.PlanID && a.TxHash == b.TxHash && a.Block == b.Block &&
		a.LogIndex == b.LogIndex && a.BlockHash == b.BlockHash && a.User == b.User && a.State == b.State &&
		slices.Equal(a.Conflicts, b.Conflicts) && a.Claim == nil && b.Claim == nil
}

// withdrawal: the withdraw_one_id scenario's facts and snapshot with r as
// the only request, listed in the OP_RETURN.
func withdrawal(t testing.TB, r policy.Request) (policy.Facts, policy.Snapshot) {
	t.Helper()
	sc := scenario(t, "withdraw_one_id")
	raw, _ := sc.RawPSBT()
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, time.Now(), true)
	pf, err := e.svc.check(raw)
	if err != nil {
		t.Fatal(err)
	}
	f := policy.FactsFrom(pf)
	f.ReqIDs = []string{r.ID}
	s := sc.Snapshot
	s.Requests = []policy.Request{r}
	return f, s
}

// TestL2LedgerStatus: the real indexer's freshness through l2.NewPolicyLedger.
func TestL2LedgerStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	status := func(t *testing.T, db *storage.DB, a Ledger, at time.Time) (policy.L2Status, error) {
		var st policy.L2Status
		err := db.View(func(tx *bolt.Tx) (err error) { st, err = a.Status(tx, at); return })
		return st, err
	}
	t.Run("never synced is stale", func(t *testing.T) {
		db, _ := tempStore(t)
		st, err := status(t, db, l2.NewPolicyLedger(newIndexer(t, db, now, &fakeChain{})), now)
		if err != nil || !st.Stale || st.Disagree || !strings.Contains(st.Detail, "never synced") {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("fresh, then stale with time", func(t *testing.T) {
		db, _ := tempStore(t)
		ix := seedL2(t, db, now, nil, 0, policy.L2Status{})
		a := l2.NewPolicyLedger(ix)
		st, err := status(t, db, a, now)
		wantTime := now.Add(-testConfirmations * testBlockTime)
		if err != nil || st.Stale || st.Disagree || st.Height != 1000 || !st.HeadTime.Equal(wantTime) || st.Detail != "" {
			t.Fatalf("fresh view: %+v %v (want height 1000 at %s)", st, err, wantTime)
		}
		st, err = status(t, db, a, now.Add(6*time.Minute))
		if err != nil || !st.Stale || !strings.Contains(st.Detail, "no successful L2 poll") {
			t.Fatalf("6 min later: %+v %v", st, err)
		}
	})
	t.Run("rpc failing is stale", func(t *testing.T) {
		db, _ := tempStore(t)
		st, err := status(t, db, l2.NewPolicyLedger(seedL2(t, db, now, nil, 0, policy.L2Status{Stale: true})), now)
		if err != nil || !st.Stale || st.Disagree || !strings.Contains(st.Detail, "connection refused") {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("endpoints disagree", func(t *testing.T) {
		db, _ := tempStore(t)
		st, err := status(t, db, l2.NewPolicyLedger(seedL2(t, db, now, nil, 0, policy.L2Status{Disagree: true})), now)
		if err != nil || !st.Disagree || st.Stale || !strings.Contains(st.Detail, "disagree") {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("unreadable status is an error", func(t *testing.T) {
		db, _ := tempStore(t)
		ix := seedL2(t, db, now, nil, 0, policy.L2Status{})
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketL2Cursor).Put([]byte("status"), []byte("["))
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := status(t, db, l2.NewPolicyLedger(ix), now); !errors.Is(err, l2.ErrCorrupt) {
			t.Fatalf("corrupt status: %v", err)
		}
	})
}

// TestL2LedgerUnconfirmedIsUnknown: an event with fewer confirmations than
// configured is not in the ledger; the policy sees an unknown reqId.
func TestL2LedgerUnconfirmedIsUnknown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, _ := tempStore(t)
	evs := []l2Event{
		{typ: l2.EventUnboundRequired, id: big.NewInt(100), amount: sat(1e8), block: 995, txHash: common.HexToHash("0x01")},
		{typ: l2.EventUnboundRequired, id: big.NewInt(101), amount: sat(1e8), block: 990, txHash: common.HexToHash("0x02")},
	}
	ix := newIndexer(t, db, now, newFakeChain(t, now, 1000, "", evs))
	if err := ix.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []policy.Request
	if err := db.View(func(tx *bolt.Tx) (err error) {
		got, err = l2.NewPolicyLedger(ix).Requests(tx, []*big.Int{big.NewInt(100), big.NewInt(101)})
		return
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "101" {
		t.Fatalf("got %+v, want only the confirmed 101", got)
	}
}

// TestGovernanceAdapter: the real governance (bootstrap, EIP-712 add with
// timelock, freeze, allowance) through l2.NewPolicyLedger.
func TestGovernanceAdapter(t *testing.T) {
	db, lg := tempStore(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newGov(t, db, lg, start)
	bridge := psbtgen.P2WPKHOutput("bridge-hot-wallet", 1).PkScript
	fp := policy.HexBytes(psbtgen.NewWallet("fp").PubKey())
	h.bootstrap(t, []policy.WhitelistEntry{
		{Kind: policy.KindBridgeHotWallet, PkScript: bridge, Label: "bridge"},
		{Kind: policy.KindFinalityProvider, PubKey: fp, Label: "fp"},
	})
	a := governance.NewPolicySource(h.g)
	read := func(at time.Time) (w policy.Whitelist, frozen bool, open []policy.Allowance) {
		t.Helper()
		if err := db.View(func(tx *bolt.Tx) (err error) {
			if w, err = a.Whitelist(tx, at); err != nil {
				return err
			}
			if frozen, err = a.Frozen(tx, at); err != nil {
				return err
			}
			open, err = a.OpenAllowances(tx, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return
	}
	w, frozen, open := read(start)
	if w.Version != 2 || len(w.Entries) != 2 || frozen || len(open) != 0 {
		t.Fatalf("bootstrap: %+v frozen=%v open=%v", w, frozen, open)
	}
	var gotBridge, gotFP bool
	for _, e := range w.Entries {
		switch e.Kind {
		case policy.KindBridgeHotWallet:
			gotBridge = string(e.PkScript) == string(bridge) && strings.HasPrefix(e.Address, "bc1q") && e.Label == "bridge" && e.PubKey == nil
		case policy.KindFinalityProvider:
			gotFP = string(e.PubKey) == string(fp) && e.PkScript == nil && e.Label == "fp"
		}
	}
	if !gotBridge || !gotFP {
		t.Fatalf("entries not mapped: %+v", w.Entries)
	}
	// The policy source's slices do not alias the store.
	w.Entries[0].PkScript[0] ^= 0xff
	if w2, _, _ := read(start); string(w2.Entries[0].PkScript) == string(w.Entries[0].PkScript) {
		t.Fatal("whitelist script aliased")
	}

	// A staker key added by the quorum is active only after the timelock.
	staker := psbtgen.NewWallet("co-managed staker").PubKey()
	p := h.propose(t, governance.ProposalContent{Action: governance.ActionAdd, EntryKind: policy.KindBabylonStakerKey, Address: hexOf(staker), Label: "staker"}, 2)
	if p.Status != governance.StatusExecuted {
		t.Fatalf("proposal %s", p.Status)
	}
	if w, _, _ := read(start.Add(23 * time.Hour)); len(w.Entries) != 2 || w.Version != 2 {
		t.Fatalf("before the timelock: %+v", w)
	}
	w, _, _ = read(start.Add(24 * time.Hour))
	if len(w.Entries) != 3 || w.Version != 3 {
		t.Fatalf("after the timelock: %+v", w)
	}

	// An allowance opened by the quorum, consumed once.
	id := h.openAllowance(t, "7", 5e8, bridge)
	_, _, open = read(start)
	if len(open) != 1 || open[0].ID != id || open[0].PlanID != "7" || open[0].AmountSat != 5e8 || string(open[0].PkScript) != string(bridge) {
		t.Fatalf("allowance %+v", open)
	}
	consume := func() error {
		return db.Update(func(tx *bolt.Tx) error { return a.ConsumeAllowance(tx, id, "decision-1") })
	}
	if err := consume(); err != nil {
		t.Fatal(err)
	}
	if _, _, open = read(start); len(open) != 0 {
		t.Fatalf("consumed allowance still open: %+v", open)
	}
	if err := consume(); !errors.Is(err, governance.ErrAllowanceUsed) {
		t.Fatalf("second consumption: %v", err)
	}

	// One admin freezes.
	h.freeze(t)
	if _, frozen, _ = read(start); !frozen {
		t.Fatal("freeze not visible")
	}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// TestL2StatusCacheFollowsChanges: l2.PolicyLedger decodes the stored
// indexer status only when its bytes change. Every change is seen by the
// next read (a failed poll, a recovery), a change made in the reader's own
// transaction is seen there and not after it rolled back, and reads racing
// with the indexer's writes are safe (-race) and never an error.
func TestL2StatusCacheFollowsChanges(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, _ := tempStore(t)
	ix, chain := seedL2Chain(t, db, now, nil, 0, policy.L2Status{})
	a := l2.NewPolicyLedger(ix)
	read := func() (policy.L2Status, error) {
		var st policy.L2Status
		err := db.View(func(tx *bolt.Tx) (err error) { st, err = a.Status(tx, now); return })
		return st, err
	}
	mustRead := func(what string, stale bool, detail string) {
		t.Helper()
		st, err := read()
		if err != nil || st.Stale != stale || !strings.Contains(st.Detail, detail) {
			t.Fatalf("%s: %+v %v (want stale %v, detail %q)", what, st, err, stale, detail)
		}
	}
	mustRead("synced", false, "")
	chain.setFail(errors.New("connection refused"))
	if err := ix.SyncOnce(context.Background()); err == nil {
		t.Fatal("sync with a failing endpoint succeeded")
	}
	mustRead("after a failed poll", true, "connection refused")
	chain.setFail(nil)
	if err := ix.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustRead("after the recovery", false, "")

	errRollback := errors.New("rolled back")
	err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(storage.BucketL2Cursor).Put([]byte("status"), []byte(`{}`)); err != nil {
			return err
		}
		st, err := a.Status(tx, now)
		if err != nil || !st.Stale || !strings.Contains(st.Detail, "never synced") {
			t.Errorf("inside the changing transaction: %+v %v", st, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	mustRead("after the rollback", false, "")

	done := make(chan struct{})
	errc := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				if _, err := read(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		if i%2 == 0 {
			chain.setFail(errors.New("connection refused"))
		} else {
			chain.setFail(nil)
		}
		_ = ix.SyncOnce(context.Background())
	}
	close(done)
	for range 4 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	chain.setFail(nil)
	if err := ix.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustRead("after the concurrent reads", false, "")
}

// TestNextDecisionSeesL2Change: the decision service reads the L2 status
// through l2.PolicyLedger's cache; the poll that makes the view stale is
// seen by the very next evaluation (a dry run: l2_stale) and by the
// re-check at signing (revoked, l2_stale).
func TestNextDecisionSeesL2Change(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	raw := scenarioRaw(t, sc)
	id := e.submitAllow(t, raw)
	e.chain.setFail(errors.New("connection refused"))
	if err := e.ix.SyncOnce(context.Background()); err == nil {
		t.Fatal("sync with a failing endpoint succeeded")
	}
	v, err := e.svc.Submit(context.Background(), raw, true)
	if err != nil || v.Outcome != "deny" || !slices.Contains(v.Reasons, string(policy.CodeL2Stale)) {
		t.Fatalf("dry run after the failed poll: %v", dryRunResult(v, err))
	}
	if _, err := e.begin(t, id); errCode(err) != "decision_revoked_at_signing" || !strings.Contains(err.Error(), "l2_stale") {
		t.Fatalf("begin after the failed poll: %v", err)
	}
}

func dryRunResult(v *View, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s %v", v.Outcome, v.Reasons)
}
