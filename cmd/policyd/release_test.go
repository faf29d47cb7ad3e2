package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// The dev network's packages: fixture key shares (with their published
// passphrase) and the dev environment that writes them. A release build must
// link neither.
var devPackages = []string{
	"github.com/bitlayer-org/policyd/testvectors/tss",
	"github.com/bitlayer-org/policyd/internal/devnet",
	"github.com/bitlayer-org/policyd/internal/regtest",
}

// binDir holds the binaries the tests build (removed by TestMain).
var binDir string

// buildPolicyd builds ./cmd/policyd with the given build tags into binDir.
func buildPolicyd(name string, tags ...string) func() (string, error) {
	return sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, name)
		args := []string{"build", "-o", bin}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return bin, nil
	})
}

// releaseBinary is ./cmd/policyd built exactly as a release is (-tags
// release, as the Dockerfile does); devBinary is the source-tree build that
// `go run ./cmd/policyd --dev` makes. Tests run them as child processes.
var (
	releaseBinary = buildPolicyd("policyd", "release")
	devBinary     = buildPolicyd("policyd-dev")
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "policyd-bin-*"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

func needBinary(t *testing.T, build func() (string, error)) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the policyd binary")
	}
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func needReleaseBinary(t *testing.T) string { t.Helper(); return needBinary(t, releaseBinary) }

// goList is `go list -deps` of this command with the given extra flags.
func goListDeps(t *testing.T, flags ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps"}, flags...)
	out, err := exec.Command("go", append(args, ".")...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

func TestReleaseBuildHasNoDevMaterial(t *testing.T) {
	bin := needReleaseBinary(t)

	// The import graph: release (-tags release) must not reach the dev
	// packages; the source-tree build must, or this check proves nothing.
	release := strings.Join(goListDeps(t, "-tags", "release"), "\n") + "\n"
	dev := strings.Join(goListDeps(t), "\n") + "\n"
	for _, p := range devPackages {
		if strings.Contains(release, p+"\n") {
			t.Errorf("release build imports %s", p)
		}
		if !strings.Contains(dev, p+"\n") {
			t.Errorf("dev build does not import %s: the release check above is vacuous", p)
		}
	}

	// The binary itself: its build settings name the release tag, and neither
	// the dev packages' symbols nor the dev passphrase are in its bytes.
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	if !strings.Contains(string(out), "path\tgithub.com/bitlayer-org/policyd/cmd/policyd") {
		t.Fatalf("go version -m does not describe cmd/policyd:\n%s", out)
	}
	if !strings.Contains(string(out), "-tags=release") {
		t.Errorf("release binary was not built with -tags release:\n%s", out)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range devPackages {
		if bytes.Contains(raw, []byte(p+".")) {
			t.Errorf("release binary contains symbols of %s", p)
		}
	}
	if bytes.Contains(raw, []byte(tssfixtures.DevPassphrase)) {
		t.Error("release binary contains the dev share passphrase")
	}
	// The dev MuSig2 staker key's and finality provider's seeds
	// (internal/devnet/babylon.go).
	if bytes.Contains(raw, []byte("policyd-devnet-btc/")) {
		t.Error("release binary contains the dev Bitcoin key seeds (MuSig2 staker key halves)")
	}
	// Sanity: the symbol check can see this module's packages at all.
	if !bytes.Contains(raw, []byte("github.com/bitlayer-org/policyd/decision.")) {
		t.Fatal("release binary has no symbols of package decision: the symbol check is vacuous")
	}
}

func TestReleaseBuildRefusesDev(t *testing.T) {
	bin := needReleaseBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--dev", "--dev-dir", filepath.Join(dir, "dev"))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("policyd --dev on a release build: %v (want exit 2)\n%s", err, stderr.String())
	}
	msg := stderr.String()
	if !strings.Contains(msg, "not available in this build") || !strings.Contains(msg, "go run ./cmd/policyd --dev") {
		t.Fatalf("unclear error for --dev on a release build:\n%s", msg)
	}
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Errorf("want one line, got:\n%s", msg)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("release --dev wrote %v", entries)
	}
}
