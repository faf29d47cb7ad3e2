package psbtcheck_test

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// withOpReturnScript: two wallet inputs, a bridge payout, and one OP_RETURN
// output with exactly script.
func withOpReturnScript(t *testing.T, script []byte) []byte {
	t.Helper()
	p, err := psbtgen.Build(&chaincfg.RegressionNetParams, psbtgen.CaseWallet(), []int64{100_000, 100_000},
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", 150_000), wire.NewTxOut(0, script)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return psbtgen.Serialize(p)
}

// TestDataCarrierLimit: the OP_RETURN limit is configuration in Core's unit
// (script bytes); the default follows Core 30 (100,000) and the
// standard weight bounds the whole transaction.
func TestDataCarrierLimit(t *testing.T) {
	id77a := "49789615487123560892156894751226315458745469802349768162354985612743566889911"
	id77b := "49789615487123560892156894751226315458745469802349768162354985612743566889912"
	two77 := psbtgen.StReqIDsPayload(id77a, id77b) // 170 bytes, script 173
	if len(two77) != 170 {
		t.Fatalf("payload %d bytes", len(two77))
	}
	pre30 := psbtgen.StReqIDsPayloadOfSize(80)
	for _, tc := range []struct {
		name   string
		script []byte
		limit  int
		want   psbtcheck.Code // "" accepted
		ids    int
	}{
		{"80-byte payload, limit 83 (Core before 30)", psbtgen.OpReturnScript(pre30), 83, "", 1},
		{"81-byte payload, limit 83", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(81)), 83, psbtcheck.CodeOpReturnTooLarge, 0},
		{"one 77-digit id, limit 83", psbtgen.OpReturnScript(psbtgen.StReqIDsPayload(id77a)), 83, psbtcheck.CodeOpReturnTooLarge, 0},
		{"two 77-digit ids, default", psbtgen.OpReturnScript(two77), 0, "", 2},
		{"two 77-digit ids, limit 173 (exact)", psbtgen.OpReturnScript(two77), 173, "", 2},
		{"two 77-digit ids, limit 172", psbtgen.OpReturnScript(two77), 172, psbtcheck.CodeOpReturnTooLarge, 0},
		{"PUSHDATA2 payload of 65535", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(65535)), 0, "", 0},
		{"PUSHDATA4 payload of 65536", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(65536)), 0, "", 0},
		{"PUSHDATA4 payload of 300: not minimal", append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA4, 0x2c, 0x01, 0, 0}, psbtgen.StReqIDsPayloadOfSize(300)...), 0, psbtcheck.CodeBadOpReturn, 0},
		{"PUSHDATA4 length past the script", append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA4, 0xff, 0xff, 0xff, 0xff}, psbtgen.StReqIDsPayloadOfSize(70000)...), 0, psbtcheck.CodeBadOpReturn, 0},
		{"PUSHDATA4 truncated length", []byte{txscript.OP_RETURN, txscript.OP_PUSHDATA4, 0x00, 0x00}, 0, psbtcheck.CodeBadOpReturn, 0},
		{"script of 100,000 bytes: over the standard weight", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(100_000 - 6)), 0, psbtcheck.CodeTxWeight, 0},
		{"script of 100,001 bytes", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(100_001 - 6)), 0, psbtcheck.CodeOpReturnTooLarge, 0},
		{"script of 98,000 bytes: within the weight", psbtgen.OpReturnScript(psbtgen.StReqIDsPayloadOfSize(98_000 - 6)), 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := psbtcheck.NewChecker(caseWallet(), psbtcheck.Limits{MaxDataCarrierSize: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			f, err := c.Check(withOpReturnScript(t, tc.script))
			if tc.want != "" {
				if got := psbtcheck.CodeOf(err); got != tc.want {
					t.Fatalf("got %q (%v), want %q", got, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !f.HasOpReturn || (tc.ids > 0 && len(f.ReqIDs) != tc.ids) {
				t.Fatalf("has_op_return %v, %d ids", f.HasOpReturn, len(f.ReqIDs))
			}
			if tc.ids == 2 && (f.ReqIDs[0].String() != id77a || f.ReqIDs[1].String() != id77b) {
				t.Fatalf("ids %v", f.ReqIDs)
			}
			if f.VSize*4 > psbtcheck.MaxStandardTxWeight {
				t.Fatalf("vsize %d accepted", f.VSize)
			}
		})
	}
}

func TestDataCarrierLimitBounds(t *testing.T) {
	_, err := psbtcheck.NewChecker(caseWallet(), psbtcheck.Limits{MaxDataCarrierSize: psbtcheck.DefaultDataCarrierSize + 1})
	if !errors.Is(err, psbtcheck.ErrBadLimits) {
		t.Fatalf("got %v", err)
	}
	if _, err := psbtcheck.NewChecker(caseWallet(), psbtcheck.Limits{MaxDataCarrierSize: psbtcheck.DefaultDataCarrierSize}); err != nil {
		t.Fatal(err)
	}
}

func TestStReqIDsPayloadOfSize(t *testing.T) {
	for _, n := range []int{16, 17, 80, 92, 93, 94, 95, 170, 171, 1000, 65536, 99_994} {
		p := psbtgen.StReqIDsPayloadOfSize(n)
		if len(p) != n {
			t.Fatalf("%d: got %d bytes", n, len(p))
		}
		if _, err := psbtcheck.ParseStReqIDs(p); err != nil {
			t.Fatalf("%d: %v (%.100s)", n, err, p[:min(len(p), 100)])
		}
	}
}
