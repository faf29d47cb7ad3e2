// Command custody is the reference custody node: the liquid-restaking
// project's party in the dedicated wallet's threshold key.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "custody: not implemented yet")
	os.Exit(2)
}
