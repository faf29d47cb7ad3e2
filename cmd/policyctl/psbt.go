package main

import (
	"fmt"
	"io"
)

// runPSBT is filled in by the psbt work; until then it refuses.
func runPSBT(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "policyctl psbt: not implemented yet")
	return 2
}
