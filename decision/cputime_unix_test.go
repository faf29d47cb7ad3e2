//go:build unix

package decision

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used, all
// threads (the benchmarks' CPU per decision).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
