package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/bitlayer-org/policyd/internal/cli"
)

// LockFile is the data directory's lock, beside the bbolt file: an
// exclusive flock held for the process's lifetime, and the holder's pid in
// the file so that a second policyd can say who holds it.
const LockFile = "policyd.lock"

// dirLock is a held data-directory lock.
type dirLock struct{ f *os.File }

// lockDataDir creates dir if needed and takes its lock without waiting. A
// directory locked by another process is an I/O error (exit 3) naming that
// process; nothing else in dir is touched either way.
func lockDataDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, cli.IO(fmt.Errorf("data directory: %w", err))
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, cli.IO(fmt.Errorf("data directory lock: %w", err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, cli.IO(fmt.Errorf("data directory %s is in use by %s (lock %s); stop it first or use another directory", dir, describeHolder(f, path), path))
		}
		return nil, cli.IO(fmt.Errorf("data directory lock %s: %w", path, err))
	}
	if err = f.Truncate(0); err == nil {
		_, err = fmt.Fprintf(f, "%d\n", os.Getpid())
	}
	if err != nil {
		f.Close()
		return nil, cli.IO(fmt.Errorf("data directory lock %s: %w", path, err))
	}
	return &dirLock{f: f}, nil
}

// release drops the lock. The file stays (removing it would race a waiting
// process); the next holder overwrites the pid.
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// describeHolder names the process holding path's lock: the pid written in
// the file, confirmed by /proc/locks where available.
func describeHolder(f *os.File, path string) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		if pids := flockHolders(path); len(pids) > 0 {
			pid = pids[0]
		} else {
			return "another process"
		}
	}
	return processName(pid)
}

func processName(pid int) string {
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		return fmt.Sprintf("%s (pid %d)", strings.TrimSpace(string(comm)), pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// flockHolders lists the pids /proc/locks names as holding a flock on
// path's inode (Linux; nil elsewhere or when unreadable).
func flockHolders(path string) []int {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil
	}
	defer f.Close()
	var pids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(fields[5], ":")
		if len(dev) != 3 || dev[2] != strconv.FormatUint(st.Ino, 10) {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// lockedDBError explains bbolt's timeout on a database another process
// holds (policyd itself holds the directory lock, so this is some other
// tool, e.g. a policyctl reading the file).
func lockedDBError(path string, err error) error {
	if pids := flockHolders(path); len(pids) > 0 {
		names := make([]string, len(pids))
		for i, p := range pids {
			names[i] = processName(p)
		}
		return cli.IO(fmt.Errorf("database %s is locked by %s: %w", path, strings.Join(names, ", "), err))
	}
	return cli.IO(fmt.Errorf("database %s is locked by another process: %w", path, err))
}
