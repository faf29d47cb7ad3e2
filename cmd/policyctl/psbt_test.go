package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPSBTInspect(t *testing.T) {
	w := psbtgen.CaseWallet()
	net := &chaincfg.RegressionNetParams
	p, err := psbtgen.Build(net, w, []int64{100_000, 250_000},
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", 200_000), wire.NewTxOut(140_000, w.PkScript())},
		psbtgen.StReqIDsPayload("100", "101"))
	if err != nil {
		t.Fatal(err)
	}
	raw := psbtgen.Serialize(p)
	want, err := psbtcheck.Check(raw, psbtcheck.Wallet{PubKey: w.PubKey(), Net: net}, psbtcheck.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	for name, file := range map[string]string{
		"binary":         writeTemp(t, "a.psbt", raw),
		"base64":         writeTemp(t, "a.b64", []byte(b64)),
		"base64 newline": writeTemp(t, "b.b64", []byte(b64+"\n")),
		"base64 crlf":    writeTemp(t, "c.b64", []byte(b64+"\r\n")),
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"psbt", "inspect", "--network", "regtest", "--json", "--wallet", w.Address(net), file}, &out, &errb)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var v inspectView
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if v.Fee != 10_000 || v.VSize != want.VSize || v.UnsignedTxID != want.UnsignedTxID.String() ||
				len(v.Inputs) != 2 || len(v.Outputs) != 3 || strings.Join(v.ReqIDs, ",") != "100,101" {
				t.Fatalf("view %+v", v)
			}
			if v.Outputs[0].Class != "external" || v.Outputs[1].Class != "change" || v.Outputs[2].Class != "op_return" ||
				v.Outputs[1].Address != w.Address(net) {
				t.Fatalf("outputs %+v", v.Outputs)
			}
			// Sighashes from the address-only wallet equal the pubkey ones.
			for i, in := range v.Inputs {
				if in.Sighash != hex.EncodeToString(want.Inputs[i].Sighash[:]) {
					t.Fatalf("input %d sighash %s", i, in.Sighash)
				}
			}
			if errb.Len() != 0 {
				t.Fatalf("stderr: %s", errb.String())
			}
		})
	}
}

func TestPSBTInspectRefusals(t *testing.T) {
	net := &chaincfg.RegressionNetParams
	addr := psbtgen.CaseWallet().Address(net)
	for _, c := range psbtgen.Cases() {
		if c.Want == "" || c.MaxBytes != 0 || c.MaxInputs != 0 || c.MaxOutputs != 0 || c.MaxDataCarrierSize != 0 {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			file := writeTemp(t, c.File, c.Data)
			var out, errb bytes.Buffer
			code := run([]string{"psbt", "inspect", "--network", "regtest", "--wallet", addr, file}, &out, &errb)
			lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
			if code != 1 || out.Len() != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "refused: "+c.Want+": ") {
				t.Fatalf("exit %d stdout %q stderr %q", code, out.String(), errb.String())
			}
		})
	}
}

func TestPSBTInspectUsageErrors(t *testing.T) {
	net := &chaincfg.RegressionNetParams
	w := psbtgen.CaseWallet()
	file := writeTemp(t, "x.psbt", []byte("psbt\xff"))
	p2tr, err := btcutil.NewAddressTaproot(make([]byte, 32), net)
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"no subcommand":     {"psbt"},
		"unknown sub":       {"psbt", "frobnicate"},
		"no wallet":         {"psbt", "inspect", "--network", "regtest", file},
		"no file":           {"psbt", "inspect", "--network", "regtest", "--wallet", w.Address(net)},
		"bad network":       {"psbt", "inspect", "--network", "moon", "--wallet", w.Address(net), file},
		"wrong-net address": {"psbt", "inspect", "--network", "mainnet", "--wallet", w.Address(net), file},
		"p2tr address":      {"psbt", "inspect", "--network", "regtest", "--wallet", p2tr.EncodeAddress(), file},
		"missing file":      {"psbt", "inspect", "--network", "regtest", "--wallet", w.Address(net), filepath.Join(t.TempDir(), "nope")},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(args, &out, &errb); code != 2 || errb.Len() == 0 {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
		})
	}
}

// "psbt check" is dispatched to runPSBTCheck (psbt_check.go), not refused
// as unknown.
func TestPSBTCheckDispatch(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"psbt", "check", "--help"}, &out, &errb)
	if strings.Contains(errb.String(), "unknown subcommand") {
		t.Fatalf("check not dispatched: %s", errb.String())
	}
}

// Without --network the wallet address names the network; the default
// output is a summary a person reads (BTC amounts, fee, reqIds), --json the
// facts for programs; a --network that contradicts the address is refused.
func TestPSBTInspectInfersNetworkAndSummarizes(t *testing.T) {
	w := psbtgen.CaseWallet()
	net := &chaincfg.RegressionNetParams
	p, err := psbtgen.Build(net, w, []int64{100_000, 250_000},
		[]*wire.TxOut{psbtgen.P2WPKHOutput("bridge", 200_000), wire.NewTxOut(140_000, w.PkScript())},
		psbtgen.StReqIDsPayload("100", "101"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeTemp(t, "a.psbt", psbtgen.Serialize(p))
	var out, errb bytes.Buffer
	if code := run([]string{"psbt", "inspect", "--wallet", w.Address(net), file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"on regtest", "inputs   2, 0.00350000 BTC", "0.00200000 BTC", "fee      0.00010000 BTC", "reqIds   100, 101"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	if code := run([]string{"psbt", "inspect", "--json", "--wallet", w.Address(net), file}, &out, &errb); code != 0 {
		t.Fatalf("--json exit %d", code)
	}
	var v inspectView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Network != "regtest" || v.Fee != 10_000 {
		t.Fatalf("--json: %+v %v", v, err)
	}
	errb.Reset()
	if code := run([]string{"psbt", "inspect", "--network", "mainnet", "--wallet", w.Address(net), file}, &out, &errb); code != 2 {
		t.Fatalf("mainnet with a regtest address: exit %d %s", code, errb.String())
	}
}
