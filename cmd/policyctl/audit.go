package main

import (
	"fmt"
	"io"
)

// runAudit is filled in by the audit work; until then it refuses.
func runAudit(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl audit: not implemented yet")
	return 2
}
