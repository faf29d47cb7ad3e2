// Command custody is the reference custody node: the liquid-restaking
// project's party in the dedicated wallet's threshold key. It generates its
// key share together with policyd, submits PSBTs, runs its half of every
// threshold signature, finalizes, verifies and broadcasts the transaction.
// The logic lives in package mpc/custody; this is its command line.
package main

import (
	"io"
	"os"

	"github.com/bitlayer-org/policyd/internal/cli"
)

// Each command lives in its own file and has the signature
// func(args []string, stdout, stderr io.Writer) int (the process exit code,
// one of internal/cli's: 0 ok, 1 refused or security, 2 usage, 3 I/O or
// unreachable). internal/cli adds help, --version and unknown commands.
func commands() []cli.Command {
	return []cli.Command{
		{Name: "preparams", Summary: "generate one set of tss-lib pre-parameters (minutes), age-encrypted", Run: runPreParams},
		{Name: "keygen", Summary: "run the key generation ceremony with policyd; store the share age-encrypted", Run: runKeygen},
		{Name: "address", Summary: "show the group public key and wallet address of a share", Run: runAddress},
		{Name: "sign", Summary: "submit a PSBT, co-sign every input, finalize, verify, optionally broadcast", Run: runSign},
		{Name: "reshare", Summary: "rotate the share with policyd (same key and address); keep the old share file", Run: runReshare},
		{Name: "musig-keygen", Summary: "make the custody node's MuSig2 key and the staker key with policyd (audited)", Run: runMuSigKeygen},
		{Name: "stake", Summary: "stake the wallet's BTC on Babylon: staking tx through policyd and the threshold signing, slashing txs co-signed (MuSig2), optionally broadcast", Run: runStake},
		{Name: "unbond", Summary: "co-sign a stake's unbonding transaction and its slashing transaction (MuSig2 staker key)", Run: runUnbond},
		{Name: "withdraw-stake", Summary: "spend a stake's locked output through its timelock back to the wallet (MuSig2), verify, optionally broadcast", Run: runWithdrawStake},
		{Name: "demo", Summary: "play P002 end to end against `policyd --dev` (--dev)", Run: runDemo},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Dispatch("custody", commands(), args, stdout, stderr)
}
