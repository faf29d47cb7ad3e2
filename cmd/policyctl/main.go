// Command policyctl is the operators', admins' and auditors' tool for the
// co-signing policy server: it inspects PSBTs offline, reads the L2 request
// ledger, signs and sends whitelist governance actions with an Ethereum
// keystore, and exports and verifies the signed decision log.
package main

import (
	"fmt"
	"io"
	"os"
)

// Each command group lives in its own file and has the signature
// func(args []string, stdout, stderr io.Writer) int (the process exit code).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"psbt", "inspect a PSBT offline or ask a server for a dry-run decision", runPSBT},
		{"l2", "show the L2 indexer's status and request records", runL2},
		{"whitelist", "list, propose, approve and reject whitelist changes; freeze and unfreeze", runWhitelist},
		{"audit", "export and verify the signed decision log, re-check decisions", runAudit},
		{"contracts", "deploy the reference staking contracts (GovernorMultisig, StakingPool)", runContracts},
		{"pki", "make the deployment's CA, certificates, custody pin, tokens and secret files", runPKI},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "policyctl: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: policyctl <command> [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
