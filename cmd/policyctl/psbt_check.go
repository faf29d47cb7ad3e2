package main

import (
	"fmt"
	"io"
)

// runPSBTCheck asks a running server for a dry-run decision (policy work).
func runPSBTCheck(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl psbt check: not implemented yet")
	return 2
}
