package cosign

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// FuzzParseTx: the request's transaction parser never panics, and what it
// accepts is exactly one witness-free transaction that re-serializes to
// the bytes given.
func FuzzParseTx(f *testing.F) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	var b bytes.Buffer
	_ = tx.SerializeNoWitness(&b)
	f.Add(hex.EncodeToString(b.Bytes()))
	f.Add(hex.EncodeToString(b.Bytes()) + "00")
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, h string) {
		tx, err := parseTx(h)
		if err != nil {
			return
		}
		if tx.HasWitness() {
			t.Fatal("accepted a witness")
		}
		var out bytes.Buffer
		if err := tx.SerializeNoWitness(&out); err != nil {
			t.Fatal(err)
		}
		raw, _ := hex.DecodeString(h)
		if !bytes.Equal(out.Bytes(), raw) {
			t.Fatalf("accepted %x, re-serializes to %x", raw, out.Bytes())
		}
	})
}

// FuzzParseKeyFile: the key file's plaintext parser never panics and
// accepts only the one format with a key in range.
func FuzzParseKeyFile(f *testing.F) {
	f.Add([]byte(`{"format":"policyd-musig-key/v1","key":"` + hex.EncodeToString(bytes.Repeat([]byte{7}, 32)) + `"}`))
	f.Add([]byte(`{"format":"policyd-musig-key/v1","key":"` + hex.EncodeToString(bytes.Repeat([]byte{0xff}, 32)) + `"}`))
	f.Add([]byte(`{"format":"policyd-musig-key/v1","key":"00"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, pt []byte) {
		k, err := parseKeyFile(pt)
		if err != nil {
			return
		}
		if k == nil || k.Key.IsZero() || !bytes.Contains(pt, []byte(keyFormat)) {
			t.Fatalf("accepted %q", pt)
		}
	})
}
