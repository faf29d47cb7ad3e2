package witness

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// LoadOrCreateKey reads the cosigner key at path or, if there is none,
// generates one named name and writes it there (mode 0600, created
// exclusively, synced). A key file readable or writable by group or others
// is refused. The key is never printed; print Cosigner.VerifierKey.
func LoadOrCreateKey(path, name string) (skey string, created bool, err error) {
	skey, err = LoadKey(path)
	switch {
	case err == nil:
		return skey, false, nil
	case errors.Is(err, fs.ErrNotExist):
	default:
		return "", false, err
	}
	if skey, _, err = GenerateKey(name); err != nil {
		return "", false, err
	}
	if err := writeExclusive(path, skey+"\n"); err != nil {
		return "", false, err
	}
	return skey, true, nil
}

// LoadKey reads the cosigner key at path, which must exist (the error
// wraps fs.ErrNotExist otherwise). A key file readable or writable by group
// or others is refused, as is anything but a cosigner key.
func LoadKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("witness: key file %s has mode %v; want 0600", path, fi.Mode().Perm())
	}
	skey := strings.TrimSpace(string(data))
	if _, err := NewCosigner(skey); err != nil {
		return "", fmt.Errorf("witness: key file %s: %w", path, err)
	}
	return skey, nil
}

// PinLogKey returns the log verifier key this witness follows: the one
// saved at path, or, on first use, given (which is then saved). A given key
// that differs from the saved one is refused: a witness never switches
// logs silently.
func PinLogKey(path, given string) (string, error) {
	if given != "" {
		if _, err := note.NewVerifier(given); err != nil {
			return "", fmt.Errorf("%w: log verifier key: %v", ErrMalformed, err)
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		saved := strings.TrimSpace(string(data))
		if given != "" && given != saved {
			return "", fmt.Errorf("witness: log key %s differs from the key this witness follows (%s, saved in %s)", given, saved, path)
		}
		if _, err := note.NewVerifier(saved); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrMalformed, path, err)
		}
		return saved, nil
	case errors.Is(err, fs.ErrNotExist):
		if given == "" {
			return "", errors.New("witness: no log verifier key: pass policyd's audit verifier key (printed at its start-up) once; it is then kept in " + path)
		}
		return given, writeExclusive(path, given+"\n")
	default:
		return "", err
	}
}

func writeExclusive(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// OpenDir opens the witness kept in dir: its cosigner key (witness.key,
// created on first use with name), the log key it follows (log.vkey,
// pinned from logKey on first use) and its state (state.json). created
// reports a new cosigner key (print its VerifierKey for policyd's
// audit.witnesses).
func OpenDir(dir, name, logKey string) (w *Witness, created bool, err error) {
	return OpenDirKey(dir, "", name, logKey)
}

// OpenDirKey is OpenDir with the cosigner key read from keyFile when it is
// set (a key the deployment kit made and enrolled in policyd's
// audit.witnesses beforehand): that file must exist and is never created
// or replaced. The log key and the state stay in dir.
func OpenDirKey(dir, keyFile, name, logKey string) (w *Witness, created bool, err error) {
	lk, err := PinLogKey(filepath.Join(dir, "log.vkey"), logKey)
	if err != nil {
		return nil, false, err
	}
	var skey string
	if keyFile != "" {
		skey, err = LoadKey(keyFile)
	} else {
		skey, created, err = LoadOrCreateKey(filepath.Join(dir, "witness.key"), name)
	}
	if err != nil {
		return nil, false, err
	}
	w, err = New(Config{LogVerifierKey: lk, SignerKey: skey, StateFile: filepath.Join(dir, "state.json")})
	return w, created, err
}
