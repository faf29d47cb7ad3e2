package main

import (
	"fmt"
	"io"
)

// runWhitelist is filled in by the whitelist work; until then it refuses.
func runWhitelist(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl whitelist: not implemented yet")
	return 2
}
