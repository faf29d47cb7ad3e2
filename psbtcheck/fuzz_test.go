package psbtcheck_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// FuzzCheck: Check never panics; whatever it accepts satisfies the Facts
// invariants (sums, fee >= 0, every input the wallet's, classes right);
// whatever it refuses is a *RefusalError.
func FuzzCheck(f *testing.F) {
	for _, c := range psbtgen.Cases() {
		if c.Base64 || c.MaxBytes == 0 && c.MaxInputs == 0 && c.MaxOutputs == 0 {
			f.Add(c.Data)
		}
	}
	for _, file := range []string{"bip174_valid.txt", "bip174_invalid.txt", "bip174_signer_fail.txt"} {
		for _, v := range loadVectors(f, file) {
			f.Add([]byte(v.b64))
		}
	}
	w := caseWallet()
	script, _ := w.Script()
	f.Fuzz(func(t *testing.T, raw []byte) {
		// 128 KiB: room for the generated 100,000-byte OP_RETURN case.
		facts, err := psbtcheck.Check(raw, w, psbtcheck.Limits{MaxBytes: 128 << 10})
		if err != nil {
			if psbtcheck.CodeOf(err) == "" {
				t.Fatalf("error is not a refusal: %v", err)
			}
			return
		}
		assertInvariants(t, facts, script)
	})
}

// FuzzParseStReqIDs: never panics; every accepted payload re-encodes to
// itself, and encoding/json reads the same single member from it.
func FuzzParseStReqIDs(f *testing.F) {
	for _, s := range []string{`{"StReqIds":"100,101"}`, `{"StReqIds":"0"}`, `{"StReqIds":"01"}`,
		`{"StReqIds":"1","StReqIds":"2"}`, `{"StReqIds":"1,,2"}`, `{ "StReqIds":"1"}`, ``,
		// Full-width ids: 77 digits, 2^256-1, 2^256.
		`{"StReqIds":"49789615487123560892156894751226315458745469802349768162354985612743566889911,49789615487123560892156894751226315458745469802349768162354985612743566889912"}`,
		`{"StReqIds":"115792089237316195423570985008687907853269984665640564039457584007913129639935"}`,
		`{"StReqIds":"115792089237316195423570985008687907853269984665640564039457584007913129639936"}`} {
		f.Add([]byte(s))
	}
	f.Add(psbtgen.StReqIDsPayloadOfSize(4096))
	f.Fuzz(func(t *testing.T, payload []byte) {
		ids, err := psbtcheck.ParseStReqIDs(payload)
		if err != nil {
			if psbtcheck.CodeOf(err) == "" {
				t.Fatalf("error is not a refusal: %v", err)
			}
			return
		}
		if len(ids) == 0 {
			t.Fatal("accepted without ids")
		}
		if enc := psbtcheck.EncodeStReqIDs(ids); !bytes.Equal(enc, payload) {
			t.Fatalf("accepted %q re-encodes to %q", payload, enc)
		}
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil || len(m) != 1 {
			t.Fatalf("encoding/json disagrees on %q: %v %v", payload, m, err)
		}
		if _, ok := m["StReqIds"].(string); !ok {
			t.Fatalf("encoding/json reads no StReqIds string from %q", payload)
		}
		for _, id := range ids {
			if id.Sign() < 0 || id.BitLen() > 256 {
				t.Fatalf("accepted id %s outside uint256", id)
			}
		}
	})
}
