package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

// policyctl contracts calls|confirm|execute: Bitlayer's side of the
// GovernorMultisig. The relayer (or a project signer) submits a call, such
// as approveUnbound(ids); Bitlayer's key must confirm it before it can run.
// confirm shows the decoded call (target, function, every argument, reqIds
// as decimal strings) and asks before signing, as `whitelist approve` does.

// GovernorCall is one submitted call as the commands show it.
type GovernorCall struct {
	ID                   string   `json:"id"`
	SubmittedBy          string   `json:"submitted_by"`
	Target               string   `json:"target"`
	Function             string   `json:"function"`
	Args                 []string `json:"args"`
	Data                 string   `json:"data"`
	Confirmations        []string `json:"confirmations"`
	BitlayerConfirmed    bool     `json:"bitlayer_confirmed"`
	ProjectConfirmations int      `json:"project_confirmations"`
	ProjectThreshold     uint64   `json:"project_threshold"`
	Executed             bool     `json:"executed"`
	Block                uint64   `json:"block"`
}

// decodeCall names the function and arguments of calldata against the
// staking contract's ABI (P002's interface); unknown calldata is shown raw.
func decodeCall(data []byte) (string, []string) {
	parsed, err := bindings.StakingPoolMetaData.GetAbi()
	if err != nil || len(data) < 4 {
		return "unknown", nil
	}
	m, err := parsed.MethodById(data[:4])
	if err != nil {
		return "unknown (selector " + hex.EncodeToString(data[:4]) + ")", nil
	}
	vals, err := m.Inputs.Unpack(data[4:])
	if err != nil {
		return m.Sig + " (arguments do not decode)", nil
	}
	var args []string
	for i, v := range vals {
		args = append(args, m.Inputs[i].Name+"="+argString(v))
	}
	return m.Sig, args
}

func argString(v any) string {
	switch x := v.(type) {
	case *big.Int:
		return x.String()
	case []*big.Int:
		s := make([]string, len(x))
		for i, b := range x {
			s[i] = b.String()
		}
		return "[" + strings.Join(s, ",") + "]"
	case common.Address:
		return x.Hex()
	case []byte:
		return "0x" + hex.EncodeToString(x)
	}
	return fmt.Sprint(v)
}

// governorCalls reads every submitted call with its confirmations.
func governorCalls(ctx context.Context, c *ethclient.Client, gov common.Address, from uint64) ([]GovernorCall, error) {
	ms, err := bindings.NewGovernorMultisig(gov, c)
	if err != nil {
		return nil, err
	}
	opts := &bind.FilterOpts{Start: from, Context: ctx}
	bitlayer, err := ms.Bitlayer(&bind.CallOpts{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("governor %s: %w", gov.Hex(), err)
	}
	threshold, err := ms.ProjectThreshold(&bind.CallOpts{Context: ctx})
	if err != nil {
		return nil, err
	}
	byID := map[string]*GovernorCall{}
	var order []string
	subs, err := ms.FilterSubmitted(opts, nil, nil)
	if err != nil {
		return nil, err
	}
	for subs.Next() {
		e := subs.Event
		fn, args := decodeCall(e.Data)
		gc := &GovernorCall{ID: e.Id.String(), SubmittedBy: e.By.Hex(), Target: e.Target.Hex(), Function: fn, Args: args,
			Data: "0x" + hex.EncodeToString(e.Data), Confirmations: []string{}, ProjectThreshold: threshold.Uint64(), Block: e.Raw.BlockNumber}
		byID[gc.ID] = gc
		order = append(order, gc.ID)
	}
	if err := subs.Error(); err != nil {
		return nil, err
	}
	confs, err := ms.FilterConfirmed(opts, nil, nil)
	if err != nil {
		return nil, err
	}
	for confs.Next() {
		if gc := byID[confs.Event.Id.String()]; gc != nil {
			gc.Confirmations = append(gc.Confirmations, confs.Event.By.Hex())
			if confs.Event.By == bitlayer {
				gc.BitlayerConfirmed = true
			} else {
				gc.ProjectConfirmations++
			}
		}
	}
	if err := confs.Error(); err != nil {
		return nil, err
	}
	execs, err := ms.FilterExecuted(opts, nil)
	if err != nil {
		return nil, err
	}
	for execs.Next() {
		if gc := byID[execs.Event.Id.String()]; gc != nil {
			gc.Executed = true
		}
	}
	if err := execs.Error(); err != nil {
		return nil, err
	}
	out := make([]GovernorCall, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

func renderGovernorCall(w io.Writer, gc GovernorCall) {
	fmt.Fprintf(w, "call %s (block %d), submitted by %s\n", gc.ID, gc.Block, gc.SubmittedBy)
	fmt.Fprintf(w, "  target     %s\n", gc.Target)
	fmt.Fprintf(w, "  function   %s\n", gc.Function)
	for _, a := range gc.Args {
		fmt.Fprintf(w, "    %s\n", a)
	}
	fmt.Fprintf(w, "  confirmed  bitlayer %v, project %d of %d\n", gc.BitlayerConfirmed, gc.ProjectConfirmations, gc.ProjectThreshold)
	fmt.Fprintf(w, "  executed   %v\n", gc.Executed)
}

func runGovernor(sub string, args []string, stdout, stderr io.Writer, stdin io.Reader) int {
	flags := flag.NewFlagSet("policyctl contracts "+sub, flag.ContinueOnError)
	flags.SetOutput(stderr)
	rpc := flags.String("rpc", "", "L2 JSON-RPC URL (required)")
	govAddr := flags.String("governor", "", "GovernorMultisig address (required)")
	from := flags.Uint64("from-block", 0, "first block to read submissions from")
	id := flags.String("id", "", "call id (confirm, execute)")
	ksFile := flags.String("keystore", "", "keystore of the signing key (confirm, execute)")
	pwFile := flags.String("password-file", "", "file holding the keystore password (else POLICYCTL_KEYSTORE_PASSWORD or a prompt)")
	yes := flags.Bool("yes", false, "confirm without showing the call and asking")
	asJSON := flags.Bool("json", false, "print JSON (calls)")
	if err := flags.Parse(args); err != nil {
		return flagExit(err)
	}
	if *rpc == "" || *govAddr == "" || (sub != "calls" && (*id == "" || *ksFile == "")) {
		fmt.Fprintf(stderr, "policyctl contracts %s: --rpc and --governor are required (confirm and execute: --id and --keystore too)\n", sub)
		return 2
	}
	gov, err := parseAddress("--governor", *govAddr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, *rpc)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 3
	}
	defer c.Close()
	calls, err := governorCalls(ctx, c, gov, *from)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 3
	}
	if sub == "calls" {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(calls)
			return 0
		}
		for _, gc := range calls {
			renderGovernorCall(stdout, gc)
		}
		return 0
	}
	var call *GovernorCall
	for i := range calls {
		if calls[i].ID == *id {
			call = &calls[i]
		}
	}
	if call == nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: no call %s on governor %s (from block %d)\n", sub, *id, gov.Hex(), *from)
		return 1
	}
	if call.Executed {
		fmt.Fprintf(stderr, "policyctl contracts %s: call %s was already executed\n", sub, *id)
		return 1
	}
	if sub == "confirm" && !*yes {
		renderGovernorCall(stderr, *call)
		fmt.Fprint(stderr, "confirm this call with your key? [y/N] ")
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.TrimSpace(strings.ToLower(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stderr, "not confirmed")
			return 1
		}
	}
	key, err := loadKeystore(*ksFile, *pwFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 2
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 3
	}
	auth, err := bind.NewKeyedTransactorWithChainID(key.PrivateKey, chainID)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 2
	}
	auth.Context = ctx
	ms, err := bindings.NewGovernorMultisig(gov, c)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 3
	}
	n, _ := new(big.Int).SetString(*id, 10)
	tx, err := map[string]func() (txT, error){
		"confirm": func() (txT, error) { return ms.Confirm(auth, n) },
		"execute": func() (txT, error) { return ms.Execute(auth, n) },
	}[sub]()
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts %s: %v\n", sub, err)
		return 1
	}
	rcpt, err := bind.WaitMined(ctx, c, tx)
	if err != nil || rcpt.Status != 1 {
		fmt.Fprintf(stderr, "policyctl contracts %s: transaction %s failed: %v\n", sub, tx.Hash(), err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: call %s, transaction %s in block %d\n", sub, *id, tx.Hash().Hex(), rcpt.BlockNumber.Uint64())
	return 0
}

type txT = *types.Transaction
