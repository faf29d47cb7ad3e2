package regtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/bitlayer-org/policyd/internal/testtools"
)

// FindBtcd returns the btcd binary the dev network runs, in this order:
//
//  1. $BTCD_BIN (testtools.Btcd.Env): used as is; a path that does not exist
//     is an error, never a silent rebuild;
//  2. the pinned build in the tools cache (testtools.CacheDir(),
//     btcd-v0.26.2/btcd), where scripts/tools.sh and the tests put it;
//  3. a `btcd` on $PATH whose `--version` is the pinned one (another
//     version is passed over: its RPC answers are not the ones package l1
//     was checked against);
//  4. otherwise it builds the pinned version with `go install` into the
//     cache (testtools, under a file lock), writing one progress line to
//     progress first: this is the only slow path, and only on a first run.
func FindBtcd(progress io.Writer) (string, error) {
	t := testtools.Btcd
	if p := os.Getenv(t.Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("regtest: %s=%s: %w", t.Env, p, err)
		}
		return p, nil
	}
	cached := filepath.Join(testtools.CacheDir(), t.Name+"-"+t.Version, t.Name)
	if st, err := os.Stat(cached); err == nil && !st.IsDir() {
		return cached, nil
	}
	if p, err := exec.LookPath(t.Name); err == nil {
		if ok, _ := pinnedVersion(p); ok {
			return p, nil
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "building btcd %s (first run only, ~2 min) into %s\n", t.Version, filepath.Dir(cached))
	}
	p, err := t.Path()
	if err != nil {
		return "", fmt.Errorf("regtest: %w", err)
	}
	return p, nil
}

// pinnedVersion reports whether the btcd at path prints the pinned version
// ("btcd version 0.26.2-beta" for v0.26.2).
func pinnedVersion(path string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return false, err
	}
	want := "version " + strings.TrimPrefix(testtools.Btcd.Version, "v")
	fields := strings.Fields(out.String())
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == "version" {
			got := "version " + fields[i+1]
			return got == want || strings.HasPrefix(got, want+"-"), nil
		}
	}
	return false, errors.New("no version in the output")
}
