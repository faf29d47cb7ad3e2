package musig

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcec/v2/schnorr/musig2"
)

// The BIP327 vectors, as shipped in btcec/v2 v2.4.0 schnorr/musig2/data and
// copied to testvectors/musig2 (see SOURCE there), run through this
// package's own primitives: SortKeys, keyAgg, aggregateNonces, signPartial,
// verifyPartial, combine. Cases that need tweaks or messages that are not 32
// bytes are outside what the wrapper offers (no tweak: Babylon's staker key
// signs script paths untweaked; messages are sighashes) and are counted as
// skipped, never silently passed.

func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testvectors", "musig2", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pubKeys(t *testing.T, all []string, idx []int) ([]*btcec.PublicKey, error) {
	out := make([]*btcec.PublicKey, len(idx))
	for i, j := range idx {
		k, err := btcec.ParsePubKey(unhex(t, all[j]))
		if err != nil {
			return nil, err
		}
		out[i] = k
	}
	return out, nil
}

func nonce66(t *testing.T, s string) (n [PubNonceSize]byte, ok bool) {
	b := unhex(t, s)
	if len(b) != PubNonceSize {
		return n, false
	}
	copy(n[:], b)
	return n, true
}

func TestBIP327KeySort(t *testing.T) {
	var v struct {
		PubKeys []string `json:"pubkeys"`
		Sorted  []string `json:"sorted_pubkeys"`
	}
	readVectors(t, "key_sort_vectors.json", &v)
	idx := make([]int, len(v.PubKeys))
	for i := range idx {
		idx[i] = i
	}
	keys, err := pubKeys(t, v.PubKeys, idx)
	if err != nil {
		t.Fatal(err)
	}
	got := SortKeys(keys)
	for i, k := range got {
		if h := strings.ToUpper(hex.EncodeToString(k.SerializeCompressed())); h != v.Sorted[i] {
			t.Fatalf("position %d: got %s want %s", i, h, v.Sorted[i])
		}
	}
}

func TestBIP327KeyAgg(t *testing.T) {
	var v struct {
		PubKeys []string `json:"pubkeys"`
		Valid   []struct {
			Keys     []int  `json:"key_indices"`
			Expected string `json:"expected"`
		} `json:"valid_test_cases"`
		Errors []struct {
			Keys    []int  `json:"key_indices"`
			Tweaks  []int  `json:"tweak_indices"`
			Comment string `json:"comment"`
		} `json:"error_test_cases"`
	}
	readVectors(t, "key_agg_vectors.json", &v)
	for i, c := range v.Valid {
		keys, err := pubKeys(t, v.PubKeys, c.Keys)
		if err != nil {
			t.Fatalf("valid %d: %v", i, err)
		}
		q, err := keyAgg(keys)
		if err != nil {
			t.Fatalf("valid %d: %v", i, err)
		}
		if h := strings.ToUpper(hex.EncodeToString(schnorr.SerializePubKey(q))); h != c.Expected {
			t.Errorf("valid %d: got %s want %s", i, h, c.Expected)
		}
	}
	skipped := 0
	for _, c := range v.Errors {
		if len(c.Tweaks) != 0 {
			skipped++
			continue
		}
		// Every tweak-free error case is an invalid key: it must not even
		// reach keyAgg.
		if _, err := pubKeys(t, v.PubKeys, c.Keys); err == nil {
			t.Errorf("%s: key accepted", c.Comment)
		}
	}
	t.Logf("key agg error cases with tweaks skipped: %d", skipped)
}

func TestBIP327NonceAgg(t *testing.T) {
	var v struct {
		PNonces []string `json:"pnonces"`
		Valid   []struct {
			Idx      []int  `json:"pnonce_indices"`
			Expected string `json:"expected"`
		} `json:"valid_test_cases"`
		Errors []struct {
			Idx     []int  `json:"pnonce_indices"`
			Comment string `json:"comment"`
		} `json:"error_test_cases"`
	}
	readVectors(t, "nonce_agg_vectors.json", &v)
	get := func(idx []int) ([][PubNonceSize]byte, bool) {
		var ns [][PubNonceSize]byte
		for _, j := range idx {
			n, ok := nonce66(t, v.PNonces[j])
			if !ok {
				return nil, false
			}
			ns = append(ns, n)
		}
		return ns, true
	}
	for i, c := range v.Valid {
		ns, ok := get(c.Idx)
		if !ok {
			t.Fatalf("valid %d: bad nonce length", i)
		}
		agg, err := aggregateNonces(ns)
		if err != nil {
			t.Fatalf("valid %d: %v", i, err)
		}
		if h := strings.ToUpper(hex.EncodeToString(agg[:])); h != c.Expected {
			t.Errorf("valid %d: got %s want %s", i, h, c.Expected)
		}
	}
	for _, c := range v.Errors {
		ns, ok := get(c.Idx)
		if !ok {
			continue // refused by length already
		}
		if _, err := aggregateNonces(ns); err == nil {
			t.Errorf("%s: accepted", c.Comment)
		}
		// The wire parser refuses the same nonces before they reach
		// aggregation.
		for _, n := range ns {
			r := Round1{PubNonce: n}
			copy(r.Signer[:], mustKeyBytes(t))
			b, _ := r.MarshalBinary()
			if _, err := ParseRound1(b); err == nil {
				if _, err2 := aggregateNonces([][PubNonceSize]byte{n}); err2 != nil {
					t.Errorf("%s: parser accepted a nonce aggregation refuses", c.Comment)
				}
			}
		}
	}
}

func mustKeyBytes(t *testing.T) []byte {
	t.Helper()
	return unhex(t, "02F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9")
}

type verifyCase struct {
	Sig     string `json:"sig"`
	Keys    []int  `json:"key_indices"`
	Nonces  []int  `json:"nonce_indices"`
	Msg     int    `json:"msg_index"`
	Signer  int    `json:"signer_index"`
	Comment string `json:"comment"`
}

type signVerifyVectors struct {
	SK        string   `json:"sk"`
	PubKeys   []string `json:"pubkeys"`
	SecNonces []string `json:"secnonces"`
	PNonces   []string `json:"pnonces"`
	AggNonces []string `json:"aggnonces"`
	Msgs      []string `json:"msgs"`
	Valid     []struct {
		Keys     []int  `json:"key_indices"`
		Nonces   []int  `json:"nonce_indices"`
		AggNonce int    `json:"aggnonce_index"`
		Msg      int    `json:"msg_index"`
		Signer   int    `json:"signer_index"`
		Expected string `json:"expected"`
	} `json:"valid_test_cases"`
	SignErrors []struct {
		Keys     []int  `json:"key_indices"`
		AggNonce int    `json:"aggnonce_index"`
		Msg      int    `json:"msg_index"`
		SecNonce int    `json:"secnonce_index"`
		Comment  string `json:"comment"`
	} `json:"sign_error_test_cases"`
	VerifyFail  []verifyCase `json:"verify_fail_test_cases"`
	VerifyError []verifyCase `json:"verify_error_test_cases"`
}

func msg32(t *testing.T, s string) ([32]byte, bool) {
	var m [32]byte
	b := unhex(t, s)
	if len(b) != 32 {
		return m, false
	}
	copy(m[:], b)
	return m, true
}

func sig32(t *testing.T, s string) [32]byte {
	var out [32]byte
	copy(out[:], unhex(t, s))
	return out
}

// verifyVector is BIP327 PartialSigVerify: aggregate the nonces, then check
// the signer's partial signature.
func verifyVector(t *testing.T, v *signVerifyVectors, sig [32]byte, keyIdx, nonceIdx []int, msgIdx, signer int) (bool, error) {
	keys, err := pubKeys(t, v.PubKeys, keyIdx)
	if err != nil {
		return false, err
	}
	var ns [][PubNonceSize]byte
	for _, j := range nonceIdx {
		n, ok := nonce66(t, v.PNonces[j])
		if !ok {
			return false, ErrBadNonce
		}
		ns = append(ns, n)
	}
	agg, err := aggregateNonces(ns)
	if err != nil {
		return false, err
	}
	m, ok := msg32(t, v.Msgs[msgIdx])
	if !ok {
		t.Fatal("not a 32-byte message")
	}
	return verifyPartial(sig, ns[signer], agg, keys, keys[signer], m), nil
}

func TestBIP327SignVerify(t *testing.T) {
	var v signVerifyVectors
	readVectors(t, "sign_verify_vectors.json", &v)
	priv, _ := btcec.PrivKeyFromBytes(unhex(t, v.SK))
	var sec [musig2.SecNonceSize]byte
	copy(sec[:], unhex(t, v.SecNonces[0]))
	skipped := 0
	for i, c := range v.Valid {
		m, ok := msg32(t, v.Msgs[c.Msg])
		if !ok {
			skipped++
			continue
		}
		keys, err := pubKeys(t, v.PubKeys, c.Keys)
		if err != nil {
			t.Fatal(err)
		}
		agg, ok := nonce66(t, v.AggNonces[c.AggNonce])
		if !ok {
			t.Fatal("aggnonce length")
		}
		got, err := signPartial(sec, priv, agg, keys, m)
		if err != nil {
			t.Fatalf("valid %d: %v", i, err)
		}
		if h := strings.ToUpper(hex.EncodeToString(got[:])); h != c.Expected {
			t.Errorf("valid %d: got %s want %s", i, h, c.Expected)
		}
		ok, err = verifyVector(t, &v, got, c.Keys, c.Nonces, c.Msg, c.Signer)
		if err != nil || !ok {
			t.Errorf("valid %d: own signature does not verify: %v", i, err)
		}
	}
	for _, c := range v.SignErrors {
		m, ok := msg32(t, v.Msgs[c.Msg])
		if !ok {
			skipped++
			continue
		}
		keys, err := pubKeys(t, v.PubKeys, c.Keys)
		if err != nil {
			continue // invalid key refused before signing
		}
		agg, ok := nonce66(t, v.AggNonces[c.AggNonce])
		if !ok {
			continue
		}
		var s [musig2.SecNonceSize]byte
		copy(s[:], unhex(t, v.SecNonces[c.SecNonce]))
		if _, err := signPartial(s, priv, agg, keys, m); err == nil {
			t.Errorf("%s: signed", c.Comment)
		}
	}
	for _, c := range append(v.VerifyFail, v.VerifyError...) {
		sig := sig32(t, c.Sig)
		if _, ok := parseScalar(sig); !ok {
			// Above n: the wire cannot carry it.
			r := Round2{PartialSig: sig, Signer: [KeySize]byte(mustKeyBytes(t))}
			b, _ := r.MarshalBinary()
			if _, err := ParseRound2(b); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: parser accepted it: %v", c.Comment, err)
			}
			continue
		}
		ok, err := verifyVector(t, &v, sig, c.Keys, c.Nonces, c.Msg, c.Signer)
		if err == nil && ok {
			t.Errorf("%s: verified", c.Comment)
		}
	}
	t.Logf("cases with a message that is not 32 bytes skipped: %d", skipped)
}

func TestBIP327SigAgg(t *testing.T) {
	var v struct {
		PubKeys []string `json:"pubkeys"`
		PNonces []string `json:"pnonces"`
		PSigs   []string `json:"psigs"`
		Msg     string   `json:"msg"`
		Valid   []struct {
			AggNonce string `json:"aggnonce"`
			Nonces   []int  `json:"nonce_indices"`
			Keys     []int  `json:"key_indices"`
			Tweaks   []int  `json:"tweak_indices"`
			PSigs    []int  `json:"psig_indices"`
			Expected string `json:"expected"`
		} `json:"valid_test_cases"`
		Errors []struct {
			PSigs   []int  `json:"psig_indices"`
			Comment string `json:"comment"`
		} `json:"error_test_cases"`
	}
	readVectors(t, "sig_agg_vectors.json", &v)
	m, ok := msg32(t, v.Msg)
	if !ok {
		t.Fatal("message length")
	}
	ran, skipped := 0, 0
	for i, c := range v.Valid {
		if len(c.Tweaks) != 0 {
			skipped++
			continue
		}
		keys, err := pubKeys(t, v.PubKeys, c.Keys)
		if err != nil {
			t.Fatal(err)
		}
		q, err := keyAgg(keys)
		if err != nil {
			t.Fatal(err)
		}
		var ns [][PubNonceSize]byte
		for _, j := range c.Nonces {
			n, _ := nonce66(t, v.PNonces[j])
			ns = append(ns, n)
		}
		agg, err := aggregateNonces(ns)
		if err != nil {
			t.Fatal(err)
		}
		if h := strings.ToUpper(hex.EncodeToString(agg[:])); h != c.AggNonce {
			t.Fatalf("valid %d: aggnonce %s want %s", i, h, c.AggNonce)
		}
		var ps [][32]byte
		for _, j := range c.PSigs {
			ps = append(ps, sig32(t, v.PSigs[j]))
		}
		sig, err := combine(agg, q, m, ps...)
		if err != nil {
			t.Fatalf("valid %d: %v", i, err)
		}
		if h := strings.ToUpper(hex.EncodeToString(sig.Serialize())); h != c.Expected {
			t.Errorf("valid %d: got %s want %s", i, h, c.Expected)
		}
		if !sig.Verify(m[:], q) {
			t.Errorf("valid %d: BIP340 verification failed", i)
		}
		ran++
	}
	if ran == 0 {
		t.Fatal("no tweak-free sig agg vector ran")
	}
	for _, c := range v.Errors {
		bad := false
		for _, j := range c.PSigs {
			raw := unhex(t, v.PSigs[j])
			if _, ok := parseScalar(sig32(t, v.PSigs[j])); !ok || len(raw) != 32 {
				bad = true
			}
		}
		if !bad {
			t.Errorf("%s: all partial signatures accepted", c.Comment)
		}
	}
	t.Logf("sig agg cases with tweaks skipped: %d, ran: %d", skipped, ran)
}
