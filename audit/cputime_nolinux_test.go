//go:build !linux

package audit

import "time"

// threadCPU falls back to the process's CPU time where there is no
// per-thread clock.
func threadCPU() time.Duration { return processCPU() }
