package babylon

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func signedEntry(t testing.TB, k *btcec.PrivateKey, msg [32]byte, xonly bool) CovenantSigJSON {
	s, err := schnorr.Sign(k, msg[:])
	if err != nil {
		t.Fatal(err)
	}
	pk := k.PubKey().SerializeCompressed()
	if xonly {
		pk = schnorr.SerializePubKey(k.PubKey())
	}
	return CovenantSigJSON{PK: hex.EncodeToString(pk), Sig: hex.EncodeToString(s.Serialize())}
}

func covJSON(t testing.TB, es ...CovenantSigJSON) []byte {
	raw, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// The covenant signature file: parsed strictly, then checked against the
// committee, the quorum and the message; exactly the quorum is kept, in
// the leaf's key order.
func TestCovenantSigs(t *testing.T) {
	g := DevParams()
	msg := chainhash.HashH([]byte("unbonding sighash"))
	k := DevCovenantKey
	good := covJSON(t, signedEntry(t, k(2), msg, true), signedEntry(t, k(0), msg, false), signedEntry(t, k(1), msg, false))
	sigs, err := ParseCovenantSigs(good)
	if err != nil {
		t.Fatal(err)
	}
	q, err := QuorumSigs(sigs, g.CovenantKeys, g.CovenantQuorum, msg)
	if err != nil || len(q) != 2 {
		t.Fatalf("quorum of 3 valid: %d, %v", len(q), err)
	}
	if string(XOnly(q[0].Key)) >= string(XOnly(q[1].Key)) {
		t.Fatal("the kept signatures are not in the leaf's key order")
	}

	foreign, _ := btcec.NewPrivateKey()
	other := chainhash.HashH([]byte("another transaction"))
	for _, tc := range []struct {
		name string
		raw  string
		want string
	}{
		{"not json", "covenants", "invalid character"},
		{"object", `{"pk":"00","sig":"00"}`, "cannot unmarshal"},
		{"unknown field", `[{"pk":"00","sig":"00","signer":"x"}]`, "unknown field"},
		{"trailing data", string(good) + " []", "after the JSON array"},
		{"empty", `[]`, "empty list"},
		{"pk not hex", `[{"pk":"zz","sig":""}]`, "pk is not hex"},
		{"pk short", `[{"pk":"0102","sig":""}]`, "pk"},
		{"sig short", string(covJSON(t, CovenantSigJSON{PK: signedEntry(t, k(0), msg, false).PK, Sig: "00"})), "sig is not 64 bytes"},
		{"key twice", string(covJSON(t, signedEntry(t, k(0), msg, true), signedEntry(t, k(0), msg, false))), "given twice"},
	} {
		if _, err := ParseCovenantSigs([]byte(tc.raw)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"bad signature", covJSON(t, signedEntry(t, k(0), msg, false), signedEntry(t, k(1), other, false)), "does not verify"},
		{"foreign key", covJSON(t, signedEntry(t, k(0), msg, false), signedEntry(t, foreign, msg, false)), "not in the committee"},
		{"under quorum", covJSON(t, signedEntry(t, k(0), msg, false)), "the quorum is 2"},
	} {
		sigs, err := ParseCovenantSigs(tc.raw)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		if _, err := QuorumSigs(sigs, g.CovenantKeys, g.CovenantQuorum, msg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}

	// --dev-covenants signs only for the dev committee.
	if covs, err := DevCovenantSigs(g, msg); err != nil || len(covs) != g.CovenantQuorum {
		t.Fatalf("dev committee: %d, %v", len(covs), err)
	}
	notDev := g
	notDev.CovenantKeys = append(append([]*btcec.PublicKey(nil), g.CovenantKeys[:2]...), foreign.PubKey())
	if _, err := DevCovenantSigs(notDev, msg); err == nil || !strings.Contains(err.Error(), "dev covenant committee") {
		t.Fatalf("another committee: %v", err)
	}
}

// FuzzParseCovenantSigs: the parser never panics; what it accepts has no
// repeated key and goes through the committee check without panicking.
func FuzzParseCovenantSigs(f *testing.F) {
	msg := chainhash.HashH([]byte("unbonding sighash"))
	f.Add(covJSON(f, signedEntry(f, DevCovenantKey(0), msg, false), signedEntry(f, DevCovenantKey(1), msg, true)))
	f.Add([]byte(`[{"pk":"","sig":""}]`))
	f.Add([]byte(`[] []`))
	f.Add([]byte(`null`))
	g := DevParams()
	f.Fuzz(func(t *testing.T, raw []byte) {
		sigs, err := ParseCovenantSigs(raw)
		if err != nil {
			return
		}
		if len(sigs) == 0 || len(sigs) > MaxCovenantSigs {
			t.Fatalf("accepted %d signatures", len(sigs))
		}
		seen := map[string]bool{}
		for _, s := range sigs {
			x := string(XOnly(s.Key))
			if seen[x] {
				t.Fatal("accepted a repeated key")
			}
			seen[x] = true
		}
		if q, err := QuorumSigs(sigs, g.CovenantKeys, g.CovenantQuorum, msg); err == nil && len(q) != g.CovenantQuorum {
			t.Fatalf("kept %d signatures, quorum %d", len(q), g.CovenantQuorum)
		}
	})
}
