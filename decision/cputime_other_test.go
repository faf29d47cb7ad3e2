//go:build !unix

package decision

import "time"

// processCPU is not measured here (0: the metric reads 0).
func processCPU() time.Duration { return 0 }
