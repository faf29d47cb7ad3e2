package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/internal/devnet"
)

// TestDevDemo is the README's two-command quick start, as processes:
// `policyd --dev` (embedded L2 chain, fixture shares, dev TLS) and
// `custody demo --dev` against it. The demo must pass all 12 steps and
// policyd must shut down cleanly on SIGTERM.
func TestDevDemo(t *testing.T) {
	t0 := time.Now()
	dir := t.TempDir()
	api, l2 := loopback(freePort(t)), loopback(freePort(t))
	pd, m := startDevPolicyd(t, dir, api, l2)
	t.Logf("policyd --dev up at %s in %s", m.APIURL, time.Since(t0).Round(time.Millisecond))
	if m.APIURL != "https://"+api || !strings.HasSuffix(m.L2RPC, l2) {
		t.Fatalf("manifest has API %s and L2 %s, want %s and %s", m.APIURL, m.L2RPC, api, l2)
	}

	start := time.Now()
	demo := startProc(t, "custody demo --dev", bins.custody, nil, "demo", "--dev", "--dev-dir", dir, "--timeout", "3m")
	demo.mustExit(4*time.Minute, 0)
	out := demo.stdout.String()
	if !strings.Contains(out, "summary: all 12 steps passed") {
		t.Fatalf("demo exited 0 without passing all 12 steps:\n%s", out)
	}
	t.Logf("custody demo --dev: all 12 steps passed in %s", time.Since(start).Round(time.Millisecond))

	t1 := time.Now()
	pd.signal(syscall.SIGTERM)
	pd.mustExit(30*time.Second, 0)
	t.Logf("policyd --dev exited 0 on SIGTERM in %s", time.Since(t1).Round(time.Millisecond))
}

// startDevPolicyd starts `policyd --dev` in dir (API on api, embedded L2 on
// l2) and waits for its manifest.
func startDevPolicyd(t *testing.T, dir, api, l2 string) (*proc, *devnet.Manifest) {
	t.Helper()
	pd := startProc(t, "policyd --dev", bins.policyd, nil,
		"--dev", "--dev-dir", dir, "--dev-l2", l2, "--listen", api)
	var m *devnet.Manifest
	eventually(t, 60*time.Second, 100*time.Millisecond, "policyd --dev writes its manifest", func() (bool, error) {
		if !pd.running() {
			t.Fatalf("policyd --dev exited before it was up:\n%s", tail(pd.stderr.String(), 4000))
		}
		var err error
		m, err = devnet.ReadManifest(dir)
		return err == nil && m.APIURL != "", err
	})
	return pd, m
}
