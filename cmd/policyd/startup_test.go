package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// result is one finished run of a policyd binary.
type result struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("%s %v panicked:\n%s", bin, args, r.stderr)
	}
	return r
}

func (r result) want(t *testing.T, code int, substrings ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range substrings {
		if !strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
	}
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.MarshalIndent(v, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// validConfig is a complete configuration in dir (real TLS files, a share
// passphrase, an L2 URL nothing answers): it passes every check policyd
// makes before it opens the database.
func validConfig(t *testing.T, dir string) Config {
	t.Helper()
	files, err := tlsutil.DevCA(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(dir, "share.pass")
	if err := os.WriteFile(pass, []byte("a test passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Network = "regtest"
	cfg.TLS = TLSConfig{CertFile: files.ServerCert, KeyFile: files.ServerKey, ClientCAFile: files.CACert}
	cfg.L2.RPCURLs = []string{"http://127.0.0.1:1"}
	cfg.L2.Contract = "0x00000000000000000000000000000000000000aa"
	cfg.L2.StartBlock = 1
	cfg.Governance.WalletID = "test"
	cfg.Governance.BitlayerAdmins = []string{"0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002"}
	cfg.MPC.PassphraseFile = pass
	cfg.MPC.WorkFactor = 10
	cfg.resolve()
	if err := cfg.validate(); err != nil {
		t.Fatalf("validConfig is not valid: %v", err)
	}
	return cfg
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s was created (stat: %v)", path, err)
	}
}

func TestHelpAndVersionExitZero(t *testing.T) {
	bin := needReleaseBinary(t)
	r := runBinary(t, bin, nil, "--help")
	r.want(t, 0, "-config", "-version", "Exit codes")
	if !strings.Contains(r.stdout, "usage: policyd") {
		t.Fatalf("--help not on stdout: %q", r.stdout)
	}
	runBinary(t, bin, nil, "-h").want(t, 0, "-config")
	r = runBinary(t, bin, nil, "--version")
	r.want(t, 0)
	if !strings.HasPrefix(r.stdout, "policyd ") || !strings.Contains(r.stdout, "commit ") {
		t.Fatalf("--version: %q", r.stdout)
	}
	runBinary(t, bin, nil, "--no-such-flag").want(t, 2, "flag provided but not defined")
	runBinary(t, bin, nil).want(t, 2, "--config FILE or --dev is required")
}

// Every configuration error is one line naming its key, exit 2, and
// policyd writes nothing (no data directory, no audit key, no database).
func TestConfigErrorsNameTheKeyAndWriteNothing(t *testing.T) {
	bin := needReleaseBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")

	empty := writeJSON(t, filepath.Join(dir, "empty.json"), fmt.Sprintf(`{"data_dir": %q}`, data))
	r := runBinary(t, bin, nil, "--config", empty)
	r.want(t, 2, "tls.cert_file: required", "l2.rpc_urls:", "l2.contract:", "l2.start_block:", "governance.wallet_id: required", "governance.bitlayer_admins:")
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(line, "policyd: config "+empty+": ") {
			t.Errorf("line does not name the file and a key: %q", line)
		}
	}
	noFile(t, data)

	for name, tc := range map[string]struct{ body, want string }{
		"unknown key":   {`{"data_dir":"/x","l2":{"poll_intervall":"1s"}}`, "l2.poll_intervall: unknown key"},
		"bad duration":  {`{"data_dir":"/x","l2":{"stale_after":"soon"}}`, `l2.stale_after: "soon" is not a duration`},
		"wrong type":    {`{"data_dir":"/x","governance":{"quorum":"two"}}`, "governance.quorum: want a JSON number"},
		"syntax":        {"{\"data_dir\":\"/x\",\n\"listen\": }", "line 2:"},
		"no data dir":   {`{"data_dir":""}`, "data_dir: required"},
		"relative dir":  {`{"data_dir":"data"}`, `data_dir: "data" must be an absolute path`},
		"missing file":  {"", "no such file"},
		"token in hash": {`{"data_dir":"/x","auth":{"tokens":[{"name":"p","role":"reader","sha256":"s3cret"}]}}`, "auth.tokens[0].sha256: want 64"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.json")
			if tc.body != "" {
				path = writeJSON(t, filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json"), tc.body)
			}
			runBinary(t, bin, nil, "--config", path).want(t, 2, tc.want)
		})
	}

	// Values fine, files missing: still exit 2 before anything is written.
	cfg := validConfig(t, dir)
	cfg.TLS.KeyFile = filepath.Join(dir, "nope.pem")
	cfg.MPC.PassphraseFile = ""
	cfg.MPC.AllowKeygen = true
	path := writeJSON(t, filepath.Join(dir, "files.json"), cfg)
	runBinary(t, bin, []string{"POLICYD_SHARE_PASSPHRASE="}, "--config", path).want(t, 2, "tls.key_file: open "+cfg.TLS.KeyFile, "mpc.passphrase_file: not set and POLICYD_SHARE_PASSPHRASE is empty")
	noFile(t, cfg.DataDir)
	noFile(t, cfg.Audit.KeyFile)
}

// A failure after the database opened used to be hidden by a nil-pointer
// panic in the deferred close; now it is the error policyd prints.
func TestStartupErrorAfterDatabaseOpens(t *testing.T) {
	bin := needReleaseBinary(t)
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, cfg.MPC.ShareFile, "not an age file")
	path := writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	r := runBinary(t, bin, nil, "--config", path)
	r.want(t, 1, "key share "+cfg.MPC.ShareFile)
	if _, err := os.Stat(cfg.DBPath()); err != nil {
		t.Fatalf("the database was not opened, so this test proves nothing: %v", err)
	}

	// In process as well: newServer returns the error and no server.
	s, err := newServer(context.Background(), cfg, discardLogger())
	if err == nil || s != nil || !strings.Contains(err.Error(), "key share") {
		t.Fatalf("newServer = %v, %v", s, err)
	}
}

// A data directory another process holds: exit 3 naming that process, at
// once (no 5 s bbolt timeout), and no database created.
func TestLockedDataDirNamesTheHolder(t *testing.T) {
	bin := needReleaseBinary(t)
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	path := writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	start := time.Now()
	r := runBinary(t, bin, nil, "--config", path)
	r.want(t, 3, "data directory "+cfg.DataDir+" is in use by", fmt.Sprintf("pid %d", os.Getpid()))
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %s: waited for a lock instead of reporting it", d)
	}
	noFile(t, cfg.DBPath())
	noFile(t, cfg.Audit.KeyFile)

	// The lock is the process's, not the file's: once released, a new
	// holder takes it and records its own pid.
	lock.release()
	l2, err := lockDataDir(cfg.DataDir)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	l2.release()
}

func TestBusyPortIsAPlainError(t *testing.T) {
	bin := needReleaseBinary(t)
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	r := runBinary(t, bin, nil, "--config", path, "--listen", ln.Addr().String())
	r.want(t, 3, "listen "+ln.Addr().String()+": the port is in use")
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
		t.Errorf("want one line, got:\n%s", r.stderr)
	}
	noFile(t, cfg.DBPath())
}

// devFiles puts a stand-in database and manifest into a dev directory:
// what a running `policyd --dev` owns.
func devFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{
		filepath.Join(dir, "policyd.db"):        "the running server's database",
		filepath.Join(dir, devnet.ManifestFile): "the running server's manifest",
	}
	for p, body := range files {
		writeJSON(t, p, body)
	}
	return files
}

func sameFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for p, body := range files {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != body {
			t.Fatalf("%s was changed or removed (%v)", p, err)
		}
	}
}

// A second --dev on a directory in use stops at the lock: it names the
// holder and deletes nothing.
func TestDevTakesTheLockBeforeTouchingAnything(t *testing.T) {
	bin := needBinary(t, devBinary)
	dir := filepath.Join(t.TempDir(), "dev")
	lock, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	files := devFiles(t, dir)
	r := runBinary(t, bin, nil, "--dev", "--dev-dir", dir, "--listen", "127.0.0.1:0", "--dev-l2", "127.0.0.1:0")
	r.want(t, 3, "data directory "+dir+" is in use by", fmt.Sprintf("pid %d", os.Getpid()))
	sameFiles(t, files)
}

// A busy API port fails --dev before it removes anything.
func TestDevBusyPortDeletesNothing(t *testing.T) {
	bin := needBinary(t, devBinary)
	dir := filepath.Join(t.TempDir(), "dev")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := devFiles(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := runBinary(t, bin, nil, "--dev", "--dev-dir", dir, "--listen", ln.Addr().String(), "--dev-l2", "127.0.0.1:0")
	r.want(t, 3, "the port is in use")
	sameFiles(t, files)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Another process (here: this one, through a second open) holding the
// bbolt file itself, e.g. a reader: after bbolt's wait the error names it.
func TestLockedDatabaseNamesTheHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for bbolt's 5 s timeout")
	}
	cfg := validConfig(t, t.TempDir())
	db, err := storage.Open(cfg.DBPath(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := storage.Open(cfg.DBPath(), storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s, err := newServer(context.Background(), cfg, discardLogger())
	if err == nil || s != nil {
		t.Fatalf("newServer on a held database: %v, %v", s, err)
	}
	if want := fmt.Sprintf("database %s is locked by ", cfg.DBPath()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("error does not name the holder: %v", err)
	}
}
