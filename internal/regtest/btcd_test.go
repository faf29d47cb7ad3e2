package regtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// FindBtcd's order: $BTCD_BIN, the tools cache, a btcd of the pinned
// version on $PATH, else a build through `go install` announced by one
// progress line. The build is exercised with a stand-in `go` on $PATH that
// records its arguments and environment and writes the binary, so the test
// needs no network and takes milliseconds.
func TestFindBtcdOrder(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh for the stand-in programs")
	}
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	bin := filepath.Join(root, "bin")
	t.Setenv("POLICYD_TOOLS_DIR", cache)
	// Ours first; the system directories only for the shell tools the
	// stand-ins call.
	t.Setenv("PATH", bin+string(os.PathListSeparator)+"/usr/bin:/bin")
	t.Setenv("BTCD_BIN", "")
	argsFile := filepath.Join(root, "go-args")
	// The stand-in `go install`: records argv and GOBIN, writes $GOBIN/btcd.
	writeScript(t, filepath.Join(bin, "go"), `echo "$@ GOBIN=$GOBIN" > `+argsFile+`
printf '#!/bin/sh\necho built\n' > "$GOBIN/btcd"; chmod 755 "$GOBIN/btcd"
`)

	// 1. The override wins; a missing one is an error.
	t.Setenv("BTCD_BIN", filepath.Join(root, "missing"))
	if p, err := FindBtcd(nil); err == nil {
		t.Fatalf("a missing BTCD_BIN was accepted: %s", p)
	}
	override := filepath.Join(root, "mine", "btcd")
	writeScript(t, override, "")
	t.Setenv("BTCD_BIN", override)
	if p, err := FindBtcd(nil); err != nil || p != override {
		t.Fatalf("override: %s %v", p, err)
	}
	t.Setenv("BTCD_BIN", "")

	// 3. A btcd of another version on PATH is passed over: the build runs.
	writeScript(t, filepath.Join(bin, "btcd"), "echo 'btcd version 0.24.2-beta'\n")
	var progress bytes.Buffer
	p, err := FindBtcd(&progress)
	want := filepath.Join(cache, "btcd-v0.26.2", "btcd")
	if err != nil || p != want {
		t.Fatalf("build: %s %v, want %s", p, err, want)
	}
	if got := strings.Count(progress.String(), "\n"); got != 1 || !strings.HasPrefix(progress.String(), "building btcd v0.26.2 (first run only, ~2 min)") {
		t.Fatalf("progress output %q: want one line announcing the build", progress.String())
	}
	args, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(args)); got != "install github.com/btcsuite/btcd@v0.26.2 GOBIN="+filepath.Dir(want) {
		t.Fatalf("go was run as %q", got)
	}

	// 2. Now cached: used without building or printing anything.
	os.Remove(argsFile)
	progress.Reset()
	if p, err := FindBtcd(&progress); err != nil || p != want || progress.Len() != 0 {
		t.Fatalf("cached: %s %v %q", p, err, progress.String())
	}
	if _, err := os.Stat(argsFile); err == nil {
		t.Fatal("a cached btcd was rebuilt")
	}

	// 3. Without a cached build, the pinned version on PATH is taken.
	if err := os.RemoveAll(filepath.Join(cache, "btcd-v0.26.2")); err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(bin, "btcd"), "echo 'btcd version 0.26.2-beta'\n")
	if p, err := FindBtcd(&progress); err != nil || p != filepath.Join(bin, "btcd") || progress.Len() != 0 {
		t.Fatalf("PATH: %s %v %q", p, err, progress.String())
	}
	if _, err := os.Stat(argsFile); err == nil {
		t.Fatal("built although the pinned version is on PATH")
	}
}

func TestPinnedVersion(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		out  string
		want bool
	}{
		{"btcd version 0.26.2-beta", true},
		{"btcd version 0.26.2", true},
		{"btcd version 0.26.20-beta", false},
		{"btcd version 0.24.2-beta", false},
		{"something else", false},
	} {
		p := filepath.Join(dir, "btcd")
		writeScript(t, p, "echo '"+c.out+"'\n")
		if got, _ := pinnedVersion(p); got != c.want {
			t.Errorf("%q: pinned = %v, want %v", c.out, got, c.want)
		}
	}
}
