package decision

// The sign-time property (issue 13): over random sequences of submit,
// cancel, revoke, expire, begin, record, freeze, unfreeze, whitelist
// changes, L2 reorgs and clock steps, signing is authorized (BeginSigning
// returns sighashes, the only way to a recorded signature) only for a
// decision whose every rule held at that moment, as an oracle checks it
// independently from governance, the l2 indexer/ledger and its own model of
// what began signing when; and a signature is recorded only for a decision
// that began signing.

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/policy"
)

type propTx struct {
	raw     []byte
	reqID   string
	script  []byte
	outflow int64
}

type propBegin struct {
	at      time.Time
	outflow int64
}

type propModel struct {
	t       *testing.T
	e       *env
	rng     *rand.Rand
	txs     []propTx
	ids     []string             // every decision id seen
	txOf    map[string]int       // decision id -> index in txs
	begun   map[string]propBegin // decision id -> when signing began
	reqHeld map[string]string    // reqId -> decision that began signing it
	signed  map[string]bool
	maxNow  time.Time // latest clock value any operation ran at
	cap     int64
	log     []string
	stats   map[string]int // outcome counts, to show the sequences are not vacuous
}

func (m *propModel) logf(format string, args ...any) {
	m.log = append(m.log, fmt.Sprintf("%s "+format, append([]any{m.e.clock.Now().Format("01-02T15:04:05")}, args...)...))
}

func (m *propModel) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\nops:\n  %s", fmt.Sprintf(format, args...), strings.Join(m.log, "\n  "))
}

// rulesHold is the oracle: every rule of the decision at now, read from
// governance, the l2 indexer and ledger, and the model.
func (m *propModel) rulesHold(id string, now time.Time) error {
	e := m.e
	r := e.record(m.t, id)
	tx := m.txs[m.txOf[id]]
	if now.Before(m.maxNow) {
		return fmt.Errorf("clock %s behind a time already used %s", now, m.maxNow)
	}
	if _, resumed := m.begun[id]; !resumed && !now.Before(r.Time.Add(e.svc.cfg.DecisionTTL)) {
		return fmt.Errorf("expired (decided %s)", r.Time)
	}
	if h, ok := m.reqHeld[tx.reqID]; ok && h != id {
		return fmt.Errorf("reqId %s already signing in %s", tx.reqID, h)
	}
	var window int64
	for d, b := range m.begun {
		if d != id && b.at.After(now.Add(-24*time.Hour)) && !b.at.After(now) {
			window += b.outflow
		}
	}
	if window+tx.outflow > m.cap {
		return fmt.Errorf("velocity: %d signing in the window + %d > %d", window, tx.outflow, m.cap)
	}
	return e.db.View(func(btx *bolt.Tx) error {
		if f, err := e.gov.g.Frozen(btx, now); err != nil || f {
			return fmt.Errorf("frozen (%v)", err)
		}
		w, err := e.gov.g.Whitelist(btx, now)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(w.Entries, func(x policy.WhitelistEntry) bool {
			return x.Kind == policy.KindBridgeHotWallet && string(x.PkScript) == string(tx.script)
		}) {
			return fmt.Errorf("destination not whitelisted")
		}
		if err := e.ix.Check(btx, now); err != nil {
			return fmt.Errorf("l2 not fresh: %v", err)
		}
		n, _ := new(big.Int).SetString(tx.reqID, 10)
		q, err := e.ix.Ledger().Get(btx, n)
		if err != nil {
			return fmt.Errorf("reqId %s: %v", tx.reqID, err)
		}
		if q.State != l2.StateFinalized || len(q.Conflicts) > 0 {
			return fmt.Errorf("reqId %s state %s conflicts %v", tx.reqID, q.State, q.Conflicts)
		}
		return nil
	})
}

func (m *propModel) pickID() (string, bool) {
	if len(m.ids) == 0 {
		return "", false
	}
	return m.ids[m.rng.IntN(len(m.ids))], true
}

func (m *propModel) step() {
	ctx := context.Background()
	e, rng := m.e, m.rng
	now := e.clock.Now()
	ran := func() {
		if now.After(m.maxNow) {
			m.maxNow = now
		}
	}
	switch op := rng.IntN(13); op {
	case 0, 1, 2: // submit
		i := rng.IntN(len(m.txs))
		v, err := e.svc.Submit(ctx, m.txs[i].raw, false)
		m.logf("submit tx%d: %v %v", i, v, err)
		if err == nil {
			ran()
			if v.Outcome == "allow" && !slices.Contains(m.ids, v.ID) {
				m.ids = append(m.ids, v.ID)
				m.txOf[v.ID] = i
			}
		}
	case 3: // cancel
		if id, ok := m.pickID(); ok {
			_, err := e.svc.Cancel(ctx, id)
			m.logf("cancel %s: %v", id, err)
			if _, begun := m.begun[id]; begun && err == nil {
				m.fail("cancelled %s after signing began", id)
			}
		}
	case 4: // admin revoke
		if id, ok := m.pickID(); ok {
			_, err := e.svc.Revoke(ctx, id, "0xadmin", "property")
			m.logf("revoke %s: %v", id, err)
			if _, begun := m.begun[id]; begun && err == nil {
				m.fail("revoked %s after signing began", id)
			}
		}
	case 5: // expiry sweep
		n, err := e.svc.ExpireDue(ctx, now)
		m.logf("expire: %d %v", n, err)
	case 6, 7, 8: // begin
		id, ok := m.pickID()
		if !ok {
			return
		}
		peer := recordSighashes(m.t, e, id)
		honest := rng.IntN(8) != 0
		if !honest {
			peer[0][0] ^= 0xff
		}
		before := e.record(m.t, id)
		h, err := e.svc.BeginSigning(ctx, id, peer)
		m.logf("begin %s honest=%v: %v", id, honest, err)
		m.stats["begin "+map[bool]string{true: "ok", false: errCode(err)}[err == nil]]++
		if !honest {
			if err == nil || errCode(err) != "sighash_mismatch" && errCode(err) != CodeClockBehind && errCode(err) != "decision_not_found" {
				m.fail("dishonest begin: %v", err)
			}
			if after := e.record(m.t, id); after.State != before.State && !(before.State == StateReserved && after.State == StateExpired) {
				m.fail("a sighash mismatch moved %s from %s to %s", id, before.State, after.State)
			}
			return
		}
		if err != nil {
			return
		}
		if why := m.rulesHold(id, now); why != nil {
			m.fail("signing of %s authorized although a rule failed: %v", id, why)
		}
		ran()
		if _, ok := m.begun[id]; !ok {
			m.begun[id] = propBegin{at: now, outflow: m.txs[m.txOf[id]].outflow}
			m.reqHeld[m.txs[m.txOf[id]].reqID] = id
		}
		if len(h) == 0 {
			m.fail("no sighashes")
		}
	case 9: // record signatures
		id, ok := m.pickID()
		if !ok {
			return
		}
		err := e.svc.RecordSignatures(ctx, id, e.sign(recordSighashes(m.t, e, id)))
		m.logf("record %s: %v", id, err)
		if err == nil {
			if _, begun := m.begun[id]; !begun {
				m.fail("signatures recorded for %s, which never began signing", id)
			}
			m.signed[id] = true
			m.stats["record ok"]++
		}
	case 10: // freeze / unfreeze
		fs, err := e.gov.g.FreezeState(ctx)
		if err != nil {
			m.t.Fatal(err)
		}
		if fs.Frozen {
			e.gov.propose(m.t, governance.ProposalContent{Action: governance.ActionUnfreeze, FreezeEpoch: fs.Epoch}, 2)
			m.logf("unfreeze")
		} else {
			e.gov.freeze(m.t)
			m.logf("freeze")
		}
	case 11: // whitelist change: remove or re-add the second bridge wallet
		script := m.txs[len(m.txs)-1].script
		var present bool
		_ = e.db.View(func(btx *bolt.Tx) error {
			w, _ := e.gov.g.Whitelist(btx, time.Now().AddDate(10, 0, 0))
			present = slices.ContainsFunc(w.Entries, func(x policy.WhitelistEntry) bool { return string(x.PkScript) == string(script) })
			return nil
		})
		if present {
			e.removeFromWhitelist(m.t, policy.KindBridgeHotWallet, script)
			m.logf("whitelist: remove bridge 2")
		} else {
			e.addToWhitelist(m.t, policy.KindBridgeHotWallet, script)
			m.logf("whitelist: add bridge 2 (timelocked)")
		}
	case 12: // clock step, L2 reorg or L2 progress
		switch k := rng.IntN(6); k {
		case 0: // backward
			d := time.Duration(1+rng.IntN(10)) * time.Minute
			e.clock.Advance(-d)
			m.logf("clock back %s", d)
		case 1: // reorg dropping every request
			if now.Equal(m.maxNow) || now.After(m.maxNow) {
				e.reorgL2(m.t, now, 899)
				m.logf("l2 reorg from 899")
			}
		default: // forward, the L2 view following (or not)
			d := []time.Duration{time.Minute, 4 * time.Minute, 16 * time.Minute, 25 * time.Hour}[rng.IntN(4)]
			e.clock.Advance(d)
			if now := e.clock.Now(); rng.IntN(5) != 0 && !now.Before(m.maxNow) {
				e.advanceL2(m.t, now)
				m.logf("clock +%s, l2 follows", d)
			} else {
				m.logf("clock +%s, l2 does not follow", d)
			}
		}
	}
}

func TestPropertySignOnlyWhatTheRulesAllowAtSigning(t *testing.T) {
	seqs, steps := 24, 60
	if testing.Short() {
		seqs, steps = 4, 40
	}
	sc := scenario(t, "withdraw_one_id")
	stats := map[string]int{}
	defer func() {
		t.Logf("outcomes: %v", stats)
		for _, k := range []string{"begin ok", "record ok", "begin decision_revoked_at_signing", "begin sighash_mismatch", "begin decision_expired", "begin " + CodeClockBehind} {
			if stats[k] == 0 && !t.Failed() && !testing.Short() {
				t.Errorf("no %q in any sequence: the property is not exercised", k)
			}
		}
	}()
	for seq := 0; seq < seqs; seq++ {
		t.Run(fmt.Sprint(seq), func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, sc.Now)
			snap := sc.Snapshot
			snap.Params.VelocityCapSat = 12e7
			snap.OutflowSat = 0
			e := newEnv(t, sc.WalletSeed, snap, now, true)
			m := &propModel{t: t, e: e, rng: rand.New(rand.NewPCG(uint64(seq), 13)), txOf: map[string]int{}, begun: map[string]propBegin{},
				reqHeld: map[string]string{}, signed: map[string]bool{}, cap: 12e7, stats: stats}
			b0, b1 := snap.Whitelist.Entries[0].PkScript, snap.Whitelist.Entries[1].PkScript
			for i, c := range []struct {
				amount, fee int64
				script      []byte
				id          string
			}{{1e8, 2000, b0, "100"}, {1e8, 3000, b0, "100"}, {5e7, 2000, b0, "101"}, {5e7, 2500, b1, "101"}} {
				raw := buildTx(t, e.wallet, []int64{3e8 + int64(i)}, []*wire.TxOut{wire.NewTxOut(c.amount, c.script)}, c.fee, c.id)
				m.txs = append(m.txs, propTx{raw: raw, reqID: c.id, script: c.script, outflow: c.amount + c.fee})
			}
			for i := 0; i < steps; i++ {
				m.step()
			}
			// Whatever happened, the log verifies and holds one signature
			// record per input of each signed decision only.
			k := verifyAudit(t, e)
			if int(k["signature"]) != len(m.signed) {
				t.Fatalf("%d signature records for %d signed decisions\n%s", k["signature"], len(m.signed), strings.Join(m.log, "\n"))
			}
			if int(k["decision_begin"]) != len(m.begun) {
				t.Fatalf("%d decision_begin records, %d began", k["decision_begin"], len(m.begun))
			}
		})
	}
}
