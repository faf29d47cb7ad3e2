package main

import (
	"fmt"
	"io"
)

// runL2 is filled in by the l2 work; until then it refuses.
func runL2(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl l2: not implemented yet")
	return 2
}
