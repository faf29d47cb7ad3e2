package psbtcheck_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

func caseWallet() psbtcheck.Wallet {
	return psbtcheck.Wallet{PubKey: psbtgen.CaseWallet().PubKey(), Net: &chaincfg.RegressionNetParams}
}

func twoInThreeOut(t testing.TB) []byte {
	t.Helper()
	w := psbtgen.CaseWallet()
	p, err := psbtgen.Build(&chaincfg.RegressionNetParams, w, []int64{100_000, 250_000},
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", 200_000), wire.NewTxOut(140_000, w.PkScript())},
		psbtgen.StReqIDsPayload("100", "101"))
	if err != nil {
		t.Fatal(err)
	}
	return psbtgen.Serialize(p)
}

func TestCheckFacts(t *testing.T) {
	f, err := psbtcheck.Check(twoInThreeOut(t), caseWallet(), psbtcheck.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.InputTotal != 350_000 || f.OutputTotal != 340_000 || f.Fee != 10_000 {
		t.Fatalf("totals %d %d %d", f.InputTotal, f.OutputTotal, f.Fee)
	}
	// 2 P2WPKH inputs, 2 P2WPKH outputs and a 22-byte-payload OP_RETURN:
	// stripped size 4+1 + 2*41 + 1 + 2*31 + (8+1+24) + 4 = 187; weight
	// 187*4 + 2 + 2*108 = 966; vsize ceil(966/4) = 242.
	if f.VSize != 242 || f.FeeRate != 10_000/242 {
		t.Fatalf("vsize %d feerate %d", f.VSize, f.FeeRate)
	}
	wantClass := []psbtcheck.OutputClass{psbtcheck.ClassExternal, psbtcheck.ClassChange, psbtcheck.ClassOpReturn}
	for i, c := range wantClass {
		if f.Outputs[i].Class != c {
			t.Fatalf("output %d class %s want %s", i, f.Outputs[i].Class, c)
		}
	}
	if f.Outputs[1].Address != psbtgen.CaseWallet().Address(&chaincfg.RegressionNetParams) || !strings.HasPrefix(f.Outputs[0].Address, "bcrt1q") {
		t.Fatalf("addresses %q %q", f.Outputs[0].Address, f.Outputs[1].Address)
	}
	if len(f.ReqIDs) != 2 || f.ReqIDs[0].Int64() != 100 || f.ReqIDs[1].Int64() != 101 || string(f.OpReturnPayload) != `{"StReqIds":"100,101"}` {
		t.Fatalf("reqIds %v", f.ReqIDs)
	}
	if f.Inputs[0].Sighash == f.Inputs[1].Sighash || f.Inputs[0].Sighash == [32]byte{} {
		t.Fatal("sighashes not distinct")
	}
	// Same facts from base64 input.
	f2, err := psbtcheck.Check([]byte(base64.StdEncoding.EncodeToString(twoInThreeOut(t))), caseWallet(), psbtcheck.Limits{})
	if err != nil || f2.PSBTHash != f.PSBTHash || f2.Inputs[1].Sighash != f.Inputs[1].Sighash {
		t.Fatalf("base64 differs: %v", err)
	}
}

func TestBase64Strictness(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(twoInThreeOut(t))
	for name, in := range map[string]string{
		"trailing newline": good + "\n",
		"leading space":    " " + good,
		"crlf inside":      good[:20] + "\r\n" + good[20:],
		"url alphabet":     strings.NewReplacer("+", "-", "/", "_").Replace(good) + "-_",
		"no padding":       strings.TrimRight(good, "=") + "A",
		"nonzero pad bits": good[:len(good)-2] + "B=",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := psbtcheck.Check([]byte(in), caseWallet(), psbtcheck.Limits{})
			if c := psbtcheck.CodeOf(err); c != psbtcheck.CodeBadBase64 {
				t.Fatalf("code %q (%v)", c, err)
			}
		})
	}
}

func TestWalletDescriptor(t *testing.T) {
	w := psbtgen.CaseWallet()
	raw := twoInThreeOut(t)
	if _, err := psbtcheck.Check(raw, psbtcheck.Wallet{PubKeyHash: w.PubKeyHash(), Net: &chaincfg.RegressionNetParams}, psbtcheck.Limits{}); err != nil {
		t.Fatalf("hash-only wallet: %v", err)
	}
	bad := map[string]psbtcheck.Wallet{
		"empty":           {Net: &chaincfg.RegressionNetParams},
		"no network":      {PubKey: w.PubKey()},
		"uncompressed":    {PubKey: append([]byte{4}, make([]byte, 64)...), Net: &chaincfg.RegressionNetParams},
		"not on curve":    {PubKey: append([]byte{2}, make([]byte, 32)...), Net: &chaincfg.RegressionNetParams},
		"short hash":      {PubKeyHash: w.PubKeyHash()[:19], Net: &chaincfg.RegressionNetParams},
		"hash mismatches": {PubKey: w.PubKey(), PubKeyHash: make([]byte, 20), Net: &chaincfg.RegressionNetParams},
	}
	for name, bw := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := psbtcheck.Check(raw, bw, psbtcheck.Limits{})
			if !errors.Is(err, psbtcheck.ErrBadWallet) || errors.Is(err, psbtcheck.ErrRefused) {
				t.Fatalf("err %v", err)
			}
		})
	}
	// Another wallet's key: every input is foreign.
	other := psbtcheck.Wallet{PubKey: psbtgen.NewWallet("other").PubKey(), Net: &chaincfg.RegressionNetParams}
	if _, err := psbtcheck.Check(raw, other, psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeForeignInput {
		t.Fatalf("other wallet: %v", err)
	}
}

func TestDefaultLimits(t *testing.T) {
	w := psbtgen.CaseWallet()
	vals := make([]int64, psbtcheck.DefaultLimits.MaxInputs+1)
	for i := range vals {
		vals[i] = 10_000
	}
	p, err := psbtgen.Build(&chaincfg.RegressionNetParams, w, vals, []*wire.TxOut{psbtgen.P2WPKHOutput("b", 1_000_000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := psbtcheck.Check(psbtgen.Serialize(p), caseWallet(), psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeTooManyInputs {
		t.Fatalf("401 inputs: %v", err)
	}
	outs := make([]*wire.TxOut, psbtcheck.DefaultLimits.MaxOutputs+1)
	for i := range outs {
		outs[i] = psbtgen.P2WPKHOutput("b", 1_000)
	}
	p, _ = psbtgen.Build(&chaincfg.RegressionNetParams, w, []int64{1_000_000}, outs, nil)
	if _, err := psbtcheck.Check(psbtgen.Serialize(p), caseWallet(), psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeTooManyOutputs {
		t.Fatalf("101 outputs: %v", err)
	}
	big := append([]byte("psbt\xff"), make([]byte, psbtcheck.DefaultLimits.MaxBytes)...)
	if _, err := psbtcheck.Check(big, caseWallet(), psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeTooLarge {
		t.Fatalf("1 MiB+5: %v", err)
	}
	b64 := []byte(strings.Repeat("A", base64.StdEncoding.EncodedLen(psbtcheck.DefaultLimits.MaxBytes)+4))
	if _, err := psbtcheck.Check(b64, caseWallet(), psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeTooLarge {
		t.Fatalf("large base64: %v", err)
	}
}

func TestRefusalErrorMatching(t *testing.T) {
	_, err := psbtcheck.Check([]byte("psbt\xff"), caseWallet(), psbtcheck.Limits{})
	if !errors.Is(err, psbtcheck.ErrRefused) || !errors.Is(err, &psbtcheck.RefusalError{Code: psbtcheck.CodeDecode}) {
		t.Fatalf("%v", err)
	}
	if errors.Is(err, &psbtcheck.RefusalError{Code: psbtcheck.CodeTrailingBytes}) {
		t.Fatal("matched another code")
	}
	if !strings.Contains(err.Error(), "decode") {
		t.Fatal(err)
	}
	seen := map[psbtcheck.Code]bool{}
	for _, c := range psbtcheck.AllCodes {
		if seen[c] || c == "" {
			t.Fatalf("code %q duplicated or empty", c)
		}
		seen[c] = true
	}
}

func TestDustThreshold(t *testing.T) {
	h := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	for _, tc := range []struct {
		name   string
		script []byte
		want   int64
	}{
		{"p2wpkh", h("0014" + strings.Repeat("11", 20)), 294},
		{"p2tr", h("5120" + strings.Repeat("11", 32)), 330},
		{"p2wsh", h("0020" + strings.Repeat("11", 32)), 330},
		{"p2pkh", h("76a914" + strings.Repeat("11", 20) + "88ac"), 546},
		{"p2sh", h("a914" + strings.Repeat("11", 20) + "87"), 540},
		{"op_return", h("6a0100"), 0},
		{"bare op_true", h("51"), 3 * (8 + 1 + 1 + 148)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := psbtcheck.DustThreshold(tc.script); got != tc.want {
				t.Fatalf("got %d want %d", got, tc.want)
			}
		})
	}
}

func TestParseStReqIDs(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)).String()
	over := new(big.Int).Lsh(big.NewInt(1), 256).String()
	for _, tc := range []struct {
		in   string
		want []string // nil: refused
		code psbtcheck.Code
	}{
		{`{"StReqIds":"100,101"}`, []string{"100", "101"}, ""},
		{`{"StReqIds":"0"}`, []string{"0"}, ""},
		{`{"StReqIds":"7"}`, []string{"7"}, ""},
		// Full-width uint256 ids (hash-seeded counters: 77 digits) and the
		// maximum 2^256-1 (78 digits) are accepted; 2^256 is not.
		{`{"StReqIds":"` + max[:65] + `"}`, []string{max[:65]}, ""},
		{`{"StReqIds":"` + max[:77] + `"}`, []string{max[:77]}, ""},
		{`{"StReqIds":"` + max + `"}`, []string{max}, ""},
		{`{"StReqIds":"` + max[:77] + "," + max + `"}`, []string{max[:77], max}, ""},
		{`{"StReqIds":"` + over + `"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"` + strings.Repeat("9", 78) + `"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"` + strings.Repeat("1", 79) + `"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1` + strings.Repeat("0", 1000) + `"}`, nil, psbtcheck.CodeBadStReqIDs},
		{string(psbtgen.StReqIDsPayloadOfSize(psbtcheck.MaxStReqIDsPayload + 1)), nil, psbtcheck.CodeOpReturnTooLarge},
		{`{"StReqIds":""}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1,"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":",1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1,,2"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"01"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"00"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"+1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"-1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1, 2"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1,2,1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1e3"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"0x10"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":1}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1","StReqIds":"2"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1","x":1}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"x":1,"StReqIds":"1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIDs":"1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"\u0053tReqIds":"1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{ "StReqIds":"1"}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1"} `, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1"}{}`, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"1"}` + "\x00", nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"` + strings.Repeat("1", 66) + `"}`, []string{strings.Repeat("1", 66)}, ""},
		{``, nil, psbtcheck.CodeBadStReqIDs},
		{`{"StReqIds":"}`, nil, psbtcheck.CodeBadStReqIDs},
	} {
		name := tc.in
		if len(name) > 120 {
			name = fmt.Sprintf("%s...(%d bytes)", name[:100], len(name))
		}
		t.Run(name, func(t *testing.T) {
			ids, err := psbtcheck.ParseStReqIDs([]byte(tc.in))
			if tc.want == nil {
				if psbtcheck.CodeOf(err) != tc.code || !errors.Is(err, psbtcheck.ErrRefused) {
					t.Fatalf("got %v, %v; want code %s", ids, err, tc.code)
				}
				return
			}
			if err != nil || len(ids) != len(tc.want) {
				t.Fatalf("got %v, %v", ids, err)
			}
			for i := range ids {
				if ids[i].String() != tc.want[i] {
					t.Fatalf("id %d: %s", i, ids[i])
				}
			}
			if string(psbtcheck.EncodeStReqIDs(ids)) != tc.in {
				t.Fatal("does not re-encode")
			}
		})
	}
}

func mustBase(t testing.TB) *psbt.Packet {
	t.Helper()
	w := psbtgen.CaseWallet()
	p, err := psbtgen.Build(&chaincfg.RegressionNetParams, w, []int64{100_000, 250_000},
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", 200_000), wire.NewTxOut(140_000, w.PkScript())},
		psbtgen.StReqIDsPayload("100", "101"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
