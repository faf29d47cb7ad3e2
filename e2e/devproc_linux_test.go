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

// processRunning reports whether pid is a process that has not exited (a
// zombie, exited but not yet reaped, counts as exited). A process on its
// way out loses its cmdline before its sockets close, so devBtcdPIDs
// alone cannot tell, and neither can this: callers also check the port.
func processRunning(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return true
	}
	return stat[i+2] != 'Z' && stat[i+2] != 'X'
}
