//go:build linux

package psbtcheck_test

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time the calling OS thread has used, from the
// per-thread CPU clock (CLOCK_THREAD_CPUTIME_ID: nanosecond resolution,
// unlike RUSAGE_THREAD, which moves in scheduler ticks of up to 4 ms). The
// ratio benchmarks lock the goroutine to its thread, so time other
// processes take on a loaded machine is not counted.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
