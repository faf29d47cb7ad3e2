package decision

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// Benchmarks of the L1 view's cost on the decision side (issue 16). Both
// read a REAL l1.View in the same bbolt file, filled by a watcher from the
// SYNTHETIC chain of l1_test.go (btcChain: real headers, proof of work and
// Merkle roots; no script validation). README: "L1 view" rows.

// l1BenchUTXOs is the size of the wallet the views below hold: the sync
// benchmark's 10 000 unspent outputs (l1/bench_test.go).
const l1BenchUTXOs = 10_000

// benchOutpoint is a made-up outpoint outside the wallet (deposits spend it).
func benchOutpoint(tag string, n int) wire.OutPoint {
	h := sha256.Sum256([]byte(fmt.Sprintf("decision/bench/%s/%d", tag, n)))
	return wire.OutPoint{Hash: chainhash.Hash(h), Index: uint32(n % 3)}
}

// mineDeposits mines n deposits of value to script, perBlock in a block,
// and returns them.
func mineDeposits(btc *btcChain, script []byte, n, perBlock int, value int64, tag string) []*wire.MsgTx {
	var all, blk []*wire.MsgTx
	for i := 0; i < n; i++ {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(ptrOutpoint(benchOutpoint(tag, i)), nil, nil))
		tx.AddTxOut(wire.NewTxOut(value, script))
		blk = append(blk, tx)
		all = append(all, tx)
		if len(blk) == perBlock || i == n-1 {
			btc.mine(blk...)
			blk = nil
		}
	}
	return all
}

func ptrOutpoint(op wire.OutPoint) *wire.OutPoint { return &op }

// BenchmarkSubmitInputCheck is one decision at a time (an idle server, as
// BenchmarkSubmitIdle) on the same stand-in service, without an L1 view
// (l1=off) and with one (l1=on: freshness, the watermark, every input
// looked up in a view of 10 000 wallet outputs, the RBF family of the
// reqIds). Each op is a distinct allowed withdrawal claiming its own reqId,
// fsync included (NOSYNC=1 leaves it out). Issue 16's goal: l1=on costs at
// most 1.2x l1=off (README: ratio of the medians of -count runs).
func BenchmarkSubmitInputCheck(b *testing.B) {
	for _, withL1 := range []bool{false, true} {
		b.Run(fmt.Sprintf("l1=%s", map[bool]string{false: "off", true: "on"}[withL1]), func(b *testing.B) {
			sc := scenario(b, "withdraw_one_id")
			now, _ := time.Parse(time.RFC3339, sc.Now)
			snap := sc.Snapshot
			snap.Params.VelocityCapSat = 1 << 62 / 2
			n := b.N
			for i := 0; i < n; i++ {
				snap.Requests = append(snap.Requests, policy.Request{ID: fmt.Sprint(10_000 + i), Kind: policy.KindUnbound, AmountSat: 1e6, Token: snap.Params.BTCToken, State: policy.StateFinalized, TxHash: "0x01", Block: uint64(1 + i), LogIndex: 1})
			}
			e := newStandInEnv(b, sc.WalletSeed, snap, now, os.Getenv("NOSYNC") != "")
			bridge := snap.Whitelist.Entries[0].PkScript
			raws := make([][]byte, n)
			for i := range raws {
				raws[i] = buildTx(b, e.wallet, []int64{3e8, 2e8}, []*wire.TxOut{wire.NewTxOut(1e6, bridge)}, 2000, fmt.Sprint(10_000+i))
			}
			if withL1 {
				le := attachL1(b, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, snap.Params)
				mineDeposits(le.btc, e.wallet.PkScript(), l1BenchUTXOs, 500, 1e6, "utxo")
				le.btc.mine(prevTxs(b, raws[0])...) // psbtgen's made-up inputs, the same for every raw
				if n := le.poll(b); n != 0 {
					b.Fatalf("%d unexplained spends", n)
				}
			}
			b.ResetTimer()
			for i := range n {
				v, err := e.svc.Submit(context.Background(), raws[i], false)
				if err != nil || v.Outcome != "allow" {
					b.Fatalf("%v %v", v, err)
				}
			}
		})
	}
}

// BenchmarkReconcileStartup is the reconciliation policyd runs at start-up
// (decision.Reconcile) over a wallet with 10 000 spends in the L1 view,
// from an empty watermark: every spend is looked up in the decision log.
//
//   - explained: every spend is the transaction of a signed decision (a
//     copy of a real decision record, ~the size policyd stores);
//   - restored: the last 100 spends have no decision (a database restored
//     from an older backup): each is audited, its reqIds claimed
//     paid_unexplained, signing frozen.
//
// Each op clears the watermark and the verdicts first (not timed).
func BenchmarkReconcileStartup(b *testing.B) {
	const spends, missing = 10_000, 100
	for _, tc := range []struct {
		name        string
		unexplained int
	}{{"explained", 0}, {"restored", missing}} {
		b.Run(fmt.Sprintf("%s/spends=%d", tc.name, spends), func(b *testing.B) {
			sc := scenario(b, "withdraw_one_id")
			now, _ := time.Parse(time.RFC3339, sc.Now)
			e := newStandInEnv(b, sc.WalletSeed, sc.Snapshot, now, os.Getenv("NOSYNC") != "")
			le := attachL1(b, e, newBTCChain(), standInFreeze(e.log), e.ledger, fakeGov{}, sc.Snapshot.Params)
			raw, _ := sc.RawPSBT()
			le.btc.mine(prevTxs(b, raw)...)
			le.poll(b)
			v, err := e.svc.Submit(context.Background(), raw, false)
			if err != nil || v.Outcome != "allow" {
				b.Fatalf("template decision: %+v %v", v, err)
			}
			var template []byte
			if err := e.db.View(func(tx *bolt.Tx) error {
				template = append([]byte(nil), tx.Bucket(storage.BucketDecisions).Get([]byte(v.ID))...)
				return nil
			}); err != nil || template == nil {
				b.Fatalf("template record: %v", err)
			}

			// 10 000 deposits, then 10 000 spends of them (change back),
			// 100 a block.
			wallet := e.wallet.PkScript()
			deps := mineDeposits(le.btc, wallet, spends, 100, 1e6, "reconcile")
			ext := sc.Snapshot.Whitelist.Entries[0].PkScript
			var txids []string
			for i := 0; i < spends; i += 100 {
				var blk []*wire.MsgTx
				for j := i; j < i+100; j++ {
					tx := wire.NewMsgTx(2)
					tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: deps[j].TxHash(), Index: 0}, nil, nil))
					tx.AddTxOut(wire.NewTxOut(400_000, ext))
					tx.AddTxOut(wire.NewTxOut(590_000, wallet))
					blk = append(blk, tx)
					txids = append(txids, tx.TxHash().String())
				}
				le.btc.mine(blk...)
			}
			// Decisions for the spends the database knows.
			if err := e.db.Update(func(tx *bolt.Tx) error {
				var r Record
				if err := json.Unmarshal(template, &r); err != nil {
					return err
				}
				for i, txid := range txids[:spends-tc.unexplained] {
					r.ID, r.TxID, r.State = fmt.Sprintf("bench-%06d", i), txid, StateSigned
					if err := putRecord(tx, &r); err != nil {
						return err
					}
					if err := tx.Bucket(storage.BucketDecisionByTx).Put([]byte(txid), []byte(r.ID)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if err := le.w.SyncOnce(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := e.db.Update(func(tx *bolt.Tx) error {
					return clearBucket(tx.Bucket(storage.BucketL1Reconcile))
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				n, err := le.svc.Reconcile(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				// the template decision's spend is not mined: every
				// judged spend is one of the 10 000
				if n != tc.unexplained {
					b.Fatalf("%d unexplained spends, want %d", n, tc.unexplained)
				}
			}
			b.ReportMetric(float64(spends)*float64(b.N)/b.Elapsed().Seconds(), "spends/s")
		})
	}
}

// clearBucket deletes every key of bk.
func clearBucket(bk *bolt.Bucket) error {
	var keys [][]byte
	if err := bk.ForEach(func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
