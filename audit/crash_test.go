package audit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

const (
	envCrashDB  = "POLICYD_AUDIT_CRASH_DB"
	envCrashKey = "POLICYD_AUDIT_CRASH_KEY"
)

// TestMain lets the crash test re-execute this binary as an appending child.
func TestMain(m *testing.M) {
	if path := os.Getenv(envCrashDB); path != "" {
		crashChild(path, os.Getenv(envCrashKey))
		return
	}
	code := m.Run()
	if bigLog != nil {
		bigLog.db.Close()
	}
	if bigLogDir != "" {
		os.RemoveAll(bigLogDir)
	}
	os.Exit(code)
}

// crashChild appends forever with durable commits and prints each index
// after its commit returned. It is killed with SIGKILL by the parent.
func crashChild(path, skey string) {
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := New(Config{DB: db, SignerKey: skey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var idx uint64
		err := db.Update(func(tx *bolt.Tx) (err error) {
			idx, err = l.AppendBody(tx, t0, testRecord(i, "crash"))
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Fprintf(w, "%d\n", idx)
		w.Flush()
	}
}

func TestCrashKeepsCommittedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	skey, _, err := GenerateKey(DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var reported []uint64
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashDB+"="+path, envCrashKey+"="+skey)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		// Kill after a number of commits that varies per round, while the
		// child is in the middle of its next append.
		target := 40 + 25*round
		n := 0
		for n < target && sc.Scan() {
			idx, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			reported = append(reported, idx)
			n++
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() { // lines already written before the kill were committed too
			if idx, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
				reported = append(reported, idx)
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child did not die by SIGKILL: %v; stderr:\n%s", round, err, stderr.String())
		}
		if n < target {
			t.Fatalf("round %d: child stopped after %d commits; stderr:\n%s", round, n, stderr.String())
		}

		// Reopen: the log verifies and holds every reported record.
		db := openDB(t, path, false)
		l, err := New(Config{DB: db, SignerKey: skey})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := l.ExportRange(t.Context(), &buf, ExportRequest{}); err != nil {
			t.Fatal(err)
		}
		cp, err := VerifyExport(&buf, l.VerifierKey(), nil)
		if err != nil {
			t.Fatalf("round %d: log does not verify after SIGKILL: %v", round, err)
		}
		for i, idx := range reported {
			if idx != uint64(i) {
				t.Fatalf("round %d: reported index %d at position %d", round, idx, i)
			}
		}
		if cp.Size < uint64(len(reported)) {
			t.Fatalf("round %d: log has %d records, child reported %d committed", round, cp.Size, len(reported))
		}
		// At most the one append in flight may have committed unreported.
		if cp.Size > uint64(len(reported))+1 {
			t.Fatalf("round %d: log has %d records, only %d reported", round, cp.Size, len(reported))
		}
		for uint64(len(reported)) < cp.Size {
			reported = append(reported, uint64(len(reported)))
		}
		db.Close()
	}
}
