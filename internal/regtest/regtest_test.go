package regtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// TestFundSpendMine runs a real btcd: mines to a P2WPKH address past segwit
// activation, spends a mature coinbase with a single-key witness signature,
// and sees the spend mined.
func TestFundSpendMine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	miner, err := NewKey("regtest-test-miner")
	if err != nil {
		t.Fatal(err)
	}
	n := StartT(t, Config{MiningAddr: miner.Addr, InitialBlocks: ReadyHeight})

	h, err := n.Height()
	if err != nil {
		t.Fatal(err)
	}
	if h != ReadyHeight {
		t.Fatalf("height %d, want %d", h, ReadyHeight)
	}
	utxos, err := n.SpendableUTXOs(miner.PkScript)
	if err != nil {
		t.Fatal(err)
	}
	// Blocks 1..ReadyHeight-99 have mature coinbases (the next block is ReadyHeight+1).
	if want := ReadyHeight - CoinbaseMaturity + 1; len(utxos) != want {
		t.Fatalf("%d spendable coinbases, want %d", len(utxos), want)
	}
	for _, u := range utxos[:3] {
		if !u.Coinbase || u.PrevTx == nil || u.PrevTx.TxHash() != u.Outpoint.Hash {
			t.Fatalf("utxo %v: coinbase=%v, prev tx mismatch", u.Outpoint, u.Coinbase)
		}
	}

	dest, err := NewKey("regtest-test-dest")
	if err != nil {
		t.Fatal(err)
	}
	memo, err := OpReturn([]byte(`{"StReqIds":"1,2"}`))
	if err != nil {
		t.Fatal(err)
	}
	const amount = 150_000_000
	tx, err := miner.Pay(ctx, n, []*wire.TxOut{wire.NewTxOut(amount, dest.PkScript), memo}, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash()
	// A second payment before mining must not reuse the coin in the mempool.
	tx2, err := miner.Pay(ctx, n, []*wire.TxOut{wire.NewTxOut(amount, dest.PkScript)}, 10_000)
	if err != nil {
		t.Fatalf("second payment from the same key: %v", err)
	}
	if tx2.TxIn[0].PreviousOutPoint == tx.TxIn[0].PreviousOutPoint {
		t.Fatal("second payment reuses the first one's input")
	}

	// The witness must satisfy btcd's own script engine, not only the node.
	prev := utxos[0]
	vm, err := txscript.NewEngine(prev.PkScript, tx, 0, txscript.StandardVerifyFlags, nil,
		txscript.NewTxSigHashes(tx, txscript.NewCannedPrevOutputFetcher(prev.PkScript, prev.Value)), prev.Value,
		txscript.NewCannedPrevOutputFetcher(prev.PkScript, prev.Value))
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Execute(); err != nil {
		t.Fatalf("script engine: %v", err)
	}

	if c, err := n.Confirmations(&txid); err != nil || c != 0 {
		t.Fatalf("before mining: confirmations %d, err %v", c, err)
	}
	if err := n.WaitConfirmations(ctx, &txid, 2); err != nil {
		t.Fatal(err)
	}
	if c, err := n.Confirmations(&txid); err != nil || c < 2 {
		t.Fatalf("after mining: confirmations %d, err %v", c, err)
	}
	got, err := n.SpendableUTXOs(dest.PkScript)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Value != amount || got[1].Value != amount || got[0].Coinbase {
		t.Fatalf("dest utxos %+v", got)
	}
	// The spent coinbase is gone from the miner's list.
	after, err := n.SpendableUTXOs(miner.PkScript)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range after {
		if u.Outpoint == prev.Outpoint {
			t.Fatalf("spent outpoint %v still listed", prev.Outpoint)
		}
	}
}

func TestStopIsIdempotent(t *testing.T) {
	miner, err := NewKey("regtest-stop")
	if err != nil {
		t.Fatal(err)
	}
	n := StartT(t, Config{MiningAddr: miner.Addr})
	if _, err := n.Mine(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	dir := n.Dir()
	n.Stop()
	n.Stop()
	if _, err := n.Mine(context.Background(), 1); err != ErrNotRunning {
		t.Fatalf("Mine after Stop: %v, want ErrNotRunning", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("temp dir %s still exists", dir)
	}
}
