package witness

import (
	"crypto/rand"
	"errors"
	"io/fs"
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

// A key made beforehand (the deployment kit's) is used as it is: never
// created or replaced, refused when missing or readable by others; the
// log key and the state stay in the witness directory.
func TestOpenDirKeyUsesTheGivenKey(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "witness")
	keyFile := filepath.Join(base, "custody_witness.key")
	_, lv, err := note.GenerateKey(rand.Reader, "policyd-audit")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenDirKey(dir, keyFile, "custody", lv); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing key file: %v, want not-exist (never created)", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenDirKey created the given key file: %v", err)
	}
	skey, created, err := LoadOrCreateKey(keyFile, "custody")
	if err != nil || !created {
		t.Fatalf("make the kit's key: %v %v", created, err)
	}
	c, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	w, created, err := OpenDirKey(dir, keyFile, "ignored", lv)
	if err != nil || created {
		t.Fatalf("open with the kit's key: created %v, %v", created, err)
	}
	if w.Cosigner().VerifierKey() != c.VerifierKey() {
		t.Fatalf("witness key %s, want the given %s", w.Cosigner().VerifierKey(), c.VerifierKey())
	}
	if _, err := os.Stat(filepath.Join(dir, "witness.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a second key was created in the witness directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "log.vkey")); err != nil {
		t.Fatalf("log key not pinned in the witness directory: %v", err)
	}
	os.Chmod(keyFile, 0o640)
	if _, _, err := OpenDirKey(dir, keyFile, "custody", ""); err == nil || !strings.Contains(err.Error(), "want 0600") {
		t.Fatalf("a group-readable key file: %v", err)
	}
	os.Chmod(keyFile, 0o600)
	os.WriteFile(keyFile, []byte("not a key\n"), 0o600)
	if _, _, err := OpenDirKey(dir, keyFile, "custody", ""); err == nil {
		t.Fatal("a key file holding no cosigner key was accepted")
	}
}
