package psbtcheck_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// TestGeneratedCases runs every case in testvectors/psbt and asserts the
// exact refusal code (or acceptance), and that the committed files are
// what the generator produces now.
func TestGeneratedCases(t *testing.T) {
	dir := filepath.Join("..", "testvectors", "psbt")
	m, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []psbtgen.Case
	if err := json.Unmarshal(m, &cases); err != nil {
		t.Fatal(err)
	}
	gen := psbtgen.Cases()
	if len(gen) != len(cases) {
		t.Fatalf("manifest has %d cases, generator %d: run scripts/gen-psbt.sh", len(cases), len(gen))
	}
	covered := map[psbtcheck.Code]bool{}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			if gen[i].Name != c.Name || gen[i].Want != c.Want || !bytes.Equal(gen[i].Data, data) {
				t.Fatalf("committed case differs from the generator: run scripts/gen-psbt.sh")
			}
			w := psbtgen.NewWallet(c.Seed)
			lim := psbtcheck.Limits{MaxBytes: c.MaxBytes, MaxInputs: c.MaxInputs, MaxOutputs: c.MaxOutputs, MaxDataCarrierSize: c.MaxDataCarrierSize}
			f, err := psbtcheck.Check(data, psbtcheck.Wallet{PubKey: w.PubKey(), Net: &chaincfg.RegressionNetParams}, lim)
			if c.Want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				assertInvariants(t, f, w.PkScript())
				signAndVerify(t, f, w)
				return
			}
			if got := psbtcheck.CodeOf(err); string(got) != c.Want {
				t.Fatalf("got %q (%v), want %q", got, err, c.Want)
			}
			covered[psbtcheck.Code(c.Want)] = true
		})
	}
	// Codes reached only by unit tests (not by a committed PSBT file).
	unitOnly := map[psbtcheck.Code]bool{}
	for _, code := range psbtcheck.AllCodes {
		if !covered[code] && !unitOnly[code] {
			t.Errorf("no generated case for refusal code %q", code)
		}
	}
}

// assertInvariants checks what Facts promise, independently of Check.
func assertInvariants(t *testing.T, f *psbtcheck.Facts, walletScript []byte) {
	t.Helper()
	var in, out int64
	for i, x := range f.Inputs {
		if !bytes.Equal(x.PkScript, walletScript) {
			t.Fatalf("input %d script is not the wallet's", i)
		}
		if x.Outpoint != f.Tx.TxIn[i].PreviousOutPoint {
			t.Fatalf("input %d outpoint differs from the tx", i)
		}
		in += x.Value
	}
	opReturns := 0
	for i, o := range f.Outputs {
		out += o.Value
		if o.Value != f.Tx.TxOut[i].Value || !bytes.Equal(o.PkScript, f.Tx.TxOut[i].PkScript) {
			t.Fatalf("output %d differs from the tx", i)
		}
		switch o.Class {
		case psbtcheck.ClassChange:
			if !bytes.Equal(o.PkScript, walletScript) {
				t.Fatalf("output %d classified change but is not the wallet script", i)
			}
		case psbtcheck.ClassOpReturn:
			opReturns++
			if o.Value != 0 {
				t.Fatalf("OP_RETURN with value")
			}
		case psbtcheck.ClassExternal:
			if bytes.Equal(o.PkScript, walletScript) {
				t.Fatalf("output %d is the wallet script but external", i)
			}
		default:
			t.Fatalf("output %d: class %q", i, o.Class)
		}
	}
	if opReturns > 1 || (opReturns == 1) != f.HasOpReturn || f.HasOpReturn != (len(f.ReqIDs) > 0) {
		t.Fatalf("OP_RETURN facts inconsistent")
	}
	if in != f.InputTotal || out != f.OutputTotal || f.Fee != in-out || f.Fee < 0 {
		t.Fatalf("sums: in %d/%d out %d/%d fee %d", in, f.InputTotal, out, f.OutputTotal, f.Fee)
	}
	if f.VSize <= 0 || f.FeeRate != f.Fee/f.VSize {
		t.Fatalf("vsize %d feerate %d", f.VSize, f.FeeRate)
	}
	if f.UnsignedTxID != f.Tx.TxHash() {
		t.Fatalf("txid")
	}
}

// signAndVerify signs every Facts sighash with the wallet key, and runs
// the script interpreter on the signed tx: this proves the sighashes are
// the BIP143 digests consensus checks, and bounds VSize by the real size.
func signAndVerify(t *testing.T, f *psbtcheck.Facts, w *psbtgen.Wallet) {
	t.Helper()
	tx := f.Tx.Copy()
	prev := make(map[wire.OutPoint]*wire.TxOut)
	for i, in := range f.Inputs {
		sig := ecdsa.Sign(w.PrivKey(), in.Sighash[:]).Serialize()
		tx.TxIn[i].Witness = wire.TxWitness{append(sig, byte(txscript.SigHashAll)), w.PubKey()}
		prev[in.Outpoint] = wire.NewTxOut(in.Value, in.PkScript)
	}
	fetch := txscript.NewMultiPrevOutFetcher(prev)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, in := range f.Inputs {
		vm, err := txscript.NewEngine(in.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, in.Value, fetch)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d: signature over the Facts sighash does not verify: %v", i, err)
		}
	}
	realWeight := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
	if f.VSize*4 < realWeight || f.VSize*4 > realWeight+int64(8*len(f.Inputs))+3 {
		t.Fatalf("vsize %d (weight %d) vs real weight %d", f.VSize, f.VSize*4, realWeight)
	}
}
