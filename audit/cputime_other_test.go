//go:build !unix

package audit

import "time"

// processCPU is not measured off Unix.
func processCPU() time.Duration { return 0 }

// processSysCPU is not measured off Unix.
func processSysCPU() time.Duration { return 0 }
