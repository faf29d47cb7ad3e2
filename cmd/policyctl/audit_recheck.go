package main

import (
	"fmt"
	"io"
)

// runAuditRecheck replays stored decisions through policy.Evaluate (policy work).
func runAuditRecheck(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl audit recheck: not implemented yet")
	return 2
}
