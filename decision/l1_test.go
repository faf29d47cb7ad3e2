package decision

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// btcChain is a SYNTHETIC Bitcoin block source (l1.Source) for these tests:
// regtest headers with real proof of work, Merkle roots and linkage; no
// script or amount validation. It is not a node.
type btcChain struct {
	mu     sync.Mutex
	blocks []*wire.MsgBlock
}

func newBTCChain() *btcChain {
	return &btcChain{blocks: []*wire.MsgBlock{chaincfg.RegressionNetParams.GenesisBlock}}
}

func (c *btcChain) mine(txs ...*wire.MsgTx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := len(c.blocks)
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, []byte(fmt.Sprintf("h%d", h)), nil))
	cb.AddTxOut(wire.NewTxOut(50e8, []byte{0x51}))
	prev := c.blocks[h-1]
	blk := &wire.MsgBlock{Header: wire.BlockHeader{Version: 4, PrevBlock: prev.BlockHash(),
		Timestamp: prev.Header.Timestamp.Add(10 * time.Minute), Bits: chaincfg.RegressionNetParams.PowLimitBits}}
	blk.Transactions = append([]*wire.MsgTx{cb}, txs...)
	var u []*btcutil.Tx
	for _, t := range blk.Transactions {
		u = append(u, btcutil.NewTx(t))
	}
	blk.Header.MerkleRoot = blockchain.CalcMerkleRoot(u, false)
	target := blockchain.CompactToBig(blk.Header.Bits)
	for {
		hh := blk.Header.BlockHash()
		if blockchain.HashToBig(&hh).Cmp(target) <= 0 {
			break
		}
		blk.Header.Nonce++
	}
	c.blocks = append(c.blocks, blk)
}

func (c *btcChain) BlockCount(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return uint64(len(c.blocks) - 1), nil
}

func (c *btcChain) BlockHash(_ context.Context, h uint64) (chainhash.Hash, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h >= uint64(len(c.blocks)) {
		return chainhash.Hash{}, fmt.Errorf("no block %d", h)
	}
	return c.blocks[h].BlockHash(), nil
}

func (c *btcChain) Block(_ context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.blocks {
		if b.BlockHash() == hash {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no block %s", hash)
}

func (c *btcChain) Mempool(context.Context) ([]chainhash.Hash, error) { return nil, nil }

// prevTxs are the previous transactions a PSBT's inputs carry (what a test
// mines to make the inputs real wallet outputs).
func prevTxs(t testing.TB, raw []byte) []*wire.MsgTx {
	t.Helper()
	p, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		t.Fatal(err)
	}
	var out []*wire.MsgTx
	for _, in := range p.Inputs {
		out = append(out, in.NonWitnessUtxo)
	}
	return out
}

// unsignedOf is the PSBT's unsigned transaction.
func unsignedOf(t testing.TB, raw []byte) *wire.MsgTx {
	t.Helper()
	p, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		t.Fatal(err)
	}
	return p.UnsignedTx
}

// l1Env is an env whose service reads a REAL l1.View, fed by a watcher on
// the same bbolt file from a synthetic chain.
type l1Env struct {
	*env
	btc *btcChain
	w   *l1.Watcher
}

// attachL1 rebuilds e's service with the L1 view and freeze.
func attachL1(t testing.TB, e *env, btc *btcChain, freeze FreezeFunc, ledger Ledger, gov Governance, params policy.Params) *l1Env {
	return attachL1Conf(t, e, btc, freeze, ledger, gov, params, 1)
}

// attachL1Conf is attachL1 with conf as the final depth.
func attachL1Conf(t testing.TB, e *env, btc *btcChain, freeze FreezeFunc, ledger Ledger, gov Governance, params policy.Params, conf uint64) *l1Env {
	t.Helper()
	w, err := l1.NewWithSources(l1.Config{Params: &chaincfg.RegressionNetParams, Scripts: [][]byte{e.wallet.PkScript()},
		StartHeight: 1, Confirmations: conf, Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, e.db, btc)
	if err != nil {
		t.Fatal(err)
	}
	le := attachWatcher(t, e, w, freeze, ledger, gov, params)
	le.btc = btc
	return le
}

// attachWatcher rebuilds e's service on the L1 view of w.
func attachWatcher(t testing.TB, e *env, w *l1.Watcher, freeze FreezeFunc, ledger Ledger, gov Governance, params policy.Params) *l1Env {
	t.Helper()
	svc, err := New(Config{
		DB: e.db, Wallet: psbtcheck.Wallet{PubKey: e.wallet.PubKey(), Net: &chaincfg.MainNetParams},
		Params: params, Ledger: ledger, Governance: gov, Audit: e.log,
		Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Chain: w.View(), Freeze: freeze, Babylon: e.babylon,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return &l1Env{env: e, w: w}
}

// poll is one watcher poll followed by reconciliation (what policyd runs).
func (le *l1Env) poll(t testing.TB) int {
	t.Helper()
	if err := le.w.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := le.svc.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (le *l1Env) frozen(t testing.TB, gov Governance) bool {
	t.Helper()
	var f bool
	if err := le.db.View(func(tx *bolt.Tx) (err error) { f, err = gov.Frozen(tx, le.clock.Now()); return }); err != nil {
		t.Fatal(err)
	}
	return f
}

func submitCodes(t testing.TB, e *env, raw []byte) (string, []string) {
	t.Helper()
	v, err := e.svc.Submit(context.Background(), raw, false)
	if err != nil {
		t.Fatal(err)
	}
	return v.Outcome, v.Reasons
}

// TestL1InputsMustExist: with an L1 view every input must be an unspent
// wallet output in it; made-up previous transactions are denied; the check
// runs again at BeginSigning; RecordSignatures watches the signed tx; its
// spend is explained (no freeze).
func TestL1InputsMustExist(t *testing.T) {
	ctx := context.Background()
	sc, e, le, gov, raw := withdrawalL1Env(t)

	// Never synced: stale and not reconciled; the inputs are unknown.
	out, codes := submitCodes(t, e, raw)
	for _, c := range []policy.Code{policy.CodeL1Stale, policy.CodeL1NotReconciled, policy.CodeInputNotInL1View} {
		if out != "deny" || !slices.Contains(codes, string(c)) {
			t.Fatalf("unsynced view: %s %v, want %s", out, codes, c)
		}
	}
	// Synced but the previous transactions were never mined: made up.
	le.btc.mine()
	if n := le.poll(t); n != 0 {
		t.Fatalf("%d unexplained", n)
	}
	if out, codes = submitCodes(t, e, raw); out != "deny" || !slices.Equal(codes, []string{string(policy.CodeInputNotInL1View), string(policy.CodeInputNotInL1View)}) {
		t.Fatalf("made-up inputs: %s %v", out, codes)
	}
	// Polled but not yet reconciled: a dry run (read-only) says so; a
	// decision reconciles in its own transaction first.
	le.btc.mine(prevTxs(t, raw)...)
	if err := le.w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := e.svc.Submit(ctx, raw, true); err != nil || v.Outcome != "deny" || !slices.Equal(v.Reasons, []string{string(policy.CodeL1NotReconciled)}) {
		t.Fatalf("unreconciled dry run: %+v %v", v, err)
	}
	id := e.submitAllow(t, raw)
	rec := e.record(t, id)
	if rec.Snapshot.L1 == nil || len(rec.Snapshot.Inputs) != 2 || rec.Snapshot.Inputs[0].State != policy.InputConfirmed || len(rec.UnsignedTx) == 0 {
		t.Fatalf("snapshot L1 %+v inputs %+v", rec.Snapshot.L1, rec.Snapshot.Inputs)
	}
	hashes, err := e.begin(t, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordSignatures(ctx, id, e.sign(hashes)); err != nil {
		t.Fatal(err)
	}
	signed := unsignedOf(t, raw)
	if err := e.db.View(func(tx *bolt.Tx) error {
		w, err := le.w.View().Watched(tx, signed.TxHash())
		if err == nil && w == nil {
			err = fmt.Errorf("signed tx not watched")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The signed transaction confirms: explained, nothing frozen; its
	// inputs are now spent.
	le.btc.mine(signed)
	if n := le.poll(t); n != 0 || le.frozen(t, gov) {
		t.Fatalf("own spend: %d unexplained, frozen %v", n, le.frozen(t, gov))
	}
	other := buildTx(t, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}, 3000)
	if out, codes = submitCodes(t, e, other); out != "deny" || !slices.Contains(codes, string(policy.CodeInputSpent)) {
		t.Fatalf("spent inputs: %s %v", out, codes)
	}
}

// TestL1RecheckAtSigning: an input spent on chain between the decision and
// BeginSigning revokes the decision (input_spent), and the spend nobody
// signed freezes signing with an audit record.
func TestL1RecheckAtSigning(t *testing.T) {
	_, e, le, gov, raw := withdrawalL1Env(t)
	prev := prevTxs(t, raw)
	le.btc.mine(prev...)
	le.poll(t)
	id := e.submitAllow(t, raw)
	// Someone spends input 0 without policyd.
	thief := wire.NewMsgTx(2)
	thief.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: prev[0].TxHash(), Index: unsignedOf(t, raw).TxIn[0].PreviousOutPoint.Index}, nil, nil))
	thief.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	le.btc.mine(thief)
	// Polled, not yet reconciled in the background: BeginSigning
	// reconciles in its own transaction before its re-check.
	if err := le.w.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := e.begin(t, id)
	if errCode(err) != "decision_revoked_at_signing" {
		t.Fatalf("begin: %v", err)
	}
	if !le.frozen(t, gov) {
		t.Fatal("unexplained spend did not freeze")
	}
	r := e.record(t, id)
	last := r.Transitions[len(r.Transitions)-1]
	if r.State != StateRevoked || last.Recheck == nil || !slices.Contains(last.Recheck.Decision.Codes(), policy.CodeInputSpent) ||
		!slices.Contains(last.Recheck.Decision.Codes(), policy.CodeFrozen) {
		t.Fatalf("state %s, recheck %+v", r.State, last.Recheck)
	}
	kinds := verifyAudit(t, e)
	if kinds[AuditUnexplainedSpend] != 1 {
		t.Fatalf("audit kinds %v", kinds)
	}
	// Judged once: another poll adds nothing.
	if n := le.poll(t); n != 0 {
		t.Fatalf("re-judged: %d", n)
	}
}

// TestL1RestoredBackupCannotPayTwice: the decision database is copied
// before a withdrawal is signed; the withdrawal is signed and confirms; the
// copy is restored. Its reconciliation finds the spend it has no decision
// for, freezes, and marks the spend's reqIds paid: a second transaction
// paying the same reqId is denied reqid_signed (the double pay of issue 16).
func TestL1RestoredBackupCannotPayTwice(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	btc := newBTCChain()
	le := attachL1(t, e, btc, standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	raw, _ := sc.RawPSBT()
	bridge := sc.Snapshot.Whitelist.Entries[0].PkScript
	second := buildTx(t, e.wallet, []int64{4e8, 1e8}, []*wire.TxOut{wire.NewTxOut(1e8, bridge)}, 3000, "100")
	btc.mine(append(prevTxs(t, raw), prevTxs(t, second)...)...)
	le.poll(t)

	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := e.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(backup, 0o600) }); err != nil {
		t.Fatal(err)
	}

	e.signAllowed(t, raw)
	btc.mine(unsignedOf(t, raw))
	if n := le.poll(t); n != 0 {
		t.Fatalf("original database: %d unexplained", n)
	}
	// The live database denies the second transaction already.
	if out, codes := submitCodes(t, e, second); out != "deny" || !slices.Contains(codes, string(policy.CodeReqIDConfirming)) {
		t.Fatalf("live db: %s %v", out, codes)
	}

	// Restore the backup.
	db, err := storage.Open(backup, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	skey, _, _ := audit.GenerateKey(audit.DefaultKeyName)
	lg, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	re := &env{db: db, log: lg, ledger: &fakeLedger{}, wlVersion: e.wlVersion}
	re.finish(t, sc.WalletSeed, sc.Snapshot.Params, re.ledger, fakeGov{}, now)
	rle := attachL1(t, re, btc, standInFreeze(lg), re.ledger, fakeGov{}, sc.Snapshot.Params)
	// Before its view caught up, the restored file signs nothing: the
	// restore happens later than the backup's last poll (stale), and a poll
	// alone is not enough (not reconciled).
	re.clock.Advance(10 * time.Minute)
	if out, codes := submitCodes(t, re, second); out != "deny" || !slices.Equal(codes, []string{string(policy.CodeL1Stale)}) {
		t.Fatalf("restored, stale: %s %v", out, codes)
	}
	if err := rle.w.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := re.svc.Submit(ctx, second, true); err != nil || v.Outcome != "deny" || !slices.Equal(v.Reasons, []string{string(policy.CodeL1NotReconciled)}) {
		t.Fatalf("restored, not reconciled (dry run): %+v %v", v, err)
	}
	// The decision itself reconciles first, in its own transaction: the
	// spend is unexplained, signing freezes and id 100 is paid.
	out, codes := submitCodes(t, re, second)
	if out != "deny" || !slices.Contains(codes, string(policy.CodeReqIDSigned)) || !slices.Contains(codes, string(policy.CodeFrozen)) {
		t.Fatalf("restored: second pay of 100: %s %v", out, codes)
	}
	if !rle.frozen(t, fakeGov{}) {
		t.Fatal("restored: not frozen")
	}
	if n, err := rle.svc.Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("restored: judged again: %d (%v)", n, err)
	}
	c := claimOf(t, re, "100")
	if c == nil || c.State != policy.ClaimPaidUnexplained || c.TxID != unsignedOf(t, raw).TxHash().String() {
		t.Fatalf("claim %+v", c)
	}
	// Even once an admin unfreezes, the id stays paid.
	unfreeze(t, re)
	if out, codes = submitCodes(t, re, second); out != "deny" || !slices.Equal(codes, []string{string(policy.CodeReqIDSigned)}) {
		t.Fatalf("restored, unfrozen: %s %v", out, codes)
	}
	kinds := verifyAudit(t, re)
	if kinds[AuditUnexplainedSpend] != 1 || kinds["system_freeze"] != 1 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

// withdrawalL1Env is scenario withdraw_one_id on the real l2 ledger and
// governance, with an L1 view on an empty synthetic chain.
func withdrawalL1Env(t testing.TB) (scenarios.Scenario, *env, *l1Env, Governance, []byte) {
	t.Helper()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	gov := e.svc.cfg.Governance
	le := attachL1(t, e, newBTCChain(), govFreeze(e.gov.g), e.svc.cfg.Ledger, gov, sc.Snapshot.Params)
	raw, err := sc.RawPSBT()
	if err != nil {
		t.Fatal(err)
	}
	return sc, e, le, gov, raw
}

// govFreeze is the real governance's system freeze.
func govFreeze(g *governance.Governance) FreezeFunc {
	return func(tx *bolt.Tx, now time.Time, source, reason string, evidence records.FreezeEvidence) error {
		_, err := g.SystemFreeze(tx, now, source, reason, evidence)
		return err
	}
}

// standInFreeze is the system freeze of the stand-in governance.
func standInFreeze(lg *audit.Log) FreezeFunc {
	return func(tx *bolt.Tx, now time.Time, source, reason string, evidence records.FreezeEvidence) error {
		var g govState
		if err := getJSON(tx, testGovBucket, &g); err != nil {
			return err
		}
		g.Frozen = true
		if err := putJSON(tx, testGovBucket, g); err != nil {
			return err
		}
		_, err := lg.AppendBody(tx, now, &records.SystemFreeze{Source: source, Reason: reason, Evidence: evidence,
			State: records.FreezeState{Frozen: true, By: "policyd:" + source, Reason: reason, At: now.UTC()}})
		return err
	}
}

// TestL1UnexplainedSpendFIFO: an unexplained transfer to the bridge without
// OP_RETURN has its reqIds found by P002's FIFO rule (what the relayer
// would approve) and marked paid.
func TestL1UnexplainedSpendFIFO(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	raw, _ := sc.RawPSBT()
	prev := prevTxs(t, raw)
	le.btc.mine(prev...)
	le.poll(t)
	var amount int64
	for _, r := range sc.Snapshot.Requests {
		if r.ID == "100" {
			amount = r.AmountSat
		}
	}
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&unsignedOf(t, raw).TxIn[0].PreviousOutPoint, nil, nil))
	spend.AddTxOut(wire.NewTxOut(amount, sc.Snapshot.Whitelist.Entries[0].PkScript))
	le.btc.mine(spend)
	if n := le.poll(t); n != 1 || !le.frozen(t, fakeGov{}) {
		t.Fatalf("%d unexplained, frozen %v", n, le.frozen(t, fakeGov{}))
	}
	if c := claimOf(t, e, "100"); c == nil || c.State != policy.ClaimPaidUnexplained || c.TxID != spend.TxHash().String() {
		t.Fatalf("claim %+v", c)
	}
}

// TestL1ClaimStagesFollowTheChain: a signed withdrawal's claim moves
// signed -> broadcast (mined, not yet N deep) -> confirmed (N deep), back
// to signed when a reorg drops it, each move audited; GET
// /v1/decisions/{id} (Decision) shows the stage. Nothing is released.
func TestL1ClaimStagesFollowTheChain(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	btc := newBTCChain()
	le := attachL1Conf(t, e, btc, standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params, 2)
	raw, _ := sc.RawPSBT()
	btc.mine(prevTxs(t, raw)...)
	btc.mine() // 2 deep: the inputs are confirmed
	le.poll(t)
	id := e.signAllowed(t, raw)
	stage := func(want string) {
		t.Helper()
		if _, err := e.svc.FollowChain(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := e.svc.Decision(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Claims) != 1 || v.Claims[0].ReqID != "100" || v.Claims[0].State != want {
			t.Fatalf("claims %+v, want 100 %s", v.Claims, want)
		}
	}
	stage(policy.ClaimSigned) // unseen
	btc.mine(unsignedOf(t, raw))
	le.poll(t)
	stage(policy.ClaimBroadcast)
	btc.mine()
	le.poll(t)
	stage(policy.ClaimConfirmed)
	// A reorg drops both blocks (the chain forks below them, longer).
	btc.reorg(2, 3)
	le.poll(t)
	stage(policy.ClaimSigned)
	// Still claimed: the same id cannot be paid again by a transaction
	// that does not replace the signed one.
	second := buildTx(t, e.wallet, []int64{4e8, 1e8}, []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}, 3000, "100")
	if out, codes := submitCodes(t, e, second); out != "deny" || !slices.Contains(codes, string(policy.CodeReplacementNotConflicting)) {
		t.Fatalf("second pay: %s %v", out, codes)
	}
	if kinds := verifyAudit(t, e); kinds[AuditClaimStage] != 3 {
		t.Fatalf("audit kinds %v", kinds)
	}
}

// signAllowed submits raw (it must be allowed), begins signing and records
// the wallet's signatures: a signed withdrawal.
func (e *env) signAllowed(t testing.TB, raw []byte) string {
	t.Helper()
	id := e.submitAllow(t, raw)
	hashes, err := e.begin(t, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordSignatures(context.Background(), id, e.sign(hashes)); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestL1ReplaceByFee: a signed withdrawal that does not confirm is replaced
// by a conflicting transaction with the same outputs and ids and a higher
// fee (the claim moves to it, its family remembers the original); a
// cancelled replacement gives the claim back to the original; a
// non-conflicting transaction reusing the id is denied; once the
// replacement confirms, the id is confirmed and cannot be paid again.
func TestL1ReplaceByFee(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	bridge := []*wire.TxOut{wire.NewTxOut(1e8, sc.Snapshot.Whitelist.Entries[0].PkScript)}
	orig := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, 2000, "100")
	repl := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, 6000, "100")
	other := buildTx(t, e.wallet, []int64{4e8, 1e8}, bridge, 6000, "100")
	le.btc.mine(append(prevTxs(t, orig), prevTxs(t, other)...)...)
	le.poll(t)
	origTx := unsignedOf(t, orig).TxHash().String()
	id1 := e.signAllowed(t, orig)

	v, err := e.svc.Submit(ctx, repl, false)
	if err != nil || v.Outcome != "allow" {
		t.Fatalf("replacement: %+v %v", v, err)
	}
	c := claimOf(t, e, "100")
	if c.DecisionID != v.ID || c.State != policy.ClaimReserved || !slices.Equal(c.Family, []string{origTx}) || c.Prev == nil || c.Prev.DecisionID != id1 {
		t.Fatalf("claim after replacement decision: %+v", c)
	}
	if _, err := e.svc.Cancel(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if c := claimOf(t, e, "100"); c.DecisionID != id1 || c.State != policy.ClaimSigned || c.TxID != origTx {
		t.Fatalf("claim after cancelling the replacement: %+v", c)
	}
	if out, codes := submitCodes(t, e, other); out != "deny" || !slices.Equal(codes, []string{string(policy.CodeReplacementNotConflicting)}) {
		t.Fatalf("non-conflicting reuse: %s %v", out, codes)
	}
	id3 := e.signAllowed(t, repl)
	if c := claimOf(t, e, "100"); c.DecisionID != id3 || c.State != policy.ClaimSigned || !slices.Equal(c.Family, []string{origTx}) {
		t.Fatalf("claim after signing the replacement: %+v", c)
	}
	le.btc.mine(unsignedOf(t, repl))
	if n := le.poll(t); n != 0 {
		t.Fatalf("%d unexplained", n)
	}
	if _, err := e.svc.FollowChain(ctx); err != nil {
		t.Fatal(err)
	}
	if c := claimOf(t, e, "100"); c.State != policy.ClaimConfirmed {
		t.Fatalf("claim after the replacement confirmed: %+v", c)
	}
	again := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, 9000, "100")
	if out, codes := submitCodes(t, e, again); out != "deny" || !slices.Contains(codes, string(policy.CodeReqIDSigned)) || !slices.Contains(codes, string(policy.CodeInputSpent)) {
		t.Fatalf("after confirmation: %s %v", out, codes)
	}
}

// TestL1Reserves: the reserves read the L1 view, the L2 totals, the
// allowed amounts and the claims in one transaction; without an L1 view
// they are unavailable.
func TestL1Reserves(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, now, true)
	if _, err := e.svc.Reserves(ctx); errCode(err) != "no_l1_view" {
		t.Fatalf("without L1: %v", err)
	}
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
	raw, _ := sc.RawPSBT()
	prev := prevTxs(t, raw)
	le.btc.mine(prev...)
	le.poll(t)
	e.signAllowed(t, raw)
	r, err := e.svc.Reserves(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := e.record(t, e.svc.mustOnlyDecision(t)).Facts
	var bridge int64
	for _, o := range f.Outputs {
		if o.Class == policy.ClassExternal {
			bridge += o.Value
		}
	}
	if r.L1.ConfirmedSat != f.InputTotal || r.L1.Transfers.PendingSat != bridge || r.L1.HeldSat != f.InputTotal || r.AllowedReturnedSat-sc.Snapshot.Stake.ReturnedSat != bridge ||
		r.Claims[policy.ClaimSigned] != 1 || r.L2.FinalizedStakedSat != sc.Snapshot.Stake.FinalizedStakedSat {
		t.Fatalf("reserves %+v (inputs %d, bridge %d)", r, f.InputTotal, bridge)
	}
}

// mustOnlyDecision is the id of the one decision stored.
func (s *Service) mustOnlyDecision(t testing.TB) string {
	t.Helper()
	var id string
	if err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketDecisions).ForEach(func(k, _ []byte) error { id = string(k); return nil })
	}); err != nil || id == "" {
		t.Fatalf("no decision: %v", err)
	}
	return id
}
