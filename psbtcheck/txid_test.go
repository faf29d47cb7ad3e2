package psbtcheck

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// TestTxidOfMatchesTxHash: the txid hashed from the raw bytes is
// wire's TxHash for legacy and segwit serializations, with and without
// witness data, one or several inputs.
func TestTxidOfMatchesTxHash(t *testing.T) {
	mk := func(ins int, witness bool) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		for i := range ins {
			in := wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}, Index: uint32(i)}, nil, nil)
			if witness {
				in.Witness = wire.TxWitness{bytes.Repeat([]byte{0x30}, 71), bytes.Repeat([]byte{0x02}, 33)}
				if i == 1 {
					in.Witness = nil // an input without witness beside ones with
				}
			}
			tx.AddTxIn(in)
		}
		tx.AddTxOut(wire.NewTxOut(1000, bytes.Repeat([]byte{0x51}, 300))) // 0xfd compact size
		tx.AddTxOut(wire.NewTxOut(0, nil))
		tx.LockTime = 77
		return tx
	}
	for _, c := range []struct {
		name    string
		ins     int
		witness bool
	}{{"legacy, 1 input", 1, false}, {"legacy, 3 inputs", 3, false}, {"segwit, 1 input", 1, true}, {"segwit, 3 inputs", 3, true}} {
		t.Run(c.name, func(t *testing.T) {
			want := mk(c.ins, c.witness)
			var buf bytes.Buffer
			if err := want.Serialize(&buf); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			witnessAt, err := scanTx(raw, true, label("tx"))
			if err != nil {
				t.Fatal(err)
			}
			if (witnessAt > 0) != c.witness {
				t.Fatalf("witnessAt %d for witness=%v", witnessAt, c.witness)
			}
			got := new(wire.MsgTx)
			if err := got.Deserialize(bytes.NewReader(raw)); err != nil {
				t.Fatal(err)
			}
			if id := txidOf(got, raw, witnessAt); id != want.TxHash() {
				t.Fatalf("txidOf = %v, TxHash = %v", id, want.TxHash())
			}
			// A value that is not the tx's own serialization (as if it had
			// a non-minimal field) is re-serialized, not hashed as given.
			padded := append(bytes.Clone(raw), 0)
			if id := txidOf(got, padded, witnessAt); id != want.TxHash() {
				t.Fatalf("txidOf of a longer value = %v, TxHash = %v", id, want.TxHash())
			}
		})
	}
}
