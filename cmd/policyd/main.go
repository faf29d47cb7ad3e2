// Command policyd is Bitlayer's party in the dedicated staking wallet's
// threshold-ECDSA key: it checks every signing request against the whitelist
// and the L2 staking contract's events and only then co-signs.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "policyd: wiring not implemented yet")
	os.Exit(2)
}
