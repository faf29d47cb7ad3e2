//go:build !release

// The dev network (fixture key shares, the published dev passphrase, dev
// certificates and tokens) is compiled into source-tree builds, so the
// README's command works as it is:
//
//	go run ./cmd/policyd --dev
//
// A release build (-tags release: the Dockerfile, docs/deploy.md) answers
// --dev with a usage error (nodev.go), and TestReleaseBuildHasNoDevMaterial
// proves the fixtures are not linked into it.

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// runDev prepares and runs the local dev network: an embedded L2 chain with
// the staking contract, a real `btcd --regtest` (a child process, mined to
// the dedicated wallet; built on first use), dev certificates and keys, the
// fixture key share and a dev whitelist, then policyd itself on top of it,
// with its L1 view following that btcd. Its state lives in dir; the
// server's database starts fresh each run because both chains do (the
// audit key and certificates are kept). Every return path stops btcd; on
// Linux the kernel also kills it if policyd dies without returning.
//
// Before it touches anything in dir it takes dir's lock (a second --dev on
// the same directory stops there, naming the first, and deletes nothing)
// and binds the API port (a busy port is a plain error, before any file is
// removed).
func runDev(ctx context.Context, dir, l2Listen, listenAddr string, logger *slog.Logger, out io.Writer) error {
	if listenAddr == "" {
		listenAddr = "127.0.0.1:8443"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer lock.release()
	ln, err := listen(listenAddr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if err := os.Remove(filepath.Join(dir, "policyd.db")); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Remove(filepath.Join(dir, devnet.ManifestFile)); err != nil && !os.IsNotExist(err) {
		return err
	}
	// A fresh dev log: its cosigned checkpoint and the dev custody node's
	// witness state (beside custody-share.age) start over with it.
	if err := os.Remove(filepath.Join(dir, "audit.cosigned")); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, "witness")); err != nil {
		return err
	}
	env, err := devnet.Setup(ctx, dir, l2Listen, out)
	if err != nil {
		return err
	}
	defer env.Close()

	cfg := devConfig(env, listenAddr)
	// Babylon staking: the dev schedule (test covenant keys), the dev
	// MuSig2 staker key and finality provider (development only).
	if err := setupDevStaking(env, &cfg); err != nil { // babylon_dev.go
		return err
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("dev configuration (a bug): %w", err)
	}
	tlsCfg, err := tlsutil.ServerConfig(cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ClientCAFile)
	if err != nil {
		return fmt.Errorf("dev tls: %w", err)
	}
	s, err := newServer(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer s.close()
	if err := devKeygen(ctx, s); err != nil {
		return err
	}

	m := env.Manifest
	m.AuditVerifierKey = s.audit.VerifierKey()
	return s.serve(ctx, ln, tlsCfg, func(addr string) {
		m.APIURL = "https://" + addr
		if err := devnet.WriteManifest(dir, m); err != nil {
			logger.Error("write dev manifest", "err", err)
			return
		}
		printDev(out, s, env)
	})
}

// devConfig is the embedded dev configuration: everything points into the
// dev directory and at the embedded chain; admins are the dev keys; the
// timelock is off so a demo sees quorum take effect at once.
func devConfig(env *devnet.Env, listen string) Config {
	m := env.Manifest
	admins := []string{}
	for i := 1; i <= 3; i++ {
		admins = append(admins, devnet.Address(devnet.BitlayerAdmin(i)).Hex())
	}
	cfg := DefaultConfig()
	cfg.DataDir = env.Dir
	cfg.Listen = listen
	cfg.Network = m.Network
	cfg.TLS = TLSConfig{CertFile: env.TLS.ServerCert, KeyFile: env.TLS.ServerKey, ClientCAFile: env.TLS.CACert}
	cfg.Auth = AuthConfig{
		CustodyCertSHA256: []string{env.TLS.ClientFingerprint},
		Tokens: []api.Token{
			{Name: "dev-auditor", SHA256: api.HashToken(devnet.DevAuditorToken), Role: api.RoleAuditor},
			{Name: "dev-reader", SHA256: api.HashToken(devnet.DevReaderToken), Role: api.RoleReader},
		},
	}
	cfg.L2 = L2Config{
		RPCURLs:       []string{m.L2RPC},
		Contract:      m.StakingContract,
		StartBlock:    m.DeployBlock,
		Confirmations: 2,
		MaxRange:      1000,
		PollInterval:  Duration(500 * time.Millisecond),
		StaleAfter:    Duration(30 * time.Second),
		BTCToken:      "0x0000000000000000000000000000000000000000",
	}
	// The L1 view follows the dev btcd: few confirmations and a fast poll,
	// so a mined block shows within a second. Nothing mines in the
	// background (blocks come when the demo or a user calls generate), so
	// the stalled-head bound is a week, not mainnet's 3 h.
	cfg.L1 = &L1Config{
		Endpoints: []L1Endpoint{{
			URL: "https://" + m.BtcdRPC, User: m.BtcdUser, PasswordFile: m.BtcdPassFile, CACertFile: m.BtcdCert,
		}},
		StartHeight:   1,
		Confirmations: m.L1Confirmations,
		PollInterval:  Duration(500 * time.Millisecond),
		Freshness:     L1Freshness{PollWithin: Duration(30 * time.Second), HeadWithin: Duration(7 * 24 * time.Hour)},
		MempoolScan:   true,
		// A signed reserves record every 6 blocks: the demo mines a few.
		ReservesEvery: 6,
	}
	cfg.Governance = GovernanceConfig{
		Name: "policyd", Version: "1",
		ChainID:        m.GovernanceChainID,
		WalletID:       m.WalletID,
		BitlayerAdmins: admins,
		ProjectAdmins:  []string{devnet.Address(devnet.RoleProject).Hex()},
		Quorum:         2,
		NoTimelock:     true,
		Bootstrap: []governance.EntryInput{
			{Kind: "bridge_hot_wallet", Address: m.BridgeAddress, Label: "dev bridge hot wallet"},
		},
	}
	cfg.Policy.Params = policy.Params{
		MaxFeeSat:      1_000_000,
		MaxFeeRate:     500,
		VelocityCapSat: 1_000 * 100_000_000,
		FIFOFallback:   true,
		BTCToken:       "0x0000000000000000000000000000000000000000",
	}
	cfg.MPC = MPCConfig{
		ShareFile:      env.ShareFile,
		PassphraseFile: env.PassphraseFile,
		SessionTimeout: Duration(60 * time.Second),
		Parallel:       2,
	}
	cfg.Audit = AuditConfig{KeyFile: filepath.Join(env.Dir, "audit.key"), CosignedFile: filepath.Join(env.Dir, "audit.cosigned")}
	return cfg
}

func printDev(w io.Writer, s *server, env *devnet.Env) {
	m := env.Manifest
	fmt.Fprintf(w, `
policyd dev network is up (development only: every key here is public)

  API (TLS)           %s
  CA certificate      %s
  custody client cert %s
  auditor token       %s     reader token %s
  audit verifier key  %s
  dedicated wallet    %s (regtest, 2-of-2 threshold key from committed fixtures)
  bridge hot wallet   %s (whitelisted at bootstrap)
  L2 JSON-RPC         %s (chain id %d, embedded EVM)
  Bitcoin RPC (TLS)   %s (btcd --regtest, pid %d; user %s, password file %s)
  btcd certificate    %s
  L1 view             height %d mined to the wallet; final at %d confirmations
  staking contract    %s (deployed at block %d)
  admin keystores     %s (password %q)
  database            %s
  manifest            %s

Next: go run ./cmd/custody demo --dev
`, m.APIURL, m.CACert, m.CustodyCert, m.AuditorToken, m.ReaderToken, m.AuditVerifierKey,
		m.WalletAddress, m.BridgeAddress, m.L2RPC, m.L2ChainID,
		m.BtcdRPC, env.L1.Node.PID(), m.BtcdUser, m.BtcdPassFile, m.BtcdCert, regtest.ReadyHeight, m.L1Confirmations,
		m.StakingContract, m.DeployBlock,
		filepath.Join(env.Dir, "keystores"), m.KeystorePassword, s.cfg.DBPath(), filepath.Join(env.Dir, devnet.ManifestFile))
}
