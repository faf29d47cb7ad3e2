//go:build linux

package regtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL btcd when the process that
// started it dies, however it dies (policyd --dev killed with SIGKILL, a
// test binary hitting -timeout): the node never outlives its owner.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
