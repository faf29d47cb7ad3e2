package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/mpc"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

func TestL1ConfigValidation(t *testing.T) {
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	// Absent: valid (today's behaviour).
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	cfg.L1 = &L1Config{Endpoints: []L1Endpoint{{URL: "http://u:p@127.0.0.1:1"}, {URL: "http://127.0.0.1:2", User: "u", PasswordFile: "/x", CACertFile: "/ca"}}}
	err := cfg.validate()
	if err == nil {
		t.Fatal("bad l1 block accepted")
	}
	for _, want := range []string{"l1.endpoints[0].url", "l1.endpoints[0].user", "l1.endpoints[0].password_file",
		"l1.endpoints[1].ca_cert_file", "l1.start_height", "l1.confirmations"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "u:p@") {
		t.Errorf("credentials echoed: %v", err)
	}
	cfg.L1 = &L1Config{}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "l1.endpoints: at least one") {
		t.Fatalf("empty l1 block: %v", err)
	}
	// A missing password file is named by checkFiles.
	cfg.L1 = &L1Config{Endpoints: []L1Endpoint{{URL: "http://127.0.0.1:2", User: "u", PasswordFile: filepath.Join(dir, "missing")}}, StartHeight: 1, Confirmations: 6}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if err := cfg.checkFiles(); err == nil || !strings.Contains(err.Error(), "l1.endpoints[0].password_file") {
		t.Fatalf("missing password file: %v", err)
	}
}

// The wallet script is the share's address, never configured; the password
// comes from its file.
func TestL1WatcherConfigFromShareAddress(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "btc.pass")
	os.WriteFile(pass, []byte("s3cret-password\n"), 0o600)
	net, _ := btcnet.Params("regtest")
	c := &L1Config{Endpoints: []L1Endpoint{{URL: "http://127.0.0.1:18443", User: "u", PasswordFile: pass}}, StartHeight: 1, Confirmations: 6}
	addr := "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080" // P2WPKH of the BIP173 test key
	wc, err := c.watcherConfig(net, addr, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(wc.Scripts) != 1 || len(wc.Scripts[0]) != 22 || wc.Scripts[0][0] != 0x00 || wc.Scripts[0][1] != 0x14 {
		t.Fatalf("script %x", wc.Scripts)
	}
	if wc.Endpoints[0].Pass != "s3cret-password" || wc.Confirmations != 6 || wc.Freshness.PollWithin == 0 || wc.Freshness.HeadWithin == 0 {
		t.Fatalf("config %+v", wc)
	}
	if _, err := c.watcherConfig(net, "not-an-address", slog.Default()); err == nil {
		t.Fatal("bad address accepted")
	}
}

// Without the l1 block policyd starts as before and says loudly that inputs
// are not checked against Bitcoin.
func TestNoL1BlockWarnsLoudly(t *testing.T) {
	var buf bytes.Buffer
	s := &server{cfg: Config{}, log: slog.New(slog.NewTextHandler(&buf, nil))}
	w, err := s.startL1(nil)
	if err != nil || w != nil {
		t.Fatalf("watcher %v, err %v", w, err)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "NOT checked against Bitcoin") {
		t.Fatalf("log: %s", buf.String())
	}
}

// A key share made by a ceremony after start (none was loaded, so the L1
// view could not start with its address): with the l1 block configured,
// signing is refused (l1_not_started, 503) until a restart starts the view,
// never done without L1 checks.
func TestShareAfterStartRefusesWithoutL1View(t *testing.T) {
	dir := t.TempDir()
	cfg := validConfig(t, dir)
	pass := filepath.Join(dir, "btc.pass")
	if err := os.WriteFile(pass, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.L1 = &L1Config{Endpoints: []L1Endpoint{{URL: "http://127.0.0.1:1", User: "u", PasswordFile: pass}}, StartHeight: 1, Confirmations: 2}
	cfg.MPC.AllowKeygen = true
	cfg.resolve()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, cfg)
	if s.l1 != nil {
		t.Fatal("an L1 view started without a share")
	}
	// The ceremony's share becomes active (as the MPC server reports it
	// after a key generation).
	sh := loadFixtureShare(t)
	s.signer.share = func() *mpc.Share { return sh }
	_, err := s.signer.SubmitRequest(context.Background(), decision.Request{DryRun: true})
	if e, ok := errs.As(err); !ok || e.Code != "l1_not_started" || e.Kind != errs.KindUnavailable {
		t.Fatalf("sign request with an l1 block and no L1 view: %v", err)
	}
	if s.signer.current() != nil {
		t.Fatal("a decision service was built without the L1 view")
	}
	// Readiness (key_share fails naming l1_not_started) is checked through
	// the real process by e2e.TestDeployRehearsal after its ceremony.
}

// loadFixtureShare is policyd's committed fixture share, decrypted.
func loadFixtureShare(t *testing.T) *mpc.Share {
	t.Helper()
	ct, err := tssfixtures.Share("policyd")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "share.age")
	if err := os.WriteFile(path, ct, 0o600); err != nil {
		t.Fatal(err)
	}
	prot, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, 0)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := mpc.LoadShare(path, prot)
	if err != nil {
		t.Fatal(err)
	}
	return sh
}
