package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
)

// operatorToken is the operator bearer token of TestL1's policyd (policyctl
// backup).
const operatorToken = "e2e-operator-token"

// reqIDHeld are the reasons that deny a transaction because its reqIds are
// already paid or being paid by another transaction.
var reqIDHeld = []string{"reqid_signed", "reqid_confirming", "reqid_claimed", "replacement_not_conflicting"}

// TestL1 follows the wallet on Bitcoin through real processes (issue 16):
// one btcd --regtest and one geth --dev, one policyd whose l1 block reads
// btcd through a proxy the test can hold back, custody sign --broadcast for
// every withdrawal. The steps share the nodes and the policyd and run in
// order (each needs the wallet and policyd as the previous one left them):
//
//  1. replacement: a low-fee withdrawal stays in btcd's mempool (claims
//     broadcast); a transaction reusing its reqIds without spending any of
//     its inputs is denied replacement_not_conflicting; its replacement
//     (same input, same outputs, higher fee) is allowed, signed and
//     accepted by btcd; mined 2 deep its claims are confirmed and btcd
//     refuses the original; `relayer -once` approves the ids on L2 and the
//     claims move on to approved.
//  2. reorg: a confirmed withdrawal's blocks are invalidated (btcd
//     invalidateblock): its claims go back to broadcast; re-mined, confirmed
//     again; another transaction paying its reqIds is denied throughout.
//  3. restored backup: policyctl backup, then a withdrawal is signed,
//     broadcast and mined; policyd is stopped, the copy restored, policyd
//     restarted while its Bitcoin endpoint is held back: nothing paying the
//     withdrawn reqIds is allowed before or after the L1 view caught up; the
//     spend it does not know freezes signing and its reqIds are claimed
//     paid_unexplained. The admins' quorum unfreezes; the reqIds stay paid.
//  4. outside spend: a wallet spend signed with the key of both fixture
//     shares (combined by the test, not by policyd) is mined: signing is
//     frozen by policyd:l1 before another block, the next withdrawal is
//     denied frozen and the audit log holds its unexplained_spend record.
func TestL1(t *testing.T) {
	c := startChains(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	proxy := newHoldProxy(t, c.btc.RPCAddr())
	pd := newPolicyd(t, c, func(cfg map[string]any) {
		l1 := cfg["l1"].(map[string]any)
		l1["endpoints"].([]map[string]any)[0]["url"] = "https://" + proxy.addr()
		auth := cfg["auth"].(map[string]any)
		auth["tokens"] = append(auth["tokens"].([]api.Token),
			api.Token{Name: "e2e-operator", SHA256: api.HashToken(operatorToken), Role: api.RoleOperator})
	})
	pd.start()

	amounts := []int64{1 * btcSat, 1 * btcSat, 1 * btcSat, 1 * btcSat}
	ids := c.stakeAndUnbound(ctx, amounts)
	idStrs := make([]string, len(ids))
	for i, id := range ids {
		idStrs[i] = id.String()
	}
	pd.waitL2State(idStrs, "finalized", 60*time.Second)
	t.Logf("policyd indexed UnboundRequired %v", idStrs)

	// Steps, not subtests: every step starts from the state the previous
	// one left, and the processes belong to the test.
	t.Log("step 1: replacement")
	l1Replacement(t, ctx, c, pd, ids[0:1])
	t.Log("step 2: reorg")
	l1Reorg(t, ctx, c, pd, ids[1:2])
	t.Log("step 3: restored backup")
	l1RestoredBackup(t, ctx, c, pd, proxy, ids[2:3])
	t.Log("step 4: outside spend")
	l1OutsideSpend(t, ctx, c, pd, ids[3:4])
	pd.stop()
}

// l1Replacement: a stuck withdrawal, a non-conflicting reuse of its ids
// (denied), its conflicting replacement (allowed, signed, mined).
func l1Replacement(t *testing.T, ctx context.Context, c *chains, pd *policydNode, ids []*big.Int) {
	amount := []int64{1 * btcSat}
	us := c.spendable(2)
	orig := c.withdrawal(us[:1], amount, ids, 250) // ~1.5 sat/vB: relayed by btcd, never mined here
	origID, origTx := pd.signAndBroadcast(c, "custody sign (low fee)", orig)
	h0 := c.height()
	pd.waitClaims(origID, ids, "broadcast")
	if n, err := c.btc.Confirmations(ptr(origTx.TxHash())); err != nil || n != 0 {
		t.Fatalf("the low-fee withdrawal: %d confirmations, %v; want it in btcd's mempool", n, err)
	}
	t.Logf("low-fee withdrawal %s (decision %s) in btcd's mempool, claims broadcast", origTx.TxHash(), origID)

	// The same ids from another wallet output: no conflict with the
	// original, so both could confirm.
	pd.mustDeny(c.withdrawal(us[1:2], amount, ids, 5_000), "a non-conflicting reuse of the ids", "replacement_not_conflicting")

	repl := c.withdrawal(us[:1], amount, ids, 5_000)
	replID, replTx := pd.signAndBroadcast(c, "custody sign (replacement)", repl)
	if replID == origID {
		t.Fatalf("the replacement got the original's decision %s", origID)
	}
	if _, err := c.btc.RawTx(ptr(origTx.TxHash())); err == nil {
		t.Fatalf("btcd still has the original %s after accepting its replacement", origTx.TxHash())
	}
	if got := c.height(); got != h0 {
		t.Fatalf("btcd mined %d blocks while the withdrawal was meant to be stuck", got-h0)
	}
	if err := c.btc.WaitConfirmations(ctx, ptr(replTx.TxHash()), l1Confirmations); err != nil {
		t.Fatal(err)
	}
	pd.waitClaims(replID, ids, "confirmed")
	if _, err := c.btc.Broadcast(origTx); err == nil {
		t.Fatalf("btcd accepted the original %s after its replacement confirmed", origTx.TxHash())
	}
	if _, err := c.btc.RawTx(ptr(origTx.TxHash())); err == nil {
		t.Fatalf("the original %s is known to btcd after its replacement confirmed", origTx.TxHash())
	}
	pd.mustDeny(c.withdrawal(c.spendable(1), amount, ids, 9_000), "the ids after the replacement confirmed", reqIDHeld...)
	t.Logf("replacement %s (decision %s) confirmed %d deep, claims confirmed; btcd refuses the original", replTx.TxHash(), replID, l1Confirmations)

	// The relayer sees the confirmed transfer and approves its ids on L2:
	// policyd's claims move on to approved, and stay paid.
	runRelayer(t, c, pd, newRelayerFiles(t, c, pd), h0)
	idStrs := make([]string, len(ids))
	for i, id := range ids {
		idStrs[i] = id.String()
	}
	pd.waitL2State(idStrs, "approved", 60*time.Second)
	pd.waitClaims(replID, ids, "approved")
	pd.mustDeny(c.withdrawal(c.spendable(1), amount, ids, 9_000), "the ids after their approval", append([]string{"reqid_approved"}, reqIDHeld...)...)
	t.Logf("relayer approved %v on L2: claims approved", idStrs)
}

// l1Reorg: a confirmed withdrawal is reorganized out and mined again.
func l1Reorg(t *testing.T, ctx context.Context, c *chains, pd *policydNode, ids []*big.Int) {
	amount := []int64{1 * btcSat}
	id, tx := pd.signAndBroadcast(c, "custody sign (reorg)", c.withdrawal(c.spendable(1), amount, ids, 3_000))
	txid := tx.TxHash()
	if err := c.btc.WaitConfirmations(ctx, &txid, l1Confirmations); err != nil {
		t.Fatal(err)
	}
	pd.waitClaims(id, ids, "confirmed")
	other := func() *psbt.Packet { return c.withdrawal(c.spendable(1), amount, ids, 4_000) }
	pd.mustDeny(other(), "the ids while confirmed", reqIDHeld...)

	v, err := c.btc.Client().GetRawTransactionVerbose(&txid)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := chainhash.NewHashFromStr(v.BlockHash)
	if err != nil {
		t.Fatal(err)
	}
	before := c.height()
	if err := c.btc.Client().InvalidateBlock(blk); err != nil {
		t.Fatalf("invalidateblock %s: %v", blk, err)
	}
	if got := c.height(); got != before-l1Confirmations {
		t.Fatalf("after invalidateblock btcd is at %d, want %d", got, before-l1Confirmations)
	}
	pd.waitClaims(id, ids, "broadcast", "signed")
	t.Logf("block %s invalidated: withdrawal %s unconfirmed again, claims %s", blk, txid, pd.claimStates(id, ids))
	pd.mustDeny(other(), "the ids after the reorg", reqIDHeld...)

	if _, err := c.btc.Confirmations(&txid); err != nil {
		// btcd returns a disconnected block's transactions to its mempool;
		// should it not have, the custody node broadcasts again.
		if _, err := c.btc.Broadcast(tx); err != nil {
			t.Fatalf("re-broadcast after the reorg: %v", err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // a new block timestamp: the new branch differs from the invalidated one
	if err := c.btc.WaitConfirmations(ctx, &txid, l1Confirmations); err != nil {
		t.Fatal(err)
	}
	v, err = c.btc.Client().GetRawTransactionVerbose(&txid)
	if err != nil {
		t.Fatal(err)
	}
	if v.BlockHash == blk.String() {
		t.Fatalf("re-mined in the invalidated block %s", blk)
	}
	pd.waitClaims(id, ids, "confirmed")
	pd.mustDeny(other(), "the ids after re-mining", reqIDHeld...)
	t.Logf("withdrawal %s re-mined in %s, claims confirmed again", txid, v.BlockHash)
}

// l1RestoredBackup: the database is restored from a copy taken before a
// withdrawal was signed.
func l1RestoredBackup(t *testing.T, ctx context.Context, c *chains, pd *policydNode, proxy *holdProxy, ids []*big.Int) {
	amount := []int64{1 * btcSat}
	backup := filepath.Join(t.TempDir(), "policyd.db.backup")
	bk := startProc(t, "policyctl backup", bins.policyctl, nil, "backup", "--server", pd.url, "--ca", pd.tls.CACert,
		"--token", operatorToken, "--out", backup)
	bk.mustExit(60*time.Second, 0)

	id, tx := pd.signAndBroadcast(c, "custody sign (after the backup)", c.withdrawal(c.spendable(1), amount, ids, 3_000))
	txid := tx.TxHash()
	if err := c.btc.WaitConfirmations(ctx, &txid, l1Confirmations); err != nil {
		t.Fatal(err)
	}
	pd.waitClaims(id, ids, "confirmed")
	pd.stop()
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(pd.dir, "data", "policyd.db"), raw)
	t.Logf("withdrawal %s (decision %s) mined; policyd's database restored from the copy taken before it", txid, id)

	// policyd starts on the restored file with its Bitcoin endpoint held
	// back: its L1 view is where the copy left it, behind the chain.
	proxy.hold()
	pd.start()
	pd.l1Waited = true // do not wait: the decision below must not wait for the view either
	other := func() *psbt.Packet { return c.withdrawal(c.spendable(1), amount, ids, 4_000) }
	code, v := pd.submit(other())
	if code == http.StatusOK || v.Outcome == "allow" {
		t.Fatalf("before its L1 view caught up, the restored policyd allowed decision %s paying reqIds %v again", v.ID, ids)
	}
	t.Logf("before the L1 view caught up: denied %v", v.Reasons)
	proxy.resume()
	pd.waitL1()
	eventually(t, 30*time.Second, 200*time.Millisecond, "policyd freezes on the spend it has no decision for", func() (bool, error) {
		fs, err := pd.reader.FreezeState(ctx)
		if err != nil {
			return false, err
		}
		return fs.Frozen && fs.By == "policyd:l1", fmt.Errorf("freeze state %+v", fs)
	})
	pd.mustDeny(other(), "the ids after the L1 view caught up", "reqid_signed")
	pd.waitUnexplained(txid, idStrings(ids))
	r, err := pd.reserves()
	if err != nil {
		t.Fatal(err)
	}
	if r.Claims["paid_unexplained"] < len(ids) {
		t.Fatalf("claims by stage after the restore: %v, want %d paid_unexplained", r.Claims, len(ids))
	}

	// The admins' quorum lifts the freeze; the reqIds stay paid.
	pd.unfreeze(ctx)
	pd.mustDeny(other(), "the ids after the unfreeze", "reqid_signed")
	t.Logf("restored policyd: spend %s unexplained, reqIds %v paid_unexplained, frozen until the admins unfroze", txid, ids)
}

// l1OutsideSpend: a wallet spend policyd never saw freezes signing.
func l1OutsideSpend(t *testing.T, ctx context.Context, c *chains, pd *policydNode, ids []*big.Int) {
	amount := []int64{1 * btcSat}
	if fs, err := pd.reader.FreezeState(ctx); err != nil || fs.Frozen {
		t.Fatalf("frozen before the outside spend: %+v %v", fs, err)
	}
	if code, v := pd.submit(c.withdrawal(c.spendable(1), amount, ids, 3_000)); code != http.StatusOK {
		t.Fatalf("a withdrawal before the outside spend: HTTP %d %v, want allow", code, v.Reasons)
	} else if _, err := pd.api.Cancel(ctx, v.ID); err != nil {
		t.Fatalf("cancel %s: %v", v.ID, err)
	}

	key := fixtureWalletKey(t)
	u := c.spendable(1)[0]
	dest, err := regtest.NewKey("policyd-e2e/outside")
	if err != nil {
		t.Fatal(err)
	}
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&u.Outpoint, nil, nil))
	spend.AddTxOut(wire.NewTxOut(u.Value-5_000, dest.PkScript))
	fetch := txscript.NewCannedPrevOutputFetcher(u.PkScript, u.Value)
	w, err := txscript.WitnessSignature(spend, txscript.NewTxSigHashes(spend, fetch), 0, u.Value, u.PkScript, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	spend.TxIn[0].Witness = w
	txid := spend.TxHash()
	if _, err := c.btc.Broadcast(spend); err != nil {
		t.Fatal(err)
	}
	if _, err := c.btc.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	mined := c.height()
	t.Logf("spend %s of %s signed outside policyd (both fixture shares combined), mined at %d", txid, u.Outpoint, mined)

	eventually(t, 30*time.Second, 200*time.Millisecond, "policyd freezes on the outside spend", func() (bool, error) {
		fs, err := pd.reader.FreezeState(ctx)
		if err != nil {
			return false, err
		}
		return fs.Frozen && fs.By == "policyd:l1", fmt.Errorf("freeze state %+v", fs)
	})
	if got := c.height(); got != mined {
		t.Fatalf("btcd moved from %d to %d: the freeze is not shown within one block", mined, got)
	}
	pd.mustDeny(c.withdrawal(c.spendable(1), amount, ids, 3_000), "a withdrawal after the outside spend", "frozen")
	pd.waitUnexplained(txid, nil)
	t.Logf("outside spend %s: signing frozen by policyd:l1 within one block, unexplained_spend audited", txid)
}

// signAndBroadcast runs `custody sign --broadcast` on pk and requires it
// to succeed: it returns the decision and the signed transaction, which
// btcd accepted.
func (p *policydNode) signAndBroadcast(c *chains, name string, pk *psbt.Packet) (string, *wire.MsgTx) {
	t := p.t
	t.Helper()
	sign, out := p.custodySign(name, pk, c, true)
	sign.mustExit(3*time.Minute, 0)
	want := pk.UnsignedTx.TxHash().String()
	if m := regexp.MustCompile(`broadcast: ([0-9a-f]{64})`).FindStringSubmatch(sign.stderr.String()); m == nil || m[1] != want {
		t.Fatalf("%s did not report the broadcast of %s:\n%s", name, want, sign.stderr.String())
	}
	m := regexp.MustCompile(`(?m)^decision ([^:\s]+):`).FindStringSubmatch(sign.stderr.String())
	if m == nil {
		t.Fatalf("%s did not name its decision:\n%s", name, sign.stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return m[1], &tx
}

// mustDeny submits pk and requires a deny naming at least one of reasons.
func (p *policydNode) mustDeny(pk *psbt.Packet, what string, reasons ...string) {
	p.t.Helper()
	code, v := p.submit(pk)
	if code != http.StatusForbidden || v.Outcome != "deny" || !hasReason(v.Reasons, reasons...) {
		p.t.Fatalf("%s: HTTP %d %s %v, want a deny naming one of %v", what, code, v.Outcome, v.Reasons, reasons)
	}
}

// claimStates reads decision id's claims of ids: reqId -> stage.
func (p *policydNode) claimStates(id string, ids []*big.Int) map[string]string {
	p.t.Helper()
	got := map[string]string{}
	for _, cv := range p.decision(id).Claims {
		got[cv.ReqID] = cv.State
	}
	out := map[string]string{}
	for _, id := range ids {
		out[id.String()] = got[id.String()]
	}
	return out
}

// waitClaims waits until every one of ids is claimed by decision id in one
// of the stages.
func (p *policydNode) waitClaims(id string, ids []*big.Int, stages ...string) {
	p.t.Helper()
	eventually(p.t, 30*time.Second, 200*time.Millisecond, fmt.Sprintf("decision %s's claims %v reach %v", id, ids, stages), func() (bool, error) {
		if !p.proc.running() {
			p.t.Fatalf("policyd exited:\n%s", tail(p.proc.stderr.String(), 4000))
		}
		st := p.claimStates(id, ids)
		for _, s := range st {
			if !slices.Contains(stages, s) {
				return false, fmt.Errorf("claims %v", st)
			}
		}
		return true, nil
	})
}

// waitUnexplained waits for the audit log's unexplained_spend record of
// txid; with reqIDs, it must name exactly those.
func (p *policydNode) waitUnexplained(txid chainhash.Hash, reqIDs []string) {
	t := p.t
	t.Helper()
	eventually(t, 30*time.Second, 500*time.Millisecond, "an unexplained_spend record of "+txid.String(), func() (bool, error) {
		for _, r := range p.auditExport() {
			if r.Kind != "unexplained_spend" {
				continue
			}
			var b struct {
				TxID   string   `json:"txid"`
				ReqIDs []string `json:"req_ids"`
			}
			if err := json.Unmarshal(r.Body, &b); err != nil {
				t.Fatalf("unexplained_spend record: %v: %s", err, r.Body)
			}
			if b.TxID != txid.String() {
				continue
			}
			if reqIDs != nil && !slices.Equal(b.ReqIDs, reqIDs) {
				t.Fatalf("unexplained_spend of %s names reqIds %v, want %v", txid, b.ReqIDs, reqIDs)
			}
			return true, nil
		}
		return false, nil
	})
}

// unfreeze lifts a freeze the way the admins do: one proposes with
// `policyctl whitelist unfreeze`, two approve (quorum 2).
func (p *policydNode) unfreeze(ctx context.Context) {
	t := p.t
	t.Helper()
	common := func(admin int) []string {
		ks, pass := writeKeystore(t, t.TempDir(), p.admins[admin])
		return []string{"--server", p.url, "--ca", p.tls.CACert, "--keystore", ks, "--password-file", pass, "--token", readerToken}
	}
	prop := startProc(t, "policyctl whitelist unfreeze", bins.policyctl, nil, append([]string{"whitelist", "unfreeze"}, common(0)...)...)
	prop.mustExit(60*time.Second, 0)
	var proposal struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(prop.stdout.String()), &proposal); err != nil || proposal.ID == "" {
		t.Fatalf("policyctl whitelist unfreeze printed %q (%v)", prop.stdout.String(), err)
	}
	for _, admin := range []int{0, 1} {
		ap := startProc(t, fmt.Sprintf("policyctl whitelist approve (admin %d)", admin), bins.policyctl, nil,
			append([]string{"whitelist", "approve", "--id", proposal.ID, "--yes"}, common(admin)...)...)
		ap.mustExit(60*time.Second, 0)
	}
	fs, err := p.reader.FreezeState(ctx)
	if err != nil || fs.Frozen {
		t.Fatalf("after the admins' unfreeze: %+v %v", fs, err)
	}
}

func (c *chains) height() int64 {
	c.t.Helper()
	h, err := c.btc.Height()
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

func ptr[T any](v T) *T { return &v }

func idStrings(ids []*big.Int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// fixtureWalletKey combines the two committed fixture shares into the
// wallet's private key (Lagrange interpolation at 0 of the parties' Xi),
// which is what an attacker holding both shares could do; policyd never
// sees it. The result must be the private key of the wallet's public key.
func fixtureWalletKey(t testing.TB) *btcec.PrivateKey {
	t.Helper()
	a, b := mpctest.Shares(t)
	n := btcec.S256().N
	ka, kb := a.Data.ShareID, b.Data.ShareID
	// x = xa * kb/(kb-ka) + xb * ka/(ka-kb)  (mod n)
	lagrange := func(self, other *big.Int) *big.Int {
		d := new(big.Int).Sub(other, self)
		d.Mod(d, n)
		l := new(big.Int).ModInverse(d, n)
		if l == nil {
			t.Fatal("fixture shares with equal ids")
		}
		return l.Mul(l, other).Mod(l, n)
	}
	x := new(big.Int).Mul(a.Data.Xi, lagrange(ka, kb))
	x.Add(x, new(big.Int).Mul(b.Data.Xi, lagrange(kb, ka)))
	x.Mod(x, n)
	priv, pub := btcec.PrivKeyFromBytes(x.FillBytes(make([]byte, 32)))
	if !pub.IsEqual(a.PubKey()) {
		t.Fatalf("the fixture shares do not combine to the wallet key (threshold %d of %d?)", a.Committee.Threshold+1, len(a.Committee.Members))
	}
	return priv
}

// holdProxy is a TCP proxy on loopback in front of a node's RPC port that
// can hold new connections back (they wait, unanswered, until resume): a
// Bitcoin endpoint that is slow to answer. TLS passes through unchanged.
type holdProxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	done   chan struct{}

	mu      sync.Mutex
	release chan struct{} // non-nil while held; closed by resume
}

func newHoldProxy(t testing.TB, target string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{t: t, ln: ln, target: target, done: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(conn)
			}()
		}
	}()
	return p
}

func (p *holdProxy) addr() string { return p.ln.Addr().String() }

func (p *holdProxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.release == nil {
		p.release = make(chan struct{})
	}
}

func (p *holdProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.release != nil {
		close(p.release)
		p.release = nil
	}
}

func (p *holdProxy) serve(conn net.Conn) {
	defer conn.Close()
	p.mu.Lock()
	wait := p.release
	p.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-p.done:
			return
		}
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	copied := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		copied <- struct{}{}
	}
	go pipe(up, conn)
	go pipe(conn, up)
	select {
	case <-copied: // one side closed: closing both ends the other copy
	case <-p.done:
	}
}
