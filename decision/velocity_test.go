package decision

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// TestWindowRunningSumMatchesScan: random puts, overwrites, deletes and
// reads of both windows, at random times that keep to the clock's rule
// (an entry is never later than the read that follows it) and hit the
// window's edge exactly (an entry at from, one nanosecond before and after
// it); every read of the running sum, in write and in read-only
// transactions, equals the scan of [from, now]. Half the runs start from
// entries written before the running sums existed (no window state).
func TestWindowRunningSumMatchesScan(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 20))
			db, err := storage.Open(filepath.Join(t.TempDir(), "w.db"), storage.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			w := decisionWindow
			if seed%4 == 1 {
				w = signingWindow
			}
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := base
			var keys [][]byte
			if seed%2 == 0 { // legacy entries, no running sum yet
				if err := db.Update(func(tx *bolt.Tx) error {
					for i := range 50 {
						k := timeKey(base.Add(-time.Duration(rng.IntN(48))*time.Hour), fmt.Sprintf("legacy-%d", i))
						keys = append(keys, k)
						if err := tx.Bucket(w.entries).Put(k, u64(rng.Int64N(1e8))); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			check := func(write bool) {
				t.Helper()
				from := now.Add(-24 * time.Hour)
				fn := func(tx *bolt.Tx) error {
					got, err := w.since(tx, from)
					if err != nil {
						return err
					}
					if want := windowScan(tx, w, from, now, ""); got != want {
						return fmt.Errorf("at %v (write %v): running sum %d, scan %d", now.Sub(base), write, got, want)
					}
					return nil
				}
				var err error
				if write {
					err = db.Update(fn)
				} else {
					err = db.View(fn)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for step := range 400 {
				switch op := rng.IntN(10); {
				case op < 4: // a new entry at now
					k := timeKey(now, fmt.Sprintf("d%d", step))
					keys = append(keys, k)
					if err := db.Update(func(tx *bolt.Tx) error { return w.put(tx, k, rng.Int64N(1e8)) }); err != nil {
						t.Fatal(err)
					}
				case op < 5 && len(keys) > 0: // an overwrite (a superseded family member)
					k := keys[rng.IntN(len(keys))]
					if err := db.Update(func(tx *bolt.Tx) error {
						if _, ok := w.get(tx, k); !ok {
							return nil
						}
						return w.put(tx, k, rng.Int64N(1e8))
					}); err != nil {
						t.Fatal(err)
					}
				case op < 6 && len(keys) > 0: // a release
					k := keys[rng.IntN(len(keys))]
					if err := db.Update(func(tx *bolt.Tx) error { return w.delete(tx, k) }); err != nil {
						t.Fatal(err)
					}
				case op < 8: // time passes: to an edge of an existing entry, or by a random step
					if len(keys) > 0 && rng.IntN(2) == 0 {
						edge := time.Unix(0, entryTime(keys[rng.IntN(len(keys))])).UTC().Add(24*time.Hour + time.Duration(rng.IntN(3)-1))
						if edge.After(now) {
							now = edge
						}
					} else {
						now = now.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
					}
				}
				check(rng.IntN(3) > 0)
			}
		})
	}
}

// TestWindowReadBehindTail: a read whose window starts before the stored
// tail (a reader older than the last writer) adds the entries back.
func TestWindowReadBehindTail(t *testing.T) {
	db, err := storage.Open(filepath.Join(t.TempDir(), "w.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		for i := range 10 {
			if err := decisionWindow.put(tx, timeKey(base.Add(time.Duration(i)*time.Hour), fmt.Sprint(i)), 10); err != nil {
				return err
			}
		}
		if got, err := decisionWindow.since(tx, base.Add(5*time.Hour)); err != nil || got != 50 {
			return fmt.Errorf("forward: %d %v", got, err)
		}
		if got, err := decisionWindow.since(tx, base.Add(2*time.Hour)); err != nil || got != 80 {
			return fmt.Errorf("back: %d %v", got, err)
		}
		if got, err := decisionWindow.since(tx, base.Add(9*time.Hour+1)); err != nil || got != 0 {
			return fmt.Errorf("past all: %d %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func u64(v int64) []byte { return timeKey(time.Unix(0, v), "")[:8] }

// TestVelocityRBFFamilyCountsOnce: a replacement is judged without the
// transaction it replaces, the window then counts the family once (the
// larger member), cancelling the replacement gives the replaced
// transaction its count back, and signing the replacement counts it once
// in the signing window too.
func TestVelocityRBFFamilyCountsOnce(t *testing.T) {
	ctx := context.Background()
	sc := scenario(t, "withdraw_one_id")
	now, _ := time.Parse(time.RFC3339, sc.Now)
	snap := sc.Snapshot
	const fee1, fee2 = 2000, 6000
	out := int64(1e8)
	snap.Params.VelocityCapSat = out + fee2 // room for one member, never two
	e := newStandInEnv(t, sc.WalletSeed, snap, now, true)
	le := attachL1(t, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, snap.Params)
	bridge := []*wire.TxOut{wire.NewTxOut(out, snap.Whitelist.Entries[0].PkScript)}
	orig := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, fee1, "100")
	repl := buildTx(t, e.wallet, []int64{3e8, 2e8}, bridge, fee2, "100")
	le.btc.mine(prevTxs(t, orig)...)
	le.poll(t)
	e.signAllowed(t, orig)
	sums := func() (dec, sig int64) {
		t.Helper()
		if err := e.db.View(func(tx *bolt.Tx) error {
			from := e.clock.Now().Add(-24 * time.Hour)
			var err error
			if dec, err = decisionWindow.since(tx, from); err != nil {
				return err
			}
			if s := windowScan(tx, decisionWindow, from, e.clock.Now(), ""); s != dec {
				return fmt.Errorf("decision window %d, scan %d", dec, s)
			}
			sig, err = signingWindow.since(tx, from)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return dec, sig
	}
	if d, s := sums(); d != out+fee1 || s != out+fee1 {
		t.Fatalf("after the original: %d %d", d, s)
	}
	v, err := e.svc.Submit(ctx, repl, false)
	if err != nil || v.Outcome != "allow" {
		t.Fatalf("replacement under a cap that holds one member: %+v %v", v, err)
	}
	if r := e.record(t, v.ID); r.Snapshot.OutflowSat != 0 {
		t.Fatalf("replacement judged with %d sat of its own family", r.Snapshot.OutflowSat)
	}
	if d, _ := sums(); d != out+fee2 {
		t.Fatalf("family counted %d, want the larger member %d", d, out+fee2)
	}
	if _, err := e.svc.Cancel(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := sums(); d != out+fee1 {
		t.Fatalf("after cancelling the replacement %d, want the original's %d", d, out+fee1)
	}
	e.signAllowed(t, repl)
	if d, s := sums(); d != out+fee2 || s != out+fee2 {
		t.Fatalf("after signing the replacement: decision window %d, signing window %d, want %d", d, s, out+fee2)
	}
}
