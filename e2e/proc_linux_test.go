//go:build linux

package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL the child if the test binary
// itself dies (a panic or a -timeout would otherwise skip t.Cleanup and
// leave the child running).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
