//go:build linux

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// devBtcdPIDs lists the running btcd processes of the dev network in dir,
// found by their command line (--datadir=<dir>/btcd/data) in /proc: what
// the operating system says runs, not what policyd claims it started.
func devBtcdPIDs(dir string) ([]int, error) {
	want := []byte("--datadir=" + filepath.Join(dir, "btcd", "data"))
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // exited meanwhile
		}
		for _, arg := range bytes.Split(cmdline, []byte{0}) {
			if bytes.Equal(arg, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids, nil
}
