package l1

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func jsonHex(b []byte) []byte {
	j, _ := json.Marshal(hex.EncodeToString(b))
	return j
}

// FuzzParseBlockResult: any getblock result either fails with ErrBadResponse
// or yields a block whose serialization is exactly the hex it came from and
// whose hash is the one asked for.
func FuzzParseBlockResult(f *testing.F) {
	var g bytes.Buffer
	_ = chaincfg.RegressionNetParams.GenesisBlock.Serialize(&g)
	chain, _ := buildWalletChain(2, 6, 2)
	var b2 bytes.Buffer
	_ = chain.blocks[2].Serialize(&b2)
	f.Add(jsonHex(g.Bytes()), chaincfg.RegressionNetParams.GenesisHash[:])
	f.Add(jsonHex(b2.Bytes()), func() []byte { h := chain.blocks[2].BlockHash(); return h[:] }())
	f.Add([]byte(`"00"`), make([]byte, 32))
	f.Add([]byte(`null`), make([]byte, 32))
	f.Fuzz(func(t *testing.T, result []byte, want []byte) {
		var h chainhash.Hash
		copy(h[:], want)
		blk, err := ParseBlockResult(result, h)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error not ErrBadResponse: %v", err)
			}
			return
		}
		var s string
		if json.Unmarshal(result, &s) != nil {
			t.Fatal("accepted a non-string result")
		}
		raw, _ := hex.DecodeString(s)
		var back bytes.Buffer
		if err := blk.Serialize(&back); err != nil || !bytes.Equal(back.Bytes(), raw) {
			t.Fatal("accepted block does not re-serialize to its bytes")
		}
		if blk.BlockHash() != h {
			t.Fatal("accepted block of another hash")
		}
	})
}

// FuzzParseTxResult: the same property for getrawtransaction results.
func FuzzParseTxResult(f *testing.F) {
	chain, _ := buildWalletChain(1, 3, 1)
	for _, tx := range chain.blocks[1].Transactions {
		var b bytes.Buffer
		_ = tx.Serialize(&b)
		h := tx.TxHash()
		f.Add(jsonHex(b.Bytes()), h[:])
	}
	f.Add([]byte(`"0200000000"`), make([]byte, 32))
	f.Fuzz(func(t *testing.T, result []byte, want []byte) {
		var h chainhash.Hash
		copy(h[:], want)
		tx, err := ParseTxResult(result, h)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error not ErrBadResponse: %v", err)
			}
			return
		}
		var s string
		_ = json.Unmarshal(result, &s)
		raw, _ := hex.DecodeString(s)
		var back bytes.Buffer
		if err := tx.Serialize(&back); err != nil || !bytes.Equal(back.Bytes(), raw) || tx.TxHash() != h {
			t.Fatal("accepted transaction does not round-trip to its bytes and txid")
		}
	})
}

// FuzzParseSmallResults: hashes, counts and mempool lists never panic and
// fail only with ErrBadResponse.
func FuzzParseSmallResults(f *testing.F) {
	f.Add([]byte(`"` + chaincfg.RegressionNetParams.GenesisHash.String() + `"`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`12`))
	f.Fuzz(func(t *testing.T, result []byte) {
		for _, err := range []error{
			func() error { _, err := ParseHashResult(result); return err }(),
			func() error { _, err := ParseCountResult(result); return err }(),
			func() error { _, err := ParseMempoolResult(result); return err }(),
		} {
			if err != nil && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error not ErrBadResponse: %v", err)
			}
		}
	})
}

// FuzzDecodeStaking: a stored staking record either fails with ErrCorrupt
// or re-encodes to exactly its bytes (one form per state).
func FuzzDecodeStaking(f *testing.F) {
	var spender chainhash.Hash
	spender[0] = 7
	for _, r := range []stakingRec{{state: stakingRegistered}, {state: stakingUnspent, value: 600_000, height: 812_000},
		{state: stakingSpent, value: 1, height: 2, spender: spender, spentAt: 3}} {
		f.Add(r.bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeStaking(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(r.bytes(), b) {
			t.Fatalf("%x re-encodes to %x", b, r.bytes())
		}
	})
}
