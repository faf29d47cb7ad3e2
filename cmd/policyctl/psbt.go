package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// runPSBT dispatches "psbt inspect" (offline, here) and "psbt check"
// (asks a server, psbt_check.go).
func runPSBT(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		psbtUsage(stderr)
		return 2
	}
	switch args[0] {
	case "inspect":
		return runPSBTInspect(args[1:], stdout, stderr)
	case "check":
		return runPSBTCheck(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		psbtUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "policyctl psbt: unknown subcommand %q\n", args[0])
	psbtUsage(stderr)
	return 2
}

func psbtUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: policyctl psbt inspect [--network mainnet|testnet3|regtest|signet] --wallet ADDRESS FILE|-")
	fmt.Fprintln(w, "       policyctl psbt check ...   (dry-run decision from a server)")
}

// walletFromAddress turns a P2WPKH address into the checker's Wallet (by
// key hash: the address does not reveal the public key, and the BIP143
// script code needs only its hash).
func walletFromAddress(addr string, net *chaincfg.Params) (psbtcheck.Wallet, error) {
	a, err := btcutil.DecodeAddress(addr, net)
	if err != nil {
		return psbtcheck.Wallet{}, fmt.Errorf("--wallet: %v", err)
	}
	wa, ok := a.(*btcutil.AddressWitnessPubKeyHash)
	if !ok || !a.IsForNet(net) {
		return psbtcheck.Wallet{}, fmt.Errorf("--wallet: %s is not a P2WPKH address on %s", addr, net.Name)
	}
	return psbtcheck.Wallet{PubKeyHash: wa.WitnessProgram(), Net: net}, nil
}

// inspectView is the JSON printed by "psbt inspect".
type inspectView struct {
	Network        string          `json:"network"`
	Wallet         string          `json:"wallet"`
	UnsignedTxID   string          `json:"unsigned_txid"`
	PSBTSHA256     string          `json:"psbt_sha256"`
	Version        int32           `json:"version"`
	LockTime       uint32          `json:"locktime"`
	Inputs         []inspectInput  `json:"inputs"`
	Outputs        []inspectOutput `json:"outputs"`
	ReqIDs         []string        `json:"req_ids"`
	InputTotal     int64           `json:"input_total_sat"`
	OutputTotal    int64           `json:"output_total_sat"`
	Fee            int64           `json:"fee_sat"`
	VSize          int64           `json:"vsize"`
	FeeRate        int64           `json:"fee_rate_sat_vb"`
	OpReturnString *string         `json:"op_return_payload,omitempty"`
}

type inspectInput struct {
	Index    int    `json:"index"`
	Outpoint string `json:"outpoint"`
	Value    int64  `json:"value_sat"`
	Sequence uint32 `json:"sequence"`
	Script   string `json:"script_hex"`
	Sighash  string `json:"sighash"`
}

type inspectOutput struct {
	Index   int    `json:"index"`
	Value   int64  `json:"value_sat"`
	Class   string `json:"class"`
	Address string `json:"address,omitempty"`
	Script  string `json:"script_hex"`
}

func factsView(f *psbtcheck.Facts, net *chaincfg.Params, wallet string) inspectView {
	v := inspectView{
		Network: net.Name, Wallet: wallet,
		UnsignedTxID: f.UnsignedTxID.String(), PSBTSHA256: hex.EncodeToString(f.PSBTHash[:]),
		Version: f.Version, LockTime: f.LockTime,
		Inputs: []inspectInput{}, Outputs: []inspectOutput{}, ReqIDs: []string{},
		InputTotal: f.InputTotal, OutputTotal: f.OutputTotal, Fee: f.Fee, VSize: f.VSize, FeeRate: f.FeeRate,
	}
	for _, in := range f.Inputs {
		v.Inputs = append(v.Inputs, inspectInput{in.Index, in.OutpointStr, in.Value, in.Sequence,
			hex.EncodeToString(in.PkScript), hex.EncodeToString(in.Sighash[:])})
	}
	for _, o := range f.Outputs {
		v.Outputs = append(v.Outputs, inspectOutput{o.Index, o.Value, string(o.Class), o.Address, hex.EncodeToString(o.PkScript)})
	}
	for _, id := range f.ReqIDs {
		v.ReqIDs = append(v.ReqIDs, id.String())
	}
	if f.HasOpReturn {
		s := string(f.OpReturnPayload) // ASCII by the StReqIds grammar
		v.OpReturnString = &s
	}
	return v
}

func runPSBTInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl psbt inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	network := fs.String("network", "mainnet", "Bitcoin network: mainnet, testnet3, regtest or signet")
	walletAddr := fs.String("wallet", "", "the wallet's P2WPKH address (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *walletAddr == "" {
		psbtUsage(stderr)
		return 2
	}
	net, err := btcnet.Params(*network)
	if err != nil {
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 2
	}
	w, err := walletFromAddress(*walletAddr, net)
	if err != nil {
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 2
	}
	raw, err := readPSBTInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 2
	}
	f, err := psbtcheck.Check(raw, w, psbtcheck.Limits{})
	if err != nil {
		var r *psbtcheck.RefusalError
		if errors.As(err, &r) {
			detail := strings.NewReplacer("\n", " ", "\r", " ").Replace(r.Detail)
			fmt.Fprintf(stderr, "refused: %s: %s\n", r.Code, detail)
			return 1
		}
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(factsView(f, net, *walletAddr)); err != nil {
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 2
	}
	return 0
}

// readPSBTInput reads FILE or stdin ("-"), at most what the default limit
// allows in base64 plus one byte (Check then refuses it as too_large). For
// text input one trailing newline (as editors and bitcoin-cli leave) is
// removed; nothing else is trimmed.
func readPSBTInput(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	max := int64(base64.StdEncoding.EncodedLen(psbtcheck.DefaultLimits.MaxBytes)) + 1
	b, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, []byte("psbt\xff")) {
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
	}
	return b, nil
}
