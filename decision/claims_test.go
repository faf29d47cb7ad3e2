package decision

import (
	"bytes"
	"context"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// reorg replaces the newest drop blocks by mine empty ones (a longer
// branch from below them).
func (c *btcChain) reorg(drop, mine int) {
	c.mu.Lock()
	c.blocks = c.blocks[:len(c.blocks)-drop]
	c.mu.Unlock()
	for range mine {
		c.mine()
	}
}

// exportAudit exports the whole log.
func exportAudit(t testing.TB, e *env) *bytes.Buffer {
	t.Helper()
	ctx := context.Background()
	n, err := e.log.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.log.Export(ctx, &buf, 0, n); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// follow runs FollowChain and returns its counts.
func (le *l1Env) follow(t testing.TB) map[string]int {
	t.Helper()
	counts, err := le.svc.FollowChain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// claimView is reqId's claim as GET /v1/decisions/{id} shows it.
func claimView(t testing.TB, e *env, decisionID, reqID string) ClaimView {
	t.Helper()
	v, err := e.svc.Decision(context.Background(), decisionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Claims {
		if c.ReqID == reqID {
			return c
		}
	}
	t.Fatalf("decision %s shows no claim of %s: %+v", decisionID, reqID, v.Claims)
	return ClaimView{}
}

// stageRecords are the claim_stage audit records, in log order.
func stageRecords(t testing.TB, e *env) []ClaimStage {
	t.Helper()
	var out []ClaimStage
	for _, b := range auditBodies(t, e) {
		if cs, ok := b.(*ClaimStage); ok {
			out = append(out, *cs)
		}
	}
	return out
}

// auditBodies exports the whole log, verifies it offline and returns the
// typed bodies in log order.
func auditBodies(t testing.TB, e *env) []records.Body {
	t.Helper()
	var out []records.Body
	if _, err := audit.VerifyWith(exportAudit(t, e), e.log.VerifierKey(), nil, audit.VerifyOptions{OnRecord: func(_ *audit.Record, b records.Body) error {
		out = append(out, b)
		return nil
	}}); err != nil {
		t.Fatalf("audit log does not verify: %v", err)
	}
	return out
}

// approveOnL2 puts UnboundApproved(reqID) in a new block of the scripted
// L2 chain and syncs the real indexer past its confirmations.
func (e *env) approveOnL2(t testing.TB, reqID string, now time.Time) {
	t.Helper()
	id, _ := new(big.Int).SetString(reqID, 10)
	c := e.chain
	c.mu.Lock()
	last := c.headers[len(c.headers)-1]
	h := &types.Header{ParentHash: last.Hash(), Number: new(big.Int).Add(last.Number, big.NewInt(1)), Difficulty: big.NewInt(0), Time: uint64(now.Unix())}
	c.headers = append(c.headers, h)
	lg := l2Event{typ: l2.EventUnboundApproved, id: id, block: h.Number.Uint64(), txHash: common.BigToHash(h.Number)}.log(t)
	lg.BlockHash = h.Hash()
	c.logs = append(c.logs, lg)
	c.mu.Unlock()
	e.advanceL2(t, now)
}

// TestL1ClaimApproved: on the real l2 ledger, a confirmed withdrawal's
// claim moves to approved once UnboundApproved is final on L2 (one
// claim_stage record), and stays approved through an L1 reorg that drops
// its transaction: the id is never paid again.
func TestL1ClaimApproved(t *testing.T) {
	sc, e, le, _, raw := withdrawalL1Env(t)
	le.btc.mine(prevTxs(t, raw)...)
	le.poll(t)
	id := e.signAllowed(t, raw)
	le.btc.mine(unsignedOf(t, raw))
	le.poll(t)
	if c := le.follow(t); c[policy.ClaimConfirmed] != 1 {
		t.Fatalf("counts %v", c)
	}
	// Not yet approved: the follower leaves it confirmed.
	if c := le.follow(t); c[policy.ClaimConfirmed] != 1 || c[policy.ClaimApproved] != 0 {
		t.Fatalf("counts %v", c)
	}
	e.approveOnL2(t, "100", e.clock.Now())
	if c := le.follow(t); c[policy.ClaimApproved] != 1 || c[policy.ClaimConfirmed] != 0 {
		t.Fatalf("after approval: counts %v", c)
	}
	txid := unsignedOf(t, raw).TxHash().String()
	if v := claimView(t, e, id, "100"); v.State != policy.ClaimApproved || v.TxID != txid {
		t.Fatalf("claim %+v", v)
	}
	recs := stageRecords(t, e)
	if len(recs) != 2 || recs[1].From != policy.ClaimConfirmed || recs[1].To != policy.ClaimApproved || recs[1].TxID != txid {
		t.Fatalf("claim_stage records %+v", recs)
	}
	// An L1 reorg drops the withdrawal: the claim stays approved.
	le.btc.reorg(1, 2)
	le.poll(t)
	if c := le.follow(t); c[policy.ClaimApproved] != 1 {
		t.Fatalf("after the reorg: counts %v", c)
	}
	if n := len(stageRecords(t, e)); n != 2 {
		t.Fatalf("%d claim_stage records after the reorg", n)
	}
	// Its inputs are unspent again: a second payment of 100 is denied.
	again := buildTx(t, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}, 9000, "100")
	le.btc.mine(prevTxs(t, again)...)
	le.poll(t)
	if out, codes := submitCodes(t, e, again); out != "deny" || !slices.Contains(codes, string(policy.CodeReqIDApproved)) || !slices.Contains(codes, string(policy.CodeReqIDSigned)) {
		t.Fatalf("second pay of an approved id: %s %v", out, codes)
	}
}

// TestL1ApprovalBeforeConfirmation: an approval seen while the claim's
// transaction is only signed (never broadcast) moves it signed -> approved
// at once; it is not followed on L1 afterwards, and a replacement of it is
// denied.
func TestL1ApprovalBeforeConfirmation(t *testing.T) {
	sc, e, le, _, raw := withdrawalL1Env(t)
	le.btc.mine(prevTxs(t, raw)...)
	le.poll(t)
	id := e.signAllowed(t, raw)
	e.approveOnL2(t, "100", e.clock.Now())
	if c := le.follow(t); c[policy.ClaimApproved] != 1 || c[policy.ClaimSigned] != 0 {
		t.Fatalf("counts %v", c)
	}
	if v := claimView(t, e, id, "100"); v.State != policy.ClaimApproved {
		t.Fatalf("claim %+v", v)
	}
	recs := stageRecords(t, e)
	if len(recs) != 1 || recs[0].From != policy.ClaimSigned || recs[0].To != policy.ClaimApproved {
		t.Fatalf("claim_stage records %+v", recs)
	}
	// Mined later: still approved, no further record.
	le.btc.mine(unsignedOf(t, raw))
	le.poll(t)
	if c := le.follow(t); c[policy.ClaimApproved] != 1 || len(stageRecords(t, e)) != 1 {
		t.Fatalf("counts %v, records %+v", c, stageRecords(t, e))
	}
	repl := buildTx(t, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}, 9000, "100")
	if out, codes := submitCodes(t, e, repl); out != "deny" || !slices.Contains(codes, string(policy.CodeReqIDSigned)) {
		t.Fatalf("replacement of an approved claim: %s %v", out, codes)
	}
}

// rbfEnv signs orig (fee 2000) and its replacement repl (fee 6000), both
// paying 1 BTC to the bridge for reqId 100 with the same inputs, on a view
// with conf final depth. It returns the decision ids and txids.
func rbfEnv(t *testing.T, conf uint64) (e *env, le *l1Env, orig, repl *wire.MsgTx, id1, id2 string) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e = newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	le = attachL1Conf(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params, conf)
	bridge := []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}
	o := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, 2000, "100")
	r := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, 6000, "100")
	le.btc.mine(prevTxs(t, o)...)
	for range conf - 1 {
		le.btc.mine()
	}
	le.poll(t)
	id1 = e.signAllowed(t, o)
	id2 = e.signAllowed(t, r)
	return e, le, unsignedOf(t, o), unsignedOf(t, r), id1, id2
}

// TestL1FamilyEarlierMemberConfirms: the original and its replacement are
// both signed; the ORIGINAL is mined. The claim follows it: broadcast,
// then confirmed, naming the original's txid and decision (audit records
// with from_txid); a reorg that drops it moves the claim back to the
// newest member, signed; when the replacement is mined instead the claim
// follows it.
func TestL1FamilyEarlierMemberConfirms(t *testing.T) {
	e, le, orig, repl, id1, id2 := rbfEnv(t, 2)
	o, r := orig.TxHash().String(), repl.TxHash().String()
	if c := claimOf(t, e, "100"); c.TxID != r || c.State != policy.ClaimSigned || !slices.Equal(c.Family, []string{o}) {
		t.Fatalf("claim before: %+v", c)
	}
	le.btc.mine(orig)
	le.poll(t)
	le.follow(t)
	if c := claimOf(t, e, "100"); c.TxID != o || c.DecisionID != id1 || c.State != policy.ClaimBroadcast || !slices.Equal(c.Family, []string{r}) {
		t.Fatalf("original mined, 1 deep: %+v", c)
	}
	le.btc.mine()
	le.poll(t)
	le.follow(t)
	if v := claimView(t, e, id2, "100"); v.State != policy.ClaimConfirmed || v.TxID != o || v.DecisionID != id1 {
		t.Fatalf("original 2 deep: %+v", v)
	}
	recs := stageRecords(t, e)
	if len(recs) != 2 || recs[0].FromTxID != r || recs[0].TxID != o || recs[0].To != policy.ClaimBroadcast ||
		recs[1].FromTxID != "" || recs[1].TxID != o || recs[1].To != policy.ClaimConfirmed {
		t.Fatalf("claim_stage records %+v", recs)
	}
	// A reorg drops both blocks: back to the newest member, signed.
	le.btc.reorg(2, 3)
	le.poll(t)
	le.follow(t)
	if c := claimOf(t, e, "100"); c.TxID != r || c.DecisionID != id2 || c.State != policy.ClaimSigned || !slices.Equal(c.Family, []string{o}) {
		t.Fatalf("after the reorg: %+v", c)
	}
	if recs := stageRecords(t, e); len(recs) != 3 || recs[2].FromTxID != o || recs[2].To != policy.ClaimSigned || recs[2].From != policy.ClaimConfirmed {
		t.Fatalf("claim_stage records %+v", recs)
	}
	// The replacement wins this time.
	le.btc.mine(repl)
	le.btc.mine()
	le.poll(t)
	le.follow(t)
	if c := claimOf(t, e, "100"); c.TxID != r || c.State != policy.ClaimConfirmed {
		t.Fatalf("replacement confirmed: %+v", c)
	}
	if kinds := verifyAudit(t, e); kinds[AuditClaimStage] != 4 || kinds[AuditUnexplainedSpend] != 0 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

// conflictOf spends input 0 of t (a transaction policyd did not sign) to
// outs.
func conflictOf(t *wire.MsgTx, outs ...*wire.TxOut) *wire.MsgTx {
	c := wire.NewMsgTx(2)
	c.AddTxIn(wire.NewTxIn(&t.TxIn[0].PreviousOutPoint, nil, nil))
	for _, o := range outs {
		c.AddTxOut(o)
	}
	return c
}

// unfreeze lifts the stand-in governance's freeze (what the admins'
// signed unfreeze does).
func unfreeze(t testing.TB, e *env) {
	t.Helper()
	if err := e.db.Update(func(tx *bolt.Tx) error {
		var g govState
		if err := getJSON(tx, testGovBucket, &g); err != nil {
			return err
		}
		g.Frozen = false
		return putJSON(tx, testGovBucket, g)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestL1ReleaseWhenConflictBuried: both members of a family are
// conflicted by a transaction policyd never signed (it freezes signing).
// At depth 1 of 2 nothing is released; at depth 2 on a stale view neither;
// once fresh, the claim is released: gone from the claims bucket, shown
// "released" naming the conflict, one claim_stage record; after the
// admins unfreeze, a new decision may claim the id.
func TestL1ReleaseWhenConflictBuried(t *testing.T) {
	e, le, orig, repl, id1, _ := rbfEnv(t, 2)
	thief := conflictOf(orig, wire.NewTxOut(2e8, psbtgen.P2WPKHOutput("thief", 0).PkScript))
	le.btc.mine(thief)
	if n := le.poll(t); n != 1 || !le.frozen(t, fakeGov{}) {
		t.Fatalf("conflict: %d unexplained", n)
	}
	if c := le.follow(t); c[policy.ClaimSigned] != 1 || c[policy.ClaimReleased] != 0 {
		t.Fatalf("conflict 1 deep: counts %v", c)
	}
	le.btc.mine()
	if err := le.w.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute) // no poll since: the view is stale
	if c := le.follow(t); c[policy.ClaimSigned] != 1 || c[policy.ClaimReleased] != 0 {
		t.Fatalf("conflict 2 deep, stale view: counts %v", c)
	}
	le.poll(t)
	if c := le.follow(t); c[policy.ClaimReleased] != 1 || len(c) != 1 {
		t.Fatalf("conflict 2 deep: counts %v", c)
	}
	if c := claimOf(t, e, "100"); c != nil {
		t.Fatalf("released claim still stored: %+v", c)
	}
	ct := thief.TxHash().String()
	if v := claimView(t, e, id1, "100"); v.State != policy.ClaimReleased || v.TxID != repl.TxHash().String() || !slices.Equal(v.Conflicts, []string{ct}) {
		t.Fatalf("view %+v", v)
	}
	recs := stageRecords(t, e)
	if len(recs) != 1 || recs[0].To != policy.ClaimReleased || recs[0].From != policy.ClaimSigned || !slices.Equal(recs[0].Conflicts, []string{ct}) || recs[0].Depth != 2 {
		t.Fatalf("claim_stage records %+v", recs)
	}
	// Released once: another pass writes nothing.
	if c := le.follow(t); c[policy.ClaimReleased] != 1 || len(stageRecords(t, e)) != 1 {
		t.Fatalf("second pass: %v", c)
	}
	unfreeze(t, e)
	sc := scenario(t, "withdraw_one_id")
	again := buildTx(t, e.wallet, []int64{4e8, 1e8}, []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}, 3000, "100")
	le.btc.mine(prevTxs(t, again)...)
	le.btc.mine()
	le.poll(t)
	id3 := e.submitAllow(t, again)
	if c := claimOf(t, e, "100"); c == nil || c.DecisionID != id3 || c.State != policy.ClaimReserved || len(c.Family) != 0 {
		t.Fatalf("claimed again: %+v", c)
	}
	if c := le.follow(t); c[policy.ClaimReleased] != 0 || c[policy.ClaimReserved] != 1 {
		t.Fatalf("counts after the new claim: %v", c)
	}
}

// TestL1ReleaseSkipsIdsTheConflictPays: a signed withdrawal of ids 100
// and 101 is conflicted by a transaction policyd never signed that pays
// the bridge itself. With an OP_RETURN naming 100, reconciliation claims
// 100 paid_unexplained and only 101 is released; without an OP_RETURN, 1
// BTC to the bridge is what P002's FIFO rule gives 100 (the relayer may
// approve 100 for it), so 100 stays signed and only 101 is released; with
// an OP_RETURN that cannot be read, nothing is released.
func TestL1ReleaseSkipsIdsTheConflictPays(t *testing.T) {
	for _, tc := range []struct {
		name       string
		payload    []byte // the conflict's OP_RETURN (nil: none)
		state100   string
		byConflict bool // 100's claim names the conflict
		release101 bool
	}{
		{"op_return", psbtgen.StReqIDsPayload("100"), policy.ClaimPaidUnexplained, true, true},
		{"fifo", nil, policy.ClaimSigned, false, true},
		{"unreadable_op_return", []byte(`{"StReqIds":"1x"}`), policy.ClaimSigned, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(t, "withdraw_one_id")
			now, _ := time.Parse(time.RFC3339, sc.Now)
			e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
			le := attachL1Conf(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params, 2)
			bridge := sc.Snapshot.Whitelist.Entries[0].PkScript
			raw := buildTx(t, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(15e7, bridge)}, 2000, "100", "101")
			le.btc.mine(prevTxs(t, raw)...)
			le.btc.mine()
			le.poll(t)
			id := e.signAllowed(t, raw)
			orig := unsignedOf(t, raw)
			outs := []*wire.TxOut{wire.NewTxOut(1e8, bridge)}
			if tc.payload != nil {
				script, err := txscript.NullDataScript(tc.payload)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, wire.NewTxOut(0, script))
			}
			conflict := conflictOf(orig, outs...)
			le.btc.mine(conflict)
			le.btc.mine()
			if n := le.poll(t); n != 1 {
				t.Fatalf("%d unexplained", n)
			}
			ct, ot := conflict.TxHash().String(), orig.TxHash().String()
			check := func(pass string) {
				t.Helper()
				counts := le.follow(t)
				released := 0
				if tc.release101 {
					released = 1
				}
				if counts[policy.ClaimReleased] != released || counts[tc.state100] != 2-released {
					t.Fatalf("%s: counts %v", pass, counts)
				}
				want := ot
				if tc.byConflict {
					want = ct
				}
				if c := claimOf(t, e, "100"); c == nil || c.State != tc.state100 || c.TxID != want {
					t.Fatalf("%s: claim of 100: %+v", pass, c)
				}
				recs := stageRecords(t, e)
				if !tc.release101 {
					if c := claimOf(t, e, "101"); c == nil || c.State != policy.ClaimSigned || len(recs) != 0 {
						t.Fatalf("%s: claim of 101 %+v, records %+v", pass, c, recs)
					}
					return
				}
				if c := claimOf(t, e, "101"); c != nil {
					t.Fatalf("%s: claim of 101 not released: %+v", pass, c)
				}
				if v := claimView(t, e, id, "101"); v.State != policy.ClaimReleased || !slices.Equal(v.Conflicts, []string{ct}) {
					t.Fatalf("%s: view of 101: %+v", pass, v)
				}
				if len(recs) != 1 || recs[0].ReqID != "101" || recs[0].To != policy.ClaimReleased {
					t.Fatalf("%s: claim_stage records %+v", pass, recs)
				}
			}
			check("buried")
			// Held for good: a later pass releases nothing more.
			le.btc.mine()
			le.poll(t)
			check("later")
		})
	}
}
