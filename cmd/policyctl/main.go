// Command policyctl is the operators', admins' and auditors' tool for the
// co-signing policy server: it inspects PSBTs offline, reads the L2 request
// ledger, signs and sends whitelist governance actions with an Ethereum
// keystore, and exports and verifies the signed decision log.
package main

import (
	"io"
	"os"

	"github.com/bitlayer-org/policyd/internal/cli"
)

// commands are policyctl's command groups, one file each; help, --version,
// unknown commands and the exit codes are internal/cli's.
func commands() []cli.Command {
	return []cli.Command{
		{Name: "status", Summary: "a running server's health, readiness, freeze, L2 view and audit size (like vault status)", Run: runStatus},
		{Name: "backup", Summary: "an online, checksummed copy of a running server's database (operator token)", Run: runBackup},
		{Name: "decision", Summary: "a stored decision and each reqId claim's stage on L1/L2 (auditor token)", Run: runDecision},
		{Name: "psbt", Summary: "inspect a PSBT offline or ask a server for a dry-run decision", Run: runPSBT},
		{Name: "l2", Summary: "show the L2 indexer's status and request records", Run: runL2},
		{Name: "reserves", Summary: "what the wallet holds on L1 against what L2 says it owes, and any deficit", Run: runReserves},
		{Name: "whitelist", Summary: "list, propose, approve and reject whitelist changes; freeze and unfreeze", Run: runWhitelist},
		{Name: "audit", Summary: "export and verify the signed decision log, re-check decisions", Run: runAudit},
		{Name: "contracts", Summary: "deploy the reference staking contracts (GovernorMultisig, StakingPool)", Run: runContracts},
		{Name: "config", Summary: "render the final policyd and relayer configurations from deploy/ examples and the kit's outputs", Run: runConfig},
		{Name: "pki", Summary: "make the deployment's CA, certificates, custody pin, tokens and secret files", Run: runPKI},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Dispatch("policyctl", commands(), args, stdout, stderr)
}
