package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bins are the binaries under test, built once by TestMain.
var bins struct {
	policyd, custody, relayer, policyctl string
}

// TestMain builds cmd/policyd, cmd/custody, cmd/relayer and cmd/policyctl from this
// module into a temporary directory; every test runs those binaries.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	flag.Parse()
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "policyd-e2e-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	race := raceBuild || os.Getenv("POLICYD_E2E_RACE") == "1"
	if race {
		args = append(args, "-race") // the binaries under test, not only the test binary
	}
	// Source-tree builds (no -tags release): policyd --dev is compiled in.
	args = append(args, "./cmd/policyd", "./cmd/custody", "./cmd/relayer", "./cmd/policyctl")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: built policyd, custody, relayer (race detector: %v) in %s\n", race, time.Since(start).Round(time.Millisecond))
	}
	bins.policyd = filepath.Join(dir, "policyd")
	bins.custody = filepath.Join(dir, "custody")
	bins.relayer = filepath.Join(dir, "relayer")
	bins.policyctl = filepath.Join(dir, "policyctl")
	return m.Run()
}

// moduleRoot is the directory holding go.mod: the parent of this package's
// directory (go test runs a package's tests in its own directory).
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if !bytes.Contains(b, []byte("module github.com/bitlayer-org/policyd\n")) {
				return "", fmt.Errorf("%s/go.mod is not github.com/bitlayer-org/policyd", d)
			}
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// logBuf is an output sink safe for a child process and the test.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is a child process of a test. Its output is kept in memory and
// logged when the test fails; it is killed (SIGKILL) at the test's end if
// it still runs.
type proc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	stdout *logBuf
	stderr *logBuf
	done   chan struct{}
	err    error // Wait's result, set before done is closed
}

// startProc runs bin with args; extraEnv is added to the test's environment.
func startProc(t testing.TB, name, bin string, extraEnv []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, stdout: &logBuf{}, stderr: &logBuf{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Errorf("%s (pid %d) did not exit 10 s after SIGKILL", name, p.cmd.Process.Pid)
			}
		}
		if t.Failed() {
			t.Logf("--- %s %s\nstdout:\n%s\nstderr (tail):\n%s", name, strings.Join(args, " "), tail(p.stdout.String(), 6000), tail(p.stderr.String(), 8000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits at most d for the process to exit and returns its exit code
// (-1 when it was killed by a signal).
func (p *proc) wait(d time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(d):
		return 0, fmt.Errorf("%s still running after %s", p.name, d)
	}
	if p.err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, p.err
}

// mustExit waits for the process and fails the test unless it exits with code want.
func (p *proc) mustExit(d time.Duration, want int) {
	p.t.Helper()
	code, err := p.wait(d)
	if err != nil {
		p.t.Fatal(err)
	}
	if code != want {
		p.t.Fatalf("%s exited with %d, want %d\nstderr:\n%s", p.name, code, want, tail(p.stderr.String(), 4000))
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s to %s: %v", sig, p.name, err)
	}
}

// eventually calls f every interval until it returns true or d elapses,
// then fails the test naming what and f's last error (errors are retried:
// f calls t.Fatal itself for anything that cannot get better).
func eventually(t testing.TB, d, interval time.Duration, what string, f func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for {
		ok, err := f()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last error: %v)", what, d, last)
		}
		time.Sleep(interval)
	}
}
