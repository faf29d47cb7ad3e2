package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/l2/bindings"
)

// policyctl contracts deploy puts the reference contracts on an L2 chain:
// GovernorMultisig (the Bitlayer key is indispensable, plus a threshold of
// project keys) and StakingPool governed by it. It waits for both receipts
// and prints what policyd's and the relayer's configurations need: the
// chain id, the contract addresses and the block to start indexing from.
//
//	policyctl contracts deploy --rpc http://l2:8545 --keystore deployer.json --password-file pw.txt \
//	    --bitlayer 0x… --project 0x…,0x… --project-threshold 1

// DeployResult is the JSON contracts deploy prints.
type DeployResult struct {
	ChainID     string `json:"chain_id"`
	Deployer    string `json:"deployer"`
	Governor    string `json:"governor"`
	StakingPool string `json:"staking_pool"`
	// StartBlock is StakingPool's deployment block: policyd's l2.start_block.
	StartBlock uint64 `json:"start_block"`
}

func runContracts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, `usage: policyctl contracts <deploy|calls|confirm|execute> [flags]
  deploy   deploy GovernorMultisig and the StakingPool it governs; prints their
           addresses and the start block as JSON
  calls    list the GovernorMultisig's submitted calls, decoded (function,
           arguments, reqIds), with their confirmations (--json)
  confirm  show one call decoded, ask, and confirm it with your key (--yes)
  execute  execute a call that has Bitlayer's and enough project confirmations
`)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "calls", "confirm", "execute":
		return runGovernor(args[0], args[1:], stdout, stderr, os.Stdin)
	case "deploy":
	default:
		fmt.Fprintf(stderr, "policyctl contracts: unknown command %q\n", args[0])
		return 2
	}
	flags := flag.NewFlagSet("policyctl contracts deploy", flag.ContinueOnError)
	flags.SetOutput(stderr)
	rpc := flags.String("rpc", "", "L2 JSON-RPC URL (required)")
	ksFile := flags.String("keystore", "", "Ethereum keystore JSON of the deploying account (required; it pays gas and has no role afterwards)")
	pwFile := flags.String("password-file", "", "file holding the keystore password (else $POLICYCTL_KEYSTORE_PASSWORD, else asked on the terminal)")
	bitlayer := flags.String("bitlayer", "", "Bitlayer's governor key address (required; indispensable on every governor call)")
	project := flags.String("project", "", "comma-separated project governor key addresses (required)")
	threshold := flags.Uint64("project-threshold", 1, "project confirmations a governor call needs besides Bitlayer's")
	timeout := flags.Duration("timeout", 2*time.Minute, "how long to wait for each receipt")
	if err := flags.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	if *rpc == "" || *ksFile == "" || *bitlayer == "" || *project == "" {
		fmt.Fprintln(stderr, "policyctl contracts deploy: --rpc, --keystore, --bitlayer and --project are required")
		return 2
	}
	bl, err := parseAddress("--bitlayer", *bitlayer)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts deploy: %v\n", err)
		return 2
	}
	var proj []common.Address
	for _, s := range strings.Split(*project, ",") {
		a, err := parseAddress("--project", strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(stderr, "policyctl contracts deploy: %v\n", err)
			return 2
		}
		proj = append(proj, a)
	}
	if *threshold == 0 || *threshold > uint64(len(proj)) {
		fmt.Fprintf(stderr, "policyctl contracts deploy: --project-threshold %d: want 1 to %d (the number of project keys)\n", *threshold, len(proj))
		return 2
	}
	key, err := loadKeystore(*ksFile, *pwFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts deploy: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout*3)
	defer cancel()
	res, err := deployReference(ctx, *rpc, key, bl, proj, *threshold, *timeout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl contracts deploy: %v\n", err)
		return 3
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	return 0
}

func parseAddress(flagName, s string) (common.Address, error) {
	if !common.IsHexAddress(s) {
		return common.Address{}, fmt.Errorf("%s %q is not an Ethereum address", flagName, s)
	}
	a := common.HexToAddress(s)
	if a == (common.Address{}) {
		return common.Address{}, fmt.Errorf("%s is the zero address", flagName)
	}
	return a, nil
}

func loadKeystore(ksFile, pwFile string, prompt io.Writer) (*keystore.Key, error) {
	ks, err := os.ReadFile(ksFile)
	if err != nil {
		return nil, err
	}
	pw, err := cli.Secret(pwFile, "POLICYCTL_KEYSTORE_PASSWORD", "keystore password for "+ksFile+": ", prompt)
	if err != nil {
		return nil, fmt.Errorf("keystore password (--password-file, $POLICYCTL_KEYSTORE_PASSWORD or a terminal): %w", err)
	}
	k, err := keystore.DecryptKey(ks, pw)
	if err != nil {
		return nil, fmt.Errorf("decrypt keystore %s: %w", ksFile, err)
	}
	return k, nil
}

// deployReference deploys GovernorMultisig, then StakingPool with the
// multisig as its governor, waiting for each receipt (a reverted deployment
// is an error, not an address).
func deployReference(ctx context.Context, rpc string, key *keystore.Key, bitlayer common.Address, project []common.Address, threshold uint64, wait time.Duration, log io.Writer) (*DeployResult, error) {
	c, err := ethclient.DialContext(ctx, rpc)
	if err != nil {
		return nil, fmt.Errorf("L2 %s: %w", rpc, err)
	}
	defer c.Close()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("L2 %s: chain id: %w", rpc, err)
	}
	auth, err := bind.NewKeyedTransactorWithChainID(key.PrivateKey, chainID)
	if err != nil {
		return nil, err
	}
	auth.Context = ctx
	govAddr, tx, _, err := bindings.DeployGovernorMultisig(auth, c, bitlayer, project, new(big.Int).SetUint64(threshold))
	if err != nil {
		return nil, fmt.Errorf("deploy GovernorMultisig: %w", err)
	}
	fmt.Fprintf(log, "GovernorMultisig: tx %s, waiting for its receipt\n", tx.Hash())
	if _, err := waitDeployed(ctx, c, tx, wait); err != nil {
		return nil, fmt.Errorf("GovernorMultisig: %w", err)
	}
	poolAddr, tx, _, err := bindings.DeployStakingPool(auth, c, govAddr)
	if err != nil {
		return nil, fmt.Errorf("deploy StakingPool: %w", err)
	}
	fmt.Fprintf(log, "StakingPool: tx %s, waiting for its receipt\n", tx.Hash())
	rcpt, err := waitDeployed(ctx, c, tx, wait)
	if err != nil {
		return nil, fmt.Errorf("StakingPool: %w", err)
	}
	return &DeployResult{
		ChainID:     chainID.String(),
		Deployer:    key.Address.Hex(),
		Governor:    govAddr.Hex(),
		StakingPool: poolAddr.Hex(),
		StartBlock:  rcpt.BlockNumber.Uint64(),
	}, nil
}

func waitDeployed(ctx context.Context, c *ethclient.Client, tx *types.Transaction, wait time.Duration) (*types.Receipt, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	rcpt, err := bind.WaitMined(wctx, c, tx)
	if err != nil {
		return nil, fmt.Errorf("no receipt for %s: %w", tx.Hash(), err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, errors.New("deployment reverted")
	}
	code, err := c.CodeAt(wctx, rcpt.ContractAddress, rcpt.BlockNumber)
	if err != nil {
		return nil, err
	}
	if len(code) == 0 {
		return nil, fmt.Errorf("no code at %s after deployment", rcpt.ContractAddress)
	}
	return rcpt, nil
}
