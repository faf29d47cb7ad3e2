package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	os.WriteFile(f, []byte("from-file\r\nsecond line\n"), 0o600)
	t.Setenv("TEST_SECRET_ENV", "from-env")
	if s, err := Secret(f, "TEST_SECRET_ENV", "? ", io.Discard); err != nil || s != "from-file" {
		t.Fatalf("file: %q %v", s, err)
	}
	if s, err := Secret("", "TEST_SECRET_ENV", "? ", io.Discard); err != nil || s != "from-env" {
		t.Fatalf("env: %q %v", s, err)
	}
	if _, err := Secret(filepath.Join(dir, "none"), "", "? ", io.Discard); Code(err) != ExitIO {
		t.Fatalf("missing file: %v (exit %d)", err, Code(err))
	}
	// Not a terminal (a pipe or a file): no prompt, a usage error.
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if _, err := secretFrom("", "", "? ", io.Discard, r); !errors.Is(err, ErrNoSecret) || Code(err) != ExitUsage {
		t.Fatalf("no terminal: %v (exit %d)", err, Code(err))
	}
}
