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
	fmt.Fprintln(w, "usage: policyctl psbt inspect [--network mainnet|testnet3|regtest|signet] --wallet ADDRESS [--json] FILE|-")
	fmt.Fprintln(w, "  the network defaults to the wallet address's; prints a summary, or the facts as JSON with --json")
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
	network := fs.String("network", "", "Bitcoin network: mainnet, testnet3, regtest or signet (default: the wallet address's)")
	walletAddr := fs.String("wallet", "", "the wallet's P2WPKH address (required)")
	asJSON := fs.Bool("json", false, "print the facts as JSON (for programs) instead of the summary")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 1 || *walletAddr == "" {
		psbtUsage(stderr)
		return 2
	}
	var net *chaincfg.Params
	var err error
	if *network == "" {
		net, err = btcnet.FromAddress(*walletAddr)
	} else {
		net, err = btcnet.Params(*network)
	}
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
	v := factsView(f, net, *walletAddr)
	if !*asJSON {
		writeSummary(stdout, v)
		return 0
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "policyctl psbt inspect:", err)
		return 3
	}
	return 0
}

// btc renders satoshis as BTC with all eight decimals.
func btc(sat int64) string {
	sign := ""
	if sat < 0 {
		sign, sat = "-", -sat
	}
	return fmt.Sprintf("%s%d.%08d BTC", sign, sat/100_000_000, sat%100_000_000)
}

// writeSummary prints what a person checks before a co-signature, in the
// manner of Bitcoin Core's analyzepsbt: where the money goes, the fee, the
// request ids.
func writeSummary(w io.Writer, v inspectView) {
	fmt.Fprintf(w, "PSBT %s (unsigned txid %s) on %s\n", v.PSBTSHA256[:16], v.UnsignedTxID, v.Network)
	fmt.Fprintf(w, "wallet   %s\n", v.Wallet)
	fmt.Fprintf(w, "inputs   %d, %s (every one the wallet's, proven by its previous transaction)\n", len(v.Inputs), btc(v.InputTotal))
	for _, in := range v.Inputs {
		fmt.Fprintf(w, "  #%-3d %s  %s\n", in.Index, in.Outpoint, btc(in.Value))
	}
	fmt.Fprintf(w, "outputs  %d, %s\n", len(v.Outputs), btc(v.OutputTotal))
	for _, o := range v.Outputs {
		to := o.Address
		if to == "" {
			to = "script " + o.Script
		}
		fmt.Fprintf(w, "  #%-3d %-20s %s  %s\n", o.Index, o.Class, btc(o.Value), to)
	}
	fmt.Fprintf(w, "fee      %s, %d vB, %d sat/vB\n", btc(v.Fee), v.VSize, v.FeeRate)
	if len(v.ReqIDs) > 0 {
		fmt.Fprintf(w, "reqIds   %s\n", strings.Join(v.ReqIDs, ", "))
	} else {
		fmt.Fprintln(w, "reqIds   none (no OP_RETURN: policyd applies P002's FIFO rule)")
	}
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
