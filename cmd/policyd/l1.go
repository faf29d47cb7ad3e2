package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/storage"
)

// L1Config is the `l1` block: the Bitcoin nodes the L1 view follows
// (docs/l1.md, docs/configuration.md). Absent, policyd checks no input
// against Bitcoin and says so loudly at every start. The wallet's script is
// never configured: it is derived from the loaded key share's address.
type L1Config struct {
	// Endpoints are Bitcoin Core or btcd JSON-RPC servers; the first is
	// read from, all are compared.
	Endpoints []L1Endpoint `json:"endpoints"`
	// StartHeight: at or below the wallet's first funding (>= 1).
	StartHeight uint64 `json:"start_height"`
	// Confirmations: a block is final at this depth (the tip has depth 1).
	Confirmations uint64 `json:"confirmations"`
	// PollInterval is the watcher's period (0: 5 s).
	PollInterval Duration `json:"poll_interval,omitempty"`
	// Freshness bounds: the last successful poll (0: 2 min) and the last
	// increase of the lowest head (0: 3 h).
	Freshness L1Freshness `json:"freshness"`
	// MempoolScan finds wallet spends in the primary's mempool before they
	// are mined (recommended).
	MempoolScan bool `json:"mempool_scan"`
	// UndoRetain: blocks below the tip that stay reversible (0: 10 000).
	UndoRetain uint64 `json:"undo_retain,omitempty"`
	// ReservesEvery: a signed reserves record every this many blocks
	// (0: 144, about a day on mainnet).
	ReservesEvery uint64 `json:"reserves_every,omitempty"`
}

// L1Endpoint is one Bitcoin JSON-RPC server. Secrets are read from files,
// never written in the configuration.
type L1Endpoint struct {
	URL          string `json:"url"`
	User         string `json:"user"`
	PasswordFile string `json:"password_file"`
	// CACertFile: for https (btcd's rpc.cert), the only trusted authority.
	CACertFile string `json:"ca_cert_file,omitempty"`
}

// L1Freshness is l1.Freshness in the configuration's units.
type L1Freshness struct {
	PollWithin Duration `json:"poll_within,omitempty"`
	HeadWithin Duration `json:"head_within,omitempty"`
}

// validate checks the block's values (no file system access).
func (c *L1Config) validate(p *problems) {
	if c == nil {
		return
	}
	if len(c.Endpoints) == 0 {
		p.add("l1.endpoints", "at least one Bitcoin JSON-RPC endpoint is required (omit the l1 block to run without the L1 view)")
	}
	for i, e := range c.Endpoints {
		key := fmt.Sprintf("l1.endpoints[%d]", i)
		if u, err := url.Parse(e.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			p.add(key+".url", "%q is not an http(s) URL without credentials", redactURL(e.URL))
		}
		if e.User == "" {
			p.add(key+".user", "required")
		}
		if e.PasswordFile == "" {
			p.add(key+".password_file", "required")
		}
		if e.CACertFile != "" && !strings.HasPrefix(e.URL, "https://") {
			p.add(key+".ca_cert_file", "only meaningful with an https URL")
		}
	}
	if c.StartHeight < 1 {
		p.add("l1.start_height", "must be at least 1 (at or below the wallet's first funding)")
	}
	if c.Confirmations < 1 {
		p.add("l1.confirmations", "must be at least 1 (6 on mainnet)")
	}
	if c.PollInterval < 0 || c.Freshness.PollWithin < 0 || c.Freshness.HeadWithin < 0 {
		p.add("l1", "durations must not be negative")
	}
}

// files lists the files the block names, for checkFiles.
func (c *L1Config) files() []configFile {
	if c == nil {
		return nil
	}
	var fs []configFile
	for i, e := range c.Endpoints {
		fs = append(fs, configFile{fmt.Sprintf("l1.endpoints[%d].password_file", i), e.PasswordFile})
		if e.CACertFile != "" {
			fs = append(fs, configFile{fmt.Sprintf("l1.endpoints[%d].ca_cert_file", i), e.CACertFile})
		}
	}
	return fs
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("redacted")
	return u.String()
}

// walletScript is the output script of the wallet's address (the share's).
func walletScript(addr string, net *chaincfg.Params) ([]byte, error) {
	a, err := btcutil.DecodeAddress(addr, net)
	if err != nil {
		return nil, fmt.Errorf("wallet address %q: %w", addr, err)
	}
	return txscript.PayToAddrScript(a)
}

// watcherConfig builds the watcher's configuration: credentials from their
// files, the wallet's script from the share's address.
func (c *L1Config) watcherConfig(net *chaincfg.Params, walletAddr string, logger *slog.Logger) (l1.Config, error) {
	script, err := walletScript(walletAddr, net)
	if err != nil {
		return l1.Config{}, err
	}
	wc := l1.Config{
		Params: net, Scripts: [][]byte{script}, StartHeight: c.StartHeight, Confirmations: c.Confirmations,
		PollInterval: c.PollInterval.D(), MempoolScan: c.MempoolScan, UndoRetain: c.UndoRetain,
		Freshness: l1.Freshness{PollWithin: c.Freshness.PollWithin.D(), HeadWithin: c.Freshness.HeadWithin.D()},
		Logger:    logger,
	}
	if wc.Freshness.PollWithin == 0 {
		wc.Freshness.PollWithin = l1.DefaultFreshness.PollWithin
	}
	if wc.Freshness.HeadWithin == 0 {
		wc.Freshness.HeadWithin = l1.DefaultFreshness.HeadWithin
	}
	for i, e := range c.Endpoints {
		pass, err := os.ReadFile(e.PasswordFile)
		if err != nil {
			return l1.Config{}, fmt.Errorf("l1.endpoints[%d].password_file: %w", i, err)
		}
		ep := l1.Endpoint{URL: e.URL, User: e.User, Pass: strings.TrimRight(string(pass), "\r\n")}
		if e.CACertFile != "" {
			if ep.CACertPEM, err = os.ReadFile(e.CACertFile); err != nil {
				return l1.Config{}, fmt.Errorf("l1.endpoints[%d].ca_cert_file: %w", i, err)
			}
		}
		wc.Endpoints = append(wc.Endpoints, ep)
	}
	return wc, nil
}

// noL1Warning is logged at every start without an l1 block.
const noL1Warning = "NO L1 VIEW: the l1 block is absent, PSBT inputs are NOT checked against Bitcoin, " +
	"unexplained wallet spends are NOT detected and a database restored from a backup can pay a reqId twice " +
	"(configure l1, docs/l1.md)"

// startL1 builds the watcher (nil when not configured or no share is loaded).
func (s *server) startL1(db *storage.DB) (*l1.Watcher, error) {
	if s.cfg.L1 == nil {
		s.log.Warn(noL1Warning)
		return nil, nil
	}
	if s.walletAd == "" {
		s.log.Warn("l1 configured but no key share is loaded: after the key ceremony, restart policyd to start the L1 view (signing is refused until then: l1_not_started)")
		return nil, nil
	}
	wc, err := s.cfg.L1.watcherConfig(s.net, s.walletAd, s.log.With("component", "l1"))
	if err != nil {
		return nil, err
	}
	w, err := l1.New(wc, db)
	if err != nil {
		return nil, fmt.Errorf("l1 watcher: %w", err)
	}
	return w, nil
}

// runL1 polls the chain until ctx ends; after every poll, afterPoll runs
// (reconciliation). Errors are recorded in the view's status (stale).
func runL1(ctx context.Context, w *l1.Watcher, afterPoll func(context.Context)) {
	_ = w.RunWith(ctx, afterPoll)
}

// chain is the decision service's L1 view (nil interface without one).
func (s *server) chain() decision.Chain {
	if s.l1 == nil {
		return nil
	}
	return s.l1.View()
}

// systemFreeze is governance's system freeze as the decision service calls it.
func (s *server) systemFreeze(tx *bolt.Tx, now time.Time, source, reason string, evidence records.FreezeEvidence) error {
	_, err := s.gov.SystemFreeze(tx, now, source, reason, evidence)
	return err
}
