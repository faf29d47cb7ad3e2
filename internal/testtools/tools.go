// Package testtools finds, or builds on first use, the pinned external
// programs that integration tests run for real: btcd (regtest) and geth
// (--dev). Nothing is downloaded but Go modules through the module proxy:
// each tool is built with `go install module@version` into a per-version
// cache directory, under a file lock so parallel test binaries build it once.
//
// Lookup order for each tool: the environment variable (BTCD_BIN, GETH_BIN),
// then the cache directory. The cache lives in $POLICYD_TOOLS_DIR, default
// $HOME/.cache/policyd-tools.
package testtools

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Tool is one pinned external program.
type Tool struct {
	Name    string // binary name
	Env     string // environment variable that overrides the path
	Module  string // go install package path
	Version string // pinned version
}

var (
	// Btcd is the Bitcoin full node used in regtest mode.
	Btcd = Tool{Name: "btcd", Env: "BTCD_BIN", Module: "github.com/btcsuite/btcd", Version: "v0.26.2"}
	// Geth is the Ethereum node used with --dev as the L2 stand-in.
	Geth = Tool{Name: "geth", Env: "GETH_BIN", Module: "github.com/ethereum/go-ethereum/cmd/geth", Version: "v1.17.10"}
)

// CacheDir is where built tools are kept.
func CacheDir() string {
	if d := os.Getenv("POLICYD_TOOLS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "policyd-tools")
	}
	return filepath.Join(home, ".cache", "policyd-tools")
}

// Path returns the tool's binary, building it first if needed. Building geth
// takes several minutes on two cores; tests that call this must allow for it.
func (t Tool) Path() (string, error) {
	if p := os.Getenv(t.Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", t.Env, p, err)
		}
		return p, nil
	}
	dir := filepath.Join(CacheDir(), t.Name+"-"+t.Version)
	bin := filepath.Join(dir, t.Name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process while we waited
	}
	start := time.Now()
	cmd := exec.Command("go", "install", t.Module+"@"+t.Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", t.Module, t.Version, err, out)
	}
	fmt.Fprintf(os.Stderr, "testtools: built %s %s in %s\n", t.Name, t.Version, time.Since(start).Round(time.Second))
	return bin, nil
}
