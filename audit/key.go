package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// DefaultKeyName is the note key name of the server's audit key.
const DefaultKeyName = "policyd-audit"

// GenerateKey returns a fresh Ed25519 note key pair named name (use
// DefaultKeyName): the signer key skey is secret; vkey is public.
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("audit: generate key: %w", err)
	}
	return skey, vkey, nil
}

// VerifierKey derives the public verifier key (name+hash+base64 key, the
// string auditors pass to `policyctl audit verify --key`) from a signer key.
// Errors never include the key material.
func VerifierKey(skey string) (string, error) {
	if _, err := note.NewSigner(skey); err != nil {
		return "", fmt.Errorf("%w: audit signer key: %v", ErrMalformed, err)
	}
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", fmt.Errorf("%w: audit signer key has %d fields", ErrMalformed, len(parts))
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("%w: audit signer key is not an Ed25519 note key", ErrMalformed)
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", fmt.Errorf("audit: verifier key: %w", err)
	}
	return vkey, nil
}

// LoadOrCreateKey reads the signer key at path, or, if the file does not
// exist, generates one named DefaultKeyName and writes it there (mode 0600,
// created exclusively, synced). It refuses a key file readable or writable
// by group or others. The key is never logged; print only VerifierKey.
func LoadOrCreateKey(path string) (skey string, created bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		fi, err := os.Stat(path)
		if err != nil {
			return "", false, fmt.Errorf("audit: stat key file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", false, fmt.Errorf("audit: key file %s has mode %v; want 0600", path, fi.Mode().Perm())
		}
		skey = strings.TrimSpace(string(data))
		if _, err := VerifierKey(skey); err != nil {
			return "", false, fmt.Errorf("audit: key file %s: %w", path, err)
		}
		return skey, false, nil
	case errors.Is(err, fs.ErrNotExist):
	default:
		return "", false, fmt.Errorf("audit: read key file: %w", err)
	}

	skey, _, err = GenerateKey(DefaultKeyName)
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("audit: create key dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("audit: create key file: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", false, fmt.Errorf("audit: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return "", false, fmt.Errorf("audit: sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", false, fmt.Errorf("audit: close key file: %w", err)
	}
	return skey, true, nil
}
