package witness

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestOpenDirCreatesOnceAndPinsTheLogKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "witness")
	_, lv, err := note.GenerateKey(rand.Reader, "policyd-audit")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenDir(dir, "custody", ""); err == nil || !strings.Contains(err.Error(), "no log verifier key") {
		t.Fatalf("no log key: %v", err)
	}
	w, created, err := OpenDir(dir, "custody", lv)
	if err != nil || !created || w.Cosigner().Name() != "custody" {
		t.Fatalf("first open: %v %v", created, err)
	}
	w2, created, err := OpenDir(dir, "other-name-ignored", "")
	if err != nil || created || w2.Cosigner().VerifierKey() != w.Cosigner().VerifierKey() {
		t.Fatalf("second open: %v %v", created, err)
	}
	_, other, _ := note.GenerateKey(rand.Reader, "policyd-audit")
	if _, _, err := OpenDir(dir, "custody", other); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("another log key: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "witness.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	os.Chmod(filepath.Join(dir, "witness.key"), 0o644)
	if _, _, err := OpenDir(dir, "custody", ""); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}
