//go:build !linux

package regtest

import "os/exec"

// dieWithParent has no portable equivalent outside Linux: there, btcd is
// stopped by Stop only (policyd --dev calls it on every return path).
func dieWithParent(*exec.Cmd) {}
