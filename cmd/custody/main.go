// Command custody is the reference custody node: the liquid-restaking
// project's party in the dedicated wallet's threshold key. It generates its
// key share together with policyd, submits PSBTs, runs its half of every
// threshold signature, finalizes, verifies and broadcasts the transaction.
// The logic lives in package mpc/custody; this is its command line.
package main

import (
	"fmt"
	"io"
	"os"
)

// Each command lives in its own file and has the signature
// func(args []string, stdout, stderr io.Writer) int (the process exit code).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"preparams", "generate one set of tss-lib pre-parameters (minutes), age-encrypted", runPreParams},
		{"keygen", "run the key generation ceremony with policyd; store the share age-encrypted", runKeygen},
		{"address", "show the group public key and wallet address of a share", runAddress},
		{"sign", "submit a PSBT, co-sign every input, finalize, verify, optionally broadcast", runSign},
		{"reshare", "rotate the share with policyd (same key and address); keep the old share file", runReshare},
		{"demo", "play P002 end to end against `policyd --dev` (--dev)", runDemo},
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
	fmt.Fprintf(stderr, "custody: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: custody <command> [arguments]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
