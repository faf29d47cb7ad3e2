package psbtgen

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func TestBuildDeterministicAndParses(t *testing.T) {
	w := NewWallet("alice")
	outs := []*wire.TxOut{P2WPKHOutput("bridge", 150_000), wire.NewTxOut(40_000, w.PkScript())}
	for _, n := range []int{1, 2, 16} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = 100_000
		}
		p1, err := Build(&chaincfg.RegressionNetParams, w, vals, outs, StReqIDsPayload("100", "101"))
		if err != nil {
			t.Fatal(err)
		}
		p2, _ := Build(&chaincfg.RegressionNetParams, w, vals, outs, StReqIDsPayload("100", "101"))
		b1, b2 := Serialize(p1), Serialize(p2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("n=%d: not deterministic", n)
		}
		back, err := psbt.NewFromRawBytes(bytes.NewReader(b1), false)
		if err != nil {
			t.Fatalf("n=%d: btcd cannot parse: %v", n, err)
		}
		if len(back.Inputs) != n || len(back.UnsignedTx.TxOut) != 3 {
			t.Fatalf("n=%d: got %d inputs %d outputs", n, len(back.Inputs), len(back.UnsignedTx.TxOut))
		}
		for i, in := range back.Inputs {
			op := back.UnsignedTx.TxIn[i].PreviousOutPoint
			if in.NonWitnessUtxo.TxHash() != op.Hash || !bytes.Equal(in.NonWitnessUtxo.TxOut[op.Index].PkScript, w.PkScript()) {
				t.Fatalf("input %d not proven by its non_witness_utxo", i)
			}
		}
	}
}

func TestWalletKeys(t *testing.T) {
	w := NewWallet("alice")
	if len(w.PubKey()) != 33 || len(w.PkScript()) != 22 || w.PkScript()[0] != 0 {
		t.Fatalf("bad wallet encoding")
	}
	if NewWallet("alice").Address(&chaincfg.MainNetParams) != w.Address(&chaincfg.MainNetParams) {
		t.Fatal("wallet not deterministic")
	}
	if NewWallet("bob").Address(&chaincfg.MainNetParams) == w.Address(&chaincfg.MainNetParams) {
		t.Fatal("different seeds gave one address")
	}
}

func TestBuildRefusesBadArgs(t *testing.T) {
	w := NewWallet("alice")
	if _, err := Build(&chaincfg.RegressionNetParams, w, nil, []*wire.TxOut{P2WPKHOutput("x", 1000)}, nil); err == nil {
		t.Fatal("no inputs accepted")
	}
	other, vout := FakePrevTx(NewWallet("bob"), 0, 5000)
	if _, err := BuildFromUTXOs(&chaincfg.RegressionNetParams, w, []UTXO{{other, vout}}, []*wire.TxOut{P2WPKHOutput("x", 1000)}, nil); err == nil {
		t.Fatal("foreign utxo accepted")
	}
}

func TestOpReturnScript(t *testing.T) {
	for _, n := range []int{0, 75, 76, 255, 256} {
		s := OpReturnScript(bytes.Repeat([]byte{'a'}, n))
		if s[0] != 0x6a || !bytes.HasSuffix(s, bytes.Repeat([]byte{'a'}, n)) {
			t.Fatalf("n=%d: bad script %x", n, s[:4])
		}
	}
	if got := string(StReqIDsPayload("1", "2")); got != `{"StReqIds":"1,2"}` {
		t.Fatal(got)
	}
}
