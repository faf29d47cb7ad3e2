//go:build !linux

package e2e

import "errors"

func devBtcdPIDs(string) ([]int, error) {
	return nil, errors.New("listing processes needs /proc (Linux)")
}

func processRunning(int) bool { return false }
